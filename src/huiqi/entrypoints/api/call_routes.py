"""/v1/calls: application-scenario calls (揭榜挂帅), each step through huiqi.ledger.scenarios."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import Field

from huiqi.entrypoints.api.attachment_routes import download_response
from huiqi.entrypoints.api.bodies import Body
from huiqi.entrypoints.api.deps import CurrentActor, PathId, ledger_of
from huiqi.ledger import scenarios
from huiqi.ledger.errors import NotFound
from huiqi.ledger.proposal_files import (
    attach_to_proposal,
    files_by_proposal,
    proposal_file_for_download,
    proposal_file_view,
)
from huiqi.ledger.uow import UnitOfWork
from huiqi.monitor.call_data import to_data
from huiqi.monitor.calls import Applicant, Expert, Proposal
from huiqi.target_files import load_call_lists

router = APIRouter(prefix="/v1/calls", tags=["scenario calls"])
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Code = Annotated[str, Field(min_length=18, max_length=18)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Key = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$")]


class ApplicantIn(Body):
    credit_code: Code
    name: Name
    legal_entity: bool = True


class ProposalIn(Body):
    id: Key
    title: Name
    lead: ApplicantIn
    partners: Annotated[list[ApplicantIn], Field(max_length=20)] = Field(default_factory=list)
    attachments: Annotated[list[Name], Field(max_length=50)] = Field(default_factory=list)


class ExpertIn(Body):
    id: Key
    name: Name
    employer: Code | None = None
    relations: Annotated[list[Code], Field(max_length=50)] = Field(default_factory=list)


class PanelIn(Body):
    experts: Annotated[list[ExpertIn], Field(min_length=1, max_length=51)]


class ConflictIn(Body):
    expert: Key
    proposal: Key


class ScoreIn(Body):
    expert: Key
    proposal: Key
    marks: dict[Key, Annotated[int, Field(ge=0, le=100)]]


class ObjectionIn(Body):
    id: Key
    proposal: Key
    text: Text


class DecisionIn(Body):
    upheld: bool
    reason: Text


def _view(request: Request, actor: Any, call_id: str) -> dict[str, Any]:
    return ledger_of(request).read(actor, lambda uow: scenarios.call_view(uow, call_id))


def _step(request: Request, actor: Any, call_id: str, work: Any) -> dict[str, Any]:
    ledger_of(request).run(actor, work)
    return _view(request, actor, call_id)


@router.get("")
def list_calls(request: Request, actor: CurrentActor) -> dict[str, Any]:
    return {"items": ledger_of(request).read(actor, scenarios.list_calls)}


@router.get("/{call_id}")
def get_call(request: Request, actor: CurrentActor, call_id: Key) -> dict[str, Any]:
    """The call, its proposals, ranking and history; the marks once the panel has closed."""
    return _view(request, actor, call_id)


@router.post("/{call_id}/open", status_code=201)
def open_listed(request: Request, actor: CurrentActor, call_id: Key) -> dict[str, Any]:
    """Open a call of the plans' lists (targets/…/scenario-calls.yaml) as a draft (reviewers, admins)."""
    listed = next((c for c in load_call_lists() if c.id == call_id), None)
    if listed is None:
        raise NotFound(f"no listed scenario call {call_id}")
    ledger_of(request).run(actor, lambda uow: scenarios.open_call(uow, listed))
    return to_data(listed)[0]


@router.post("/{call_id}/publish")
def publish(request: Request, actor: CurrentActor, call_id: Key) -> dict[str, Any]:
    return _step(request, actor, call_id, lambda uow: scenarios.publish(uow, call_id))


@router.post("/{call_id}/proposals")
def submit(request: Request, actor: CurrentActor, call_id: Key, body: ProposalIn) -> dict[str, Any]:
    """A proposal by its lead enterprise before the deadline; 409 with the reasons when refused."""

    def applicant(a: ApplicantIn) -> Applicant:
        return Applicant(a.credit_code, a.name, a.legal_entity)

    def work(uow: UnitOfWork) -> None:
        proposal = Proposal(
            body.id, applicant(body.lead), tuple(applicant(p) for p in body.partners), body.title, uow.now,
            tuple(body.attachments),
        )  # fmt: skip
        scenarios.submit(uow, call_id, proposal)

    return _step(request, actor, call_id, work)


@router.post("/{call_id}/panel")
def seat_panel(request: Request, actor: CurrentActor, call_id: Key, body: PanelIn) -> dict[str, Any]:
    experts = tuple(Expert(e.id, e.name, e.employer, frozenset(e.relations)) for e in body.experts)
    return _step(request, actor, call_id, lambda uow: scenarios.seat_panel(uow, call_id, experts))


@router.post("/{call_id}/conflicts")
def declare_conflict(request: Request, actor: CurrentActor, call_id: Key, body: ConflictIn) -> dict[str, Any]:
    return _step(
        request, actor, call_id, lambda uow: scenarios.declare_conflict(uow, call_id, body.expert, body.proposal)
    )


@router.post("/{call_id}/scores")
def record_score(request: Request, actor: CurrentActor, call_id: Key, body: ScoreIn) -> dict[str, Any]:
    marks = dict(body.marks)
    return _step(
        request, actor, call_id, lambda uow: scenarios.record_score(uow, call_id, body.expert, body.proposal, marks)
    )


@router.post("/{call_id}/close-panel")
def close_panel(request: Request, actor: CurrentActor, call_id: Key) -> dict[str, Any]:
    return _step(request, actor, call_id, lambda uow: scenarios.close_panel(uow, call_id))


@router.post("/{call_id}/objections")
def object_to(request: Request, actor: CurrentActor, call_id: Key, body: ObjectionIn) -> dict[str, Any]:
    return _step(
        request, actor, call_id, lambda uow: scenarios.object_to(uow, call_id, body.id, body.proposal, body.text)
    )


@router.post("/{call_id}/objections/{objection_id}/decision")
def decide(request: Request, actor: CurrentActor, call_id: Key, objection_id: Key, body: DecisionIn) -> dict[str, Any]:
    return _step(
        request,
        actor,
        call_id,
        lambda uow: scenarios.decide_objection(uow, call_id, objection_id, body.upheld, body.reason),
    )


@router.post("/{call_id}/award")
def award(request: Request, actor: CurrentActor, call_id: Key) -> dict[str, Any]:
    """After the notice, every objection decided (approvers, admins): the winner and what it gets."""
    done = ledger_of(request).run(actor, lambda uow: scenarios.award(uow, call_id))
    made = done.award
    return {
        "call": made.call,
        "proposal": made.proposal,
        "lead": made.lead,
        "amount": str(made.amount),
        "recognitions": list(made.recognitions),
        "project": done.project,
        "applications": list(done.applications),
    }


@router.get("/{call_id}/files")
def list_files(request: Request, actor: CurrentActor, call_id: Key) -> dict[str, Any]:
    """Each proposal's documents this reader may see (officers; the enterprises in the proposal)."""

    def read(uow: UnitOfWork) -> dict[str, Any]:
        scenarios.call_view(uow, call_id)  # a draft: officers only
        found = files_by_proposal(uow, call_id)
        return {
            "items": [f | {"download": f"/v1/calls/{call_id}/files/{f['id']}"} for fs in found.values() for f in fs]
        }

    return ledger_of(request).read(actor, read)


@router.post("/{call_id}/proposals/{proposal_id}/files", status_code=201)
def add_file(
    request: Request,
    actor: CurrentActor,
    call_id: Key,
    proposal_id: Key,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, GIF, WebP, Word, Excel or PowerPoint")],
) -> dict[str, Any]:
    """A document for a proposal, by its lead enterprise before the deadline."""

    def work(uow: UnitOfWork) -> dict[str, Any]:
        file.file.seek(0)  # a retried unit of work reads the upload again
        return proposal_file_view(attach_to_proposal(uow, call_id, proposal_id, file.filename, file.file))

    return ledger_of(request).run(actor, work)


@router.get("/{call_id}/files/{file_id}", response_class=FileResponse)
def download_file(request: Request, actor: CurrentActor, call_id: Key, file_id: PathId) -> FileResponse:
    row, path = ledger_of(request).read(actor, lambda uow: proposal_file_for_download(uow, call_id, file_id))
    return download_response(row, path)
