"""The monitoring dashboard (/dashboard/monitor): a plan's targets against the catalogue.

`monitor_data` is the page (HTML, or JSON at the same URL): each target's status and pace, its trend
against the path to the target (an ECharts line, drawn by static/js/dashboard.js like the other
dashboards), one target's figure by region and by field with the enterprises behind it, and the
ledger's money to the same enterprises. Each panel is also a CSV file (/dashboard/monitor/<panel>.csv
with the same filters). Officers only: the catalogue's reads check the role (huiqi.ledger.monitoring).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from huiqi.entrypoints.web.access import officer
from huiqi.entrypoints.web.dashboard_tables import Chart, Column, Kind, Panel, csv_response
from huiqi.entrypoints.web.i18n import Lang, gettext_for
from huiqi.entrypoints.web.render import error_page, lang_of, respond
from huiqi.ledger.monitoring import current_entries, support_by_enterprise
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.monitor.indicators import CatalogueEntry
from huiqi.monitor.report import (
    amount_text,
    behind,
    drill_down,
    percent,
    support_beside,
    target_progress,
    unit_text,
)
from huiqi.monitor.targets import Plan, Target
from huiqi.region_text import region_label
from huiqi.target_files import load_plans, load_thresholds

router = APIRouter(include_in_schema=False)


@cache
def _plans() -> tuple[Plan, ...]:
    return tuple(load_plans())


class BadFilter(ValueError):
    pass


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def _filters(request: Request, today_year: int) -> tuple[Plan, Target | None, int]:
    plans = _plans()
    wanted = request.query_params.get("plan") or plans[0].id
    plan = next((p for p in plans if p.id == wanted), None)
    if plan is None:
        raise BadFilter(wanted)
    computed = [t for t in plan.targets if t.drillable]
    name = request.query_params.get("target")
    if name and all(t.key != name for p in plans for t in p.targets):
        raise BadFilter(name)
    # a target of another plan (the form kept it when the plan changed): this plan's first
    target = next((t for t in computed if t.key == name), computed[0] if computed else None)
    raw_year = (request.query_params.get("year") or "").strip()
    if not raw_year:
        return plan, target, today_year
    if not raw_year.isascii() or not raw_year.isdigit() or not 1990 <= int(raw_year) <= 2100:
        raise BadFilter(raw_year)
    return plan, target, int(raw_year)


def _pct(value: str | None) -> str:
    return percent(value)


def _kind(unit: str) -> Kind:
    return "money" if unit == "元" else "count"


def _cell(value: Decimal | None, unit: str) -> Decimal | int | None:
    if value is None:
        return None
    return value.quantize(Decimal("0.01")) if unit == "元" else int(value)


def _path(target: Target, years: Sequence[int], first: int, base: Decimal) -> dict[int, Decimal]:
    """The straight road from the base to the target, compounding (linear from a zero base)."""
    goal = target.goal
    span = goal.year - first
    found: dict[int, Decimal] = {}
    for year in years:
        step = min(max(year - first, 0), span)
        if span <= 0:
            found[year] = goal.low
        elif base > 0:
            found[year] = base * (goal.low / base) ** (Decimal(step) / span)
        else:
            found[year] = base + (goal.low - base) * step / span
    return found


def _panels(
    uow: UnitOfWork, lang: Lang, plan: Plan, chosen: Target | None, year: int
) -> tuple[list[Panel], list[dict[str, Any]]]:
    _ = gettext_for(lang)
    zh = lang == "zh"
    entries = current_entries(uow)
    limits = load_thresholds()
    rows = [target_progress(t, entries, year, limits) for t in plan.targets]
    panels = [_summary(rows, zh, _)]
    for target, row in zip(plan.targets, rows, strict=True):
        if target.indicator.reported is None and target.indicator.growth is None and row["series"]:
            panels.append(_trend(target, row, zh, _))
    if chosen is not None and entries:
        latest = max((e.year for e in entries if e.year <= year), default=None)
        if latest is not None:
            panels += _drill(chosen, entries, latest, zh, _)
            panels.append(_support(uow, chosen, entries, latest, lang, _))
    return panels, rows


def _summary(rows: list[dict[str, Any]], zh: bool, _: Any) -> Panel:
    table = [
        {
            "title": r["title"] if zh else r["title_en"],
            "id": r["id"],
            "current": "—" if r["current"] is None else f"{_shown(r['current'], r['unit'], zh)} ({r['current_year']})",
            "target": f"{_target_text(r, zh)} ({r['by']})",
            "share": _pct(r["share"]),
            "growth_achieved": _pct(r["growth_achieved"]),
            "growth_needed": _pct(r["growth_needed"]),
            "reached_in": r["reached_in"] or "—",
            "status": r["status_zh"] if zh else r["status_en"],
            "notes": "; ".join(n["zh"] if zh else n["en"] for n in r["notes"]),
            # the same figures as numbers, for the CSV file
            "unit": r["unit"],
            "current_number": r["current"],
            "target_low": r["target"][0] if isinstance(r["target"], list) else r["target"],
            "target_high": r["target"][1] if isinstance(r["target"], list) else None,
            "share_number": r["share"],
            "growth_achieved_number": r["growth_achieved"],
            "growth_needed_number": r["growth_needed"],
        }
        for r in rows
    ]
    columns = (
        Column("title", _("Target")),
        Column("current", _("Value now")),
        Column("target", _("Target value")),
        Column("share", _("Achieved")),
        Column("growth_achieved", _("Growth so far (a year)")),
        Column("growth_needed", _("Growth needed (a year)")),
        Column("reached_in", _("Reached at this pace")),
        Column("status", _("Status")),
        Column("notes", _("Notes")),
        Column("unit", _("Unit"), csv_only=True),
        Column("current_number", _("Value now (number)"), "number", csv_only=True),
        Column("target_low", _("Target value (number)"), "number", csv_only=True),
        Column("target_high", _("Upper target value (number)"), "number", csv_only=True),
        Column("share_number", _("Achieved (fraction)"), "number", csv_only=True),
        Column("growth_achieved_number", _("Growth so far (fraction a year)"), "number", csv_only=True),
        Column("growth_needed_number", _("Growth needed (fraction a year)"), "number", csv_only=True),
    )
    note = _("Achieved: the share of the way from the baseline to the target; a past target is judged on its year.")
    return Panel("targets", _("Targets"), columns, table, None, note)


def _shown(value: str, unit: str, zh: bool = True) -> str:
    return amount_text(value, unit, "zh" if zh else "en")


def _unit(unit: str, zh: bool) -> str:
    return unit_text(unit, "zh" if zh else "en")


def _target_text(row: dict[str, Any], zh: bool) -> str:
    target = row["target"]
    if isinstance(target, list):
        return "–".join(_shown(v, row["unit"], zh) for v in target)
    return _shown(target, row["unit"], zh)


def _trend(target: Target, row: dict[str, Any], zh: bool, _: Any) -> Panel:
    values = {int(y): Decimal(v) for y, v in row["series"].items()}
    first = min(values)
    base = Decimal(row["base"]) if row["base"] is not None else values[first]
    base_year = row["base_year"] or first
    years = sorted(set(values) | set(range(first, target.goal.year + 1)))
    path = _path(target, years, base_year, base)
    unit = target.unit
    table = [{"year": str(y), "value": _cell(values.get(y), unit), "path": _cell(path[y], unit)} for y in years]
    kind = _kind(unit)
    scale, axis = (10**8, "亿元" if zh else "100 million yuan") if unit == "元" else (1, _unit(unit, zh))
    title = target.title if zh else target.title_en
    return Panel(
        f"trend-{target.id}",
        _("%(target)s: the trend and the path to the target") % {"target": title},
        (Column("year", _("Year")), Column("value", _("Value"), kind), Column("path", _("Path to the target"), kind)),
        table,
        Chart("line", ("year",), ("value", "path"), unit=axis, scale=scale),
        _("The path: from the baseline to the target in its year at an even yearly growth."),
    )


def _drill(target: Target, entries: list[CatalogueEntry], year: int, zh: bool, _: Any) -> list[Panel]:
    unit = target.unit
    kind = _kind(unit)
    scale, axis = (10**8, "亿元" if zh else "100 million yuan") if unit == "元" else (1, _unit(unit, zh))
    title = target.title if zh else target.title_en
    lang = "zh" if zh else "en"
    by_region = [
        {"label": region_label(key, lang), "value": _cell(Decimal(v), unit)}
        for key, v in drill_down(target, entries, year, "region").items()
    ]
    field_labels = {str(m.value): (m.zh if zh else m.en) for m in _fields()}
    by_field = [
        {"label": field_labels.get(key, key) or "—", "value": _cell(Decimal(v), unit)}
        for key, v in drill_down(target, entries, year, "field").items()
    ]
    name = target.indicator.field
    firms = [
        {
            "credit_code": e.credit_code,
            "name": e.name,
            "region": region_label(e.region, lang),
            "value": _cell(Decimal(getattr(e, name)), unit) if name else 1,
        }
        for e in behind(target, entries, year)[:50]
    ]
    value = Column("value", _("Value"), kind)
    return [
        Panel(
            "by-region",
            _("%(target)s in %(year)s by region") % {"target": title, "year": year},
            (Column("label", _("Region")), value),
            by_region,
            Chart("hbar", ("label",), ("value",), unit=axis, scale=scale),
        ),
        Panel(
            "by-field",
            _("%(target)s in %(year)s by field") % {"target": title, "year": year},
            (Column("label", _("Field")), value),
            by_field,
            Chart("hbar", ("label",), ("value",), unit=axis, scale=scale),
        ),
        Panel(
            "enterprises",
            _("The enterprises behind the figure (the largest 50)"),
            (
                Column("credit_code", _("Credit code")),
                Column("name", _("Enterprise")),
                Column("region", _("Region")),
                value,
            ),
            firms,
        ),
    ]


def _fields() -> list[Any]:
    from huiqi.facts.vocabulary import Field

    return list(Field)


def _support(uow: UnitOfWork, target: Target, entries: list[CatalogueEntry], year: int, lang: Lang, _: Any) -> Panel:
    """The ledger's money to the enterprises the target counts, beside what the supported ones achieved."""
    found = support_beside(target, entries, year, support_by_enterprise(uow))
    per_yuan, per_talent = found.per_yuan_of_growth, found.per_talent
    figures: list[tuple[str, Decimal | int | None, str]] = [
        (_("Enterprises counted"), found.counted, "{:,}"),
        (_("Of them, supported by the ledger"), found.supported, "{:,}"),
        (_("Awarded to the supported ones (yuan)"), found.awarded, "{:,.2f}"),
        (_("Paid to the supported ones (yuan)"), found.paid, "{:,.2f}"),
        (
            _("The supported ones' AI revenue growth since %(year)s (yuan)") % {"year": found.since},
            found.growth,
            "{:,.2f}",
        ),
        (_("The supported ones' AI talents"), found.talents, "{:,}"),
        (_("Awarded per yuan of their AI revenue growth (yuan)"), per_yuan, "{}"),
        (_("Awarded per AI talent of theirs (yuan)"), per_talent, "{:,}"),
    ]
    rows = [
        {"what": what, "value": "—" if value is None else shape.format(value), "number": value}
        for what, value, shape in figures
    ]
    note = _("The enterprises of %(region)s in the catalogue in %(year)s, and every award the ledger made them.") % {
        "region": region_label(target.region, lang),
        "year": year,
    }
    columns = (
        Column("what", _("Figure")),
        Column("value", _("Value")),
        Column("number", _("Value (number)"), "number", csv_only=True),
    )
    return Panel("support", _("Support to the same enterprises"), columns, rows, None, note)


def _query(plan: Plan, target: Target | None, year: int | None) -> str:
    params = {"plan": plan.id, **({"target": target.key} if target else {}), **({"year": year} if year else {})}
    return "?" + urlencode(params)


def monitor_data(request: Request) -> dict[str, Any]:
    user = officer(request)
    ledger = _ledger(request)
    lang = lang_of(request)
    plan, target, year = ledger.read(user, lambda uow: _filters(request, uow.today.year))
    panels, _rows = ledger.read(user, lambda uow: _panels(uow, lang, plan, target, year))
    query = _query(plan, target, year)
    shown = [
        Panel(p.name, p.title, p.columns, p.rows, p.chart, p.note, f"/dashboard/monitor/{p.name}.csv{query}")
        for p in panels
    ]
    return {
        "filters": {"plan": plan.id, "target": target.key if target else None, "year": year},
        "choices": {
            "plans": [{"id": p.id, "title": p.title if lang == "zh" else p.title_en} for p in _plans()],
            "targets": [
                {"id": t.key, "title": t.title if lang == "zh" else t.title_en} for t in plan.targets if t.drillable
            ],
        },
        "plan": {"id": plan.id, "title": plan.title, "title_en": plan.title_en, "issuer": plan.issuer},
        "panels": [p.as_json() for p in shown],
    }


def _refused(request: Request) -> Response:
    _ = gettext_for(lang_of(request))
    return error_page(request, 400, "Bad request", _("The plan, target or year to show is not one huiqi knows."))


@router.get("/dashboard/monitor")
def monitor(request: Request) -> Response:
    try:
        return respond(request, "monitor.html", monitor_data(request))
    except BadFilter:
        return _refused(request)


@router.get("/dashboard/monitor/{name}.csv")
def monitor_csv(request: Request, name: str) -> Response:
    user = officer(request)
    ledger = _ledger(request)
    lang = lang_of(request)
    try:
        plan, target, year = ledger.read(user, lambda uow: _filters(request, uow.today.year))
    except BadFilter:
        return _refused(request)
    panels, _rows = ledger.read(user, lambda uow: _panels(uow, lang, plan, target, year))
    found = next((p for p in panels if p.name == name), None)
    if found is None:
        return error_page(request, 404, "Not found")
    return csv_response(found, f"{plan.id}-{name}.csv")
