"""Running a compiled library over a flattened facts table on an Ibis backend."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.types as ir

from huiqi.batch import schema as flat
from huiqi.batch.engines import BatchEngine, DuckDB, engine_of
from huiqi.batch.load import (
    LAYOUT_COLUMNS,
    all_clear,
    as_given,
    as_plain,
    check,
    firms_at_fault,
    in_range,
    in_vocabulary,
    layout_from,
    layout_of,
    layout_queries,
    layout_rows_from_ranges,
    normalised_tables,
    plain_query,
    range_columns,
    range_query,
    row_flags,
    slots_and_left_out,
    vocabulary_columns,
    vocabulary_query,
)
from huiqi.batch.plan_cache import PlanCache, Query
from huiqi.batch.reasons import reason
from huiqi.batch.replay import CachedSql, SqlPlan
from huiqi.engine.compile import TABLES, Layout
from huiqi.engine.compile_plan import STAGE_PREFIX, CompiledLibrary, compile_library
from huiqi.engine.prune import columns_read
from huiqi.rules.library import Library
from huiqi.rules.model import RentSchedule

Step = Callable[[str], None]


def _tables_read(expr: ir.Table | Query) -> set[str]:
    if isinstance(expr, Query):
        return set(expr.reads)
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
    and _left_out; `tables` the normalised tables by record kind (the rows not left out): those
    the plan or Batch itself reads.
    `con` is the Ibis backend; `engine` (huiqi.batch.engines) materialises the steps on it.
    """

    con: Any
    checked: ir.Table
    tables: dict[str, ir.Table]
    layout: Layout
    plan: CompiledLibrary | SqlPlan
    engine: BatchEngine = field(default=None, repr=False)  # type: ignore[assignment]
    raw: ir.Table | None = field(default=None, repr=False)  # the input as read (the rejected rows' values)

    def __post_init__(self) -> None:
        if self.engine is None:
            self.engine = engine_of(self.con)

    def run_stages(self, step: Step | None = None) -> None:
        """Run the plan's steps in the backend, in order: each is materialised (a temp table or a
        cached frame), except that on DuckDB a step read by exactly one later step, once, is
        deferred (a view, computed inside its reader's query). A step is dropped once no later
        step reads it and the results do not (peak memory: the steps of a million rows together
        are several GiB)."""
        stages: list[tuple[str, ir.Table | Query]] = list(self.plan.stages)
        if isinstance(self.engine, DuckDB):  # compiled once here, as materialise would
            stages = [(name, self.engine.compile(e) if isinstance(e, ir.Table) else e) for name, e in stages]
        kept = self.plan.output_reads() if isinstance(self.plan, SqlPlan) else _outputs_read(self.plan)
        deferred = _read_once(stages, kept) if isinstance(self.engine, DuckDB) else set()
        last_reader: dict[str, int] = {}
        for index, (_, expr) in enumerate(stages):
            for name in _tables_read(expr):
                last_reader[name] = index
        # the step whose query computes a step's rows: its own, or a deferred step's reader's
        computed_at = list(range(len(stages)))
        for index in reversed(range(len(stages))):
            name = stages[index][0]
            if name in deferred:
                computed_at[index] = computed_at[last_reader[name]]
        done: dict[int, list[str]] = {}
        for name, index in last_reader.items():
            if name.startswith(STAGE_PREFIX) and name not in kept:
                done.setdefault(computed_at[index], []).append(name)
        for index, (name, expr) in enumerate(stages):
            if name in deferred:
                assert isinstance(expr, Query)
                self.engine.defer(name, expr)
            else:
                self.engine.materialise(name, expr)
            for finished in done.get(index, []):
                self.engine.release(finished)
            if step is not None:
                step(name)

    def rejected(self) -> ir.Table:
        """The bad rows: row, credit_code, reason, and (with the input at hand) the column the
        reason names and its value as given."""
        if self.raw is None:
            return rejected_rows(self.checked)
        return offending_values(rejected_rows(self.checked), self.raw)

    def not_evaluated(self) -> ir.Table:
        """Every row not evaluated, in row order: the bad rows (as `rejected`) and the other rows of
        their enterprises, each naming its enterprise's first bad row. Nothing is left out quietly."""
        return not_evaluated(self.checked, self.raw)

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
        return _one_row(
            self.engine,
            t.aggregate(
                rows=t._row.count(),
                bad_rows=t._bad.notnull().cast("int64").sum(),
                left_out_rows=t._left_out.cast("int64").sum(),
                firms=(t.record == "enterprise").cast("int64").sum(),
                firms_left_out=((t.record == "enterprise") & t._left_out).cast("int64").sum(),
            ),
        )


def _read_once(stages: Sequence[tuple[str, ir.Table | Query]], kept: set[str]) -> set[str]:
    """The steps exactly one later step reads, and only once (a step read twice, or by the outputs,
    is materialised: a view would be computed once per read). Counted in the SQL, where the
    compiler quotes every table name as it scans it."""
    uses: dict[str, int] = {}
    for _, query in stages:
        if not isinstance(query, Query):
            return set()
        for name in query.reads:
            uses[name] = uses.get(name, 0) + query.sql.count(f'"{name}"')
    return {name for name, _ in stages if uses.get(name) == 1 and name not in kept}


def _outputs_read(plan: CompiledLibrary) -> set[str]:
    return _tables_read(plan.results(all_rows=True)) | _tables_read(plan.firm_totals())


def check_input(engine: BatchEngine, raw: ir.Table, sql: CachedSql | None = None) -> ir.Table:
    """The input checked (see `_checked`)."""
    return _checked(engine, raw, sql).table


@dataclass(frozen=True)
class _Checked:
    table: ir.Table  # the checked rows, materialised
    ranges: dict[str, Any] | None  # range_query's row (None when not read)
    verbatim: frozenset[str]  # the columns of codes whose values read as themselves (load.as_given)


def _checked(engine: BatchEngine, raw: ir.Table, sql: CachedSql | None) -> _Checked:
    """The input checked, materialised: per row _row, record, credit_code, _bad (the reason the row
    is bad) and _left_out (its enterprise is not evaluated); see huiqi.batch.load. With `sql`, the
    check's SQL comes from the plan cache when an earlier run had the same input columns.

    On DuckDB two small queries come first, and what they prove of a whole column is not asked
    again of each row: the typed number columns' least and greatest values (from a Parquet file's
    statistics) show which are in range, and the distinct values of the columns of codes show
    which hold codes only, and which read as themselves (no trimming, no labels). Also returned:
    the row of least and greatest values, and those columns of codes."""
    rows_name, checked_name = f"huiqi_rows_{id(raw)}", f"huiqi_checked_{id(raw)}"
    if sql is not None:
        sql.name_tables({rows_name: "__huiqi_rows__", checked_name: "__huiqi_checked__"})
    fine: frozenset[str] = frozenset()
    verbatim: frozenset[str] = frozenset()
    ranges = None
    if isinstance(engine, DuckDB):
        if range_columns(raw):
            ranges = _fetch(engine, _query(sql, "ranges", lambda: range_query(raw)))[0]
            fine |= in_range(raw, ranges)
        if vocabulary_columns(raw):
            codes = _fetch(engine, _query(sql, "codes", lambda: vocabulary_query(raw)))
            fine |= in_vocabulary(codes)
            verbatim = as_given(codes)
        plain = plain_query(raw)
        if plain is not None:  # amounts of text all in the plain form: read by a cast (text_values.read_text)
            verbatim |= as_plain(_fetch(engine, _query(sql, "plain", lambda: plain))[0])
    # the flags' query differs by the columns passed and taken as given: each has its own entry in the cache
    label = "rows"
    if fine or verbatim:
        label += ":" + _names_digest(fine, verbatim)
    rows = engine.materialise(rows_name, _query(sql, label, lambda: row_flags(raw, fine, verbatim)))
    # the checks across rows first as counts: with no enterprise left out (the common case) the
    # checked rows are the flags' rows as they are, without the check's joins back
    faults = _one_row(engine, _query(sql, "firms_at_fault", lambda: firms_at_fault(rows)))
    if not faults["bad"]:
        checked = engine.materialise(checked_name, _query(sql, "checked_all_clear", lambda: all_clear(rows)))
    else:
        flagged = bool(faults["flagged"])
        label = "checked" if flagged else "checked_clean"
        checked = engine.materialise(checked_name, _query(sql, label, lambda: check(raw, rows, any_flagged=flagged)))
    engine.release(rows_name)
    return _Checked(checked, ranges, verbatim)


def _names_digest(*names: Collection[str]) -> str:
    return hashlib.sha256("|".join(",".join(sorted(group)) for group in names).encode()).hexdigest()[:16]


def _layout_by_ranges(
    engine: BatchEngine, raw: ir.Table, checked: ir.Table, ranges: dict[str, Any] | None, sql: CachedSql | None
) -> dict[str, dict[str, Any]] | None:
    """The layout's statistics without its queries (load.layout_rows_from_ranges), when the
    input's year and date columns are typed and no row is left out; else None."""
    found = None if ranges is None else layout_rows_from_ranges(raw, ranges, None)
    if found is None:
        return None
    assert isinstance(engine, DuckDB)
    row = _fetch(engine, _query(sql, "slots_and_left_out", lambda: slots_and_left_out(checked)))[0]
    if row["left_out"]:
        return None
    found["lease_slots"] = {"slots": row["slots"]}
    return found


def _one_row(engine: BatchEngine, query: ir.Table | Query) -> dict[str, int]:
    """A one-row query of counts on any engine; a count over no rows (null) is 0."""
    if isinstance(query, Query):
        assert isinstance(engine, DuckDB)
        row = _fetch(engine, query)[0]
    else:
        row = engine.rows(query)[0]
    return {name: 0 if value is None else int(value) for name, value in row.items()}


def _fetch(engine: DuckDB, query: ir.Table | Query) -> list[dict[str, Any]]:
    return engine.fetch_rows(query if isinstance(query, Query) else engine.compile(query))


def _query(sql: CachedSql | None, label: str, build: Callable[[], ir.Table]) -> ir.Table | Query:
    return build() if sql is None else sql.check_query(label, build)


def rejected_rows(checked: ir.Table) -> ir.Table:
    """The bad rows of a checked input: row, credit_code, reason, in row order."""
    t = checked
    return t.filter(t._bad.notnull()).select(row=t._row, credit_code=t.credit_code, reason=t._bad).order_by("row")


def _reason_columns(raw: ir.Table) -> list[str]:
    """The input's columns a reason can name (`<column>: …`), longest first: `id` must not take
    `id_…`'s reasons, nor `end_date` … (a name is followed by ':')."""
    return sorted((c for c in raw.columns if flat.classify(c) is not None), key=len, reverse=True)


def offending_values(rejected: ir.Table, raw: ir.Table) -> ir.Table:
    """The rejected rows (`rejected_rows`) with `column`, the column their reason names, and `value`,
    that cell as given in the input (text; the credit code for the checks across rows)."""
    cells = raw.select(_vrow=raw._row, **{f"_v_{c}": raw[c].cast(dt.string) for c in _reason_columns(raw)})
    t = rejected.left_join(cells, rejected.row == cells._vrow)
    named = [(t.reason.startswith(f"{c}:"), c) for c in _reason_columns(raw)]
    across = t.reason.endswith("credit_code") | t.reason.startswith("the enterprise has")
    column = ibis.cases(*named, (across, "credit_code"), else_=ibis.null(dt.string))
    value = ibis.cases(
        *[(cond, t[f"_v_{c}"]) for cond, c in named], (across, t.credit_code), else_=ibis.null(dt.string)
    )
    return t.select("row", "credit_code", "reason", column=column, value=value).order_by("row")


def not_evaluated(checked: ir.Table, raw: ir.Table | None = None) -> ir.Table:
    """Every row left out (`_left_out`): the bad rows with their reasons (and, with `raw`, the
    offending values), and every other row of an enterprise with a bad row, whose reason names
    the enterprise's first bad row. Columns: row, credit_code, record, reason, column, value."""
    t = checked
    first = (
        t.filter(t._bad.notnull() & t.credit_code.notnull())
        .group_by("credit_code")
        .aggregate(_first=t._row.min())
        .rename(_fcode="credit_code")
    )
    rows = t.filter(t._left_out)
    rows = rows.left_join(first, rows.credit_code == first._fcode)
    before, after = reason("left_out", row="{row}").split("{row}")
    because = ibis.ifelse(
        rows._bad.notnull(), rows._bad, ibis.literal(before) + rows._first.cast(dt.string).fill_null("?") + after
    )
    listed = rows.select(row=rows._row, credit_code=rows.credit_code, record=rows.record, reason=because)
    if raw is None:
        return listed.mutate(column=ibis.null(dt.string), value=ibis.null(dt.string)).order_by("row")
    valued = offending_values(listed.select("row", "credit_code", "reason"), raw)
    kinds = listed.select(_krow=listed.row, record=listed.record)
    joined = valued.left_join(kinds, valued.row == kinds._krow)
    return joined.select("row", "credit_code", "record", "reason", "column", "value").order_by("row")


def prepare(
    con: Any, raw: ir.Table, library: Library, as_of: date, step: Step | None = None, cache: PlanCache | None = None
) -> Batch:
    """Check the rows, compile the library, materialise the normalised tables in the backend.

    `con` is an engine (huiqi.batch.engines) or an Ibis backend (DuckDB, PySpark, Postgres).
    With a `cache` (huiqi.batch.plan_cache; DuckDB only), the compiled SQL of an earlier run with
    the same input columns, library, date and layout is used instead of compiling again."""
    return prepare_each(con, raw, [library], as_of, step, cache)[0]


def prepare_each(
    con: Any,
    raw: ir.Table,
    libraries: Sequence[Library],
    as_of: date,
    step: Step | None = None,
    cache: PlanCache | None = None,
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
    sql = CachedSql(engine, raw, cache) if cache is not None and isinstance(engine, DuckDB) else None
    check = _checked(engine, raw, sql)
    checked, verbatim = check.table, check.verbatim
    note("checked")
    found = _layout_by_ranges(engine, raw, checked, check.ranges, sql)
    rent_years = max(_rent_years(library) for library in libraries)

    def by_layout() -> dict[str, ir.Table]:
        return normalised_tables(raw, checked, dict.fromkeys(TABLES, LAYOUT_COLUMNS), verbatim)

    if sql is not None:
        if found is None:
            found = sql.layout_rows(lambda: layout_queries(raw.columns, by_layout()))
        layout = layout_from(raw.columns, found, as_of, rent_years)
        stored = sql.plans(
            list(libraries),
            as_of,
            layout,
            verbatim,
            lambda: compiled_plans(raw, checked, libraries, as_of, layout, verbatim),
        )
        note("compiled")
        tables = {record: engine.materialise(TABLES[record], query) for record, query in stored.tables.items()}
        note("normalised")
        return [Batch(con, checked, tables, layout, plan, engine, raw) for plan in stored.plans]
    if found is None:
        layout = layout_of(con, raw.columns, by_layout(), as_of, rent_years)
    else:
        layout = layout_from(raw.columns, found, as_of, rent_years)
    plans, normalised = compiled_plans(raw, checked, libraries, as_of, layout, verbatim)
    note("compiled")
    tables = {record: engine.materialise(TABLES[record], table) for record, table in normalised.items()}
    note("normalised")
    return [Batch(con, checked, tables, layout, plan, engine, raw) for plan in plans]


def compiled_plans(
    raw: ir.Table,
    checked: ir.Table,
    libraries: Sequence[Library],
    as_of: date,
    layout: Layout,
    verbatim: Collection[str] = frozenset(),
) -> tuple[list[CompiledLibrary], dict[str, ir.Table]]:
    """The libraries compiled over `layout`, and the normalised tables they read, with the columns
    they read (`verbatim`: the columns of codes taken as they are, load.as_given)."""
    plans = [compile_library(library, as_of, layout) for library in libraries]
    read = columns_read([expr for plan in plans for expr in plan.outputs()])
    # a table no plan reads (a library without leases) is not written at all
    keep = {
        record: {"id", *_ALWAYS_KEPT.get(record, ()), *read.get(name, ())}
        for record, name in TABLES.items()
        if name in read or record in _ALWAYS_KEPT
    }
    return plans, normalised_tables(raw, checked, keep, verbatim)


# What Batch reads of the normalised tables itself (enterprises(), prior_awards()), besides the
# plans' columns and each subject's id (prepare_each keeps those too).
_ALWAYS_KEPT: dict[str, frozenset[str]] = {
    "enterprise": frozenset({"name", "business_district"}),
    "prior_award": frozenset({"award_measure", "award_subject", "award_year"}),
}


def duckdb() -> Any:
    return ibis.duckdb.connect()
