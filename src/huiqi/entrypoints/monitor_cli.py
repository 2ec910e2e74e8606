"""`huiqi monitor`: the statistical monitoring catalogue and the plans' targets (huiqi.monitor).

huiqi monitor targets               the plans' targets, checked (exit 2 naming every problem)
huiqi monitor import FILE           the catalogue's rows for a year, all or nothing
huiqi monitor progress              each target against the catalogue: status, pace, year reached
huiqi monitor show TARGET           one target: its series, by region or field, the firms behind it
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from huiqi.diagnostics import InputError
from huiqi.entrypoints.ledger_open import DbOption, err, fail, open_ledger, out, said
from huiqi.region_text import region_label

if TYPE_CHECKING:
    from huiqi.monitor.indicators import CatalogueEntry
    from huiqi.monitor.targets import Plan

monitor_app = typer.Typer(
    help="Industry monitoring: the AI-enterprise catalogue against the plans' targets.", no_args_is_help=True
)
TargetsOption = Annotated[
    Path | None, typer.Option("--targets", help="Folder of plan targets (default: the bundled targets/).")
]
Lang = Annotated[str, typer.Option("--lang", help="zh or en.")]
KIND_ZH = {"count": "企业数", "sum": "合计", "growth": "年均增速", "reported": "填报值"}
STATUS_STYLE = {"met": "green", "on_track": "green", "at_risk": "yellow", "off_track": "red", "missed": "red"}


def _plans(folder: Path | None) -> list[Plan]:
    from huiqi.target_files import load_plans

    try:
        return load_plans(folder)
    except InputError as error:
        raise fail([said(d) for d in error.diagnostics]) from None


def _entries(db: str | None) -> list[CatalogueEntry]:
    from huiqi.ledger.actors import SYSTEM
    from huiqi.ledger.monitoring import current_entries

    ledger = open_ledger(db, "read")
    try:
        return ledger.read(SYSTEM, current_entries)
    finally:
        ledger.engine.dispose()


JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of a table.")]
KIND_EN = {"count": "firms counted", "sum": "sum", "growth": "yearly growth", "reported": "reported"}


@monitor_app.command("targets")
def targets(folder: TargetsOption = None, as_json: JsonOption = False, lang: Lang = "zh") -> None:
    """The plans' targets, each with its clause; every problem of every file as FILE:LINE (exit 2)."""
    from huiqi.monitor.targets import plan_summary
    from huiqi.target_files import load_thresholds

    zh = _zh(lang)
    plans = _plans(folder)
    try:
        load_thresholds(folder)  # checked with the plans: a bad threshold is a problem of the folder
    except InputError as error:
        raise fail([said(d) for d in error.diagnostics]) from None
    if as_json:
        out.print_json(json.dumps([plan_summary(p) for p in plans], ensure_ascii=False))
        return
    for plan in plans:
        title = plan.title if zh else plan.title_en
        table = Table(title=f"{title} ({plan.id}) — {region_label(plan.region, lang)}", title_justify="left")
        headings = (
            ("目标", "指标", "目标值", "年份", "原文") if zh else ("target", "measured as", "value", "year", "clause")
        )
        for heading in headings:
            table.add_column(heading, overflow="fold")
        for t in plan.targets:
            low = _amount(str(t.goal.low), t.unit, lang)
            value = low if t.goal.high is None else f"{low}–{_amount(str(t.goal.high), t.unit, lang)}"
            kind = (KIND_ZH if zh else KIND_EN)[t.indicator.kind]
            table.add_row(f"{t.title if zh else t.title_en}\n{t.key}", kind, value, str(t.goal.year), t.quote)
        out.print(table)


def _zh(lang: str) -> bool:
    if lang not in ("zh", "en"):
        raise fail([f"--lang: zh or en, not {lang!r}"])
    return lang == "zh"


@monitor_app.command("calls")
def calls(folder: TargetsOption = None, as_json: JsonOption = False, lang: Lang = "zh") -> None:
    """The application-scenario calls (揭榜挂帅) listed with the plans, checked: owner, budget,
    deadline, eligibility and the scoring rubric of each (exit 2 naming every problem)."""
    from huiqi.monitor.call_data import to_data
    from huiqi.target_files import load_call_lists

    zh = _zh(lang)
    try:
        found = load_call_lists(folder)
    except InputError as error:
        raise fail([said(d) for d in error.diagnostics]) from None
    if as_json:
        out.print_json(json.dumps([to_data(c)[0] for c in found], ensure_ascii=False))
        return
    # the lists as the data files say (their own dates); calls opened in the ledger: /calls, /v1/calls
    title = (
        "应用场景揭榜挂帅榜单清单 (数据文件; 已开设的榜单见 /calls)"
        if zh
        else "Scenario call lists (data files; calls opened: /calls)"
    )
    table = Table(title=title, title_justify="left")
    headings = ("编号", "场景", "场景方", "资金", "截止", "揭榜条件", "评分标准")
    for heading in headings if zh else ("id", "scenario", "owner", "budget", "deadline", "who may answer", "rubric"):
        table.add_column(heading, overflow="fold")
    for call in found:
        rules = call.eligibility
        if zh:
            who = f"独立法人; 联合体至多1+{rules.max_partners}" + (
                "; 往届获胜者除外" if rules.exclude_past_winners else ""
            )
        else:
            who = f"legal entity; consortium of at most 1+{rules.max_partners}" + (
                "; past winners excluded" if rules.exclude_past_winners else ""
            )
        rubric = "、".join(f"{c.title} {c.weight}%" for c in call.criteria)
        table.add_row(
            call.id,
            call.title,
            call.owner,
            _amount(str(call.budget), "元", lang),
            f"{call.deadline:%Y-%m-%d}",
            who,
            rubric,
        )
    out.print(table)


@monitor_app.command("import")
def import_catalogue(
    file: Annotated[Path, typer.Argument(help=".xlsx or .csv (UTF-8 or GBK), one row per enterprise and year")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row, write nothing.")] = False,
    db: DbOption = None,
) -> None:
    """Import catalogue rows all or nothing: a bad row is FILE:ROW: field: message (exit 2); a
    changed row is a new version of that enterprise's year, the old one kept."""
    from huiqi.ledger.actors import SYSTEM
    from huiqi.ledger.errors import LedgerError
    from huiqi.ledger.monitoring import import_catalogue as run_import
    from huiqi.limits import UPLOADS, read_limited
    from huiqi.monitor.indicators import CatalogueEntry
    from huiqi.tabular import TableError, nest, read_table

    if not file.is_file():
        raise fail([f"{file}: 找不到该文件 (file not found)"])
    try:
        rows = read_table(read_limited(file, UPLOADS), file.name)
    except (TableError, OSError) as error:
        raise fail([str(error)]) from None
    except InputError as error:
        raise fail([said(d) for d in error.diagnostics]) from None
    cells = [(row.number, nest(row.values, CatalogueEntry)) for row in rows]
    ledger = open_ledger(db, "write")
    try:
        report = ledger.run(SYSTEM, lambda uow: run_import(uow, cells, file.name, dry_run=dry_run))
    except LedgerError as error:
        for problem in error.errors:
            said = f"{problem.zh} ({problem.message})" if problem.zh else problem.message
            err.print(f"{file}:{problem.row}: {problem.field}: {said}", soft_wrap=True, markup=False)
        bad = len({e.row for e in error.errors})
        raise fail(
            [f"{bad} of {len(rows)} rows are bad; nothing was written (有误的行: {bad}, 未写入任何数据)"]
        ) from None
    finally:
        ledger.engine.dispose()
    verb = ("将新增", "would add") if dry_run else ("新增", "added")
    out.print(
        f"{file}: {len(rows)} 行, {verb[0]} {report.added}, 更正 {report.corrected} (各为新版本),"
        f" 未变 {report.unchanged}"
        f" ({verb[1]} {report.added}, corrected {report.corrected}, {report.unchanged} unchanged)",
        markup=False,
    )


def _pct(value: str | None) -> str:
    from huiqi.monitor.report import percent

    return percent(value)


def _amount(value: str | None, unit: str, lang: str = "zh") -> str:
    from huiqi.monitor.report import amount_text

    return amount_text(value, unit, lang)


@monitor_app.command("progress")
def progress(
    as_of_year: Annotated[
        int | None, typer.Option("--year", help="Judge as of this year (default: this year).")
    ] = None,
    plan: Annotated[str | None, typer.Option("--plan", help="One plan's id.")] = None,
    folder: TargetsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of tables.")] = False,
    lang: Lang = "zh",
    db: DbOption = None,
) -> None:
    """Each target: the value now, the share achieved, the growth achieved and needed, the year it is
    reached at this pace, and its status."""
    from huiqi.monitor.report import plan_progress
    from huiqi.target_files import load_thresholds

    plans = [p for p in _plans(folder) if plan is None or p.id == plan]
    if plan is not None and not plans:
        raise fail([f"no plan {plan!r}"])
    year = as_of_year or date.today().year
    entries = _entries(db)
    try:
        limits = load_thresholds(folder)
    except InputError as error:
        raise fail([said(d) for d in error.diagnostics]) from None
    found = [plan_progress(p, entries, year, limits) for p in plans]
    if as_json:
        out.print_json(json.dumps(found, ensure_ascii=False))
        return
    zh = _zh(lang)
    for item in found:
        title = item["title"] if zh else item["title_en"]
        table = Table(title=f"{title} — {region_label(item['region'], lang)}, {year}", title_justify="left")
        headings = (
            ("目标", "现值", "目标值", "完成度", "已达年均增速", "所需年均增速", "按现速达成", "状态")
            if zh
            else ("target", "now", "target value", "achieved", "growth so far", "growth needed", "reached", "status")
        )
        for heading in headings:
            table.add_column(heading, overflow="fold")
        for row in item["targets"]:
            _progress_row(table, row, zh)
        out.print(table)


def _progress_row(table: Table, row: dict[str, Any], zh: bool) -> None:
    unit = row["unit"]
    target = row["target"]
    lang = "zh" if zh else "en"
    wanted = (
        _amount(target, unit, lang) if isinstance(target, str) else "–".join(_amount(v, unit, lang) for v in target)
    )
    now = _amount(row["current"], unit, lang) + (f" ({row['current_year']})" if row["current_year"] else "")
    status = row["status_zh"] if zh else row["status_en"]
    style = STATUS_STYLE.get(row["status"])
    if style:
        status = f"[{style}]{status}[/{style}]"
    notes = "; ".join(n["zh"] if zh else n["en"] for n in row["notes"])
    table.add_row(
        f"{row['title'] if zh else row['title_en']}\n{row['id']}",
        now,
        f"{wanted} ({row['by']})",
        _pct(row["share"]),
        _pct(row["growth_achieved"]),
        _pct(row["growth_needed"]),
        str(row["reached_in"] or "—"),
        status + (f"\n{escape(notes)}" if notes else ""),
    )


@monitor_app.command("show")
def show(
    target: Annotated[str, typer.Argument(help="A target's id, e.g. lingang-ai-2025.enterprises")],
    year: Annotated[int | None, typer.Option("--year", help="The year to drill into (default: the latest).")] = None,
    by: Annotated[str, typer.Option("--by", help="region or field")] = "region",
    top: Annotated[int, typer.Option("--top", help="How many enterprises behind the figure to list.")] = 20,
    folder: TargetsOption = None,
    as_json: JsonOption = False,
    lang: Lang = "zh",
    db: DbOption = None,
) -> None:
    """One target: the figure by region or field, and the enterprises behind it."""
    from huiqi.facts.vocabulary import Field
    from huiqi.monitor.indicators import NUMBERS
    from huiqi.monitor.report import behind, drill_down, series

    zh = _zh(lang)
    if by not in ("region", "field"):
        raise fail([f"--by: region or field, not {by!r}"])
    found = next((t for p in _plans(folder) for t in p.targets if t.key == target), None)
    if found is None:
        raise fail([f"no target {target!r}; `huiqi monitor targets` lists them"])
    entries = _entries(db)
    values = series(found, entries)
    # a growth target's series is the sum it grows (yuan), not the rate
    unit = NUMBERS[found.indicator.growth][2] if found.indicator.growth else found.unit
    when = year or (max(values) if values else None)
    drillable = found.drillable and when is not None
    split = drill_down(found, entries, when, by) if drillable and when is not None else {}
    name = found.indicator.field
    firms = behind(found, entries, when)[:top] if drillable and when is not None else []
    if as_json:
        data = {
            "target": found.key,
            "unit": unit,
            "series": {str(y): str(v) for y, v in values.items()},
            "year": when,
            "by": by,
            "split": split,
            "enterprises": [
                {
                    "credit_code": e.credit_code,
                    "name": e.name,
                    "region": e.region,
                    "value": str(getattr(e, name)) if name else "1",
                }
                for e in firms
            ],
        }
        out.print_json(json.dumps(data, ensure_ascii=False))
        return
    shown = ", ".join(f"{y}: {_amount(str(v), unit, lang)}" for y, v in values.items())
    out.print(f"{found.title if zh else found.title_en} ({found.key}): {shown or '—'}", markup=False)
    if not drillable:
        return  # a growth rate or a reported value has no split by region or field
    by_words = ("地区", "领域") if zh else ("region", "field")
    heading = by_words[0] if by == "region" else by_words[1]
    table = Table(title=f"{when}年 按{heading}" if zh else f"{when} by {heading}", title_justify="left")
    table.add_column(heading)
    table.add_column("数值" if zh else "value", justify="right")
    fields = {str(m.value): (m.zh if zh else m.en) for m in Field}
    for key, value in split.items():
        label = region_label(key, lang) if by == "region" else (fields.get(key, key) or "—")
        table.add_row(label, _amount(value, found.unit, lang))
    out.print(table)
    title = f"{when} 构成该数值的企业 (前 {top} 家)" if zh else f"{when}: the enterprises behind the figure (top {top})"
    listed = Table(title=title, title_justify="left")
    for column in (
        ("统一社会信用代码", "企业名称", "地区", "数值") if zh else ("credit code", "name", "region", "value")
    ):
        listed.add_column(column)
    for entry in firms:
        figure = _amount(str(getattr(entry, name)), found.unit, lang) if name else "1"
        listed.add_row(entry.credit_code, entry.name, region_label(entry.region, lang), figure)
    out.print(listed)
