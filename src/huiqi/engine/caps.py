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
LO, HI = 0, 1  # the two bounds of a cell


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
        """Keys in time order, then component order."""
        wanted = set(components) if components is not None else None
        keys = [k for k in self.cells if (wanted is None or k[0] in wanted) and (year is None or k[1] == year)]
        if len(keys) > 1:
            rank = {name: index for index, name in enumerate(self.order)}
            keys.sort(key=lambda k: (k[1], rank.get(k[0], 0)))
        return keys

    def years(self) -> list[int]:
        return sorted({year for _, year in self.cells})

    def sum(self, keys: Iterable[Key]) -> Interval:
        lo = hi = ZERO
        for key in keys:
            lo += self.cells[key][0]
            hi += self.cells[key][1]
        return Interval(min(lo, hi), hi)

    def limit(self, keys: list[Key], limit_lo: Decimal, limit_hi: Decimal) -> Interval:
        """Cap the sum of keys at [limit_lo, limit_hi] (limit_lo <= limit_hi); returns what was taken off.

        The minimum is cut first, latest entry first. The maximum is then cut latest first too,
        but no entry below its own minimum: since the minimum total is within limit_lo, there is
        always room, so every entry stays a range and both totals are exact.
        """
        limit_lo, limit_hi = max(limit_lo, ZERO), max(limit_hi, ZERO)
        cells = [self.cells[k] for k in keys]
        lo_cut = self._cut(cells, LO, sum((c[LO] for c in cells), ZERO) - limit_lo, keep_min=False)
        hi_cut = self._cut(cells, HI, sum((c[HI] for c in cells), ZERO) - max(limit_hi, limit_lo), keep_min=True)
        return Interval(min(lo_cut, hi_cut), max(lo_cut, hi_cut))

    @staticmethod
    def _cut(cells: list[list[Decimal]], bound: int, excess: Decimal, *, keep_min: bool) -> Decimal:
        """Take `excess` off one bound, latest cell first; with keep_min, never below a cell's minimum."""
        removed = ZERO
        for cell in reversed(cells):
            if excess <= removed:
                break
            room = cell[bound] - (cell[LO] if keep_min else ZERO)
            cut = min(room, excess - removed)
            cell[bound] -= cut
            removed += cut
        return removed

    def by_year(self) -> dict[int, Interval]:
        sums: dict[int, list[Decimal]] = {}
        for (_, year), (lo, hi) in self.cells.items():
            cell = sums.setdefault(year, [ZERO, ZERO])
            cell[0] += lo
            cell[1] += hi
        return {year: Interval(min(lo, hi), hi) for year, (lo, hi) in sorted(sums.items())}

    def total(self) -> Interval:
        return self.sum(self.cells)
