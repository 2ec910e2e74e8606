"""The subset (peers/subset.py) by hand in NumPy on int64 fen: the practical floor.

    uv run python -m peers.numpy_kernel POPULATION.parquet OUT.parquet [--as-of 2025-06-30]
    (from benchmarks/)

Every rate and cap is written out here from policies/shanghai/lingang-2024/policy.yaml; the
arithmetic is the interpreter's (src/huiqi/engine/interpret.py, docs/rule-language.md §5-§7):
base × rate rounded half up to the fen once, caps on each bound, non-duplication on the maxima,
the enterprise-and-year cap across projects in facts order. Integer arithmetic only, so exact.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from peers.subset import Phases, Population, load, results_table, yuan

YI, WAN = 100_000_000 * 100, 10_000 * 100  # 1亿 and 1万 yuan in fen
IN_FORCE_FROM = date(2024, 10, 14)  # lingang-2024 in_force.from; no end
FIRST_YEAR = IN_FORCE_FROM.year  # a project's year, and a counted fee year, lie in the term: from 2024
RD_FIELDS = ["ai_chip", "smart_sensor", "smart_wearable", "general_robot", "intelligent_connected_vehicle"]
INVESTMENT_KINDS = ["fixed_investment", "rd_innovation", "industrialization", "future_scenario"]
FUTURE_TRACKS = ["general_intelligence", "new_energy_storage", "spatial_information", "extended_reality"]


def times_rate(fen: np.ndarray, percent: int) -> np.ndarray:
    """round_half_up(fen × percent / 100) for fen >= 0, in integers: (2n + d) div 2d."""
    return (2 * fen * percent + 100) // 200


def isin(values: pa.Array, allowed: list[str]) -> np.ndarray:
    """Membership; an empty cell is unknown, and an unknown condition fails."""
    return pc.fill_null(pc.is_in(values, value_set=pa.array(allowed)), False).to_numpy(zero_copy_only=False)


class FirmOrder:
    """Running sums over each enterprise's projects in facts order (sorted once, used for every sum)."""

    def __init__(self, firm: np.ndarray) -> None:
        self.order = np.argsort(firm, kind="stable")  # stable: facts order within each enterprise
        f = firm[self.order]
        self.starts = np.r_[True, f[1:] != f[:-1]]

    def earlier(self, values: np.ndarray) -> np.ndarray:
        """For each project, the sum of `values` over the projects of its enterprise before it."""
        v = values[self.order]
        running = np.cumsum(v) - v  # exclusive running sum over the whole array
        running -= np.maximum.accumulate(np.where(self.starts, running, 0))  # restart at each enterprise
        out = np.empty_like(values)
        out[self.order] = running
        return out


def compute(pop: Population, as_of: date) -> pa.Table:
    kind = pop.kind
    # General conditions of lingang-2024 and the subject year; the as-of date must be in force.
    district = pc.fill_null(pc.equal(pop.business_district, "lingang"), False).to_numpy(zero_copy_only=False)
    general = (district & ~pop.severe_credit_record)[pop.project_firm]
    ok = general & (pop.year >= FIRST_YEAR) & (as_of >= IN_FORCE_FROM)
    # A by-year base used as a ratio base is its total over all years listed.
    investment = sum(pop.costs["new_investment"].values(), np.zeros(pop.projects, np.int64))
    inv10, inv30 = times_rate(investment, 10), times_rate(investment, 30)

    def per_project_cap(lo, hi, cap, measure):
        room = np.maximum(cap - pop.award_per_project(measure), 0)  # a measure cap is net of prior awards
        return np.minimum(lo, room), np.minimum(hi, room)

    # lingang-2024.rd: 10%-30% of new investment, at most 1亿 a project.
    rd_scope = isin(kind, ["rd_innovation"])
    rd_lo, rd_hi = per_project_cap(inv10, inv30, YI, "lingang-2024.rd")
    rd_ok = rd_scope & ok & isin(pop.field, RD_FIELDS) & (rd_hi > 0)

    # lingang-2024.fixed-investment: 10% (10%-30% for a chokepoint project); 1亿 (10亿 for an ecosystem driver).
    inv_scope = isin(kind, INVESTMENT_KINDS)
    chokepoint = pop.has_recognition("chokepoint")
    fx_cap = np.where(pop.has_recognition("ecosystem_driver"), 10 * YI, YI)
    fx_lo, fx_hi = per_project_cap(inv10, np.where(chokepoint, inv30, inv10), fx_cap, "lingang-2024.fixed-investment")
    fx_ok = inv_scope & ok & (fx_hi > 0)

    # lingang-2024.future-industry: 10%-30% on four tracks, at most 1000万 a project.
    fu_lo, fu_hi = per_project_cap(inv10, inv30, 1000 * WAN, "lingang-2024.future-industry")
    fu_ok = inv_scope & ok & isin(pop.track, FUTURE_TRACKS) & (fu_hi > 0)

    # Non-duplication new-investment [rd, fixed-investment, future-industry], per project, by the
    # maximum: a measure loses to an eligible one with a higher maximum, or an equal one listed earlier.
    rd_lost = rd_ok & ((fx_ok & (fx_hi > rd_hi)) | (fu_ok & (fu_hi > rd_hi)))
    fx_lost = fx_ok & ((rd_ok & (rd_hi >= fx_hi)) | (fu_ok & (fu_hi > fx_hi)))
    fu_lost = fu_ok & ((rd_ok & (rd_hi >= fu_hi)) | (fx_ok & (fx_hi >= fu_hi)))

    # lingang-2024.testing: 10%-30% of each year's fee (years with a fee, from 2024); at most 200万
    # per enterprise and year net of that year's prior awards, shared in facts order: a project's
    # minimum assumes the earlier ones took their maximum, its maximum that they took their minimum.
    te_scope = isin(kind, ["testing"])
    te_pre = te_scope & ok
    years = sorted(y for y in pop.costs["testing_fee"] if y >= FIRST_YEAR)
    prior = pop.award_per_firm_year("lingang-2024.testing", years)
    te_lo = np.zeros(pop.projects, np.int64)
    te_hi = np.zeros(pop.projects, np.int64)
    raw = {}
    for y in years:
        fee = np.where(te_pre, pop.costs["testing_fee"][y], 0)
        raw[y] = times_rate(fee, 10), times_rate(fee, 30)
    # A project whose own total is zero is ineligible before the enterprise cap and takes no room.
    te_pre &= sum(hi for _, hi in raw.values()) > 0
    firms = FirmOrder(pop.project_firm)
    for y in years:
        lo, hi = (np.where(te_pre, a, 0) for a in raw[y])
        room = (200 * WAN - prior[y])[pop.project_firm]
        te_lo += np.minimum(lo, np.maximum(room - firms.earlier(hi), 0))
        te_hi += np.minimum(hi, np.maximum(room - firms.earlier(lo), 0))
    te_ok = te_pre & (te_hi > 0)

    parts = [
        _rows(pop, "lingang-2024.rd", rd_scope, rd_ok, rd_lost, rd_lo, rd_hi),
        _rows(pop, "lingang-2024.fixed-investment", inv_scope, fx_ok, fx_lost, fx_lo, fx_hi),
        _rows(pop, "lingang-2024.future-industry", inv_scope, fu_ok, fu_lost, fu_lo, fu_hi),
        _rows(pop, "lingang-2024.testing", te_scope, te_ok, np.zeros_like(te_ok), te_lo, te_hi),
    ]
    return pa.concat_tables(parts)


def _rows(pop, measure, scope, eligible, superseded, lo, hi) -> pa.Table:
    status = np.where(superseded, 2, eligible.astype(np.int8))  # indices into STATUSES
    has_amount = eligible | superseded
    return results_table(pop, measure, scope, status, yuan(lo, has_amount), yuan(hi, has_amount))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("population", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 6, 30))
    args = parser.parse_args(argv)
    clock = Phases()
    pop = load(args.population)
    clock.mark("load")
    table = compute(pop, args.as_of)
    clock.mark("compute")
    pq.write_table(table, args.out)
    clock.mark("write")
    clock.report()


if __name__ == "__main__":
    main(sys.argv[1:])
