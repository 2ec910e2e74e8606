"""Scenario calls (揭榜挂帅) in the ledger's database: each step of huiqi.monitor.calls taken as its
role may, stored with its event (and so in the audit chain), in one transaction.

Officers (reviewers, administrators) open, publish and run the panel; an enterprise submits its
own proposals (as the lead) and may object during the notice, as may an officer; an approver or an
administrator awards. Anyone signed in reads a published call; the marks are shown once the panel
has closed, and never in the audit log's readable values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from huiqi.diagnostics import Bilingual
from huiqi.ledger import tables as t
from huiqi.ledger.actors import OFFICERS
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
    stamped = rules.Proposal(
        proposal.id, proposal.lead, proposal.partners, proposal.title, uow.now, proposal.attachments
    )
    return _step(uow, call_id, lambda c: rules.submit(c, stamped, uow.actor.name))


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


def award(uow: UnitOfWork, call_id: str) -> rules.Award:
    uow.actor.require(*AWARDERS)
    made: list[rules.Award] = []

    def take(call: rules.Call) -> tuple[rules.Call, rules.Event]:
        done, result, event = rules.award(call, uow.now, uow.actor.name)
        made.append(result)
        return done, event

    _step(uow, call_id, take)
    return made[0]


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
    return {
        **state,
        "scores": [{"expert": e, "proposal": p, "marks": dict(m)} for e, p, m in visible],
        "events": [{"action": e.action, "actor": e.actor, "at": e.at.isoformat(), "detail": e.detail} for e in events],
    }


def list_calls(uow: UnitOfWork) -> list[dict[str, Any]]:
    query = select(t.ScenarioCall).order_by(t.ScenarioCall.id)
    if uow.actor.role not in OFFICERS:
        query = query.where(t.ScenarioCall.stage != rules.Stage.DRAFT.value)
    return [
        {"id": r.id, "title": r.title, "stage": r.stage, "deadline": r.state["deadline"], "budget": r.state["budget"]}
        for r in uow.session.execute(query).scalars()
    ]
