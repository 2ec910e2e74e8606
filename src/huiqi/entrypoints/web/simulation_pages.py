"""The browser of `huiqi simulate` results: the output folders, and each one's figures.

The folders are read by huiqi.batch.simulation_results (the small summary tables simulate wrote,
never the population). Where they are: the app's `simulations_dir` (tests set it), else
$HUIQI_SIMULATIONS_DIR, else var/simulations beside the default ledger. A name must be a plain
folder name (no path); anything else is refused before the disk is touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from huiqi.batch.simulation_results import NotASimulation, Simulation, list_simulations, read_simulation
from huiqi.batch.simulation_results import simulations_dir as default_dir
from huiqi.entrypoints.web.access import officer
from huiqi.entrypoints.web.dashboard_tables import Chart, Column, Panel, csv_response
from huiqi.entrypoints.web.i18n import Lang, gettext_for
from huiqi.entrypoints.web.ledger_labels import district_label
from huiqi.entrypoints.web.render import error_page, lang_of, respond

router = APIRouter(include_in_schema=False)
TABLES = ("changes", "by-measure", "by-district", "by-year", "gains", "losses")
CHANGE_LABELS: dict[str, dict[Lang, str]] = {
    "gain": {"zh": "增加", "en": "Gaining"},
    "loss": {"zh": "减少", "en": "Losing"},
    "mixed": {"zh": "有增有减", "en": "Mixed"},
    "unchanged": {"zh": "不变", "en": "Unchanged"},
}


def simulations_dir(request: Request) -> Path:
    configured = getattr(request.app.state, "simulations_dir", None)
    return Path(configured) if configured else default_dir()


def _range_columns(_: Any) -> tuple[Column, ...]:
    return (
        Column("base_min", _("Now, minimum (yuan)"), "money"),
        Column("base_max", _("Now, maximum (yuan)"), "money"),
        Column("reform_min", _("Reformed, minimum (yuan)"), "money"),
        Column("reform_max", _("Reformed, maximum (yuan)"), "money"),
        Column("delta_min", _("Change of the minimum (yuan)"), "money"),
        Column("delta_max", _("Change of the maximum (yuan)"), "money"),
    )


def _panels(simulation: Simulation, lang: Lang) -> list[Panel]:
    _ = gettext_for(lang)
    unit, scale = ("万元", 10_000) if lang == "zh" else ("yuan", 1)
    ranges = _range_columns(_)
    series = ("base_min", "base_max", "reform_min", "reform_max")
    counts = (Column("base_count", _("Number now"), "count"), Column("reform_count", _("Number reformed"), "count"))
    total = (simulation.tables.get("total") or [{}])[0]
    changes = [
        {"change": key, "label": labels[lang], "firms": total.get(f"firms_{key}", 0)}
        for key, labels in CHANGE_LABELS.items()
    ]
    firm_columns = (
        Column("credit_code", _("Credit code")),
        Column("name", _("Enterprise")),
        Column("district_label", _("District")),
        *ranges,
        Column("change_label", _("Change")),
    )

    def firms(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            row
            | {"district_label": district_label(str(row.get("district") or ""), lang)}
            | {"change_label": CHANGE_LABELS.get(str(row.get("change")), {}).get(lang, str(row.get("change")))}
            for row in rows
        ]

    shown = len(simulation.gains), len(simulation.losses)
    return [
        Panel(
            "changes",
            _("Enterprises gaining and losing"),
            (Column("label", _("Change")), Column("firms", _("Enterprises"), "count")),
            changes,
            Chart("bar", ("label",), ("firms",), unit=_("enterprises")),
            _("By each enterprise's total [minimum, maximum]: mixed when one bound rises and the other falls."),
        ),
        Panel(
            "by-measure",
            _("Cost by measure"),
            (Column("title", _("Measure")), Column("measure", _("Measure id")), *ranges, *counts),
            simulation.tables.get("by_measure", []),
            Chart("hbar", ("title",), series, unit=unit, scale=scale),
        ),
        Panel(
            "by-district",
            _("Cost by district"),
            (Column("district", _("District")), *ranges, *counts),
            simulation.tables.get("by_district", []),
            Chart("bar", ("district",), series, unit=unit, scale=scale),
        ),
        Panel(
            "by-year",
            _("Cost by year"),
            (Column("year", _("Year")), *ranges, *counts),
            simulation.tables.get("by_year", []),
            Chart("bar", ("year",), series, unit=unit, scale=scale),
        ),
        Panel(
            "gains",
            _("Largest gains (%(n)s enterprises shown)") % {"n": shown[0]},
            firm_columns,
            firms(simulation.gains),
            Chart("hbar", ("name",), ("delta_max",), unit=unit, scale=scale),
        ),
        Panel(
            "losses",
            _("Largest losses (%(n)s enterprises shown)") % {"n": shown[1]},
            firm_columns,
            firms(simulation.losses),
            Chart("hbar", ("name",), ("delta_max",), unit=unit, scale=scale),
        ),
    ]


MONEY = ("base_min", "base_max", "reform_min", "reform_max", "delta_min", "delta_max")
COUNTS = ("firms", "firms_gain", "firms_loss", "firms_mixed", "firms_unchanged")


def _summary(simulation: Simulation) -> dict[str, Any]:
    total = (simulation.tables.get("total") or [{}])[0]
    summary: dict[str, Any] = {
        "name": simulation.name,
        "title": simulation.title,
        "as_of": simulation.as_of,
        "written": simulation.written.isoformat(timespec="seconds"),
        "url": f"/dashboard/simulations/{simulation.name}",
    }
    summary |= {k: f"{total[k]:.2f}" for k in MONEY if k in total}
    summary |= {k: total[k] for k in COUNTS if k in total}
    return summary


def simulations_data(request: Request) -> dict[str, Any]:
    officer(request)
    folder = simulations_dir(request)
    return {"folder": str(folder), "simulations": [_summary(s) for s in list_simulations(folder)]}


def simulation_data(request: Request, name: str) -> dict[str, Any]:
    officer(request)
    simulation = read_simulation(simulations_dir(request), name)
    panels = _panels(simulation, lang_of(request))
    base = f"/dashboard/simulations/{name}"
    return {
        "simulation": _summary(simulation),
        "panels": [
            Panel(p.name, p.title, p.columns, p.rows, p.chart, p.note, f"{base}/{p.name}.csv").as_json() for p in panels
        ],
    }


def _missing(request: Request) -> Response:
    _ = gettext_for(lang_of(request))
    return error_page(request, 404, "Not found", _("There is no simulation of that name."))


@router.get("/dashboard/simulations")
def simulations(request: Request) -> Response:
    return respond(request, "simulations.html", simulations_data(request))


@router.get("/dashboard/simulations/{name}")
def simulation(request: Request, name: str) -> Response:
    try:
        data = simulation_data(request, name)
    except NotASimulation:
        return _missing(request)
    return respond(request, "simulation.html", data)


@router.get("/dashboard/simulations/{name}/{table}.csv")
def simulation_csv(request: Request, name: str, table: str) -> Response:
    officer(request)
    if table not in TABLES:
        return _missing(request)
    try:
        simulation = read_simulation(simulations_dir(request), name)
    except NotASimulation:
        return _missing(request)
    panel = next(p for p in _panels(simulation, lang_of(request)) if p.name == table)
    return csv_response(panel, f"{name}-{table}.csv")
