"""Caps over a matrix of amounts (component × year), each bound of the range on its own.

When a cap binds, the excess is taken off the latest entries first (the latest year, the
last component): support is paid in time order, so a ceiling is reached at the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from huiqi.money import ZERO, Interval

Key = tuple[str, int]  # (component id, year)


@dataclass
class Matrix:
    """Amounts per (component, year), kept as [lo, hi] while caps take their share."""

    cells: dict[Key, list[Decimal]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)

    def put(self, component: str, year: int, amount: Interval) -> None:
        cell = self.cells.setdefault((component, year), [ZERO, ZERO])
        cell[0] += amount.lo
        cell[1] += amount.hi

    def keys(self, components: Iterable[str] | None = None, year: int | None = None) -> list[Key]:
        wanted = set(components) if components is not None else None
        rank = {name: index for index, name in enumerate(self.order)}
        keys = [k for k in self.cells if (wanted is None or k[0] in wanted) and (year is None or k[1] == year)]
        return sorted(keys, key=lambda k: (k[1], rank.get(k[0], 0)))

    def years(self) -> list[int]:
        return sorted({year for _, year in self.cells})

    def sum(self, keys: Iterable[Key]) -> Interval:
        lo = hi = ZERO
        for key in keys:
            lo += self.cells[key][0]
            hi += self.cells[key][1]
        return Interval(min(lo, hi), hi)

    def limit(self, keys: list[Key], limit_lo: Decimal, limit_hi: Decimal) -> Interval:
        """Cap the sum of keys at limit (per bound); returns the amount taken off."""
        taken = []
        for bound, limit in ((0, max(limit_lo, ZERO)), (1, max(limit_hi, ZERO))):
            excess = sum((self.cells[k][bound] for k in keys), ZERO) - limit
            removed = max(excess, ZERO)
            for key in reversed(keys):
                if excess <= 0:
                    break
                cut = min(self.cells[key][bound], excess)
                self.cells[key][bound] -= cut
                excess -= cut
            taken.append(removed)
        # A cell's minimum never stays above its maximum: the range stays a safe bound.
        for key in keys:
            cell = self.cells[key]
            cell[0] = min(cell[0], cell[1])
        return Interval(min(taken), max(taken))

    def by_year(self) -> dict[int, Interval]:
        return {year: self.sum(self.keys(year=year)) for year in self.years()}

    def total(self) -> Interval:
        return self.sum(self.cells)
