"""Awards, their tranches, payments and budgets.

A tranche is payable once its trigger is met: `approval` at once, `acceptance` when the
project has been accepted, `annual` from the first day of its year. Paying locks the tranche
and its budget row, so a tranche is paid once and the budget's `paid` stays exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from huiqi.ledger import tables as t
from huiqi.ledger.actors import OFFICERS
from huiqi.ledger.approval import TERM_YEAR
from huiqi.ledger.budget_accounts import of_policy
from huiqi.ledger.catalogue import check_version
from huiqi.ledger.errors import Conflict, FieldError, Invalid, NotFound
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.workflow import Role, State
from huiqi.money import ZERO

ACCEPTED = {State.ACCEPTED.value, State.CLOSED.value}


def award_by_id(uow: UnitOfWork, award_id: int) -> t.Award:
    row = uow.session.get(t.Award, award_id)
    if row is None or not uow.actor.may_see(row.enterprise_id):
        raise NotFound(f"no award {award_id}")
    return row


def list_awards(
    uow: UnitOfWork,
    *,
    enterprise: str | None = None,
    measure: str | None = None,
    policy: str | None = None,
    year: int | None = None,
    after: int | None = None,
    limit: int = 50,
) -> Sequence[t.Award]:
    query = select(t.Award).order_by(t.Award.id)
    if not uow.actor.is_officer:
        query = query.where(t.Award.enterprise_id == uow.actor.enterprise_id)
    if enterprise:
        query = query.join(t.Enterprise, t.Award.enterprise_id == t.Enterprise.id).where(
            t.Enterprise.credit_code == enterprise
        )
    if measure:
        query = query.where(t.Award.measure == measure)
    if policy:
        query = query.where(t.Award.policy == policy)
    if year is not None:
        query = query.where(t.Award.year == year)
    if after is not None:
        query = query.where(t.Award.id > after)
    return uow.session.execute(query.limit(limit)).scalars().all()


def why_not_payable(tranche: t.Tranche, on: date) -> str | None:
    if tranche.paid:
        return f"tranche {tranche.id} is already paid"
    if tranche.trigger == "acceptance" and tranche.award.application.state not in ACCEPTED:
        return f"tranche {tranche.id} is paid on acceptance; the project has not been accepted"
    if tranche.trigger == "annual" and on.year < tranche.year:
        return f"tranche {tranche.id} is for {tranche.year}; it cannot be paid in {on.year}"
    return None


def pay(uow: UnitOfWork, tranche_id: int, *, paid_on: date | None, reference: str, expected: int | None) -> t.Payment:
    uow.actor.require(Role.FINANCE)
    uow.action = "payment.create"
    tranche = uow.session.execute(select(t.Tranche).where(t.Tranche.id == tranche_id).with_for_update()).scalar()
    if tranche is None:
        raise NotFound(f"no tranche {tranche_id}")
    check_version(tranche, expected)
    on = paid_on or uow.today
    if on > uow.today:
        raise Invalid("future date", errors=[FieldError("paid_on", "a payment cannot be dated in the future")])
    problem = why_not_payable(tranche, on)
    if problem:
        raise Conflict(problem, code="not_payable")
    # the tranche's year's budget, or the account's one row for the term (an account has one or the other)
    budget = uow.session.execute(
        select(t.Budget)
        .where(t.Budget.policy == tranche.policy, t.Budget.year.in_([tranche.year, TERM_YEAR]))
        .with_for_update()
    ).scalar()
    if budget is not None:
        budget.paid += tranche.amount
    tranche.paid = True
    payment = t.Payment(
        tranche_id=tranche.id,
        award_id=tranche.award_id,
        enterprise_id=tranche.award.enterprise_id,
        amount=tranche.amount,
        paid_on=on,
        reference=reference,
        paid_by=uow.actor.name,
        at=uow.now,
    )
    uow.session.add(payment)
    uow.session.flush()
    return payment


def list_payments(
    uow: UnitOfWork,
    *,
    enterprise: str | None = None,
    year: int | None = None,
    after: int | None = None,
    limit: int = 50,
) -> Sequence[t.Payment]:
    query = select(t.Payment).order_by(t.Payment.id)
    if not uow.actor.is_officer:
        query = query.where(t.Payment.enterprise_id == uow.actor.enterprise_id)
    if enterprise:
        query = query.join(t.Enterprise, t.Payment.enterprise_id == t.Enterprise.id).where(
            t.Enterprise.credit_code == enterprise
        )
    if year is not None:
        query = query.where(t.Payment.paid_on >= date(year, 1, 1), t.Payment.paid_on <= date(year, 12, 31))
    if after is not None:
        query = query.where(t.Payment.id > after)
    return uow.session.execute(query.limit(limit)).scalars().all()


def set_budget(uow: UnitOfWork, policy: str, year: int, allocated: Decimal, expected: int | None) -> t.Budget:
    """Allocate (or change) a policy's budget for a year; never below what is already committed."""
    uow.actor.require(Role.ADMIN, Role.FINANCE)
    uow.action = "budget.set"
    if policy not in {p.id for p in uow.library.policies}:
        raise Invalid("unknown policy", errors=[FieldError("policy", f"no policy {policy!r}")])
    if allocated < ZERO:
        raise Invalid("negative", errors=[FieldError("allocated", "must not be negative")])
    row = uow.session.execute(
        select(t.Budget).where(t.Budget.policy == policy, t.Budget.year == year).with_for_update()
    ).scalar()
    if row is None:
        committed = sum(
            (tr.amount for tr in _tranches(uow, policy, year)),
            ZERO,
        )
        paid = sum((tr.amount for tr in _tranches(uow, policy, year) if tr.paid), ZERO)
        row = t.Budget(policy=policy, year=year, allocated=allocated, committed=committed, paid=paid)
        uow.session.add(row)
    else:
        check_version(row, expected)
        row.allocated = allocated
    if allocated < row.committed:
        raise Conflict(f"{policy} {year} has {row.committed} committed already; the budget cannot be smaller")
    uow.session.flush()
    return row


def _tranches(uow: UnitOfWork, policy: str, year: int) -> Sequence[t.Tranche]:
    query = select(t.Tranche).where(t.Tranche.policy == policy, t.Tranche.year == year)
    return uow.session.execute(query).scalars().all()


def budget_of(uow: UnitOfWork, policy: str, year: int) -> t.Budget:
    uow.actor.require(*OFFICERS)
    row = uow.session.execute(select(t.Budget).where(t.Budget.policy == policy, t.Budget.year == year)).scalar()
    if row is None:
        raise NotFound(f"no budget {policy} {year}")
    return row


def list_budgets(uow: UnitOfWork, *, policy: str | None = None, year: int | None = None) -> Sequence[t.Budget]:
    uow.actor.require(*OFFICERS)
    query = select(t.Budget).order_by(t.Budget.policy, t.Budget.year)
    if policy:
        query = query.where(of_policy(t.Budget.policy, policy))
    if year is not None:
        query = query.where(t.Budget.year == year)
    return uow.session.execute(query).scalars().all()


def award_of(uow: UnitOfWork, application: t.Application) -> t.Award | None:
    """The award an approval made of this application (None before approval); the caller has read it."""
    query = select(t.Award).where(t.Award.application_id == application.id)
    return uow.session.execute(query).scalar_one_or_none()


def payments_of(uow: UnitOfWork, award: t.Award) -> Sequence[t.Payment]:
    if not uow.actor.may_see(award.enterprise_id):
        raise NotFound(f"no award {award.id}")
    query = select(t.Payment).where(t.Payment.award_id == award.id).order_by(t.Payment.id)
    return uow.session.execute(query).scalars().all()


def tranche_of_application(uow: UnitOfWork, application_id: int, tranche_id: int) -> t.Tranche:
    """A tranche, checked to belong to this application's award (a page pays from its application)."""
    tranche = uow.session.get(t.Tranche, tranche_id)
    if tranche is None or tranche.award.application_id != application_id:
        raise NotFound(f"no tranche {tranche_id} of application {application_id}")
    if not uow.actor.may_see(tranche.award.enterprise_id):
        raise NotFound(f"no tranche {tranche_id} of application {application_id}")
    return tranche
