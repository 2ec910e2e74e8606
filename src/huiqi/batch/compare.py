"""Baseline vs reform: the comparison of two outcomes over the same enterprises, as plain data.

The aggregation runs in the backend (Ibis over the outcome tables); what comes back is exact
decimal yuan (DECIMAL sums, never floats), ready to render (the CLI's tables, the CSV files,
the chart) or to test.

- total and by district: the enterprises' joint totals (Batch.plan.firm_totals(): enterprise-
  wide caps applied once to each enterprise's sum), i.e. what the policies cost;
- by measure and by year: sums of the eligible results' rows (each subject's range with the
  enterprise-wide caps applied in facts order). Where an enterprise-wide cap binds, the sum of
  rows can exceed the joint total, as the interpreter's rows can exceed its total;
- gaining / losing / mixed / unchanged: enterprises by their joint total — gaining when
  neither bound falls and one rises, losing when neither rises and one falls, mixed when one
  rises and the other falls.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from huiqi.batch.pools import PoolUse, pool_uses
from huiqi.batch.simulate import Outcome, Simulation
from huiqi.money import ZERO
from huiqi.rules.library import Library

MONEY = dt.Decimal(18, 2)
ELIGIBLE = "eligible"
CHANGES = ("gain", "loss", "mixed", "unchanged")


@dataclass(frozen=True, slots=True)
class Line:
    """One row of a comparison table: baseline and reform as [min, max] yuan, and a count for each."""

    key: str
    base_min: Decimal
    base_max: Decimal
    reform_min: Decimal
    reform_max: Decimal
    base_count: int = 0
    reform_count: int = 0

    @property
    def delta_min(self) -> Decimal:
        return self.reform_min - self.base_min

    @property
    def delta_max(self) -> Decimal:
        return self.reform_max - self.base_max

    @property
    def changed(self) -> bool:
        return (self.delta_min, self.delta_max, self.base_count) != (ZERO, ZERO, self.reform_count)

    def row(self, key_name: str) -> dict[str, Any]:
        return {
            key_name: self.key,
            "base_min": self.base_min,
            "base_max": self.base_max,
            "reform_min": self.reform_min,
            "reform_max": self.reform_max,
            "delta_min": self.delta_min,
            "delta_max": self.delta_max,
            "base_count": self.base_count,
            "reform_count": self.reform_count,
        }


@dataclass(frozen=True)
class Comparison:
    as_of: date
    firms: int  # enterprises evaluated
    total: Line  # counts: enterprises receiving anything
    by_measure: tuple[Line, ...]  # counts: eligible results
    by_district: tuple[Line, ...]  # counts: enterprises receiving anything
    by_year: tuple[Line, ...]  # counts: eligible results with an amount that year
    changes: dict[str, int]  # gain / loss / mixed / unchanged -> enterprises
    firm_deltas: pa.Table  # the enterprises whose joint total changed, largest rise of the maximum first
    pools: tuple[tuple[str, PoolUse], ...] = ()  # ("base" | "reform", each budget pool's demand)

    def measure(self, measure_id: str) -> Line:
        return next(line for line in self.by_measure if line.key == measure_id)

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """The comparison tables as rows (the CSV files): total, by_measure, by_district, by_year."""
        total = {**self.total.row("scope"), "firms": self.firms, **{f"firms_{k}": v for k, v in self.changes.items()}}
        return {
            "total": [total],
            "by_measure": [line.row("measure") for line in self.by_measure],
            "by_district": [line.row("district") for line in self.by_district],
            "by_year": [line.row("year") for line in self.by_year],
            **({"pools": [use.row(label) for label, use in self.pools]} if self.pools else {}),
        }


def _money(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(ZERO)


def _lines(base: dict[str, tuple[Any, Any, Any]], reform: dict[str, tuple[Any, Any, Any]]) -> tuple[Line, ...]:
    keys = sorted(set(base) | set(reform))
    empty = (None, None, 0)
    return tuple(
        Line(
            key,
            _money(base.get(key, empty)[0]),
            _money(base.get(key, empty)[1]),
            _money(reform.get(key, empty)[0]),
            _money(reform.get(key, empty)[1]),
            int(base.get(key, empty)[2] or 0),
            int(reform.get(key, empty)[2] or 0),
        )
        for key in keys
    )


def _rows(expr: ir.Table) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
    return rows


def _by_measure(outcome: Outcome) -> dict[str, tuple[Any, Any, Any]]:
    r = outcome.results
    eligible = r.status == ELIGIBLE
    agg = r.group_by("measure").aggregate(
        lo=r["min"].sum(where=eligible), hi=r["max"].sum(where=eligible), n=eligible.cast("int64").sum()
    )
    return {row["measure"]: (row["lo"], row["hi"], row["n"]) for row in _rows(agg)}


def _years(table: ir.Table) -> list[int]:
    return sorted({int(c[4:]) for c in table.columns if c.startswith("max_") and c[4:].isdigit()})


def _by_year(outcome: Outcome) -> dict[str, tuple[Any, Any, Any]]:
    r = outcome.results
    years = _years(r)
    if not years:
        return {}
    eligible = r.status == ELIGIBLE
    sums: dict[str, ir.Value] = {}
    for year in years:
        sums[f"lo_{year}"] = r[f"min_{year}"].sum(where=eligible)
        sums[f"hi_{year}"] = r[f"max_{year}"].sum(where=eligible)
        sums[f"n_{year}"] = (eligible & (r[f"max_{year}"] > 0)).cast("int64").sum()
    (row,) = _rows(r.aggregate(**sums))
    found = {str(y): (row[f"lo_{y}"], row[f"hi_{y}"], row[f"n_{y}"]) for y in years}
    # A year in the table's window with nothing in it says nothing; keep the years with amounts.
    return {y: v for y, v in found.items() if v[1] not in (None, 0) or v[2]}


def _joint(firms: ir.Table, base: Outcome, reform: Outcome) -> ir.Table:
    """Per enterprise evaluated: both joint totals (zero where nothing is eligible) and the change."""
    zero = ibis.literal(ZERO, type=MONEY)
    b = base.totals.select("credit_code", _bmin="min", _bmax="max")
    r = reform.totals.select("credit_code", _rmin="min", _rmax="max")
    joined = firms.left_join(b, "credit_code").drop("credit_code_right")
    joined = joined.left_join(r, "credit_code").drop("credit_code_right")
    t = joined.select(
        "credit_code",
        "name",
        "district",
        base_min=joined._bmin.fill_null(zero).cast(MONEY),
        base_max=joined._bmax.fill_null(zero).cast(MONEY),
        reform_min=joined._rmin.fill_null(zero).cast(MONEY),
        reform_max=joined._rmax.fill_null(zero).cast(MONEY),
    )
    t = t.mutate(delta_min=(t.reform_min - t.base_min).cast(MONEY), delta_max=(t.reform_max - t.base_max).cast(MONEY))
    up = (t.delta_min > 0) | (t.delta_max > 0)
    down = (t.delta_min < 0) | (t.delta_max < 0)
    change = ibis.cases((up & down, "mixed"), (up, "gain"), (down, "loss"), else_="unchanged")
    return t.mutate(change=change)


def _district_lines(joint: ir.Table) -> tuple[Line, ...]:
    agg = joint.group_by("district").aggregate(
        base_min=joint.base_min.sum(),
        base_max=joint.base_max.sum(),
        reform_min=joint.reform_min.sum(),
        reform_max=joint.reform_max.sum(),
        base_n=(joint.base_max > 0).cast("int64").sum(),
        reform_n=(joint.reform_max > 0).cast("int64").sum(),
    )
    return tuple(
        Line(
            str(row["district"]),
            _money(row["base_min"]),
            _money(row["base_max"]),
            _money(row["reform_min"]),
            _money(row["reform_max"]),
            int(row["base_n"] or 0),
            int(row["reform_n"] or 0),
        )
        for row in sorted(_rows(agg), key=lambda row: str(row["district"]))
    )


def _total(lines: Iterable[Line]) -> Line:
    items = list(lines)
    return Line(
        "total",
        sum((x.base_min for x in items), ZERO),
        sum((x.base_max for x in items), ZERO),
        sum((x.reform_min for x in items), ZERO),
        sum((x.reform_max for x in items), ZERO),
        sum(x.base_count for x in items),
        sum(x.reform_count for x in items),
    )


def compare(simulation: Simulation, as_of: date, libraries: tuple[Library, Library] | None = None) -> Comparison:
    """Baseline vs reform: totals, by measure, by district, by year, and who gains or loses."""
    base, reform = simulation.base, simulation.reform
    joint = _joint(simulation.firms, base, reform)
    by_district = _district_lines(joint)
    counts = {row["change"]: int(row["n"]) for row in _rows(joint.group_by("change").aggregate(n=joint.count()))}
    changed = joint.filter(joint.change != "unchanged").order_by([ibis.desc("delta_max"), "credit_code"])
    return Comparison(
        as_of=as_of,
        firms=sum(counts.values()),
        total=_total(by_district),
        by_measure=_lines(_by_measure(base), _by_measure(reform)),
        by_district=by_district,
        by_year=_lines(_by_year(base), _by_year(reform)),
        changes={change: counts.get(change, 0) for change in CHANGES},
        firm_deltas=changed.to_pyarrow(),
        pools=_pools(simulation, libraries) if libraries is not None else (),
    )


def _pools(simulation: Simulation, libraries: tuple[Library, Library]) -> tuple[tuple[str, PoolUse], ...]:
    base = [("base", use) for use in pool_uses(libraries[0], simulation.base.results)]
    return (*base, *[("reform", use) for use in pool_uses(libraries[1], simulation.reform.results)])
