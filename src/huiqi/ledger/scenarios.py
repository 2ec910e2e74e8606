"""Scenario calls (揭榜挂帅) in the ledger's database: each step of huiqi.monitor.calls taken as its
role may, stored with its event (and so in the audit chain), in one transaction.

Officers (reviewers, administrators) open, publish and run the panel; an enterprise submits its
own proposals (as the lead) and may object during the notice, as may an officer; an approver or an
administrator awards. Anyone signed in reads a published call; the marks are shown once the panel
has closed, and never in the audit log's readable values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from huiqi.diagnostics import Bilingual
from huiqi.engine.interpret import evaluate
from huiqi.engine.result import Status
from huiqi.ledger import tables as t
from huiqi.ledger.actors import OFFICERS
from huiqi.ledger.applications import draft_application
from huiqi.ledger.catalogue import add_project, enterprise_by_code, facts_of
from huiqi.ledger.errors import Conflict, Forbidden, NotFound
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.workflow import Role
from huiqi.monitor import calls as rules
from huiqi.monitor.call_data import from_data, to_data

RUNNERS = (Role.REVIEWER, Role.ADMIN)
AWARDERS = (Role.APPROVER, Role.ADMIN)


def _row(uow: UnitOfWork, call_id: str, *, lock: bool = False) -> t.ScenarioCall:
    query = select(t.ScenarioCall).where(t.ScenarioCall.id == call_id)
    row = uow.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no scenario call {call_id}")
    return row


def load(uow: UnitOfWork, call_id: str, *, lock: bool = False) -> rules.Call:
    row = _row(uow, call_id, lock=lock)
    return from_data(row.state, row.scores)


def _save(uow: UnitOfWork, row: t.ScenarioCall | None, call: rules.Call, event: rules.Event) -> None:
    state, scores = to_data(call)
    if row is None:
        row = t.ScenarioCall(id=call.id, title=call.title, stage=call.stage.value, state=state, scores=scores)
        row.updated_at = uow.now
        uow.session.add(row)
    else:
        row.stage, row.state, row.scores, row.updated_at = call.stage.value, state, scores, uow.now
    uow.session.add(
        t.ScenarioEvent(call_id=call.id, action=event.action, actor=uow.actor.name, at=uow.now, detail=event.detail)
    )


def _step(uow: UnitOfWork, call_id: str, take: Callable[[rules.Call], tuple[rules.Call, rules.Event]]) -> rules.Call:
    row = _row(uow, call_id, lock=True)
    try:
        call, event = take(from_data(row.state, row.scores))
    except Bilingual as refused:
        raise Conflict(refused.en, reasons=(refused.zh,)) from None
    _save(uow, row, call, event)
    return call


def open_call(uow: UnitOfWork, call: rules.Call) -> rules.Call:
    """A new call as a draft (its terms are judged when it is published)."""
    uow.actor.require(*RUNNERS)
    if uow.session.get(t.ScenarioCall, call.id) is not None:
        raise Conflict(f"scenario call {call.id} exists", reasons=(f"榜单 {call.id} 已存在",))
    _save(uow, None, call, rules.Event("open", uow.now, uow.actor.name, {"title": call.title}))
    return call


def publish(uow: UnitOfWork, call_id: str) -> rules.Call:
    uow.actor.require(*RUNNERS)
    return _step(uow, call_id, lambda c: rules.publish(c, uow.now, uow.actor.name))


def submit(uow: UnitOfWork, call_id: str, proposal: rules.Proposal) -> rules.Call:
    """A proposal by its lead enterprise (or an administrator on its behalf), stamped now."""
    if uow.actor.role is Role.ENTERPRISE:
        own = uow.session.get(t.Enterprise, uow.actor.enterprise_id) if uow.actor.enterprise_id else None
        if own is None or own.credit_code != proposal.lead.credit_code:
            raise Forbidden(
                "an enterprise submits its own proposals, as their lead (企业只能以牵头单位身份提交本企业的方案)"
            )
    elif uow.actor.role is not Role.ADMIN:
        raise Forbidden("proposals are submitted by the enterprise (or an administrator on its behalf)")
    try:
        enterprise_by_code(uow, proposal.lead.credit_code)
    except NotFound:
        raise Conflict(
            f"the lead {proposal.lead.credit_code} is not in the enterprise catalogue",
            reasons=(f"牵头单位 {proposal.lead.credit_code} 不在企业名录中, 请先登记",),
        ) from None
    stamped = rules.Proposal(
        proposal.id, proposal.lead, proposal.partners, proposal.title, uow.now, proposal.attachments
    )
    winners = _past_winners(uow)

    def take(call: rules.Call) -> tuple[rules.Call, rules.Event]:
        known = replace(call.eligibility, past_winners=call.eligibility.past_winners | winners)
        return rules.submit(replace(call, eligibility=known), stamped, uow.actor.name)

    return _step(uow, call_id, take)


def _past_winners(uow: UnitOfWork) -> frozenset[str]:
    """Every member of every winning proposal of the calls awarded in this ledger."""
    awarded = select(t.ScenarioCall).where(t.ScenarioCall.stage == rules.Stage.AWARDED.value)
    found: set[str] = set()
    for row in uow.session.execute(awarded).scalars():
        call = from_data(row.state, [])
        if call.winner is not None:
            found |= call.proposal(call.winner).members
    return frozenset(found)


def seat_panel(uow: UnitOfWork, call_id: str, experts: tuple[rules.Expert, ...]) -> rules.Call:
    uow.actor.require(*RUNNERS)
    return _step(uow, call_id, lambda c: rules.close_submissions(c, uow.now, uow.actor.name, experts))


def declare_conflict(uow: UnitOfWork, call_id: str, expert: str, proposal: str) -> rules.Call:
    uow.actor.require(*RUNNERS)
    return _step(uow, call_id, lambda c: rules.declare_conflict(c, expert, proposal, uow.now))


def record_score(uow: UnitOfWork, call_id: str, expert: str, proposal: str, marks: dict[str, int]) -> rules.Call:
    """An expert's marks, recorded by the officer running the panel."""
    uow.actor.require(*RUNNERS)
    return _step(uow, call_id, lambda c: rules.score(c, expert, proposal, marks, uow.now))


def close_panel(uow: UnitOfWork, call_id: str) -> rules.Call:
    uow.actor.require(*RUNNERS)
    return _step(uow, call_id, lambda c: rules.close_panel(c, uow.now, uow.actor.name))


def object_to(uow: UnitOfWork, call_id: str, objection_id: str, proposal: str, text: str) -> rules.Call:
    objection = rules.Objection(objection_id, proposal, uow.actor.name, text, uow.now)
    return _step(uow, call_id, lambda c: rules.object_to(c, objection))


def decide_objection(uow: UnitOfWork, call_id: str, objection_id: str, upheld: bool, reason: str) -> rules.Call:
    uow.actor.require(*RUNNERS)
    return _step(
        uow, call_id, lambda c: rules.decide_objection(c, objection_id, upheld, reason, uow.now, uow.actor.name)
    )


@dataclass(frozen=True, slots=True)
class Awarded:
    """The award and where it went in the ledger: the winner's project and the drafts filed for it."""

    award: rules.Award
    project: int
    applications: tuple[int, ...]


def award(uow: UnitOfWork, call_id: str) -> Awarded:
    """The winner, then in the same transaction its project in the catalogue (recognised as the call
    says) and a draft application for every measure that now rewards it, for the enterprise to
    complete and submit: from there its money goes the ledger's way (review, approval, tranches,
    payments)."""
    uow.actor.require(*AWARDERS)
    row = _row(uow, call_id, lock=True)
    try:
        call, made, event = rules.award(from_data(row.state, row.scores), uow.now, uow.actor.name)
    except Bilingual as refused:
        raise Conflict(refused.en, reasons=(refused.zh,)) from None
    project, drafts = _into_ledger(uow, call, made)
    uow.action = "scenario.award"
    detail = {**event.detail, "project": project.ref, "applications": [a.id for a in drafts]}
    _save(uow, row, call, rules.Event(event.action, event.at, event.by, detail))
    return Awarded(made, project.id, tuple(a.id for a in drafts))


def _into_ledger(uow: UnitOfWork, call: rules.Call, made: rules.Award) -> tuple[t.Project, list[t.Application]]:
    try:
        winner = enterprise_by_code(uow, made.lead)
    except NotFound:
        raise Conflict(
            f"the winner {made.lead} is not in the enterprise catalogue",
            reasons=(f"中标单位 {made.lead} 不在企业名录中, 请先登记后再确定揭榜方",),
        ) from None
    facts = {
        "id": f"call-{call.id}",
        "name": made.title,
        "kind": made.project_kind,
        "year": uow.today.year,
        "recognitions": list(made.recognitions),
    }
    project = add_project(uow, made.lead, "project", facts)
    note = f"揭榜挂帅榜单 {call.id}「{call.title}」中标方案 {made.proposal}「{made.title}」"
    rewarded = evaluate(facts_of(uow, winner), uow.library, uow.today, explain=False)
    drafts = []
    uow.action = "application.create"
    for result in rewarded.results:
        if result.subject is None or result.subject.id != project.ref or result.status is not Status.ELIGIBLE:
            continue
        if result.amount is None or result.amount.hi <= 0:
            continue
        ref = uow.library.measure(result.measure)
        drafts.append(draft_application(uow, winner, project, ref, uow.today.year, note=note, by_system=True))
    return project, drafts


def call_view(uow: UnitOfWork, call_id: str) -> dict[str, Any]:
    """A call as its reader may see it: drafts to officers only; marks once the panel has closed."""
    row = _row(uow, call_id)
    if row.stage == rules.Stage.DRAFT and uow.actor.role not in OFFICERS:
        raise NotFound(f"no scenario call {call_id}")
    call = from_data(row.state, row.scores)
    state, _scores = to_data(call)
    visible = rules.visible_scores(call)
    events = uow.session.execute(
        select(t.ScenarioEvent).where(t.ScenarioEvent.call_id == call_id).order_by(t.ScenarioEvent.id)
    ).scalars()
    sealed = call.stage in (rules.Stage.PUBLISHED, rules.Stage.REVIEWING) and uow.actor.role not in OFFICERS
    if sealed:  # the panel, and who else answers, are the officers' alone until the panel has closed
        state["experts"] = []
        own = uow.session.get(t.Enterprise, uow.actor.enterprise_id) if uow.actor.enterprise_id else None
        members = {p.id: p.members for p in call.proposals}
        state["proposals"] = [p for p in state["proposals"] if own is not None and own.credit_code in members[p["id"]]]
    officer = uow.actor.role in OFFICERS
    history = [
        {"action": e.action, "actor": e.actor, "at": e.at.isoformat(), "detail": _shown_detail(e, officer)}
        for e in events
        if not (sealed and e.action in ("score", "recuse"))  # who scored what: the officers' until it closes
    ]
    return {
        **state,
        "scores": [{"expert": e, "proposal": p, "marks": dict(m)} for e, p, m in visible],
        "scored": [] if sealed else [[e, p] for e, p, _ in call.scores],  # who scored what, never the marks
        "recusals": {} if sealed else {e.id: rules.conflicts(call, e) for e in call.experts},
        "events": history,
        "in_ledger": _in_ledger(uow, history),
    }


def _shown_detail(event: t.ScenarioEvent, officer: bool) -> dict[str, Any]:
    """A step's detail as this reader may see it: a document's name is for the officers (and, in
    the list of documents, the proposal's own enterprises)."""
    if event.action == "attach" and not officer:
        return {k: v for k, v in event.detail.items() if k != "filename"}
    return dict(event.detail)


def _in_ledger(uow: UnitOfWork, history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The winner's project and its applications as they stand now, those this reader may see."""
    awarded = next((e["detail"] for e in history if e["action"] == "award" and "project" in e["detail"]), None)
    if awarded is None:
        return None
    rows = uow.session.execute(
        select(t.Application).where(t.Application.id.in_(awarded["applications"])).order_by(t.Application.id)
    ).scalars()
    seen = [
        {"id": a.id, "measure": a.measure, "policy": a.policy, "state": a.state, "year": a.year}
        for a in rows
        if uow.actor.may_see(a.enterprise_id)
    ]
    return {"project": awarded["project"], "applications": seen}


def list_calls(uow: UnitOfWork) -> list[dict[str, Any]]:
    query = select(t.ScenarioCall).order_by(t.ScenarioCall.id)
    if uow.actor.role not in OFFICERS:
        query = query.where(t.ScenarioCall.stage != rules.Stage.DRAFT.value)
    return [
        {"id": r.id, "title": r.title, "stage": r.stage, "deadline": r.state["deadline"], "budget": r.state["budget"]}
        for r in uow.session.execute(query).scalars()
    ]


PUBLIC_STAGES = (rules.Stage.PUBLISHED, rules.Stage.REVIEWING, rules.Stage.NOTICE, rules.Stage.AWARDED)


def public_view(uow: UnitOfWork, call_id: str) -> dict[str, Any]:
    """What anyone may read without signing in, as a published call and its 公示 are public: the
    terms once published; the ranking (lead, proposal, weighted score) from the notice on; the
    winner once awarded. Never the panel, the marks, the documents or the objections' texts."""
    row = _row(uow, call_id)
    call = from_data(row.state, [])
    if call.stage not in PUBLIC_STAGES:
        raise NotFound(f"no scenario call {call_id}")
    state, _scores = to_data(call)
    terms = ("id", "title", "owner", "requirements", "budget", "deadline", "criteria", "eligibility")
    shown = {k: state[k] for k in terms} | {"notice_days": call.notice_days, "stage": call.stage.value}
    shown["eligibility"] = {k: v for k, v in state["eligibility"].items() if k != "past_winners"}
    if call.stage in (rules.Stage.NOTICE, rules.Stage.AWARDED):
        proposals = {p.id: p for p in call.proposals}
        shown["ranking"] = [
            {
                "proposal": pid,
                "title": proposals[pid].title,
                "lead": proposals[pid].lead.name,
                "partners": [a.name for a in proposals[pid].partners],
                "score": str(score),
                "removed": proposals[pid].disqualified is not None,
            }
            for pid, score in call.ranking
        ]
        shown["notice_ends"] = state["notice_ends"]
    if call.winner is not None:
        shown["winner"] = {"proposal": call.winner, "lead": call.proposal(call.winner).lead.name}
    return shown
