"""Interpreter vs compiled batch, row by row (shared by the exactness tests)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from huiqi.batch import schema as flat
from huiqi.batch.run import Batch, prepare
from huiqi.engine.interpret import evaluate
from huiqi.facts.models import Facts
from huiqi.rules.library import Library

Row = tuple[Any, ...]


def _money(value: Any) -> Decimal | None:
    return None if value is None or value != value else Decimal(value).quantize(Decimal("0.01"))


def interpreter_rows(
    population: list[Facts], library: Library, as_of: date, all_rows: bool
) -> tuple[set[Row], dict[str, Row]]:
    rows: set[Row] = set()
    totals: dict[str, Row] = {}
    for facts in population:
        assessment = evaluate(facts, library, as_of, explain=False)
        code = facts.enterprise.credit_code
        for r in assessment.results:
            if r.subject is None and not all_rows:
                continue
            years = frozenset((y, a.lo, a.hi) for y, a in r.by_year.items() if a.hi != 0 or a.lo != 0)
            rows.add(
                (
                    code,
                    r.measure,
                    r.subject.id if r.subject else None,
                    r.status.value,
                    r.amount.lo if r.amount else None,
                    r.amount.hi if r.amount else None,
                    r.superseded_by,
                    years,
                )
            )
        if assessment.total.hi or assessment.total.lo:
            totals[code] = (assessment.total.lo, assessment.total.hi)
    return rows, totals


def table_of(population: list[Facts]) -> pa.Table:
    rows = [row for facts in population for row in flat.facts_rows(facts)]
    arrow = flat.rows_table(rows)
    return arrow.append_column("_row", pc.add(pa.array(range(arrow.num_rows), pa.int64()), 1))


def batch_rows(batch: Batch, all_rows: bool) -> tuple[set[Row], dict[str, Row]]:
    batch.run_stages()
    df = batch.con.to_pyarrow(batch.plan.results(all_rows=all_rows)).to_pylist()
    years = batch.plan.years
    rows: set[Row] = set()
    for r in df:
        by_year = frozenset(
            (y, _money(r[f"min_{y}"]), _money(r[f"max_{y}"]))
            for y in years
            if r[f"max_{y}"] is not None and (r[f"max_{y}"] != 0 or r[f"min_{y}"] != 0)
        )
        rows.add(
            (
                r["credit_code"],
                r["measure"],
                r["subject_id"],
                r["status"],
                _money(r["min"]),
                _money(r["max"]),
                r["superseded_by"],
                by_year,
            )
        )
    totals = {
        t["credit_code"]: (_money(t["min"]), _money(t["max"]))
        for t in batch.con.to_pyarrow(batch.plan.firm_totals()).to_pylist()
        if t["max"] or t["min"]
    }
    return rows, totals


def compare(
    population: list[Facts], library: Library, as_of: date, con: Any = None, all_rows: bool = True
) -> tuple[set[Row], set[Row], dict[str, Any]]:
    """(only in the interpreter, only in the batch, totals that differ)."""
    con = con or ibis.duckdb.connect()
    raw = con.create_table("huiqi_raw", table_of(population), temp=True, overwrite=True)
    batch = prepare(con, raw, library, as_of)
    expected, expected_totals = interpreter_rows(population, library, as_of, all_rows)
    got, got_totals = batch_rows(batch, all_rows)
    bad_totals = {
        k: (expected_totals.get(k), got_totals.get(k))
        for k in set(expected_totals) | set(got_totals)
        if expected_totals.get(k) != got_totals.get(k)
    }
    return expected - got, got - expected, bad_totals
