"""Rows as plain dicts: the API's JSON, the exports' rows and the web pages' data.

Money is a string of yuan with two decimals ("2500000.00"): exact in JSON, where numbers
are floats to most readers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from huiqi.ledger import tables as t
from huiqi.ledger.actors import Actor
from huiqi.ledger.workflow import Role, State, available


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def enterprise_view(row: t.Enterprise) -> dict[str, Any]:
    return {
        "id": row.id,
        "credit_code": row.credit_code,
        "name": row.name,
        "district": row.district,
        "facts": row.facts,
        "version": row.version,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def project_view(row: t.Project) -> dict[str, Any]:
    return {
        "id": row.id,
        "enterprise": row.enterprise.credit_code,
        "type": row.kind,
        "ref": row.ref,
        "name": row.name,
        "facts": row.facts,
        "version": row.version,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def application_view(row: t.Application, actor: Actor | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": row.id,
        "enterprise": row.enterprise.credit_code,
        "enterprise_name": row.enterprise.name,
        "project": row.project_id,
        "subject": row.project.ref if row.project is not None else row.enterprise.credit_code,
        "measure": row.measure,
        "policy": row.policy,
        "year": row.year,
        "state": row.state,
        "requested": money(row.requested),
        "submitted_on": row.submitted_on.isoformat() if row.submitted_on else None,
        "note": row.note,
        "version": row.version,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }
    if actor is not None:
        mine = actor.role is not Role.ENTERPRISE or actor.enterprise_id == row.enterprise_id
        view["actions"] = [a.value for a in available(State(row.state), actor.role)] if mine else []
    return view


def event_view(row: t.ApplicationEvent) -> dict[str, Any]:
    return {
        "action": row.action,
        "from": row.source,
        "to": row.target,
        "actor": row.actor,
        "role": row.role,
        "reason": row.reason,
        "at": row.at.isoformat(),
    }


def review_view(row: t.Review) -> dict[str, Any]:
    scores = [Decimal(s["score"]) for s in row.scores]
    mean = sum(scores, Decimal(0)) / len(scores) if scores else None
    return {
        "id": row.id,
        "reviewer": row.reviewer,
        "scores": row.scores,
        "mean_score": f"{mean:.2f}" if mean is not None else None,
        "conflict_of_interest": row.conflict_of_interest,
        "decided": money(row.decided),
        "decided_rate": row.decided_rate,
        "opinion": row.opinion,
        "at": row.at.isoformat(),
    }


def tranche_view(row: t.Tranche) -> dict[str, Any]:
    return {
        "id": row.id,
        "seq": row.seq,
        "trigger": row.trigger,
        "share": row.share,
        "title": row.title,
        "year": row.year,
        "amount": money(row.amount),
        "paid": row.paid,
        "version": row.version,
    }


def award_view(row: t.Award) -> dict[str, Any]:
    return {
        "id": row.id,
        "application": row.application_id,
        "enterprise": row.application.enterprise.credit_code,
        "enterprise_name": row.application.enterprise.name,
        "measure": row.measure,
        "policy": row.policy,
        "subject": row.subject,
        "year": row.year,
        "amount": money(row.amount),
        "approved_by": row.approved_by,
        "approved_at": row.approved_at.isoformat(),
        "tranches": [tranche_view(tr) for tr in row.tranches],
    }


def payment_view(row: t.Payment) -> dict[str, Any]:
    award = row.tranche.award
    return {
        "id": row.id,
        "tranche": row.tranche_id,
        "award": row.award_id,
        "enterprise": award.application.enterprise.credit_code,
        "enterprise_name": award.application.enterprise.name,
        "measure": award.measure,
        "amount": money(row.amount),
        "paid_on": row.paid_on.isoformat(),
        "reference": row.reference,
        "paid_by": row.paid_by,
    }


def budget_view(row: t.Budget) -> dict[str, Any]:
    return {
        "policy": row.policy,
        "year": row.year,
        "allocated": money(row.allocated),
        "committed": money(row.committed),
        "paid": money(row.paid),
        "remaining": money(row.allocated - row.committed),
        "version": row.version,
    }


def user_view(row: t.User) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "role": row.role, "active": row.active}
