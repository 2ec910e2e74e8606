"""The exact figures (the interpreter) on a sample of firms, and how far each engine's results are from them.

The reference is `huiqi.engine.interpret.evaluate` on each firm's full facts, rebuilt from the
table's rows as tests/batch_exact.py does (`facts_of_rows`), with the subset library. A result
is one (enterprise, project, measure) with the project in the measure's scope; its figure is
what is paid: [min, max] when eligible, 0 when superseded or ineligible. An engine's result
differs when its min or its max is 0.01 yuan or more away from the exact figure (a result the
engine leaves out counts as 0).
"""

from __future__ import annotations

import itertools
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from peers.subset import MEASURES

Key = tuple[str, str, str]  # credit code, project id, measure
Figure = tuple[Decimal, Decimal]  # paid min, max in yuan (exact, or a float's exact value)
FEN = Decimal("0.01")
ZERO = (Decimal(0), Decimal(0))


def sample_codes(population: Path, firms: int | None, seed: int = 7) -> pa.Array:
    """`firms` enterprises drawn at random (fixed seed), or all of them when firms is None."""
    table = pq.ParquetFile(population).read(columns=["record", "credit_code"])
    codes = table.filter(pc.equal(table["record"], "enterprise"))["credit_code"].combine_chunks()
    if firms is None or firms >= len(codes):
        return codes
    pick = np.sort(np.random.default_rng(seed).choice(len(codes), size=firms, replace=False))
    return codes.take(pa.array(pick))


def _evaluate(args: tuple[pa.Table, str, date]) -> dict[Key, tuple[str, Figure]]:
    from huiqi.batch.schema import facts_of_rows
    from huiqi.engine.interpret import evaluate
    from huiqi.policy_files import load_library

    table, library_folder, as_of = args
    library = load_library(Path(library_folder))
    out: dict[Key, tuple[str, Figure]] = {}
    for facts in facts_of_rows(table.to_pylist()):
        for r in evaluate(facts, library, as_of, explain=False).results:
            if r.subject is None:  # a measure with no project in scope: no row (as huiqi batch)
                continue
            key = (facts.enterprise.credit_code, r.subject.id, r.measure)
            amount = (r.amount.lo, r.amount.hi) if r.amount is not None else ZERO
            out[key] = (r.status.value, amount)
    return out


def interpreter(
    population: Path, library: Path, as_of: date, codes: pa.Array, workers: int = 2, chunk: int = 2_000
) -> dict[Key, tuple[str, Figure]]:
    """Status and amount of every result of the sampled firms, from the interpreter (in `workers` processes)."""
    table = pq.ParquetFile(population).read()
    table = table.filter(pc.is_in(table["credit_code"], value_set=codes))
    # Chunks of whole enterprises, each enterprise's rows in table order; `take` copies, so a
    # chunk pickles to the workers without the rest of the table.
    firm = pc.index_in(table["credit_code"], value_set=codes).to_numpy()
    order = np.argsort(firm, kind="stable")
    bounds = np.searchsorted(firm[order], np.arange(0, len(codes) + chunk, chunk))
    parts = [table.take(pa.array(order[a:b])) for a, b in itertools.pairwise(bounds) if b > a]
    out: dict[Key, tuple[str, Figure]] = {}
    with ProcessPoolExecutor(workers) as pool:
        for part in pool.map(_evaluate, [(p, str(library), as_of) for p in parts]):
            out.update(part)
    return out


def paid(exact: dict[Key, tuple[str, Figure]]) -> dict[Key, Figure]:
    return {k: (amount if status == "eligible" else ZERO) for k, (status, amount) in exact.items()}


def engine_results(path: Path, codes: pa.Array) -> dict[Key, tuple[str, Figure]]:
    """An engine's output (huiqi batch's results.parquet or a peer's), the subset's rows of the sampled firms."""
    table = pq.ParquetFile(path).read(columns=["credit_code", "subject_id", "measure", "status", "min", "max"])
    keep = pc.and_(pc.is_in(table["measure"], value_set=pa.array(MEASURES)), pc.is_in(table["credit_code"], codes))
    out: dict[Key, tuple[str, Figure]] = {}
    for r in table.filter(keep).to_pylist():
        # Decimal(float) is the float's exact value: a float32 amount is judged as what it holds.
        amount = ZERO if r["min"] is None else (Decimal(r["min"]), Decimal(r["max"]))
        out[(r["credit_code"], r["subject_id"], r["measure"])] = (r["status"], amount)
    return out


@dataclass
class Exactness:
    results: int  # results of the sample (union of the exact and the engine's keys)
    paid: int  # of which the exact figure pays something
    differ: int  # paid min or max 0.01 yuan or more from the exact figure
    status_differ: int  # status other than the interpreter's
    worst: Decimal  # largest difference of a paid bound, yuan


def compare(exact: dict[Key, tuple[str, Figure]], got: dict[Key, tuple[str, Figure]]) -> Exactness:
    want, have = paid(exact), paid(got)
    keys = want.keys() | have.keys()
    differ, worst = 0, Decimal(0)
    for key in keys:
        (w_lo, w_hi), (h_lo, h_hi) = want.get(key, ZERO), have.get(key, ZERO)
        gap = max(abs(w_lo - h_lo), abs(w_hi - h_hi))
        differ += gap >= FEN
        worst = max(worst, gap)
    status_differ = sum(exact.get(k, ("none",))[0] != got.get(k, ("none",))[0] for k in exact.keys() | got.keys())
    paying = sum(figure != ZERO for figure in want.values())
    return Exactness(len(keys), paying, differ, status_differ, worst)
