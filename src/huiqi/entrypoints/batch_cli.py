"""Batch commands: huiqi synth, huiqi batch (registered by entrypoints/cli.py; simulate and match: simulate_cli).

Exit codes as elsewhere: 0 ok; 2 bad input (a message naming the file and column, never a traceback).
"""

from __future__ import annotations

import sys
import time
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from huiqi.diagnostics import Diagnostic, InputError

err = Console(stderr=True, emoji=False)
out = Console(emoji=False, width=None if sys.stdout.isatty() else 150)


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"
    postgres = "postgres"


def _fail(diagnostics: list[Diagnostic]) -> None:
    from rich.markup import escape

    for diagnostic in diagnostics:
        err.print(f"[red]error[/red] {escape(str(diagnostic))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _as_of(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail([Diagnostic("--as-of", None, f"{text!r} is not a date YYYY-MM-DD")])
        raise  # pragma: no cover


def connect(engine: Engine) -> Any:
    import ibis

    if engine is Engine.duckdb:
        return ibis.duckdb.connect()
    _fail([Diagnostic("--engine", None, f"the {engine.value} engine is not implemented yet (see docs/batch.md)")])
    raise AssertionError  # pragma: no cover


def synth(
    firms: Annotated[int, typer.Argument(help="Number of enterprises (about 3 rows each).", min=1)],
    out_file: Annotated[Path, typer.Option("--out", help="Parquet file to write.")],
    seed: Annotated[int, typer.Option(help="Random seed (the same seed, the same population).")] = 2024,
) -> None:
    """Write a synthetic population as a flattened facts table (documented distributions)."""
    import pyarrow.parquet as pq

    from huiqi.batch.synth import population

    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True) as progress:
        progress.add_task(f"generating {firms:,} enterprises", total=None)
        table = population(firms, seed)
        pq.write_table(table, out_file)
    err.print(f"{table.num_rows:,} rows ({firms:,} enterprises) → {out_file} in {time.perf_counter() - started:.1f} s")


def batch(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="Flattened facts table (.parquet or .csv).")],
    out_file: Annotated[Path, typer.Option("--out", help="Parquet file of results, one row per (entity, measure).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Assessment date YYYY-MM-DD (default today).")] = None,
    engine: Annotated[Engine, typer.Option(help="Where to run the compiled rules.")] = Engine.duckdb,
    all_rows: Annotated[
        bool, typer.Option("--all-rows", help="Also write not-in-force and out-of-scope rows (one per enterprise).")
    ] = False,
    policies: Annotated[Path | None, typer.Option("--policies", help="Policy folder (default: bundled).")] = None,
) -> None:
    """Evaluate every measure for every enterprise of a table; write results, totals and rejected rows."""
    from huiqi.batch.load import read_input
    from huiqi.batch.run import prepare
    from huiqi.engine.compile import NotCompilable
    from huiqi.policy_files import load_library

    day = _as_of(as_of)
    started = time.perf_counter()
    try:
        library = load_library(policies)
        con = connect(engine)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("reading and checking rows", total=None)
            raw = read_input(con, input_file)
            prepared = prepare(con, raw, library, day)
            stages = prepared.plan.stages
            progress.update(task, description="evaluating measures", total=len(stages) + 3, completed=0)
            prepared.run_stages(lambda _: progress.advance(task))
            progress.update(task, description="writing results")
            write(con, prepared.plan.results(all_rows=all_rows), out_file)
            progress.advance(task)
            firms_file = out_file.with_suffix(".firms.parquet")
            write(con, prepared.plan.firm_totals(), firms_file)
            progress.advance(task)
            rejected_file = out_file.with_suffix(".rejected.csv")
            rejected = con.to_pyarrow(prepared.rejected())
            import pyarrow.csv as pacsv

            pacsv.write_csv(rejected, rejected_file)
            progress.advance(task)
    except InputError as exc:
        _fail(exc.diagnostics)
        return
    except NotCompilable as exc:
        _fail([Diagnostic(exc.measure, None, str(exc))])
        return
    counts = prepared.counts()
    summary = summarise(con, out_file)
    show_totals(summary, day)
    err.print(
        f"{counts['rows']:,} rows, {counts['firms']:,} enterprises; "
        f"{counts['bad_rows']:,} bad rows (→ {rejected_file}), {counts['firms_left_out']:,} enterprises left out; "
        f"results → {out_file}, enterprise totals → {firms_file}; {time.perf_counter() - started:.1f} s"
    )
    for row in rejected.slice(0, 10).to_pylist():
        err.print(f"[yellow]row {row['row']}[/yellow] {row['credit_code']}: {row['reason']}", highlight=False)


def write(con: Any, expr: Any, path: Path) -> None:
    if con.name == "duckdb":
        con.to_parquet(expr, path)
        return
    import pyarrow.parquet as pq

    pq.write_table(con.to_pyarrow(expr), path)


def summarise(con: Any, results: Path) -> list[dict[str, Any]]:
    """Totals by measure from the written results (DuckDB reads the Parquet file)."""
    import duckdb

    return duckdb.sql(
        f"""select measure,
                   count(*) filter (where status = 'eligible') as eligible,
                   count(*) filter (where status = 'superseded') as superseded,
                   count(*) filter (where status = 'needs_decision') as needs_decision,
                   coalesce(sum(min) filter (where status = 'eligible'), 0) as min,
                   coalesce(sum(max) filter (where status = 'eligible'), 0) as max
            from read_parquet('{results}') group by measure order by measure"""
    ).fetchall()  # type: ignore[return-value]


def show_totals(rows: list[Any], day: date) -> None:
    table = Table(title=f"Totals by measure, as of {day}", title_justify="left")
    for name in ("measure", "eligible", "superseded", "needs decision", "min (yuan)", "max (yuan)"):
        table.add_column(name, justify="left" if name == "measure" else "right")
    for measure, eligible, superseded, decision, low, high in rows:
        table.add_row(measure, f"{eligible:,}", f"{superseded:,}", f"{decision:,}", f"{low:,.2f}", f"{high:,.2f}")
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command()(synth)
    app.command()(batch)
