"""The enterprise portal: its profile and subjects, what it may still apply for, its applications.

GET /portal is the signed-in enterprise user's home. POST /portal/apply starts an application
(a draft) for a measure it is entitled to — from the portal's list or from a calculator result,
whose facts are then taken as the enterprise's own first (ledger.profile.take_facts) — and
POST /portal/take keeps a calculator result's facts as the profile. The lists are the ledger's:
the entitlements are `huiqi match`'s push list for this one enterprise (ledger.entitlements).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.entrypoints.web.access import page_user
from huiqi.entrypoints.web.i18n import Lang
from huiqi.entrypoints.web.ledger_labels import measure_title
from huiqi.entrypoints.web.refusals import refusal_text
from huiqi.entrypoints.web.render import lang_of, respond
from huiqi.ledger import applications, payments
from huiqi.ledger.actors import Actor
from huiqi.ledger.calculations import calculation
from huiqi.ledger.catalogue import facts_of, list_projects, own_enterprise
from huiqi.ledger.entitlements import not_applied_for
from huiqi.ledger.errors import Conflict, FieldError, Invalid, LedgerError, PreconditionFailed
from huiqi.ledger.profile import take_facts
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.ledger.views import money
from huiqi.ledger.workflow import Role
from huiqi.money import ZERO

router = APIRouter(include_in_schema=False)
SHOWN = 50  # the newest applications on the portal; the count says how many there are


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def my_facts(uow: UnitOfWork) -> dict[str, Any]:
    """The enterprise's facts as a facts document (what the calculator and `huiqi calc` read)."""
    return facts_of(uow, own_enterprise(uow)).model_dump(mode="json", exclude_none=True)


def portal_data(uow: UnitOfWork, lang: Lang) -> dict[str, Any]:
    enterprise = own_enterprise(uow)
    titles = {r.measure.id: measure_title(uow.library, r.measure.id, lang) for r in uow.library.measures()}
    pushes = not_applied_for(uow, enterprise, uow.today)
    subjects = list_projects(uow, enterprise=enterprise.credit_code, kind=None, after=None, limit=1000)
    mine = applications.list_applications(uow, limit=SHOWN, newest_first=True)
    counts = applications.count_by_state(uow, applications.QueueFilter())
    awards = payments.list_awards(uow, limit=10_000)
    paid = payments.list_payments(uow, limit=10_000)
    return {
        "enterprise": {
            "name": enterprise.name,
            "credit_code": enterprise.credit_code,
            "district": enterprise.district,
            "facts": enterprise.facts,
        },
        "subjects": [{"id": s.id, "kind": s.kind, "ref": s.ref, "name": s.name} for s in subjects],
        "entitled": [
            {
                "measure": p.measure,
                "title": titles.get(p.measure, p.title),
                "subject_kind": p.subject_kind,
                "subject": p.subject,
                "status": p.status,
                "amount": {"min": money(p.min), "max": money(p.max)} if p.max is not None else None,
                "years": p.years,
                "year": _first_year(p.years, uow.today),
                "previously": p.previously,
            }
            for p in pushes
        ],
        "applications": [
            {
                "id": a.id,
                "measure": a.measure,
                "title": titles.get(a.measure, a.measure),
                "subject": a.project.ref if a.project is not None else enterprise.credit_code,
                "year": a.year,
                "state": a.state,
                "submitted_on": a.submitted_on.isoformat() if a.submitted_on else None,
                "updated_at": a.updated_at.isoformat(),
            }
            for a in mine
        ],
        "application_count": sum(counts.values()),
        "money": {
            "awarded": money(sum((a.amount for a in awards), ZERO)),
            "paid": money(sum((p.amount for p in paid), ZERO)),
            "awards": len(awards),
        },
    }


def _first_year(years: str, today: date) -> int:
    """The year an application is filed for by default: the first year with an amount, else this one."""
    head = years.split(",")[0].split("-")[0].strip()
    return int(head) if head.isdigit() else today.year


@router.get("/portal")
def portal(request: Request) -> Response:
    return _portal(request, page_user(request, Role.ENTERPRISE))


def _portal(request: Request, user: Actor, refusal: dict[str, Any] | None = None) -> Response:
    data = _ledger(request).read(user, lambda uow: portal_data(uow, lang_of(request)))
    data["saved"] = request.query_params.get("saved") == "1"
    if refusal:
        data["refusal"] = refusal
    return respond(request, "portal.html", data, int(refusal["status"]) if refusal else 200)


def _refused(request: Request, user: Actor, error: LedgerError) -> Response:
    lang = lang_of(request)
    refusal = {
        "status": error.status,
        "message": refusal_text(error, lang),
        "reasons": list(error.reasons),
        "fields": {e.field: e.text(lang) for e in error.errors},
    }
    return _portal(request, user, refusal)


def apply(uow: UnitOfWork, form: dict[str, str]) -> int:
    """A draft application for the measure and subject of `form`, its facts first taken from the
    calculation named in it (if any); the new application's id."""
    enterprise = own_enterprise(uow)
    ids: dict[str, int] = {}
    if form.get("calculation"):
        stored = calculation(uow, form["calculation"])
        ids = take_facts(uow, enterprise.credit_code, stored["facts"])
    subject = form.get("subject") or enterprise.credit_code
    project: int | None = None
    if subject != enterprise.credit_code:
        project = ids.get(subject) or next(
            (
                p.id
                for p in list_projects(uow, enterprise=enterprise.credit_code, kind=None, after=None, limit=1000)
                if p.ref == subject
            ),
            None,
        )
        if project is None:
            zh = f"本企业没有编号为 {subject} 的项目"
            raise Invalid("unknown subject", errors=[FieldError("subject", f"no subject {subject!r}", zh=zh)])
    year = form.get("year", "")
    if not year.isdigit():
        raise Invalid("year", errors=[FieldError("year", "a year such as 2025", zh="请填写年度，如 2025")])
    row = applications.file_application(
        uow,
        enterprise=enterprise.credit_code,
        project=project,
        measure=form.get("measure", ""),
        year=int(year),
        note=form.get("note", ""),
    )
    return row.id


@router.post("/portal/apply")
async def start_application(request: Request) -> Response:
    user = page_user(request, Role.ENTERPRISE)
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        new_id = _ledger(request).run(user, lambda uow: apply(uow, form))
    except (Invalid, Conflict, PreconditionFailed) as error:
        return _refused(request, user, error)
    return RedirectResponse(f"/applications/{new_id}", status_code=303)


@router.post("/portal/take")
async def take_calculation(request: Request) -> Response:
    """Keep a calculator result's facts as the enterprise's profile."""
    user = page_user(request, Role.ENTERPRISE)
    form = await request.form()
    public_id = str(form.get("calculation") or "")

    def work(uow: UnitOfWork) -> None:
        take_facts(uow, own_enterprise(uow).credit_code, calculation(uow, public_id)["facts"])

    try:
        _ledger(request).run(user, work)
    except (Invalid, Conflict, PreconditionFailed) as error:
        return _refused(request, user, error)
    return RedirectResponse("/portal?saved=1", status_code=303)
