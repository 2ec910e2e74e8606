"""Why a row of the batch's input is bad, in English and Chinese, naming the accepted forms.

The check (huiqi.batch.load) writes the English reason in SQL, `<column>: <what is wrong>`, from
the templates here; `chinese` gives the same reason in Chinese for the rejected rows' files.
A template's `{…}` parts are the column, a record kind, a list of codes or a row number.
"""

from __future__ import annotations

import re

from huiqi.facts.chinese import (
    AMOUNT_FORMS_EN,
    AMOUNT_FORMS_ZH,
    BOOL_FORMS_EN,
    BOOL_FORMS_ZH,
    DATE_FORMS_EN,
    DATE_FORMS_ZH,
)

RECORD_ZH = {
    "enterprise": "企业",
    "project": "项目",
    "lease": "租赁",
    "institution": "研发机构",
    "platform": "服务平台",
    "contract": "合同",
    "prior_award": "已获资助",
}

# key -> (English, Chinese)
TEMPLATES: dict[str, tuple[str, str]] = {
    "record": ("record: must be one of {codes}", "record: 应为 {codes} 之一"),
    "required": ("{name}: required", "{name}: 必填"),
    "id_required": ("id: required for a subject row", "id: 项目、租赁、研发机构、平台和合同的行必须有编号"),
    "name_required": ("name: required for this record", "name: 这类行必须有名称"),
    "foreign": ("{name}: only a {record} row has this column", "{name}: 只有{record}行有这一列"),
    "amount": (
        f"{{name}}: not an amount; write e.g. {AMOUNT_FORMS_EN}",
        f"{{name}}: 无法识别金额; 可写 {AMOUNT_FORMS_ZH}",
    ),
    "negative_amount": ("{name}: an amount must not be negative", "{name}: 金额不能为负数"),
    "too_large": (
        "{name}: above the batch limit of 1,000,000,000,000 yuan",
        "{name}: 超过批量计算的上限 1万亿元",
    ),
    "bool": (f"{{name}}: not yes or no; write {BOOL_FORMS_EN}", f"{{name}}: 无法识别是/否; 可写 {BOOL_FORMS_ZH}"),
    "year": (
        "{name}: not a whole number; write a year as 2024, 2024年 or 2024.0",
        "{name}: 不是整数; 年份可写 2024、2024年 或 2024.0",
    ),
    "count": (
        "{name}: not a whole number; write e.g. 12, 2024.0 or 1000亿",
        "{name}: 不是整数; 可写 12、2024.0 或 1000亿",
    ),
    "negative": ("{name}: must not be negative", "{name}: 不能为负数"),
    "year_range": ("{name}: a year from 1990 to 2100", "{name}: 年份应在 1990 至 2100 之间"),
    "number": ("{name}: not a number; write e.g. 1234.5 or 1,234.5", "{name}: 无法识别数值; 可写 1234.5 或 1,234.5"),
    "area": ("{name}: an area must be greater than 0", "{name}: 面积必须大于 0"),
    "date": (f"{{name}}: not a date; write {DATE_FORMS_EN}", f"{{name}}: 无法识别日期; 可写 {DATE_FORMS_ZH}"),
    "codes": ("{name}: codes separated by ; from {codes}", "{name}: 应为以 ; 分隔的代码, 取自 {codes}"),
    "code": ("{name}: not one of {codes}", "{name}: 应为 {codes} 之一"),
    "required_for": ("{name}: required for a {record} row", "{name}: {record}行必填"),
    "end_date": ("end_date: before start_date", "end_date: 早于 start_date"),
    "service_end": ("service_end: before service_start", "service_end: 早于 service_start"),
    "region": (
        "{name}: not a region; write a GB/T 2260 code (310112, 440305), a zone's (310000-lingang) or a Shanghai"
        " district's name (闵行)",
        "{name}: 无法识别的地区; 请填 GB/T 2260 代码(如 310112、440305)、功能区代码(310000-lingang)"
        "或上海各区名称(如 闵行)",
    ),
    "credit_code": (
        "credit_code: not a valid unified social credit code (GB 32100-2015)",
        "credit_code: 不是有效的统一社会信用代码 (GB 32100-2015 校验位不符)",
    ),
    "second_enterprise": ("a second enterprise row for this credit_code", "同一统一社会信用代码的第二个企业行"),
    "no_enterprise": ("no enterprise row for this credit_code", "没有这个统一社会信用代码的企业行"),
    "id_twice": (
        "id: used twice in this enterprise's projects, leases, institutions and platforms",
        "id: 在该企业的项目、租赁、研发机构和平台中重复",
    ),
    "leases": (
        "the enterprise has more than {count} leases (the batch unrolls at most {count})",
        "该企业的租赁超过 {count} 项 (批量计算最多展开 {count} 项)",
    ),
    "left_out": (
        "left out with its enterprise: row {row} is bad",
        "随其企业一并未计算: 第 {row} 行有误",
    ),
}


def reason(key: str, **parts: object) -> str:
    """The English reason (what the SQL writes)."""
    return TEMPLATES[key][0].format(**parts)


def _pattern(template: str) -> re.Pattern[str]:
    regex, seen = "", set()
    for piece in re.split(r"(\{\w+\})", template):
        if piece.startswith("{"):
            name = piece[1:-1]
            regex += f"(?P={name})" if name in seen else f"(?P<{name}>.+?)"
            seen.add(name)
        else:
            regex += re.escape(piece)
    return re.compile(f"^{regex}$")


_MATCHERS = [(_pattern(en), zh) for en, zh in TEMPLATES.values()]


def chinese(text: str | None) -> str | None:
    """The Chinese for an English reason made from a template (itself when none matches)."""
    if text is None:
        return None
    for pattern, zh in _MATCHERS:
        found = pattern.match(text)
        if found is not None:
            parts = found.groupdict()
            if "record" in parts:
                parts["record"] = RECORD_ZH.get(parts["record"], parts["record"])
            return zh.format(**parts)
    return text
