"""/v1/awards, /v1/payments and /v1/budgets, with Excel exports of awards and payments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from huiqi.entrypoints.api.bodies import BudgetIn, PaymentIn
from huiqi.entrypoints.api.deps import (
    CurrentActor,
    IdempotencyKey,
    IfMatch,
    Page,
    PathId,
    PathYear,
    QueryYear,
    ledger_of,
    run_post,
    tagged,
)
from huiqi.ledger import payments
from huiqi.ledger.views import award_view, budget_view, payment_view
from huiqi.tabular import XLSX, workbook_bytes

router = APIRouter(prefix="/v1", tags=["money"])


@router.get("/awards")
def list_awards(
    request: Request,
    actor: CurrentActor,
    page: Annotated[Page, Depends()],
    enterprise: str | None = None,
    measure: str | None = None,
    policy: str | None = None,
    year: QueryYear = None,
) -> dict[str, Any]:
    items = ledger_of(request).read(
        actor,
        lambda uow: [
            award_view(r)
            for r in payments.list_awards(
                uow,
                enterprise=enterprise,
                measure=measure,
                policy=policy,
                year=year,
                after=page.after,
                limit=page.limit,
            )
        ],
    )
    return page.of(items)


@router.get("/awards.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def export_awards(request: Request, actor: CurrentActor, policy: str | None = None, year: QueryYear = None) -> Response:
    rows = ledger_of(request).read(
        actor, lambda uow: [award_view(r) for r in payments.list_awards(uow, policy=policy, year=year, limit=10**9)]
    )
    return Response(workbook_bytes("awards", rows), media_type=XLSX, headers=_attachment("awards.xlsx"))


@router.get("/awards/{award_id}")
def get_award(request: Request, actor: CurrentActor, award_id: PathId) -> dict[str, Any]:
    return ledger_of(request).read(actor, lambda uow: award_view(payments.award_by_id(uow, award_id)))


@router.get("/payments")
def list_payments(
    request: Request,
    actor: CurrentActor,
    page: Annotated[Page, Depends()],
    enterprise: str | None = None,
    year: QueryYear = None,
) -> dict[str, Any]:
    items = ledger_of(request).read(
        actor,
        lambda uow: [
            payment_view(r)
            for r in payments.list_payments(uow, enterprise=enterprise, year=year, after=page.after, limit=page.limit)
        ],
    )
    return page.of(items)


@router.get("/payments.xlsx", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def export_payments(request: Request, actor: CurrentActor, year: QueryYear = None) -> Response:
    rows = ledger_of(request).read(
        actor, lambda uow: [payment_view(r) for r in payments.list_payments(uow, year=year, limit=10**9)]
    )
    return Response(workbook_bytes("payments", rows), media_type=XLSX, headers=_attachment("payments.xlsx"))


@router.post("/payments", status_code=201)
def pay(request: Request, actor: CurrentActor, body: PaymentIn, expected: IfMatch, key: IdempotencyKey = None) -> Any:
    """Pay one tranche (finance), once its trigger is met. If-Match is the tranche's version."""
    return run_post(
        request,
        actor,
        key,
        {**body.model_dump(mode="json"), "if_match": expected},
        lambda uow: (
            201,
            payment_view(
                payments.pay(uow, body.tranche, paid_on=body.paid_on, reference=body.reference, expected=expected)
            ),
        ),
    )


@router.get("/budgets")
def list_budgets(
    request: Request, actor: CurrentActor, policy: str | None = None, year: QueryYear = None
) -> dict[str, Any]:
    items = ledger_of(request).read(
        actor, lambda uow: [budget_view(b) for b in payments.list_budgets(uow, policy=policy, year=year)]
    )
    return {"items": items, "next": None}


@router.get("/budgets/{policy}/{year}")
def get_budget(
    request: Request, response: Response, actor: CurrentActor, policy: str, year: PathYear
) -> dict[str, Any]:
    view = ledger_of(request).read(actor, lambda uow: budget_view(payments.budget_of(uow, policy, year)))
    tagged(response, view["version"])
    return view


@router.put("/budgets/{policy}/{year}")
def put_budget(
    request: Request,
    response: Response,
    actor: CurrentActor,
    policy: str,
    year: PathYear,
    body: BudgetIn,
    expected: IfMatch,
) -> dict[str, Any]:
    """Allocate a policy's budget for a year (admin or finance); never below what is committed."""
    view = ledger_of(request).run(
        actor, lambda uow: budget_view(payments.set_budget(uow, policy, year, body.allocated, expected))
    )
    tagged(response, view["version"])
    return view


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}
