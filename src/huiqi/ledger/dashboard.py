"""The officers' dashboards as queries: budgets, awards, payments and the application pipeline.

Each function is a service like the others (a unit of work in, rows out) and checks the role
itself, so the pages, /v1 and a future CLI refuse an enterprise user in one place. The sums are
done by the database (GROUP BY over the integer fen columns: exact, and fast at 10,000
applications); amounts come back as Decimal yuan through the columns' own type.

Months are calendar months in China Standard Time (UTC+8, no daylight saving), where the
officers work: an award approved at 23:30 UTC on 30 June counts in July. The database computes
them with its own date function (`month_of`, compiled per dialect). `year` filters by the year
applied for (the budget year), as budgets are kept, not by the month of approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlalchemy.sql.functions import FunctionElement

from huiqi.ledger import tables as t
from huiqi.ledger.actors import OFFICERS
from huiqi.ledger.budget_accounts import of_policy, policy_of_account
from huiqi.ledger.uow import UnitOfWork
from huiqi.money import ZERO

CHINA_OFFSET_HOURS = 8  # Asia/Shanghai has had no daylight saving since 1991


class month_of(FunctionElement[str]):  # lower case: it reads as the SQL function it stands for
    """'YYYY-MM' of a timestamp (stored in UTC) in China Standard Time, or of a date as it is."""

    type = String()
    inherit_cache = True

    def __init__(self, column: SQLCoreOperations[Any], *, shift: bool):
        self.shift = shift
        super().__init__(column)


@compiles(month_of, "sqlite")
def _month_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    if element.shift:
        return f"strftime('%Y-%m', {column}, '+{CHINA_OFFSET_HOURS} hours')"
    return f"strftime('%Y-%m', {column})"


@compiles(month_of, "postgresql")
def _month_postgresql(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    if element.shift:  # a timestamptz: its wall-clock time in Shanghai
        return f"to_char(({column}) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
    return f"to_char({column}, 'YYYY-MM')"


@dataclass(frozen=True, slots=True)
class BudgetLine:
    policy: str
    year: int
    allocated: Decimal
    committed: Decimal
    paid: Decimal

    @property
    def remaining(self) -> Decimal:
        # as budget_view has it: what approvals may still commit
        return self.allocated - self.committed


@dataclass(frozen=True, slots=True)
class Tally:
    """A group's count and sum: awards by measure, payments by month, applications by state…"""

    key: str
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PipelineLine:
    policy: str
    state: str
    applications: int
    requested: Decimal  # the sum of the amounts requested (applications without one count nothing)


def _money(value: Decimal | None) -> Decimal:
    return ZERO if value is None else value


def budgets(uow: UnitOfWork, *, policy: str | None = None, year: int | None = None) -> list[BudgetLine]:
    """Each policy's budget per year: allocated, committed (approved awards), paid and remaining."""
    uow.actor.require(*OFFICERS)
    query = select(t.Budget.policy, t.Budget.year, t.Budget.allocated, t.Budget.committed, t.Budget.paid)
    if policy:
        query = query.where(of_policy(t.Budget.policy, policy))
    if year is not None:
        query = query.where(t.Budget.year == year)
    rows = uow.session.execute(query.order_by(t.Budget.policy, t.Budget.year)).all()
    return [BudgetLine(r.policy, r.year, r.allocated, r.committed, r.paid) for r in rows]


def _award_filters(query: Select[*tuple[Any, ...]], policy: str | None, year: int | None) -> Select[*tuple[Any, ...]]:
    if policy:
        query = query.where(t.Award.policy == policy)
    if year is not None:
        query = query.where(t.Award.year == year)
    return query


def _tallies(uow: UnitOfWork, query: Select[*tuple[Any, ...]]) -> list[Tally]:
    return [Tally(str(r[0]), int(r[1]), _money(r[2])) for r in uow.session.execute(query).all()]


def awards_by_measure(uow: UnitOfWork, *, policy: str | None = None, year: int | None = None) -> list[Tally]:
    uow.actor.require(*OFFICERS)
    query = select(t.Award.measure, func.count(t.Award.id), func.sum(t.Award.amount)).group_by(t.Award.measure)
    return _tallies(uow, _award_filters(query, policy, year).order_by(t.Award.measure))


def awards_by_district(uow: UnitOfWork, *, policy: str | None = None, year: int | None = None) -> list[Tally]:
    """By the district the enterprise is registered in now (enterprises.district)."""
    uow.actor.require(*OFFICERS)
    query = (
        select(t.Enterprise.district, func.count(t.Award.id), func.sum(t.Award.amount))
        .join(t.Enterprise, t.Award.enterprise_id == t.Enterprise.id)
        .group_by(t.Enterprise.district)
    )
    return _tallies(uow, _award_filters(query, policy, year).order_by(t.Enterprise.district))


def awards_by_month(uow: UnitOfWork, *, policy: str | None = None, year: int | None = None) -> list[Tally]:
    """By the month of approval (China Standard Time), oldest first."""
    uow.actor.require(*OFFICERS)
    month = month_of(t.Award.approved_at, shift=True)
    query = select(month, func.count(t.Award.id), func.sum(t.Award.amount)).group_by(month)
    return _tallies(uow, _award_filters(query, policy, year).order_by(month))


def payments_by_month(uow: UnitOfWork, *, policy: str | None = None, year: int | None = None) -> list[Tally]:
    """By the month paid (the payment's own date); policy and year are the award's."""
    uow.actor.require(*OFFICERS)
    month = month_of(t.Payment.paid_on, shift=False)
    query = (
        select(month, func.count(t.Payment.id), func.sum(t.Payment.amount))
        .join(t.Award, t.Payment.award_id == t.Award.id)
        .group_by(month)
    )
    return _tallies(uow, _award_filters(query, policy, year).order_by(month))


def pipeline(uow: UnitOfWork, *, policy: str | None = None, year: int | None = None) -> list[PipelineLine]:
    """Applications per policy and state, with the sums requested."""
    uow.actor.require(*OFFICERS)
    app = t.Application
    query = select(app.policy, app.state, func.count(app.id), func.sum(app.requested)).group_by(app.policy, app.state)
    if policy:
        query = query.where(app.policy == policy)
    if year is not None:
        query = query.where(app.year == year)
    rows = uow.session.execute(query.order_by(app.policy, app.state)).all()
    return [PipelineLine(r[0], r[1], int(r[2]), _money(r[3])) for r in rows]


def choices(uow: UnitOfWork) -> tuple[list[str], list[int]]:
    """The policies and years the filters offer: those with a budget or an application."""
    uow.actor.require(*OFFICERS)
    policies = select(t.Budget.policy).union(select(t.Application.policy))
    years = select(t.Budget.year).union(select(t.Application.year))
    found_policies = sorted({policy_of_account(str(p)) for p in uow.session.execute(policies).scalars()})
    found_years = sorted(int(y) for y in uow.session.execute(years).scalars())
    return found_policies, found_years
