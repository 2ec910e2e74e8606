"""The officers' dashboards: budgets, the application pipeline, awards and payments.

`dashboard_data` is the page (HTML, or JSON at the same URL); each of its panels is also a CSV
file at /dashboard/<panel>.csv with the same filters. The figures are the ledger's own sums
(huiqi.ledger.dashboard), which check the role: an enterprise user is refused there, as on /v1.
The simulations' browser is in simulation_pages (its router is included here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from huiqi.entrypoints.web import monitor_pages, simulation_pages
from huiqi.entrypoints.web.access import officer
from huiqi.entrypoints.web.dashboard_tables import Chart, Column, Panel, csv_response
from huiqi.entrypoints.web.i18n import Lang, gettext_for
from huiqi.entrypoints.web.ledger_labels import STATE_ORDER, district_label, measure_title, policy_title, state_label
from huiqi.entrypoints.web.render import error_page, lang_of, respond
from huiqi.ledger import dashboard as queries
from huiqi.ledger.approval import TERM_YEAR
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.money import ZERO

router = APIRouter(include_in_schema=False)
router.include_router(simulation_pages.router)
router.include_router(monitor_pages.router)

PANELS = ("budgets", "pipeline", "awards-by-measure", "awards-by-district", "awards-by-month", "payments-by-month")


class BadFilter(ValueError):
    """A filter the page cannot read (a year that is not a number, a policy the library lacks)."""


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def read_filters(request: Request) -> tuple[str | None, int | None]:
    policy = request.query_params.get("policy") or None
    raw_year = (request.query_params.get("year") or "").strip()
    if policy is not None and policy not in {p.id for p in _ledger(request).library.policies}:
        raise BadFilter(policy)
    if not raw_year:
        return policy, None
    if not raw_year.isascii() or not raw_year.isdigit() or not 1900 <= int(raw_year) <= 2200:
        raise BadFilter(raw_year)
    return policy, int(raw_year)


def _query(policy: str | None, year: int | None) -> str:
    parts = ([f"policy={policy}"] if policy else []) + ([f"year={year}"] if year is not None else [])
    return "?" + "&".join(parts) if parts else ""


def _tally_rows(tallies: list[queries.Tally], key: str) -> list[dict[str, Any]]:
    return [{key: t.key, "count": t.count, "amount": t.amount} for t in tallies]


def _panels(uow: UnitOfWork, lang: Lang, policy: str | None, year: int | None) -> list[Panel]:
    _ = gettext_for(lang)
    library = uow.library
    unit, scale = ("万元", 10_000) if lang == "zh" else ("yuan", 1)
    policy_col, year_col = Column("policy_title", _("Policy")), Column("year", _("Year"))
    amount, count = Column("amount", _("Amount (yuan)"), "money"), Column("count", _("Number"), "count")

    budgets = [
        {"policy": b.policy, "policy_title": policy_title(library, b.policy, lang)}
        | {"year": _("whole term") if b.year == TERM_YEAR else b.year}  # a term pool's one row
        | {"allocated": b.allocated, "committed": b.committed, "paid": b.paid, "remaining": b.remaining}
        for b in queries.budgets(uow, policy=policy, year=year)
    ]
    pipeline = queries.pipeline(uow, policy=policy, year=year)
    pipeline.sort(key=lambda p: (p.policy, STATE_ORDER.get(p.state, len(STATE_ORDER))))
    by_measure = _tally_rows(queries.awards_by_measure(uow, policy=policy, year=year), "measure")
    for row in by_measure:
        row["title"] = measure_title(library, row["measure"], lang)
    by_district = _tally_rows(queries.awards_by_district(uow, policy=policy, year=year), "district")
    for row in by_district:
        row["label"] = district_label(row["district"], lang)
    by_month = _tally_rows(queries.awards_by_month(uow, policy=policy, year=year), "month")
    paid = _tally_rows(queries.payments_by_month(uow, policy=policy, year=year), "month")
    budget_series = ("allocated", "committed", "paid", "remaining")
    return [
        Panel(
            "budgets",
            _("Budgets by policy and year"),
            (
                policy_col,
                year_col,
                Column("allocated", _("Allocated (yuan)"), "money"),
                Column("committed", _("Committed (yuan)"), "money"),
                Column("paid", _("Paid (yuan)"), "money"),
                Column("remaining", _("Remaining (yuan)"), "money"),
            ),
            budgets,
            Chart("bar", ("policy_title", "year"), budget_series, unit=unit, scale=scale),
            _("Committed: awards approved, charged to the year. Remaining: allocated less committed."),
        ),
        Panel(
            "pipeline",
            _("Applications by state"),
            (
                policy_col,
                Column("state_label", _("State")),
                Column("applications", _("Applications"), "count"),
                Column("requested", _("Requested (yuan)"), "money"),
            ),
            [
                {"policy_title": policy_title(library, p.policy, lang), "state": p.state}
                | {"state_label": state_label(p.state, lang), "applications": p.applications}
                | {"requested": p.requested}
                for p in pipeline
            ],
            Chart("pivot", ("state_label",), ("applications",), group="policy_title", unit=_("applications")),
            _("Requested: the sum of the amounts the applications name, where they name one."),
        ),
        Panel(
            "awards-by-measure",
            _("Awards by measure"),
            (Column("title", _("Measure")), Column("measure", _("Measure id")), count, amount),
            by_measure,
            Chart("hbar", ("title",), ("amount",), unit=unit, scale=scale),
        ),
        Panel(
            "awards-by-district",
            _("Awards by district"),
            (Column("label", _("District")), count, amount),
            by_district,
            Chart("bar", ("label",), ("amount",), unit=unit, scale=scale),
            _("The district the enterprise is registered in now."),
        ),
        Panel(
            "awards-by-month",
            _("Awards by month of approval"),
            (Column("month", _("Month")), count, amount),
            by_month,
            Chart("line", ("month",), ("amount",), unit=unit, scale=scale),
            _("Months in China Standard Time."),
        ),
        Panel(
            "payments-by-month",
            _("Payments by month"),
            (Column("month", _("Month")), count, amount),
            paid,
            Chart("bar", ("month",), ("amount",), unit=unit, scale=scale),
        ),
    ]


def _with_csv(panels: list[Panel], query: str) -> list[Panel]:
    return [
        Panel(p.name, p.title, p.columns, p.rows, p.chart, p.note, f"/dashboard/{p.name}.csv{query}") for p in panels
    ]


def _totals(panels: list[Panel]) -> dict[str, str]:
    budgets = next(p for p in panels if p.name == "budgets").rows
    sums = {key: sum((row[key] for row in budgets), ZERO) for key in ("allocated", "committed", "paid", "remaining")}
    return {key: f"{value:.2f}" for key, value in sums.items()}


def dashboard_data(request: Request) -> dict[str, Any]:
    user = officer(request)
    policy, year = read_filters(request)
    lang = lang_of(request)

    def work(uow: UnitOfWork) -> tuple[list[Panel], list[str], list[int]]:
        policies, years = queries.choices(uow)
        return _panels(uow, lang, policy, year), policies, years

    panels, policies, years = _ledger(request).read(user, work)
    panels = _with_csv(panels, _query(policy, year))
    library = _ledger(request).library
    return {
        "filters": {"policy": policy, "year": year},
        "choices": {
            "policies": [{"id": p, "title": policy_title(library, p, lang)} for p in policies],
            "years": years,
        },
        "totals": _totals(panels),
        "panels": [p.as_json() for p in panels],
    }


def _refused_filter(request: Request) -> Response:
    _ = gettext_for(lang_of(request))
    return error_page(request, 400, "Bad request", _("The policy or year to filter by is not one the ledger knows."))


def _guarded(request: Request, build: Callable[[], Response]) -> Response:
    try:
        return build()
    except BadFilter:
        return _refused_filter(request)


@router.get("/dashboard")
def dashboard(request: Request) -> Response:
    return _guarded(request, lambda: respond(request, "dashboard.html", dashboard_data(request)))


@router.get("/dashboard/{name}.csv")
def dashboard_csv(request: Request, name: str) -> Response:
    user = officer(request)
    if name not in PANELS:
        return error_page(request, 404, "Not found")

    def build() -> Response:
        policy, year = read_filters(request)
        lang = lang_of(request)
        panels = _ledger(request).read(user, lambda uow: _panels(uow, lang, policy, year))
        return csv_response(next(p for p in panels if p.name == name), f"{name}.csv")

    return _guarded(request, build)
