"""One application's page, shared by its enterprise and the officers, and the steps taken on it.

GET /applications/{id} shows it (JSON at the same URL); POST /applications/{id}/act takes a
workflow step (submit, start_review, return, approve, …), /review records an expert's review,
/tranches/{id}/pay pays a tranche. Each POST calls the ledger's service as /v1 does, with the
row's version from the page (a step on a stale page is refused), and on a refusal shows the page
again with the reason in place — the engine's reasons for a refused approval — and nothing written.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.entrypoints.web.access import page_user
from huiqi.entrypoints.web.application_data import application_data
from huiqi.entrypoints.web.i18n import Lang
from huiqi.entrypoints.web.refusals import refusal_text
from huiqi.entrypoints.web.render import lang_of, respond
from huiqi.facts.chinese import amount_error, read_amount_text
from huiqi.ledger import applications, payments
from huiqi.ledger.actors import Actor
from huiqi.ledger.errors import Conflict, FieldError, Invalid, LedgerError, NotFound, PreconditionFailed
from huiqi.ledger.uow import Ledger
from huiqi.ledger.workflow import Action

router = APIRouter(include_in_schema=False)


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def _page(request: Request, user: Actor, application_id: int, refusal: dict[str, Any] | None = None) -> Response:
    lang = lang_of(request)
    data = _ledger(request).read(user, lambda uow: application_data(uow, application_id, user, lang))
    if refusal is not None:
        data["refusal"] = refusal
    status = int(refusal["status"]) if refusal else 200
    return respond(request, "application.html", data, status)


def _refusal(error: LedgerError, lang: Lang) -> dict[str, Any]:
    return {
        "status": error.status,
        "message": refusal_text(error, lang),
        "reasons": list(error.reasons),
        "fields": {e.field: e.text(lang) for e in error.errors},
    }


@router.get("/applications/{application_id}")
def application_page(request: Request, application_id: int) -> Response:
    return _page(request, page_user(request), application_id)


def _version(raw: object) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() else None


def _amount(raw: object, field: str) -> Decimal | None:
    text = str(raw or "").strip()
    if not text:
        return None
    amount = read_amount_text(text)
    if amount is None or amount < 0:
        problem = amount_error(text)
        raise Invalid("bad amount", errors=[FieldError(field, problem.en, zh=problem.zh)])
    return amount


def _after(request: Request, application_id: int, user: Actor, step: Any) -> Response:
    """Run `step` in a unit of work; back to the page on success (303), or the page with the refusal."""
    try:
        _ledger(request).run(user, step)
    except (Invalid, Conflict, PreconditionFailed) as error:
        return _page(request, user, application_id, _refusal(error, lang_of(request)))
    return RedirectResponse(f"/applications/{application_id}", status_code=303)


@router.post("/applications/{application_id}/act")
async def act(request: Request, application_id: int) -> Response:
    user = page_user(request)
    form = await request.form()
    raw = str(form.get("action") or "")
    try:
        action = Action(raw)
    except ValueError:
        raise NotFound(f"no step {raw!r}") from None
    reason = str(form.get("reason") or "")
    expected = _version(form.get("version"))

    def step(uow: Any) -> None:
        amount = _amount(form.get("amount"), "amount") if action is Action.APPROVE else None
        applications.act(uow, application_id, action, reason=reason, expected=expected, amount=amount)

    return _after(request, application_id, user, step)


@router.post("/applications/{application_id}/review")
async def review(request: Request, application_id: int) -> Response:
    user = page_user(request)
    form = await request.form()
    conflict = form.get("conflict_of_interest") == "yes"
    score = str(form.get("score") or "").strip()

    def step(uow: Any) -> None:
        scores: list[dict[str, Any]] = []
        if score:
            try:
                value = Decimal(score)
            except ArithmeticError:
                value = Decimal(-1)
            if not Decimal(0) <= value <= Decimal(100):
                message = "a score from 0 to 100"
                raise Invalid("bad score", errors=[FieldError("score", message, zh="请填写 0 到 100 之间的分数")])
            scores = [{"expert": user.name, "score": value}]
        data = {
            "conflict_of_interest": conflict,
            "decided": None if conflict else _amount(form.get("decided"), "decided"),
            "decided_rate": str(form.get("decided_rate") or "").strip() or None,
            "opinion": str(form.get("opinion") or "").strip(),
            "scores": scores,
        }
        applications.add_review(uow, application_id, data)

    return _after(request, application_id, user, step)


@router.post("/applications/{application_id}/tranches/{tranche_id}/pay")
async def pay(request: Request, application_id: int, tranche_id: int) -> Response:
    user = page_user(request)
    form = await request.form()
    raw_day = str(form.get("paid_on") or "").strip()

    def step(uow: Any) -> None:
        try:
            paid_on = date.fromisoformat(raw_day) if raw_day else None
        except ValueError:
            zh = f"无法识别日期 {raw_day!r}，请写成 2025-06-30"
            raise Invalid("bad date", errors=[FieldError("paid_on", "write a day as 2025-06-30", zh=zh)]) from None
        tranche = payments.tranche_of_application(uow, application_id, tranche_id)
        payments.pay(
            uow,
            tranche.id,
            paid_on=paid_on,
            reference=str(form.get("reference") or "").strip(),
            expected=_version(form.get("version")),
        )

    return _after(request, application_id, user, step)
