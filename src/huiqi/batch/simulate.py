"""Baseline and reform over one input (huiqi simulate): one read, one check, two compiled libraries.

The results of each are kept as tables in the backend, so the comparison
(huiqi.batch.compare) aggregates them there, whatever the size of the population.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis.expr.types as ir

from huiqi.batch.plan_cache import PlanCache
from huiqi.batch.run import Batch, Step, prepare_each
from huiqi.rules.library import Library


@dataclass(frozen=True)
class Outcome:
    """One library's results over the input."""

    results: ir.Table  # one row per (subject, measure) in scope (Batch.plan.results())
    totals: ir.Table  # per enterprise, everything eligible together (Batch.plan.firm_totals())


@dataclass(frozen=True)
class Simulation:
    base: Outcome
    reform: Outcome
    firms: ir.Table  # the enterprises evaluated: credit_code, name, district
    counts: dict[str, int]  # rows, bad rows, enterprises, enterprises left out (Batch.counts())
    rejected: ir.Table  # every row not evaluated, with its reason (Batch.not_evaluated())


def _outcome(con: Any, batch: Batch, name: str, step: Step | None) -> Outcome:
    batch.run_stages(step)
    # Materialised before the next plan runs: both plans name their steps alike (run.prepare_each).
    results = con.create_table(f"huiqi_sim_{name}_results", batch.plan.results(), temp=True, overwrite=True)
    if step is not None:
        step(f"{name} results")
    totals = con.create_table(f"huiqi_sim_{name}_totals", batch.plan.firm_totals(), temp=True, overwrite=True)
    if step is not None:
        step(f"{name} totals")
    return Outcome(results, totals)


def simulate(
    con: Any,
    raw: ir.Table,
    baseline: Library,
    reform: Library,
    as_of: date,
    step: Step | None = None,
    planned: Callable[[int], None] | None = None,
    cache: PlanCache | None = None,
) -> Simulation:
    """Run both libraries over `raw`; `planned(n)` is told how many steps `step` will then be called for."""
    base_batch, reform_batch = prepare_each(con, raw, [baseline, reform], as_of, step, cache)
    if planned is not None:
        planned(len(base_batch.plan.stages) + len(reform_batch.plan.stages) + 4)
    base = _outcome(con, base_batch, "base", step)
    reformed = _outcome(con, reform_batch, "reform", step)
    firms = con.create_table("huiqi_sim_firms", base_batch.enterprises(), temp=True, overwrite=True)
    return Simulation(base, reformed, firms, base_batch.counts(), base_batch.not_evaluated())
