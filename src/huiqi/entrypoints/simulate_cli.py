"""Simulation and push-list commands: huiqi simulate, huiqi match (registered by entrypoints/cli.py).

Thin adapters: the comparison (huiqi.batch.compare) and the push list (huiqi.batch.match) are
data; this module reads the inputs, shows progress, renders Rich tables and writes files.
Exit codes as elsewhere: 0 ok; 2 bad input (every problem with its file, line or column,
never a traceback), and then nothing is written.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from huiqi.diagnostics import Diagnostic, InputError
from huiqi.entrypoints.batch_cli import _as_of, _fail, err, out, out_folder_problem, progress_bar, report_rejected
from huiqi.money import ZERO, format_yuan

if TYPE_CHECKING:
    from huiqi.batch.compare import Comparison, Line
    from huiqi.batch.match import Push
    from huiqi.engine.compile import NotCompilable
    from huiqi.rules.reform import Reform

PoliciesOption = Annotated[Path | None, typer.Option("--policies", help="Policy folder (default: bundled).")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Assessment date YYYY-MM-DD (default today).")]
CHART = "chart.png"
REPORT = "report.html"
REJECTED = "rejected.csv"


def _signed(value: Decimal) -> str:
    if value == 0:
        return "0.00"
    colour = "green" if value > 0 else "red"
    return f"[{colour}]{'+' if value > 0 else '-'}{format_yuan(abs(value))}[/{colour}]"


# ---- huiqi simulate ------------------------------------------------------------------------------


def _comparison_table(title: str, key: str, lines: tuple[Line, ...], counted: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(key)
    for name in ("baseline min", "baseline max", "reform min", "reform max", "Δ min", "Δ max"):
        table.add_column(name, justify="right")
    table.add_column(counted, justify="right")
    for line in lines:
        table.add_row(
            line.key if line.changed else f"[dim]{line.key}[/dim]",
            format_yuan(line.base_min),
            format_yuan(line.base_max),
            format_yuan(line.reform_min),
            format_yuan(line.reform_max),
            _signed(line.delta_min),
            _signed(line.delta_max),
            f"{line.base_count:,} → {line.reform_count:,}",
        )
    return table


def _pools_table(comparison: Comparison) -> Table:
    table = Table(title="Budget pools: demand against the pool (资金池), yuan", title_justify="left")
    for name in ("", "pool", "period", "pool amount", "demand min", "demand max", "runs out", "if pro rata"):
        table.add_column(name, justify="right" if name.startswith(("pool a", "demand")) else "left")
    for label, use in comparison.pools:
        table.add_row(
            label,
            f"{use.policy}/{use.pool} {use.title}",
            use.period,
            format_yuan(use.amount),
            format_yuan(use.demand_min),
            format_yuan(use.demand_max),
            "[red]yes[/red]" if use.runs_out else "no",
            f"{use.share:.2%} ({'chosen' if use.rationing == 'pro_rata' else 'first come first served chosen'})",
        )
    return table


def render_simulation(reform: Reform, comparison: Comparison) -> None:
    out.print(f"[bold]{reform.title}[/bold]  ({reform.file}), as of {comparison.as_of}", highlight=False)
    for change in reform.changes:
        out.print(f"  • {change}", highlight=False, soft_wrap=True)
    out.print(_comparison_table("Total cost (enterprise totals), yuan", "", (comparison.total,), "enterprises"))
    out.print(_comparison_table("By measure (sum of results), yuan", "measure", comparison.by_measure, "eligible"))
    out.print(_comparison_table("By district (enterprise totals), yuan", "district", comparison.by_district, "firms"))
    out.print(_comparison_table("By year (sum of results), yuan", "year", comparison.by_year, "results"))
    if comparison.pools:
        out.print(_pools_table(comparison))
    changes = comparison.changes
    out.print(
        f"Enterprises ({comparison.firms:,}): [green]{changes['gain']:,} gaining[/green], "
        f"[red]{changes['loss']:,} losing[/red], {changes['mixed']:,} mixed (one bound up, one down), "
        f"{changes['unchanged']:,} unchanged",
        highlight=False,
    )


def write_simulation(folder: Path, reform: Reform, comparison: Comparison, library: Any) -> list[Path]:
    """The report (one HTML page), the chart (PNG), the comparison tables (CSV, in Chinese) and the
    per-enterprise deltas (Parquet for machines, CSV for people) in `folder`."""
    import pyarrow.parquet as pq

    from huiqi.batch import report_html, sheets
    from huiqi.batch.chart import draw
    from huiqi.tabular import write_rows

    folder.mkdir(parents=True, exist_ok=True)
    titles = {**sheets.measure_titles(library), **sheets.measure_titles(reform.library)}
    written = []
    for name, rows in comparison.tables().items():
        path = folder / f"{name}.csv"
        columns = list(rows[0]) if rows else []
        if "measure" in columns:
            columns.insert(columns.index("measure") + 1, "title")
        money = {c for c in columns if c.split("_")[-1] in ("min", "max")}
        people = [sheets.labelled({**row, "scope": "合计"} if "scope" in row else row, titles, {}) for row in rows]
        write_rows(path, columns, people, money, sheets.COMPARISON_HEADINGS)
        written.append(path)
    firms = folder / "firms.parquet"
    pq.write_table(comparison.firm_deltas, firms)
    firms_csv = folder / "firms.csv"
    deltas = comparison.firm_deltas
    money = {c for c in deltas.column_names if c.split("_")[-1] in ("min", "max")}
    people = [sheets.labelled(row, titles, {}) for row in deltas.to_pylist()]
    write_rows(
        firms_csv, list(deltas.column_names), people, money, sheets.COMPARISON_HEADINGS | {"district": "工商注册地"}
    )
    chart = folder / CHART
    stem = Path(reform.file).stem
    draw(comparison, chart, stem if stem.isascii() else "reform", reform.title)
    report = folder / REPORT
    report_html.write(report, comparison, reform.title, reform.file, [str(c) for c in reform.changes], titles)
    return [report, *written, firms, firms_csv, chart]


def _not_compilable(error: NotCompilable, reform: Reform) -> Diagnostic:
    line = reform.line_of(error.measure)
    if line is not None:
        return Diagnostic(reform.file, line, f"the batch compiler cannot run this: {error}", "", error.measure)
    return Diagnostic(error.measure, None, str(error))


def simulate(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="Flattened facts table (.parquet or .csv).")],
    reform_file: Annotated[Path, typer.Option("--reform", help="The reform: a YAML file (docs/batch.md).")],
    as_of: AsOfOption = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for chart.png, the comparison tables (CSV) and firms.parquet."),
    ] = None,
    policies: PoliciesOption = None,
) -> None:
    """Baseline vs reform over a population: cost by measure, district and year; who gains and who loses."""
    from huiqi.batch.compare import compare
    from huiqi.batch.load import read_input
    from huiqi.batch.plan_cache import PlanCache
    from huiqi.batch.run import duckdb
    from huiqi.batch.simulate import simulate as run_both
    from huiqi.engine.compile import NotCompilable
    from huiqi.policy_files import load_library, load_reform

    day = _as_of(as_of)
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        _fail([Diagnostic(str(out_dir), None, "--out must be a folder (it is a file)")])
    started = time.perf_counter()
    reform: Reform | None = None
    try:
        library = load_library(policies)
        reform = load_reform(reform_file, library)
        con = duckdb()
        with progress_bar() as (describe, step, planned):
            raw = read_input(con, input_file)
            describe("evaluating baseline and reform")
            simulation = run_both(con, raw, library, reform.library, day, step, planned, PlanCache.default())
            describe("comparing")
            comparison = compare(simulation, day, (library, reform.library))
            rejected = con.to_pyarrow(simulation.rejected).to_pylist() if simulation.counts["left_out_rows"] else []
    except InputError as exc:
        _fail(exc.diagnostics)
        return
    except NotCompilable as exc:
        assert reform is not None  # the libraries are compiled only once the reform has loaded
        _fail([_not_compilable(exc, reform)])
        return
    render_simulation(reform, comparison)
    counts = simulation.counts
    err.print(
        f"{counts['rows']:,} rows, {counts['firms']:,} enterprises, {counts['bad_rows']:,} bad rows "
        f"({counts['firms_left_out']:,} enterprises left out); {time.perf_counter() - started:.1f} s",
        highlight=False,
    )
    if out_dir is not None:
        try:
            written = write_simulation(out_dir, reform, comparison, library)
            if rejected:
                from huiqi.batch.sheets import write_rejected

                write_rejected(out_dir / REJECTED, rejected, for_people=True)
                written.append(out_dir / REJECTED)
        except OSError as exc:
            _fail([Diagnostic(str(out_dir), None, exc.strerror or str(exc))])
            return
        err.print(f"written: {', '.join(str(p) for p in written)}", highlight=False, soft_wrap=True)
    report_rejected(rejected, counts, str(out_dir / REJECTED) if out_dir is not None else None)


# ---- huiqi match ---------------------------------------------------------------------------------


def _read_ledger(db: str | None, library: Any, *, with_facts: bool) -> tuple[list[Any], list[Any]]:
    """(the ledger's enterprises as facts if wanted, its applications and awards); read only.

    The ledger is the one every ledger command uses (--db, $HUIQI_DATABASE_URL, the default); one
    that does not exist is an error, never created by a read (huiqi.entrypoints.ledger_open)."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from huiqi.entrypoints.ledger_open import resolve
    from huiqi.ledger.actors import SYSTEM
    from huiqi.ledger.database import make_engine, shown
    from huiqi.ledger.population import filed, population
    from huiqi.ledger.uow import Ledger

    url = resolve(db, "read")
    where = shown(url)
    ledger = Ledger(make_engine(url), library)
    try:
        return (ledger.read(SYSTEM, population) if with_facts else []), ledger.read(SYSTEM, filed)
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0]
        raise InputError(
            [Diagnostic(where, None, f"cannot read the ledger (is it a huiqi database?): {first}")]
        ) from exc
    except ValidationError as exc:
        raise InputError([Diagnostic(where, None, f"the ledger holds facts the models refuse: {exc}")]) from exc
    finally:
        ledger.engine.dispose()


def render_pushes(pushes: list[Push], day: date, shown: int = 20) -> None:
    from huiqi.batch.match import summary

    table = Table(title=f"Push list (免申即享) by measure, as of {day}", title_justify="left")
    for name in ("measure", "title", "pushes", "eligible", "needs decision", "min (yuan)", "max (yuan)"):
        table.add_column(name, justify="left" if name in ("measure", "title") else "right")
    rows = summary(pushes)
    for row in rows:
        table.add_row(
            row.measure,
            row.title,
            f"{row.pushes:,}",
            f"{row.eligible:,}",
            f"{row.needs_decision:,}",
            format_yuan(row.min),
            format_yuan(row.max),
        )
    low = sum((r.min for r in rows), ZERO)
    high = sum((r.max for r in rows), ZERO)
    table.add_section()
    table.add_row("total", "", f"{len(pushes):,}", "", "", format_yuan(low), format_yuan(high))
    out.print(table)
    if not pushes:
        return
    top = Table(title=f"The {min(shown, len(pushes))} largest of {len(pushes):,}", title_justify="left")
    for name in ("credit code", "enterprise", "measure", "subject", "status", "min", "max", "previously"):
        top.add_column(name, justify="right" if name in ("min", "max") else "left", no_wrap=name != "previously")
    for push in pushes[:shown]:
        top.add_row(
            push.credit_code,
            push.enterprise,
            push.measure,
            "(enterprise)" if push.subject == push.credit_code else push.subject,
            push.status,
            format_yuan(push.min) if push.min is not None else "—",
            format_yuan(push.max) if push.max is not None else "—",
            push.previously,
        )
    out.print(top)


class MatchEngine(StrEnum):
    auto = "auto"
    interpreter = "interpreter"
    duckdb = "duckdb"


INTERPRET_UP_TO = 10_000
"""`--engine auto` evaluates a ledger of up to this many enterprises with the interpreter (about a
millisecond each), a larger one or a facts table on DuckDB (seconds of compiling, then fast)."""


def match(
    input_file: Annotated[
        Path | None,
        typer.Argument(metavar="[INPUT]", help="Flattened facts table; without it, the ledger's enterprises."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="The ledger (URL or SQLite file): its applications and awards count as applied. Without INPUT, "
            "the ledger every command uses ($HUIQI_DATABASE_URL, else var/huiqi.db in the checkout).",
        ),
    ] = None,
    as_of: AsOfOption = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="The push list: .xlsx, .csv or .parquet.")] = None,
    policies: PoliciesOption = None,
    engine: Annotated[
        MatchEngine,
        typer.Option(
            "--engine",
            help=f"auto: the interpreter for a ledger of up to {INTERPRET_UP_TO:,} enterprises, else DuckDB "
            "(a facts table always runs on DuckDB). The same list either way.",
        ),
    ] = MatchEngine.auto,
) -> None:
    """The 免申即享 push list: every eligible (enterprise, subject, measure) not yet applied for."""
    from huiqi.gcpause import paused_gc

    with paused_gc():  # the ledger read whole and kept to the end: collecting it as it grows is wasted
        _match(input_file, db, as_of, out_file, policies, engine)


def _match(
    input_file: Path | None,
    db: str | None,
    as_of: str | None,
    out_file: Path | None,
    policies: Path | None,
    engine: MatchEngine,
) -> None:
    from huiqi.batch.match import COLUMNS, MONEY_COLUMNS, ledger_claims, prior_award_claims, push_list
    from huiqi.batch.sheets import PUSH_HEADINGS, is_for_people, labelled, write_rejected
    from huiqi.policy_files import load_library
    from huiqi.tabular import ROW_FILES, TableError, write_rows

    day = _as_of(as_of)
    problems = []
    if input_file is not None and engine is MatchEngine.interpreter:
        problems.append(
            Diagnostic(
                "--engine",
                None,
                "the interpreter evaluates the ledger's enterprises (without INPUT); a facts table runs on DuckDB",
            )
        )
    if out_file is not None and out_file.suffix.lower() not in ROW_FILES:
        problems.append(Diagnostic(str(out_file), None, f"--out must end in {', '.join(ROW_FILES)}"))
    elif out_file is not None and (problem := out_folder_problem(out_file)) is not None:
        problems.append(problem)
    if problems:
        _fail(problems)
    started = time.perf_counter()
    try:
        library = load_library(policies)
        with_ledger = db is not None or input_file is None
        facts, filed = _read_ledger(db, library, with_facts=input_file is None) if with_ledger else ([], [])
        if with_ledger and input_file is None and not facts:
            raise InputError([Diagnostic(db or "the ledger", None, "the ledger has no enterprises")])
        interpret = input_file is None and (
            engine is MatchEngine.interpreter or (engine is MatchEngine.auto and len(facts) <= INTERPRET_UP_TO)
        )
        if interpret:
            from huiqi.batch.interpreted import candidate_rows, prior_award_rows

            rows, awards = candidate_rows(facts, library, day), prior_award_rows(facts)
            counts = {"firms": len(facts), "firms_left_out": 0, "left_out_rows": 0, "bad_rows": 0}
            rejected: list[dict[str, Any]] = []
        else:
            rows, awards, counts, rejected = _batch_candidates(input_file, facts, library, day)
        applied, earlier = ledger_claims(filed)
        pushes = push_list(rows, applied + prior_award_claims(awards), earlier, library)
    except InputError as exc:
        _fail(exc.diagnostics)
        return
    render_pushes(pushes, day)
    err.print(
        f"{counts['firms']:,} enterprises ({counts['firms_left_out']:,} left out for bad rows); "
        f"{len(pushes):,} pushes; {'interpreter' if interpret else 'duckdb'}, {time.perf_counter() - started:.1f} s",
        highlight=False,
    )
    if out_file is not None:
        try:
            out_file.parent.mkdir(parents=True, exist_ok=True)  # out_folder_problem found no reason it cannot be
            rows = [p.row() for p in pushes]
            if is_for_people(out_file):  # Chinese headers and labels; Parquet keeps the names and codes
                rows = [labelled(row, {}, {}) for row in rows]
            write_rows(out_file, COLUMNS, rows, MONEY_COLUMNS, PUSH_HEADINGS if is_for_people(out_file) else None)
            if rejected:
                write_rejected(out_file.with_suffix(".rejected.csv"), rejected, for_people=True)
        except (OSError, TableError) as exc:
            _fail([Diagnostic(str(out_file), None, str(exc))])
            return
        err.print(f"push list → {out_file}", highlight=False)
    report_rejected(rejected, counts, str(out_file.with_suffix(".rejected.csv")) if out_file is not None else None)


def _batch_candidates(
    input_file: Path | None, facts: list[Any], library: Any, day: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int], list[dict[str, Any]]]:
    """(candidates, prior awards, counts, rejected rows) of a facts table, or of the ledger's facts, on DuckDB."""
    from huiqi.batch.load import read_input
    from huiqi.batch.match import candidates, facts_table
    from huiqi.batch.plan_cache import PlanCache
    from huiqi.batch.run import duckdb, prepare
    from huiqi.engine.compile import NotCompilable

    con = duckdb()
    try:
        with progress_bar() as (describe, step, planned):
            if input_file is not None:
                raw = read_input(con, input_file)
            else:
                raw = con.create_table("huiqi_input_ledger", facts_table(facts), temp=True, overwrite=True)
            batch = prepare(con, raw, library, day, step, PlanCache.default())
            planned(len(batch.plan.stages) + 1)
            describe("evaluating measures")
            batch.run_stages(step)
            describe("matching")
            rows = con.to_pyarrow(candidates(batch)).to_pylist()
            step("candidates")
            awards = con.to_pyarrow(batch.prior_awards()).to_pylist()
            counts = batch.counts()
            rejected = batch.engine.rows(batch.not_evaluated()) if counts["left_out_rows"] else []
    except NotCompilable as exc:
        raise InputError([Diagnostic(exc.measure, None, str(exc))]) from exc
    return rows, awards, counts, rejected


def register(app: typer.Typer) -> None:
    app.command()(simulate)
    app.command()(match)
