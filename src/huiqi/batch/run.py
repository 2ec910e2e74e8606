"""Running a compiled library over a flattened facts table on an Ibis backend."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

from huiqi.batch.engines import BatchEngine, engine_of
from huiqi.batch.load import LAYOUT_COLUMNS, check, layout_of, normalised_tables, row_flags
from huiqi.engine.compile import TABLES, Layout
from huiqi.engine.compile_plan import STAGE_PREFIX, CompiledLibrary, compile_library
from huiqi.engine.prune import columns_read
from huiqi.rules.library import Library
from huiqi.rules.model import RentSchedule

Step = Callable[[str], None]


def _tables_read(expr: ir.Table) -> set[str]:
    return {node.name for node in expr.op().find(ops.UnboundTable)}


def _rent_years(library: Library) -> int:
    lengths = [
        len(c.rates) for ref in library.measures() for c in ref.measure.benefits.values() if isinstance(c, RentSchedule)
    ]
    return max(lengths, default=0) + 1


@dataclass
class Batch:
    """One batch: the checked input in the backend, the layout, and the compiled plan.

    `checked` has one row per input row: _row, record, credit_code, _bad (the reason it is bad)
    and _left_out; `tables` the normalised tables by record kind (the rows not left out).
    `con` is the Ibis backend; `engine` (huiqi.batch.engines) materialises the steps on it.
    """

    con: Any
    checked: ir.Table
    tables: dict[str, ir.Table]
    layout: Layout
    plan: CompiledLibrary
    engine: BatchEngine = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.engine is None:
            self.engine = engine_of(self.con)

    def run_stages(self, step: Step | None = None) -> None:
        """Materialise the plan's steps in the backend (temp tables or views), in order; a step is
        dropped once no later step reads it and the results do not (peak memory: the steps of
        a million rows together are several GiB)."""
        last_reader: dict[str, int] = {}
        for index, (_, expr) in enumerate(self.plan.stages):
            for name in _tables_read(expr):
                last_reader[name] = index
        kept = _tables_read(self.plan.results(all_rows=True)) | _tables_read(self.plan.firm_totals())
        done: dict[int, list[str]] = {}
        for name, index in last_reader.items():
            if name.startswith(STAGE_PREFIX) and name not in kept:
                done.setdefault(index, []).append(name)
        for index, (name, expr) in enumerate(self.plan.stages):
            self.engine.materialise(name, expr)
            for finished in done.get(index, []):
                self.engine.release(finished)
            if step is not None:
                step(name)

    def rejected(self) -> ir.Table:
        return rejected_rows(self.checked)

    def enterprises(self) -> ir.Table:
        """The enterprises evaluated (none of their rows bad): credit_code, name, district (business)."""
        firms = self.tables["enterprise"]
        return firms.select("credit_code", "name", district=firms.business_district)

    def prior_awards(self) -> ir.Table:
        """The evaluated enterprises' prior awards: credit_code, measure, subject (null: the enterprise), year."""
        rows = self.tables["prior_award"]
        return rows.select(
            "credit_code",
            measure=rows.award_measure,
            subject=rows.award_subject,
            year=rows.award_year.cast("int64"),
        )

    def counts(self) -> dict[str, int]:
        t = self.checked
        row = self.con.execute(
            t.aggregate(
                rows=t._row.count(),
                bad_rows=t._bad.notnull().cast("int64").sum(),
                left_out_rows=t._left_out.cast("int64").sum(),
                firms=(t.record == "enterprise").cast("int64").sum(),
                firms_left_out=((t.record == "enterprise") & t._left_out).cast("int64").sum(),
            )
        )
        return {k: int(v) for k, v in row.iloc[0].to_dict().items()}


def check_input(engine: BatchEngine, raw: ir.Table) -> ir.Table:
    """The input checked, materialised: per row _row, record, credit_code, _bad (the reason the row
    is bad) and _left_out (its enterprise is not evaluated); see huiqi.batch.load."""
    rows = engine.materialise(f"huiqi_rows_{id(raw)}", row_flags(raw))
    flagged = int(engine.con.execute(rows._flag.cast("int64").sum()) or 0)
    checked = engine.materialise(f"huiqi_checked_{id(raw)}", check(raw, rows, any_flagged=flagged > 0))
    engine.release(f"huiqi_rows_{id(raw)}")
    return checked


def rejected_rows(checked: ir.Table) -> ir.Table:
    """The bad rows of a checked input: row, credit_code, reason, in row order."""
    t = checked
    return t.filter(t._bad.notnull()).select(row=t._row, credit_code=t.credit_code, reason=t._bad).order_by("row")


def prepare(con: Any, raw: ir.Table, library: Library, as_of: date, step: Step | None = None) -> Batch:
    """Check the rows, compile the library, materialise the normalised tables in the backend.

    `con` is an engine (huiqi.batch.engines) or an Ibis backend (DuckDB, PySpark, Postgres)."""
    return prepare_each(con, raw, [library], as_of, step)[0]


def prepare_each(
    con: Any, raw: ir.Table, libraries: Sequence[Library], as_of: date, step: Step | None = None
) -> list[Batch]:
    """Several libraries over one checked input (huiqi simulate: baseline and reform, one read, one check).

    The rows are checked and normalised once, with the layout of the library that unrolls the
    most rent years (so it serves them all), and every library is compiled over the same tables.
    The plans' steps share table names: run one batch's stages and read what you need of its
    results before running the next one's.

    The plans are compiled before the normalised tables are written, so that each table keeps
    only the columns some plan reads: a library that reads three of a project's twelve by-year
    amounts does not pay for typing and writing the other nine (the whole input is still checked).
    """
    note = step or (lambda _: None)
    engine = engine_of(con)
    con = engine.con
    checked = check_input(engine, raw)
    note("checked")
    by_layout = normalised_tables(raw, checked, keep=dict.fromkeys(TABLES, LAYOUT_COLUMNS))
    layout = layout_of(con, raw.columns, by_layout, as_of, max(_rent_years(library) for library in libraries))
    plans = [compile_library(library, as_of, layout) for library in libraries]
    note("compiled")
    read = columns_read([expr for plan in plans for expr in plan.outputs()])
    keep = {record: {"id", *_ALWAYS_KEPT.get(record, ()), *read.get(name, ())} for record, name in TABLES.items()}
    tables = {
        record: engine.materialise(TABLES[record], table)
        for record, table in normalised_tables(raw, checked, keep).items()
    }
    note("normalised")
    return [Batch(con, checked, tables, layout, plan, engine) for plan in plans]


# What Batch reads of the normalised tables itself (enterprises(), prior_awards()), besides the
# plans' columns and each subject's id (prepare_each keeps those too).
_ALWAYS_KEPT: dict[str, frozenset[str]] = {
    "enterprise": frozenset({"name", "business_district"}),
    "prior_award": frozenset({"award_measure", "award_subject", "award_year"}),
}


def duckdb() -> Any:
    return ibis.duckdb.connect()
