"""Running a compiled library over a flattened facts table on an Ibis backend."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir

from huiqi.batch.engines import BatchEngine, engine_of
from huiqi.batch.load import check, layout_of, normalised_tables
from huiqi.engine.compile import Layout
from huiqi.engine.compile_plan import CompiledLibrary, compile_library
from huiqi.rules.library import Library
from huiqi.rules.model import RentSchedule

Step = Callable[[str], None]


def _rent_years(library: Library) -> int:
    lengths = [
        len(c.rates) for ref in library.measures() for c in ref.measure.benefits.values() if isinstance(c, RentSchedule)
    ]
    return max(lengths, default=0) + 1


@dataclass
class Batch:
    """One batch: the checked input in the backend, the layout, and the compiled plan.

    `con` is the Ibis backend; `engine` (huiqi.batch.engines) materialises the steps on it.
    """

    con: Any
    checked: ir.Table
    layout: Layout
    plan: CompiledLibrary
    engine: BatchEngine = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.engine is None:
            self.engine = engine_of(self.con)

    def run_stages(self, step: Step | None = None) -> None:
        """Materialise the plan's steps in the backend (temp tables or views), in order."""
        for name, expr in self.plan.stages:
            self.engine.materialise(name, expr)
            if step is not None:
                step(name)

    def rejected(self) -> ir.Table:
        t = self.checked
        return t.filter(t._bad.notnull()).select(row=t._row, credit_code=t.credit_code, reason=t._bad).order_by("row")

    def _column(self, table: ir.Table, name: str, dtype: str) -> ir.Value:
        """A column of the checked input, or null when the input has no such column."""
        return table[name] if name in table.columns else ibis.null(dtype)

    def enterprises(self) -> ir.Table:
        """The enterprises evaluated (none of their rows bad): credit_code, name, district (business)."""
        t = self.checked
        firms = t.filter((t.record == "enterprise") & ~t._left_out)
        return firms.select("credit_code", "name", district=self._column(firms, "business_district", "string"))

    def prior_awards(self) -> ir.Table:
        """The evaluated enterprises' prior awards: credit_code, measure, subject (null: the enterprise), year."""
        t = self.checked
        rows = t.filter((t.record == "prior_award") & ~t._left_out)
        return rows.select(
            "credit_code",
            measure=self._column(rows, "award_measure", "string"),
            subject=self._column(rows, "award_subject", "string"),
            year=self._column(rows, "award_year", "int64"),
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


def prepare(con: Any, raw: ir.Table, library: Library, as_of: date, step: Step | None = None) -> Batch:
    """Check the rows, materialise the normalised tables in the backend, compile the library.

    `con` is an engine (huiqi.batch.engines) or an Ibis backend (DuckDB, PySpark, Postgres)."""
    note = step or (lambda _: None)
    engine = engine_of(con)
    con = engine.con
    checked = engine.materialise(f"huiqi_checked_{id(raw)}", check(raw))
    note("checked")
    layout = layout_of(con, checked, as_of, _rent_years(library))
    for name, table in normalised_tables(checked, layout).items():
        engine.materialise(name, table)
    note("normalised")
    plan = compile_library(library, as_of, layout)
    note("compiled")
    return Batch(con, checked, layout, plan, engine)


def prepare_each(
    con: Any, raw: ir.Table, libraries: Sequence[Library], as_of: date, step: Step | None = None
) -> list[Batch]:
    """Several libraries over one checked input (huiqi simulate: baseline and reform, one read, one check).

    The rows are checked and normalised once, with the layout of the library that unrolls the
    most rent years (so it serves them all); the others are compiled over the same tables.
    The plans' steps share table names: run one batch's stages and read what you need of its
    results before running the next one's.
    """
    widest = max(libraries, key=_rent_years)
    first = prepare(con, raw, widest, as_of, step)
    return [
        first
        if library is widest
        else Batch(first.con, first.checked, first.layout, compile_library(library, as_of, first.layout), first.engine)
        for library in libraries
    ]


def duckdb() -> Any:
    return ibis.duckdb.connect()
