"""The application page's data: one function returning a dict (HTML or JSON at one URL).

Everything comes from the ledger's services, with the reader as the actor: an enterprise user
sees its own applications only (another's is NotFound, as on /v1), and the officers' parts —
the cap and budget headroom, the review and approval forms, the tranches to pay — are there
for the roles the workflow gives those steps.
"""

from __future__ import annotations

from typing import Any

from huiqi.entrypoints.web.attachment_pages import attachments_data
from huiqi.entrypoints.web.i18n import Lang
from huiqi.entrypoints.web.ledger_labels import measure_title, policy_title
from huiqi.ledger import applications, payments
from huiqi.ledger import tables as t
from huiqi.ledger.actors import Actor
from huiqi.ledger.approval import TERM_YEAR
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.views import application_view, award_view, budget_view, event_view, money, payment_view, review_view
from huiqi.ledger.workflow import TRANSITIONS, Action, Role, State
from huiqi.money import ZERO
from huiqi.report import result_dict


def _headroom(uow: UnitOfWork, row: t.Application, award: t.Award | None) -> dict[str, Any]:
    """The enterprise's awards under this policy (per measure, per year, in all), and the budgets."""
    awarded = payments.list_awards(uow, enterprise=row.enterprise.credit_code, policy=row.policy, limit=10_000)
    others = [a for a in awarded if a.application_id != row.id]
    this_measure = [a for a in others if a.measure == row.measure]
    this_year = [a for a in others if a.year == row.year]
    years = {row.year} | ({tr.year for tr in award.tranches} if award else set())
    budgets = [b for b in payments.list_budgets(uow, policy=row.policy) if b.year in years | {TERM_YEAR}]
    return {
        "awards": [
            {
                "application": a.application_id,
                "measure": a.measure,
                "subject": a.subject,
                "year": a.year,
                "amount": money(a.amount),
            }
            for a in others
        ],
        "measure_total": money(sum((a.amount for a in this_measure), ZERO)),
        "year_total": money(sum((a.amount for a in this_year), ZERO)),
        "policy_total": money(sum((a.amount for a in others), ZERO)),
        "budgets": [budget_view(b) for b in budgets],
    }


def _tranches(uow: UnitOfWork, award: t.Award | None) -> list[dict[str, Any]]:
    if award is None:
        return []
    items = []
    for view, tranche in zip(award_view(award)["tranches"], award.tranches, strict=True):
        blocked = payments.why_not_payable(tranche, uow.today)
        items.append({**view, "payable": blocked is None, "why_not": blocked})
    return items


def _assessment(uow: UnitOfWork, row: t.Application, lang: Lang) -> dict[str, Any]:
    _, result, allowed = applications.assessment_for(uow, row)
    return {
        "as_of": (row.submitted_on or uow.today).isoformat(),
        "result": result_dict(result, lang) if result is not None else None,
        "allowed": {"min": money(allowed.lo), "max": money(allowed.hi)} if allowed else None,
    }


def application_data(uow: UnitOfWork, application_id: int, actor: Actor, lang: Lang) -> dict[str, Any]:
    row = applications.application_by_id(uow, application_id)
    ref = uow.library.measure(row.measure)
    award = payments.award_of(uow, row)
    officer = actor.is_officer
    reviews = [review_view(r) for r in applications.reviews_of(uow, row)]
    decided = [r["decided"] for r in reviews if r["decided"] is not None]
    view = _application(row, actor)
    actions: list[str] = view["actions"]
    data: dict[str, Any] = {
        "application": {
            **view,
            "measure_title": measure_title(uow.library, row.measure, lang),
            "policy_title": policy_title(uow.library, row.policy, lang),
            "quote": ref.measure.quote,
        },
        "facts": {
            "enterprise": row.enterprise.facts,
            "subject": row.project.facts if row.project is not None else None,
        },
        "assessment": _assessment(uow, row, lang),
        "events": [event_view(e) for e in applications.events_of(uow, row)],
        "reviews": reviews,
        "decided": decided[-1] if decided else None,
        "award": award_view(award) if award else None,
        "tranches": _tranches(uow, award),
        "payments": [payment_view(p) for p in payments.payments_of(uow, award)] if award else [],
        "actions": actions,
        "needs_reason": [a for a in actions if TRANSITIONS[Action(a)].needs_reason],
        "may_review": actor.role is Role.REVIEWER and row.state == State.UNDER_REVIEW.value,
        "may_pay": actor.role is Role.FINANCE,
        "headroom": _headroom(uow, row, award) if officer else None,
        "officer": officer,
        "attachments": attachments_data(uow, row, actor, lang, next_path=f"/applications/{row.id}"),
    }
    return data


def _application(row: t.Application, actor: Actor) -> dict[str, Any]:
    """The API's view of the application (its actions for this reader included), and what the page adds."""
    return {
        **application_view(row, actor),
        "district": row.enterprise.district,
        "subject_name": row.project.name if row.project is not None else row.enterprise.name,
    }
