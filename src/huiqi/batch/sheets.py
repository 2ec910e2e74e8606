"""Tables for people: the batch's, match's and simulate's outputs as .xlsx and .csv, in Chinese.

Parquet files and database tables keep the machine names and codes (`status = eligible`); a
workbook or CSV file an analyst opens has Chinese column headers and Chinese labels for codes
(状态 = 可享受, 对象类型 = 项目, districts and record kinds by name), the measure's title beside
its id and the enterprise's name beside its credit code. Amounts stay exact (Decimal numbers in
the workbook, decimal text in CSV). Every cell goes through huiqi.cells (formula injection), in
huiqi.tabular.write_rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from huiqi.batch.reasons import RECORD_ZH, chinese
from huiqi.engine.result import STATUS_ZH
from huiqi.region_text import region_label
from huiqi.rules.library import Library
from huiqi.tabular import write_rows

PEOPLE_FILES = (".xlsx", ".csv")
SUBJECT_ZH = {**RECORD_ZH, "enterprise": "企业(本身)"}
STATUS_LABEL = {status.value: label for status, label in STATUS_ZH.items()}

RESULT_HEADINGS = {
    "credit_code": "统一社会信用代码",
    "enterprise": "企业名称",
    "policy": "政策",
    "measure": "措施编号",
    "title": "措施名称",
    "subject_kind": "对象类型",
    "subject_id": "对象编号",
    "status": "状态",
    "min": "最低金额(元)",
    "max": "最高金额(元)",
    "superseded_by": "被替代于(就高不重复)",
}
FIRM_HEADINGS = {
    "credit_code": "统一社会信用代码",
    "enterprise": "企业名称",
    "district": "工商注册地",
    "min": "可享受合计最低(元)",
    "max": "可享受合计最高(元)",
}
REJECTED_COLUMNS = ("row", "credit_code", "record", "column", "value", "reason_zh", "reason")
REJECTED_HEADINGS = {
    "row": "行号",
    "credit_code": "统一社会信用代码",
    "record": "记录类型",
    "column": "列",
    "value": "所填内容",
    "reason_zh": "原因",
    "reason": "原因(英文)",
}
PUSH_HEADINGS = {
    "credit_code": "统一社会信用代码",
    "enterprise": "企业名称",
    "district": "工商注册地",
    "measure": "措施编号",
    "title": "措施名称",
    "subject_kind": "对象类型",
    "subject": "对象编号",
    "status": "状态",
    "min": "最低金额(元)",
    "max": "最高金额(元)",
    "years": "年度",
    "quote": "政策原文",
    "previously": "此前申请",
}
COMPARISON_HEADINGS = {
    "scope": "范围",
    "measure": "措施编号",
    "title": "措施名称",
    "district": "区",
    "year": "年度",
    "base_min": "现行最低(元)",
    "base_max": "现行最高(元)",
    "reform_min": "调整后最低(元)",
    "reform_max": "调整后最高(元)",
    "delta_min": "变化最低(元)",
    "delta_max": "变化最高(元)",
    "base_count": "现行数目",
    "reform_count": "调整后数目",
    "firms": "企业数",
    "firms_gain": "增加的企业",
    "firms_loss": "减少的企业",
    "firms_mixed": "有增有减的企业",
    "firms_unchanged": "不变的企业",
    "name": "企业名称",
    "change": "变化",
    "library": "方案",
    "policy": "政策",
    "pool": "资金池",
    "pool_title": "资金池名称",
    "period": "期间",
    "pool_amount": "资金池金额(元)",
    "demand_min": "需求最低(元)",
    "demand_max": "需求最高(元)",
    "runs_out": "是否用尽",
    "rationing": "分配方式",
    "pro_rata_share": "按比例分配系数",
}
CHANGE_ZH = {"gain": "增加", "loss": "减少", "mixed": "有增有减", "unchanged": "不变"}
_BY_YEAR = re.compile(r"^(min|max)_(\d{4})$")


def heading(column: str, headings: Mapping[str, str]) -> str:
    """A column's Chinese header: its own, or 2024年最低(元) for `min_2024`."""
    by_year = _BY_YEAR.match(column)
    if by_year:
        return f"{by_year[2]}年{'最低' if by_year[1] == 'min' else '最高'}(元)"
    return headings.get(column, column)


def is_for_people(path: str | Path) -> bool:
    return Path(path).suffix.lower() in PEOPLE_FILES


def measure_titles(library: Library) -> dict[str, str]:
    return {ref.measure.id: ref.measure.title for ref in library.measures()}


def labelled(row: Mapping[str, Any], titles: Mapping[str, str], names: Mapping[str, str]) -> dict[str, Any]:
    """A row with its codes as people read them (status, subject kind, district, change) and the
    measure's title and the enterprise's name added."""
    out = dict(row)
    if "status" in out:
        out["status"] = STATUS_LABEL.get(out["status"], out["status"])
    if "subject_kind" in out:
        out["subject_kind"] = SUBJECT_ZH.get(out["subject_kind"], out["subject_kind"])
    if "district" in out:
        out["district"] = region_label(out["district"], "zh")
    if "change" in out:
        out["change"] = CHANGE_ZH.get(out["change"], out["change"])
    if "measure" in out and "title" not in out:
        out["title"] = titles.get(out["measure"], "")
    if "credit_code" in out and "enterprise" not in out and names:
        out["enterprise"] = names.get(out["credit_code"], "")
    return out


def _columns_with(columns: Iterable[str], extra: Mapping[str, str]) -> list[str]:
    """The columns with `extra` (added column -> the column it follows) in place."""
    out: list[str] = []
    for column in columns:
        out.append(column)
        out += [added for added, after in extra.items() if after == column]
    return out


def write_results(
    path: Path, columns: list[str], rows: Iterable[Mapping[str, Any]], library: Library, names: Mapping[str, str]
) -> None:
    """`huiqi batch`'s results for people: the enterprise's name and the measure's title beside their codes."""
    titles = measure_titles(library)
    money = {c for c in columns if c in ("min", "max") or _BY_YEAR.match(c)}
    shown = _columns_with(columns, {"enterprise": "credit_code", "title": "measure"})
    headings = {c: heading(c, RESULT_HEADINGS) for c in shown}
    write_rows(path, shown, (labelled(r, titles, names) for r in rows), money, headings)


def write_firm_totals(
    path: Path, rows: Iterable[Mapping[str, Any]], names: Mapping[str, str], districts: Mapping[str, str | None]
) -> None:
    """Each enterprise's joint total, with its name and district."""

    def rows_of() -> Iterator[dict[str, Any]]:
        for row in rows:
            code = row["credit_code"]
            yield labelled({**row, "district": districts.get(code)}, {}, names)

    columns = ["credit_code", "enterprise", "district", "min", "max"]
    write_rows(path, columns, rows_of(), {"min", "max"}, FIRM_HEADINGS)


def rejected_rows(rows: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Rejected rows with their reason in Chinese too (huiqi.batch.reasons), record kinds by name."""
    for row in rows:
        yield {**row, "reason_zh": chinese(row.get("reason"))}


def write_rejected(path: Path, rows: Iterable[Mapping[str, Any]], *, for_people: bool) -> None:
    """Every row not evaluated, with the column and value at fault and the reason in both languages.
    For people (beside an .xlsx or .csv output) the headers and record kinds are Chinese; beside a
    Parquet file or a table, the column names and codes are kept."""
    listed = list(rejected_rows(rows))
    if for_people:
        listed = [{**r, "record": RECORD_ZH.get(r.get("record") or "", r.get("record"))} for r in listed]
    write_rows(path, REJECTED_COLUMNS, listed, (), REJECTED_HEADINGS if for_people else None)
