"""Values as people write them in China: one reading for facts files, spreadsheets, the API and the batch.

Every form accepted here is accepted everywhere a fact is read: the facts models' validators call
these functions (so YAML/JSON facts files, the ledger's Excel/CSV import and the HTTP API read
alike), and the batch loader (huiqi.batch.load) builds its SQL from the same patterns and tables,
so a cell the calculator reads is read to the same value by `huiqi batch` — tests compare the two.

- full-width digits and signs (`２０２５`, `１，２３４．５`) are read as their ASCII forms;
- yes/no: `true`/`false`, `yes`/`no`, `1`/`0`, `是`/`否`, `有`/`无` (any case);
- dates: `2025-06-30`, `2025-6-30`, `2025/6/30`, `2025.6.30`, `2025年6月30日`;
- whole numbers: `2024`, `2024.0` (as pandas writes a column with gaps), a year also `2024年`;
- amounts (huiqi.money.parse_amount): `1234.56`, `2,000万`, `300万元`, `1.5亿`, `¥1,234.56`,
  `￥80万元整`, `1亿2000万`, `8千万`; the units 千亿, 百亿, 亿, 千万, 百万, 万, 千, 百 from large to small.

Every refusal is a `Bilingual` error (Chinese and English) naming the accepted forms. No I/O.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from huiqi.diagnostics import Bilingual

# Full-width characters read as ASCII: digits and the signs numbers and dates are written with,
# and the ideographic space. The batch's SQL translates exactly these (huiqi.batch.load).
FULL_WIDTH = "０１２３４５６７８９．，－／＋￥\u3000"
HALF_WIDTH = "0123456789.,-/+¥ "
_TO_HALF = str.maketrans(FULL_WIDTH, HALF_WIDTH)

TRUE_WORDS = ("true", "yes", "1", "是", "有")
FALSE_WORDS = ("false", "no", "0", "否", "无")
BOOL_FORMS_ZH = "是/否、有/无、true/false、yes/no、1/0"
BOOL_FORMS_EN = "是/否, 有/无, true/false, yes/no or 1/0"

# Patterns in the subset every engine's regular expressions read alike (DuckDB's RE2, PostgreSQL,
# Java for Spark): character classes, no \d or \s, no backslashes at all.
DATE_FORMS = (
    "^[0-9]{4}(-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2}|[.][0-9]{1,2}[.][0-9]{1,2}|年[0-9]{1,2}月[0-9]{1,2}日)$"
)
DATE_PARTS = "^([0-9]{4})[^0-9]+([0-9]{1,2})[^0-9]+([0-9]{1,2})"
DATE_FORMS_ZH = "2025-06-30、2025/6/30、2025.6.30 或 2025年6月30日"
DATE_FORMS_EN = "2025-06-30, 2025/6/30, 2025.6.30 or 2025年6月30日"

WHOLE = "^[+-]?[0-9]{1,18}([.]0*)?$"  # 2024, 2024.0 (an integral float as pandas writes it)
YEAR_SUFFIX = "年"
WHOLE_FORMS_ZH = "整数, 如 2024、2024.0"
WHOLE_FORMS_EN = "a whole number such as 2024 or 2024.0"

# Amounts (after `amount_text`: half-width, no white space, no thousands separators).
NUMBER = "[0-9]+([.][0-9]{1,12})?"  # at most 12 decimals: the batch reads them exactly in integers
# the units from large to small, each once; 千万 and 百万 (8千万, 5百万元) are units of their own
UNITS: tuple[tuple[str, int], ...] = (
    ("千亿", 11),
    ("百亿", 10),
    ("亿", 8),
    ("千万", 7),
    ("百万", 6),
    ("万", 4),
    ("千", 3),
    ("百", 2),
)
CURRENCY_BEFORE = ("¥", "人民币", "RMB", "CNY")
CURRENCY_AFTER = ("元整", "元", "yuan", "CNY", "RMB")
AMOUNT_FORMS_ZH = "1234.56、2,000万、300万元、1.5亿、¥1,234.56、80万元整、1亿2000万"
AMOUNT_FORMS_EN = "1234.56, 2,000万, 300万元, 1.5亿, ¥1,234.56, 80万元整 or 1亿2000万"


def _group(words: tuple[str, ...]) -> str:
    return "(" + "|".join(words) + ")"


# an amount: the sign, a currency before, the parts by unit from large to small, a plain number,
# a currency after (matched whole, then each part read by its own pattern: a unit is one
# character that appears once, and the plain number is the one at the end)
AMOUNT = (
    "^-?"
    + _group(CURRENCY_BEFORE)
    + "?"
    + "".join(f"({NUMBER}{unit})?" for unit, _ in UNITS)
    + f"({NUMBER})?"
    + _group(CURRENCY_AFTER)
    + "?$"
)
# each part's pattern (its number is group 1) and its unit's power of ten
AMOUNT_PARTS: tuple[tuple[str, int], ...] = (
    # 千 and 百 alone are not the start of 千万/百万/千亿/百亿: the next character says which
    # (a class, not a look-ahead, which not every engine's regular expressions have)
    *((f"({NUMBER}){unit}" + ("([^万亿]|$)" if unit in ("千", "百") else ""), exponent) for unit, exponent in UNITS),
    (f"({NUMBER})" + _group(CURRENCY_AFTER) + "?$", 0),
)
_AMOUNT_RE = re.compile(AMOUNT)
_PART_RES = tuple((re.compile(pattern), exponent) for pattern, exponent in AMOUNT_PARTS)


def halfwidth(text: str) -> str:
    """Full-width digits and signs as ASCII ('２０２５' → '2025'), trimmed."""
    return text.translate(_TO_HALF).strip()


def amount_text(text: str) -> str:
    """The text an amount is matched in: half-width, trimmed, with no spaces and no thousands separators."""
    return re.sub("[ ,]", "", text.translate(_TO_HALF).strip())


def read_amount_text(text: str) -> Decimal | None:
    """An amount written as text, exactly (not rounded), or None when it is not in an accepted form."""
    word = amount_text(text)
    if _AMOUNT_RE.match(word) is None:
        return None
    numbers = [(found.group(1), exponent) for part, exponent in _PART_RES if (found := part.search(word))]
    if not numbers:
        return None
    total = sum((Decimal(number).scaleb(exponent) for number, exponent in numbers), Decimal(0))
    return -total if word.startswith("-") else total


def amount_error(raw: object) -> Bilingual:
    return Bilingual(
        f"无法识别金额 {raw!r}; 可写 {AMOUNT_FORMS_ZH} (单位 亿、万、千、百 从大到小)",
        f"cannot read {raw!r} as an amount; write e.g. {AMOUNT_FORMS_EN} (units 亿, 万, 千, 百 from large to small)",
    )


def parse_bool(raw: object) -> object:
    """Yes or no as people write it; a bool passes; anything else is refused naming the forms."""
    if isinstance(raw, bool):
        return raw
    word = halfwidth(raw).lower() if isinstance(raw, str) else str(raw) if isinstance(raw, int) else None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise Bilingual(
        f"无法识别是/否 {raw!r}; 可写 {BOOL_FORMS_ZH}", f"cannot read {raw!r} as yes or no; write {BOOL_FORMS_EN}"
    )


def parse_date(raw: object) -> object:
    """A date as people write it (see DATE_FORMS); a date passes (a datetime at midnight too)."""
    if isinstance(raw, datetime):
        if raw.time() == datetime.min.time():
            return raw.date()
    elif isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        text = halfwidth(raw)
        parts = re.match(DATE_PARTS, text) if re.match(DATE_FORMS, text) else None
        if parts is not None:
            year, month, day = (int(p) for p in parts.groups())
            try:
                return date(year, month, day)
            except ValueError:
                raise Bilingual(f"没有这一天: {raw!r}", f"{raw!r} is no such day (month {month}, day {day})") from None
    raise Bilingual(
        f"无法识别日期 {raw!r}; 可写 {DATE_FORMS_ZH}", f"cannot read {raw!r} as a date; write {DATE_FORMS_EN}"
    )


def parse_whole(raw: object, *, year: bool = False) -> object:
    """A whole number: an int, an integral Decimal or float (2024.0), or text (full-width digits,
    '2024.0', a year also '2024年'). `2024.5` is refused, never rounded."""
    if isinstance(raw, bool):
        raise _whole_error(raw, year)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float | Decimal):
        if raw == raw and raw not in (float("inf"), float("-inf")) and raw == int(raw):
            return int(raw)
        raise _whole_error(raw, year)
    if isinstance(raw, str):
        text = halfwidth(raw)
        if year and text.endswith(YEAR_SUFFIX):
            text = text[: -len(YEAR_SUFFIX)].strip()
        if re.match(WHOLE, text):
            return int(Decimal(text))
    raise _whole_error(raw, year)


def _whole_error(raw: object, year: bool) -> Bilingual:
    if year:
        return Bilingual(
            f"无法识别年份 {raw!r}; 可写 2024、2024年 或 2024.0",
            f"cannot read {raw!r} as a year; write 2024, 2024年 or 2024.0",
        )
    return Bilingual(f"无法识别 {raw!r}; 应为{WHOLE_FORMS_ZH}", f"cannot read {raw!r}; write {WHOLE_FORMS_EN}")


def parse_year(raw: object) -> object:
    return parse_whole(raw, year=True)


def parse_number(raw: object) -> object:
    """A plain decimal number (an area): full-width digits and thousands separators accepted."""
    if isinstance(raw, str):
        text = amount_text(raw)
        if re.match(f"^-?{NUMBER}$", text):
            return Decimal(text)
        raise Bilingual(
            f"无法识别数值 {raw!r}; 可写 1234.5、1,234.5",
            f"cannot read {raw!r} as a number; write e.g. 1234.5 or 1,234.5",
        )
    return raw
