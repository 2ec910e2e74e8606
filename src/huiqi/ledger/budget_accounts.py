"""Which budget an award draws on: its policy's, or the budget pool its measure belongs to.

A policy's budget is kept per year under the policy's id; a pool declared in the policy
(`budgets:` in the rule language) per year under `<policy id>/<pool id>`, its allocation seeded
from the pool's amount the first time an approval draws on it (an officer may change it later,
as any budget). A pool over the whole term is reported by `huiqi simulate` but not yet kept by
the ledger: its measures draw on the policy's yearly budget.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import InstrumentedAttribute

from huiqi.rules.library import Library

SEPARATOR = "/"


def account_of(library: Library, measure_id: str) -> tuple[str, Decimal | None]:
    """(the budget account, the yearly amount to seed it with when it has no row yet)."""
    ref = library.measure(measure_id)
    pool = ref.policy.pool_of(measure_id)
    if pool is None or pool.per != "year":
        return ref.policy.id, None
    return f"{ref.policy.id}{SEPARATOR}{pool.id}", pool.amount


def policy_of_account(account: str) -> str:
    return account.split(SEPARATOR, 1)[0]


def of_policy(column: InstrumentedAttribute[str], policy: str) -> ColumnElement[bool]:
    """The accounts of a policy: its own and its pools'."""
    return or_(column == policy, column.startswith(policy + SEPARATOR, autoescape=True))
