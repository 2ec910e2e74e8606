"""/v1/applications: filing, the transition endpoints, reviews, and the engine's view of each."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from huiqi.entrypoints.api.bodies import ApplicationIn, ApproveIn, ReviewIn, TransitionIn
from huiqi.entrypoints.api.deps import (
    CurrentActor,
    IdempotencyKey,
    IfMatch,
    Page,
    PathId,
    QueryYear,
    ledger_of,
    run_post,
    tagged,
)
from huiqi.ledger import applications
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.views import application_view, event_view, review_view
from huiqi.ledger.workflow import Action
from huiqi.report import result_dict

router = APIRouter(prefix="/v1/applications", tags=["applications"])


@router.get("")
def list_applications(
    request: Request,
    actor: CurrentActor,
    page: Annotated[Page, Depends()],
    state: str | None = None,
    measure: str | None = None,
    enterprise: str | None = None,
    year: QueryYear = None,
) -> dict[str, Any]:
    items = ledger_of(request).read(
        actor,
        lambda uow: [
            application_view(r, actor)
            for r in applications.list_applications(
                uow,
                state=state,
                measure=measure,
                enterprise=enterprise,
                year=year,
                after=page.after,
                limit=page.limit,
            )
        ],
    )
    return page.of(items)


@router.post("", status_code=201)
def file_application(
    request: Request, actor: CurrentActor, body: ApplicationIn, key: IdempotencyKey = None
) -> JSONResponse:
    def work(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        row = applications.file_application(
            uow,
            enterprise=body.enterprise,
            project=body.project,
            measure=body.measure,
            year=body.year,
            requested=body.requested,
            note=body.note,
        )
        return 201, application_view(row, actor)

    return run_post(request, actor, key, body.model_dump(mode="json"), work)


@router.get("/{application_id}")
def get_application(
    request: Request, response: Response, actor: CurrentActor, application_id: PathId
) -> dict[str, Any]:
    def read(uow: UnitOfWork) -> dict[str, Any]:
        row = applications.application_by_id(uow, application_id)
        view = application_view(row, actor)
        view["events"] = [event_view(e) for e in applications.events_of(uow, row)]
        view["reviews"] = [review_view(r) for r in applications.reviews_of(uow, row)]
        return view

    view = ledger_of(request).read(actor, read)
    tagged(response, view["version"])
    return view


@router.get("/{application_id}/assessment")
def application_assessment(request: Request, actor: CurrentActor, application_id: PathId) -> dict[str, Any]:
    """What the engine says of this application now: range, trace, reasons (committed awards counted)."""

    def read(uow: UnitOfWork) -> dict[str, Any]:
        row = applications.application_by_id(uow, application_id)
        _, result, allowed = applications.assessment_for(uow, row)
        return {
            "application": row.id,
            "result": result_dict(result) if result is not None else None,
            "allowed": {"min": f"{allowed.lo:.2f}", "max": f"{allowed.hi:.2f}"} if allowed else None,
        }

    return ledger_of(request).read(actor, read)


@router.post("/{application_id}/reviews", status_code=201)
def review(
    request: Request, actor: CurrentActor, application_id: PathId, body: ReviewIn, key: IdempotencyKey = None
) -> JSONResponse:
    data = body.model_dump()
    data["scores"] = [s.model_dump() for s in body.scores]
    return run_post(
        request,
        actor,
        key,
        body.model_dump(mode="json"),
        lambda uow: (201, review_view(applications.add_review(uow, application_id, data))),
    )


def _transition(action: Action, summary: str) -> None:
    def endpoint(
        request: Request,
        actor: CurrentActor,
        application_id: PathId,
        expected: IfMatch,
        body: TransitionIn | None = None,
        key: IdempotencyKey = None,
    ) -> JSONResponse:
        reason = body.reason if body else ""
        return run_post(
            request,
            actor,
            key,
            {"reason": reason, "if_match": expected},
            lambda uow: (
                200,
                application_view(
                    applications.act(uow, application_id, action, reason=reason, expected=expected), actor
                ),
            ),
        )

    endpoint.__name__ = f"{action.value}_application"
    router.add_api_route(f"/{{application_id}}/{action.value}", endpoint, methods=["POST"], summary=summary)


for _action, _summary in [
    (Action.SUBMIT, "Submit a draft (enterprise)"),
    (Action.WITHDRAW, "Withdraw (enterprise; reason required)"),
    (Action.START_REVIEW, "Start the review (reviewer)"),
    (Action.RETURN, "Return for changes (reviewer; reason required)"),
    (Action.REVISE, "Reopen a returned application as a draft (enterprise)"),
    (Action.REJECT, "Reject (reviewer or approver; reason required)"),
    (Action.ACCEPT, "Accept the finished project (reviewer)"),
    (Action.CLOSE, "Close once every tranche is paid (finance or admin)"),
]:
    _transition(_action, _summary)


@router.post("/{application_id}/approve")
def approve(
    request: Request,
    actor: CurrentActor,
    application_id: PathId,
    expected: IfMatch,
    body: ApproveIn | None = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Approve (approver): commits the award and its tranches, or 409 with the reasons it may not."""
    chosen = body or ApproveIn()
    return run_post(
        request,
        actor,
        key,
        {**chosen.model_dump(mode="json"), "if_match": expected},
        lambda uow: (
            200,
            application_view(
                applications.act(
                    uow, application_id, Action.APPROVE, reason=chosen.reason, expected=expected, amount=chosen.amount
                ),
                actor,
            ),
        ),
    )
