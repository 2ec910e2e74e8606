"""Budget pools in a simulation: each pool's demand against its amount, per year or for the term.

The demand is the sum of the eligible results of the pool's measures (their amounts that year, or
in all, for a pool over the term), as [min, max]. A pool runs out when the maximum passes its
amount; then first come first served pays in order of application until it is spent, and pro rata
pays every award pool / demand (the share shown, rounded down to 0.01%).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

import ibis.expr.types as ir

from huiqi.money import ZERO
from huiqi.rules.library import Library

ELIGIBLE = "eligible"


@dataclass(frozen=True)
class PoolUse:
    policy: str
    pool: str
    title: str
    period: str  # a year, or "term"
    amount: Decimal
    demand_min: Decimal
    demand_max: Decimal
    rationing: str

    @property
    def runs_out(self) -> bool:
        return self.demand_max > self.amount

    @property
    def share(self) -> Decimal:
        """What pro rata pays of each award: 1 while the pool holds, else amount / demand."""
        if not self.runs_out:
            return Decimal(1)
        return (self.amount / self.demand_max).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)

    def row(self, label: str) -> dict[str, object]:
        return {
            "library": label,
            "policy": self.policy,
            "pool": self.pool,
            "pool_title": self.title,
            "period": self.period,
            "pool_amount": self.amount,
            "demand_min": self.demand_min,
            "demand_max": self.demand_max,
            "runs_out": self.runs_out,
            "rationing": self.rationing,
            "pro_rata_share": self.share,
        }


def _money(value: object) -> Decimal:
    return ZERO if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def pool_uses(library: Library, results: ir.Table) -> list[PoolUse]:
    """Every pool of the library against the results of its measures (one query per pool)."""
    uses: list[PoolUse] = []
    years = sorted(int(c[4:]) for c in results.columns if c.startswith("max_") and c[4:].isdigit())
    for doc in library.docs:
        for pool in doc.policy.budgets:
            mine = results.filter((results.measure.isin(list(pool.measures))) & (results.status == ELIGIBLE))
            if pool.per == "term":
                sums = {"lo": mine["min"].sum(), "hi": mine["max"].sum()}
            else:
                sums = {}
                for year in years:
                    sums[f"lo_{year}"] = mine[f"min_{year}"].sum()
                    sums[f"hi_{year}"] = mine[f"max_{year}"].sum()
            if not sums:
                continue
            (row,) = mine.aggregate(**sums).to_pyarrow().to_pylist()
            periods = [("term", "lo", "hi")] if pool.per == "term" else [(str(y), f"lo_{y}", f"hi_{y}") for y in years]
            for period, lo, hi in periods:
                if pool.per == "year" and not row[hi]:
                    continue  # a year with no demand says nothing
                uses.append(
                    PoolUse(
                        doc.policy.id,
                        pool.id,
                        pool.title,
                        period,
                        pool.amount,
                        _money(row[lo]),
                        _money(row[hi]),
                        pool.rationing,
                    )
                )
    return uses
