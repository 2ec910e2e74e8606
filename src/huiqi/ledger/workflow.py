"""The life of an application: states, the transitions between them, and who may make each.

    draft → submitted → under_review → approved → accepted → closed
                 ↘ withdrawn   ↘ returned (→ draft again)   ↘ rejected

Pure: a transition is checked against this table and recorded as an Event; nothing here
reads or writes storage. Refusals are exceptions carrying a reason, because a refused
transition is a request the caller must not have made (the API turns them into 409/403).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    RETURNED = "returned"
    APPROVED = "approved"
    ACCEPTED = "accepted"
    CLOSED = "closed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Role(StrEnum):
    ENTERPRISE = "enterprise"
    REVIEWER = "reviewer"
    APPROVER = "approver"
    FINANCE = "finance"
    ADMIN = "admin"


class Action(StrEnum):
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    RETURN = "return"
    REVISE = "revise"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    ACCEPT = "accept"
    CLOSE = "close"


@dataclass(frozen=True, slots=True)
class Transition:
    action: Action
    source: frozenset[State]
    target: State
    roles: frozenset[Role]
    needs_reason: bool = False


def _t(action: Action, source: set[State], target: State, roles: set[Role], *, reason: bool = False) -> Transition:
    return Transition(action, frozenset(source), target, frozenset(roles), reason)


TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        _t(Action.SUBMIT, {State.DRAFT}, State.SUBMITTED, {Role.ENTERPRISE}),
        _t(
            Action.WITHDRAW,
            {State.DRAFT, State.SUBMITTED, State.RETURNED},
            State.WITHDRAWN,
            {Role.ENTERPRISE},
            reason=True,
        ),
        _t(Action.START_REVIEW, {State.SUBMITTED}, State.UNDER_REVIEW, {Role.REVIEWER}),
        _t(Action.RETURN, {State.UNDER_REVIEW}, State.RETURNED, {Role.REVIEWER}, reason=True),
        _t(Action.REVISE, {State.RETURNED}, State.DRAFT, {Role.ENTERPRISE}),
        _t(Action.REJECT, {State.UNDER_REVIEW}, State.REJECTED, {Role.REVIEWER, Role.APPROVER}, reason=True),
        _t(Action.APPROVE, {State.UNDER_REVIEW}, State.APPROVED, {Role.APPROVER}),
        _t(Action.ACCEPT, {State.APPROVED}, State.ACCEPTED, {Role.REVIEWER}),
        _t(Action.CLOSE, {State.ACCEPTED}, State.CLOSED, {Role.FINANCE, Role.ADMIN}),
    )
}


class TransitionRefused(Exception):
    """A transition that the state or the actor's role does not allow; `reason` says which."""

    def __init__(self, code: str, reason: str):
        self.code = code  # wrong_state | wrong_role | reason_required | not_allowed
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Event:
    """One recorded step: who did what to which application, when and why."""

    application: str
    action: Action
    source: State
    target: State
    actor: str
    role: Role
    at: datetime
    reason: str = ""


def transition(
    application: str, state: State, action: Action, *, actor: str, role: Role, at: datetime, reason: str = ""
) -> Event:
    """Check one transition and return the event that records it."""
    rule = TRANSITIONS[action]
    if state not in rule.source:
        allowed = ", ".join(sorted(s.value for s in rule.source))
        raise TransitionRefused(
            "wrong_state", f"cannot {action.value} an application that is {state.value} (only when {allowed})"
        )
    if role not in rule.roles:
        allowed = ", ".join(sorted(r.value for r in rule.roles))
        raise TransitionRefused("wrong_role", f"{action.value} is for {allowed}, not {role.value}")
    if rule.needs_reason and not reason.strip():
        raise TransitionRefused("reason_required", f"{action.value} needs a reason")
    return Event(application, action, state, rule.target, actor, role, at, reason.strip())


def available(state: State, role: Role) -> list[Action]:
    """What this role may do next (for the UI's buttons and the API's links)."""
    return [action for action, rule in TRANSITIONS.items() if state in rule.source and role in rule.roles]
