"""Which budget an award draws on: its policy's, or the budget pool its measure belongs to.

A policy's budget is kept per year under the policy's id; a pool declared in the policy
(`budgets:` in the rule language) under `<policy id>/<pool id>`, its allocation seeded from the
pool's amount the first time an approval draws on it (`set_budget` takes a policy's own id only,
so a pool's allocation is the policy's): per year for a yearly pool, in one row for a pool over
the whole term, whose year is TERM_YEAR (0, which no budget year can be) and which every year's
tranches draw on.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import InstrumentedAttribute

from huiqi.ledger.approval import TERM_YEAR
from huiqi.rules.library import Library

SEPARATOR = "/"


@dataclass(frozen=True, slots=True)
class Account:
    """Where an award's tranches are charged: the account, the amount to seed a row of it with when
    there is none (a pool's; None for a policy's own budget), and whether it is one row for the term."""

    name: str
    seed: Decimal | None = None
    term: bool = False

    def year_of(self, year: int) -> int:
        """The budget row a tranche charged to `year` draws on."""
        return TERM_YEAR if self.term else year


def account_of(library: Library, measure_id: str) -> Account:
    ref = library.measure(measure_id)
    pool = ref.policy.pool_of(measure_id)
    if pool is None:
        return Account(ref.policy.id)
    return Account(f"{ref.policy.id}{SEPARATOR}{pool.id}", pool.amount, pool.per == "term")


def policy_of_account(account: str) -> str:
    return account.split(SEPARATOR, 1)[0]


def of_policy(column: InstrumentedAttribute[str], policy: str) -> ColumnElement[bool]:
    """The accounts of a policy: its own and its pools'."""
    return or_(column == policy, column.startswith(policy + SEPARATOR, autoescape=True))
