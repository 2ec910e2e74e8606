"""The officers' workspace: the review queue with its filters and counts, the awards and the
payments, each list also as Excel with the page's columns and filters.

The lists are the ledger's (applications.list_applications / count_by_state, payments.list_awards /
list_payments) called with the signed-in officer, as /v1 calls them; an enterprise user is
refused here by the same role check (Actor.require).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from huiqi.entrypoints.web import labels
from huiqi.entrypoints.web.access import officer
from huiqi.entrypoints.web.i18n import Lang, gettext_for
from huiqi.entrypoints.web.ledger_labels import measure_title
from huiqi.entrypoints.web.render import lang_of, respond
from huiqi.ledger import applications, catalogue, payments
from huiqi.ledger import tables as t
from huiqi.ledger.applications import QueueFilter
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.ledger.views import application_view, award_view, payment_view
from huiqi.region_text import region_code, region_label
from huiqi.rules.library import Library
from huiqi.tabular import XLSX, workbook_bytes

router = APIRouter(include_in_schema=False)
PAGE = 50
EXPORT_LIMIT = 1_000_000


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _year(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and 1990 <= int(raw) <= 2100 else None


def queue_filter(request: Request, role: str) -> tuple[QueueFilter, dict[str, str]]:
    """The filters of the query string (unknown values are ignored, not errors: they come from links),
    and the values to show in the form. With no state asked, the state waiting for this role."""
    q = request.query_params
    state = q.get("state", labels.WAITING_FOR.get(role, ""))
    state = state if state in labels.STATES else ""
    district = region_code(q.get("district") or "") or ""
    where = QueueFilter(
        state=state or None,
        measure=q.get("measure") or None,
        policy=q.get("policy") or None,
        district=district or None,
        year=_year(q.get("year")),
        submitted_from=_day(q.get("from")),
        submitted_to=_day(q.get("to")),
    )
    shown = {
        "state": state,
        "measure": where.measure or "",
        "policy": where.policy or "",
        "district": district,
        "year": str(where.year or ""),
        "from": where.submitted_from.isoformat() if where.submitted_from else "",
        "to": where.submitted_to.isoformat() if where.submitted_to else "",
    }
    return where, shown


def _titles(library: Library, lang: Lang) -> dict[str, str]:
    return {r.measure.id: measure_title(library, r.measure.id, lang) for r in library.measures()}


def _queue_row(row: t.Application, titles: dict[str, str]) -> dict[str, Any]:
    """The API's view of the application, with its district and measure as the queue shows them."""
    return {
        **application_view(row),
        "district": row.enterprise.district,
        "measure_title": titles.get(row.measure, row.measure),
    }


def queue_data(
    uow: UnitOfWork, where: QueueFilter, shown: dict[str, str], after: int | None, lang: Lang
) -> dict[str, Any]:
    titles = _titles(uow.library, lang)
    rows = applications.list_applications(uow, where=where, after=after, limit=PAGE)
    counts = applications.count_by_state(uow, where)
    items = [_queue_row(r, titles) for r in rows]
    following = {**{k: v for k, v in shown.items() if v}, "state": shown["state"] or "all"}
    return {
        "filters": shown,
        "counts": {state: counts.get(state, 0) for state in labels.STATES},
        "total": sum(counts.values()),
        "items": items,
        "next": f"/work?{urlencode({**following, 'after': items[-1]['id']})}" if len(items) == PAGE else None,
        "export": f"/work/applications.xlsx?{urlencode(following)}",
        "choices": {
            "policies": [
                {"id": p.id, "title": p.title if lang == "zh" else p.title_en or p.title} for p in uow.library.policies
            ],
            "measures": [{"id": m, "title": t} for m, t in titles.items()],
            "districts": [{"id": code, "title": region_label(code, lang)} for code in catalogue.districts_in_use(uow)],
        },
    }


@router.get("/work")
def work_queue(request: Request) -> Response:
    user = officer(request)
    where, shown = queue_filter(request, user.role.value)
    after = request.query_params.get("after")
    cursor = int(after) if after and after.isdigit() else None
    data = _ledger(request).read(user, lambda uow: queue_data(uow, where, shown, cursor, lang_of(request)))
    return respond(request, "work_queue.html", data)


def _xlsx(name: str, rows: list[dict[str, Any]], columns: list[tuple[str, str]], lang: Lang) -> Response:
    _ = gettext_for(lang)
    headings = {key: str(_(title)) for key, title in columns}
    body = workbook_bytes(name, rows, columns=[key for key, _t in columns], headings=headings)
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


QUEUE_COLUMNS = [
    ("id", labels.N_("Application")),
    ("enterprise_name", labels.N_("Enterprise")),
    ("enterprise", labels.N_("Credit code")),
    ("district", labels.N_("District")),
    ("subject", labels.N_("Subject")),
    ("measure_title", labels.N_("Measure")),
    ("year", labels.N_("Year")),
    ("state_label", labels.N_("State")),
    ("submitted_on", labels.N_("Submitted on")),
    ("requested", labels.N_("Requested")),
]


@router.get("/work/applications.xlsx")
def export_queue(request: Request) -> Response:
    user = officer(request)
    lang = lang_of(request)
    _ = gettext_for(lang)
    where, _shown = queue_filter(request, user.role.value)

    def read(uow: UnitOfWork) -> list[dict[str, Any]]:
        titles = _titles(uow.library, lang)
        return [_queue_row(r, titles) for r in applications.list_applications(uow, where=where, limit=EXPORT_LIMIT)]

    rows = _ledger(request).read(user, read)
    for row in rows:
        row["state_label"] = str(_(labels.STATES[row["state"]]))
    return _xlsx("applications", rows, QUEUE_COLUMNS, lang)


Reader = Callable[[UnitOfWork, int], list[dict[str, Any]]]
SHOWN = 200  # rows on a page; the Excel export has them all


def _money_list(request: Request, name: str, read: Reader, limit: int = SHOWN) -> dict[str, Any]:
    user = officer(request)
    year = _year(request.query_params.get("year"))
    items = _ledger(request).read(user, lambda uow: read(uow, limit + 1))
    return {
        "year": year,
        "items": items[:limit],
        "more": len(items) > limit,
        "export": f"/work/{name}.xlsx" + (f"?year={year}" if year else ""),
    }


def _awards(request: Request) -> Reader:
    year = _year(request.query_params.get("year"))
    policy = request.query_params.get("policy") or None
    return lambda uow, limit: [award_view(a) for a in payments.list_awards(uow, policy=policy, year=year, limit=limit)]


def _payments(request: Request) -> Reader:
    year = _year(request.query_params.get("year"))
    return lambda uow, limit: [payment_view(p) for p in payments.list_payments(uow, year=year, limit=limit)]


AWARD_COLUMNS = [
    ("application", labels.N_("Application")),
    ("enterprise_name", labels.N_("Enterprise")),
    ("enterprise", labels.N_("Credit code")),
    ("measure", labels.N_("Measure")),
    ("subject", labels.N_("Subject")),
    ("year", labels.N_("Year")),
    ("amount", labels.N_("Amount")),
    ("approved_by", labels.N_("Approved by")),
    ("approved_at", labels.N_("Approved at")),
]
PAYMENT_COLUMNS = [
    ("id", labels.N_("Payment")),
    ("enterprise_name", labels.N_("Enterprise")),
    ("enterprise", labels.N_("Credit code")),
    ("measure", labels.N_("Measure")),
    ("amount", labels.N_("Amount")),
    ("paid_on", labels.N_("Paid on")),
    ("reference", labels.N_("Payment order")),
    ("paid_by", labels.N_("By")),
]


@router.get("/work/awards")
def awards_page(request: Request) -> Response:
    return respond(request, "work_awards.html", _money_list(request, "awards", _awards(request)))


@router.get("/work/awards.xlsx")
def export_awards(request: Request) -> Response:
    data = _money_list(request, "awards", _awards(request), EXPORT_LIMIT)
    return _xlsx("awards", data["items"], AWARD_COLUMNS, lang_of(request))


@router.get("/work/payments")
def payments_page(request: Request) -> Response:
    return respond(request, "work_payments.html", _money_list(request, "payments", _payments(request)))


@router.get("/work/payments.xlsx")
def export_payments(request: Request) -> Response:
    data = _money_list(request, "payments", _payments(request), EXPORT_LIMIT)
    return _xlsx("payments", data["items"], PAYMENT_COLUMNS, lang_of(request))
