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
from huiqi.entrypoints.ledger_open import DbOption, err, fail, open_ledger, out
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
        raise fail([str(d) for d in error.diagnostics]) from None


def _entries(db: str | None) -> list[CatalogueEntry]:
    from huiqi.ledger.actors import SYSTEM
    from huiqi.ledger.monitoring import current_entries

    ledger = open_ledger(db, "read")
    try:
        return ledger.read(SYSTEM, current_entries)
    finally:
        ledger.engine.dispose()


@monitor_app.command("targets")
def targets(
    folder: TargetsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """The plans' targets, each with its clause; every problem of every file as FILE:LINE (exit 2)."""
    from huiqi.monitor.targets import plan_summary
    from huiqi.target_files import load_thresholds

    plans = _plans(folder)
    try:
        load_thresholds(folder)  # checked with the plans: a bad threshold is a problem of the folder
    except InputError as error:
        raise fail([str(d) for d in error.diagnostics]) from None
    if as_json:
        out.print_json(json.dumps([plan_summary(p) for p in plans], ensure_ascii=False))
        return
    for plan in plans:
        table = Table(title=f"{plan.title} ({plan.id}) — {region_label(plan.region)}", title_justify="left")
        for heading in ("目标", "指标", "目标值", "年份", "原文"):
            table.add_column(heading, overflow="fold")
        for t in plan.targets:
            low = _amount(str(t.goal.low), t.unit)
            value = low if t.goal.high is None else f"{low}–{_amount(str(t.goal.high), t.unit)}"
            table.add_row(f"{t.title}\n{t.key}", KIND_ZH[t.indicator.kind], value, str(t.goal.year), t.quote)
        out.print(table)


@monitor_app.command("calls")
def calls(folder: TargetsOption = None) -> None:
    """The application-scenario calls (揭榜挂帅) listed with the plans, checked: owner, budget,
    deadline, eligibility and the scoring rubric of each (exit 2 naming every problem)."""
    from huiqi.target_files import load_call_lists

    try:
        found = load_call_lists(folder)
    except InputError as error:
        raise fail([str(d) for d in error.diagnostics]) from None
    # the lists as the data files say (their own dates); calls opened in the ledger: /calls, /v1/calls
    table = Table(title="应用场景揭榜挂帅榜单清单 (数据文件; 已开设的榜单见 /calls)", title_justify="left")
    for heading in ("编号", "场景", "场景方", "资金", "截止", "揭榜条件", "评分标准"):
        table.add_column(heading, overflow="fold")
    for call in found:
        rules = call.eligibility
        who = f"独立法人; 联合体至多1+{rules.max_partners}" + ("; 往届获胜者除外" if rules.exclude_past_winners else "")
        rubric = "、".join(f"{c.title} {c.weight}%" for c in call.criteria)
        table.add_row(
            call.id, call.title, call.owner, _amount(str(call.budget), "元"), f"{call.deadline:%Y-%m-%d}", who, rubric
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
        raise fail([str(d) for d in error.diagnostics]) from None
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


def _amount(value: str | None, unit: str) -> str:
    from huiqi.monitor.report import amount_text

    return amount_text(value, unit)


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
        raise fail([str(d) for d in error.diagnostics]) from None
    found = [plan_progress(p, entries, year, limits) for p in plans]
    if as_json:
        out.print_json(json.dumps(found, ensure_ascii=False))
        return
    zh = lang == "zh"
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
    wanted = _amount(target, unit) if isinstance(target, str) else "–".join(_amount(v, unit) for v in target)
    now = _amount(row["current"], unit) + (f" ({row['current_year']})" if row["current_year"] else "")
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
    db: DbOption = None,
) -> None:
    """One target: the figure by region or field, and the enterprises behind it."""
    from huiqi.facts.vocabulary import Field
    from huiqi.monitor.indicators import NUMBERS
    from huiqi.monitor.report import behind, drill_down, series

    if by not in ("region", "field"):
        raise fail([f"--by: region or field, not {by!r}"])
    found = next((t for p in _plans(folder) for t in p.targets if t.key == target), None)
    if found is None:
        raise fail([f"no target {target!r}; `huiqi monitor targets` lists them"])
    entries = _entries(db)
    values = series(found, entries)
    # a growth target's series is the sum it grows (yuan), not the rate
    unit = NUMBERS[found.indicator.growth][2] if found.indicator.growth else found.unit
    shown = ", ".join(f"{y}: {_amount(str(v), unit)}" for y, v in values.items())
    out.print(f"{found.title} ({found.key}): {shown or '—'}", markup=False)
    if not found.drillable or not values:
        return  # a growth rate or a reported value has no split by region or field
    when = year or max(values)
    split = Table(title=f"{when}年 按{'地区' if by == 'region' else '领域'}", title_justify="left")
    split.add_column("地区" if by == "region" else "领域")
    split.add_column("数值", justify="right")
    fields = {str(m.value): m.zh for m in Field}
    for key, value in drill_down(found, entries, when, by).items():
        label = region_label(key) if by == "region" else (fields.get(key, key) or "—")
        split.add_row(label, _amount(value, found.unit))
    out.print(split)
    firms = Table(title=f"{when} 构成该数值的企业 (前 {top} 家)", title_justify="left")
    for heading in ("统一社会信用代码", "企业名称", "地区", "数值"):
        firms.add_column(heading)
    name = found.indicator.field
    for entry in behind(found, entries, when)[:top]:
        figure = _amount(str(getattr(entry, name)), found.unit) if name else "1"
        firms.add_row(entry.credit_code, entry.name, region_label(entry.region), figure)
    out.print(firms)
