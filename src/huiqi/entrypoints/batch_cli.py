"""Batch commands: huiqi synth, huiqi batch (registered by entrypoints/cli.py; simulate and match: simulate_cli).

Exit codes: 0 every row evaluated; 3 finished with rejected rows (listed in the rejected rows' file);
2 bad input (a message naming the file and column, never a traceback, nothing written); 1 the
engine failed.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from huiqi.diagnostics import Diagnostic, InputError
from huiqi.redact import redact

err = Console(stderr=True, emoji=False)
out = Console(emoji=False, width=None if sys.stdout.isatty() else 150)


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"
    postgres = "postgres"


def _fail(diagnostics: list[Diagnostic]) -> None:
    from rich.markup import escape

    for diagnostic in diagnostics:  # a database URL quoted in a message keeps its password to itself
        err.print(f"[red]error[/red] {escape(redact(str(diagnostic)))}", highlight=False, soft_wrap=True)
        if diagnostic.zh:  # the same in Chinese, where it is known
            err.print(f"      {escape(redact(diagnostic.zh))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _as_of(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail([Diagnostic("--as-of", None, f"{text!r} is not a date YYYY-MM-DD")])
        raise  # pragma: no cover


def out_folder_problem(path: Path) -> Diagnostic | None:
    """Why the folder of an output file cannot be made or written, found before any work is done
    (the folder itself is made only when there is something to write: a bad input leaves none)."""
    folder = path.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        return Diagnostic("--out", None, f"{path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        return Diagnostic("--out", None, f"{path}: cannot write in {folder}")
    return None


def make_out_folder(path: Path) -> None:
    """Make the folder of an output file if it is missing (out_folder_problem found no reason it cannot be)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError([Diagnostic("--out", None, f"{path}: cannot make its folder: {exc.strerror or exc}")]) from exc


@contextmanager
def progress_bar(
    first: str = "reading and checking rows",
) -> Iterator[tuple[Callable[[str], None], Callable[[str], None], Callable[[int], None]]]:
    """(describe, step, planned): a progress bar that learns its length once the plan is compiled."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(first, total=None)
        yield (
            lambda text: progress.update(task, description=text),
            lambda _: progress.advance(task),
            lambda n: progress.update(task, total=n, completed=0),
        )


def synth(
    firms: Annotated[int, typer.Argument(help="Number of enterprises (about 3 rows each).", min=1)],
    out_file: Annotated[Path, typer.Option("--out", help="Parquet file to write.")],
    seed: Annotated[int, typer.Option(help="Random seed (the same seed, the same population).")] = 2024,
) -> None:
    """Write a synthetic population as a flattened facts table (documented distributions)."""
    import pyarrow.parquet as pq

    from huiqi.batch.synth import population

    if (problem := out_folder_problem(out_file)) is not None:
        _fail([problem])
    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True) as progress:
        progress.add_task(f"generating {firms:,} enterprises", total=None)
        table = population(firms, seed)
        try:
            make_out_folder(out_file)
        except InputError as exc:
            _fail(exc.diagnostics)
        # row groups of DuckDB's own size: a reader scans row groups in parallel, one per core
        pq.write_table(table, out_file, row_group_size=122_880)
    err.print(f"{table.num_rows:,} rows ({firms:,} enterprises) → {out_file} in {time.perf_counter() - started:.1f} s")


def batch(
    input_table: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="Flattened facts table: a .parquet or .csv file, FILE.duckdb#TABLE or postgresql://…/DB#TABLE.",
        ),
    ],
    out: Annotated[
        str,
        typer.Option(
            "--out",
            help="Results (one row per entity and measure): a .parquet file, an .xlsx or .csv file for people "
            "(Chinese headers), FILE.duckdb#TABLE or postgresql://…/DB#TABLE; enterprise totals and rejected "
            "rows go beside it. Exit 3 when rows were rejected.",
        ),
    ],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Assessment date YYYY-MM-DD (default today).")] = None,
    engine: Annotated[Engine, typer.Option(help="Where to run the compiled rules.")] = Engine.duckdb,
    spark_master: Annotated[
        str | None,
        typer.Option(
            "--spark-master",
            help="Spark master URL (spark://host:7077, yarn, k8s://…, local[4]); default $SPARK_MASTER, "
            "Spark Connect via $SPARK_REMOTE, else local[*].",
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="PostgreSQL URL for --engine postgres (default $HUIQI_BATCH_DATABASE_URL)."
        ),
    ] = None,
    all_rows: Annotated[
        bool, typer.Option("--all-rows", help="Also write not-in-force and out-of-scope rows (one per enterprise).")
    ] = False,
    policies: Annotated[Path | None, typer.Option("--policies", help="Policy folder (default: bundled).")] = None,
) -> None:
    """Evaluate every measure for every enterprise of a table; write results, totals and rejected rows."""
    from huiqi.batch.engines import check_options, connect, parse_location
    from huiqi.batch.plan_cache import PlanCache
    from huiqi.batch.run import prepare
    from huiqi.engine.compile import NotCompilable
    from huiqi.policy_files import load_library
    from huiqi.tabular import TableError

    day = _as_of(as_of)
    started = time.perf_counter()
    try:
        source = parse_location(input_table, "INPUT", output=False)
        target = parse_location(out, "--out", output=True)
        check_options(engine.value, spark_master=spark_master, database_url=database_url, source=source, target=target)
        out_path = None if target.kind == "postgres" else Path(target.where)  # a file, or a DuckDB file's table
        if out_path is not None and (problem := out_folder_problem(out_path)) is not None:
            raise InputError([problem])
        library = load_library(policies)
        runner = connect(
            engine.value, spark_master=spark_master, database_url=database_url, source=source, target=target
        )
    except InputError as exc:
        _fail(exc.diagnostics)
        return
    firms_target, rejected_target = target.sibling("firms"), target.sibling("rejected")
    try:
        with progress_bar(f"reading and checking rows ({engine.value})") as (describe, step, planned):
            raw = runner.load(source)
            prepared = prepare(runner, raw, library, day, cache=PlanCache.default())
            planned(len(prepared.plan.stages) + 3)
            describe("evaluating measures")
            prepared.run_stages(step)
            describe("writing results")
            results = prepared.plan.results(all_rows=all_rows)
            if out_path is not None:  # the folder of --out, as simulate makes its own
                make_out_folder(out_path)
            if target.kind in ("csv", "xlsx"):
                write_for_people(runner, prepared, results, target, firms_target, library)
                step("results")
                step("totals")
            else:
                runner.write(results, target)
                step("results")
                runner.write(prepared.plan.firm_totals(), firms_target)
                step("totals")
            rejected = runner.rows(prepared.not_evaluated())
            write_rejected(runner, rejected, rejected_target, for_people=target.kind in ("csv", "xlsx"))
            step("rejected")
        counts = prepared.counts()
        summary = summarise(runner, target, results)
    except InputError as exc:
        runner.close()
        _fail(exc.diagnostics)
        return
    except TableError as exc:
        runner.close()
        _fail([Diagnostic("--out", None, f"{target.text}: {exc.en}", zh=f"{target.text}: {exc.zh or exc.en}")])
        return
    except NotCompilable as exc:
        runner.close()
        _fail([Diagnostic(exc.measure, None, str(exc))])
        return
    except runner.errors as exc:
        runner.close()
        lines = [line for line in str(exc).strip().splitlines() if line.strip()]
        failed = redact(lines[0] if lines else repr(exc))
        err.print(f"[red]error[/red] --engine {engine.value}: the engine failed: {failed}")
        raise typer.Exit(1) from None
    runner.close()
    show_totals(summary, day)
    err.print(
        f"{counts['rows']:,} rows, {counts['firms']:,} enterprises; "
        f"results → {target.text}, enterprise totals → {firms_target.text}; "
        f"{engine.value}, {time.perf_counter() - started:.1f} s",
        highlight=False,
    )
    if not summary:
        err.print(
            f"[yellow]no results[/yellow]: no enterprise has a measure in force on {day} in scope "
            f"(没有结果: {day} 无有效且适用的措施)",
            highlight=False,
        )
    report_rejected(rejected, counts, rejected_target.text)


EXIT_REJECTED = 3
"""`huiqi batch`, `simulate` and `match`: finished and wrote the results of every enterprise but
some, whose rows were rejected (listed with reasons in the rejected rows' file)."""


def report_rejected(rejected: list[dict[str, Any]], counts: dict[str, int], where: str | None) -> None:
    """Say plainly that rows were rejected, show the first ten, and exit with EXIT_REJECTED; a run
    without rejected rows says so and returns."""
    if not counts["left_out_rows"]:
        err.print("no row rejected: every enterprise was evaluated (无被拒的行: 全部企业均已计算)", highlight=False)
        return
    bad = counts["bad_rows"]
    err.print(
        f"[bold red]REJECTED[/bold red] {bad:,} bad row{'' if bad == 1 else 's'}: "
        f"{counts['firms_left_out']:,} enterprise{'' if counts['firms_left_out'] == 1 else 's'} "
        f"({counts['left_out_rows']:,} rows) left out, not in the results"
        + (f" → {escape(where)}" if where else "")
        + f"\n[bold red]有被拒的行[/bold red]: {bad:,} 行有误, {counts['firms_left_out']:,} 家企业 "
        f"(共 {counts['left_out_rows']:,} 行) 未计算, 不在结果中",
        highlight=False,
    )
    from huiqi.batch.reasons import chinese

    bad_rows = [r for r in rejected if not str(r["reason"]).startswith("left out")]
    for row in bad_rows[:10]:
        value = "" if row.get("value") is None else f" = {row['value']!r}"
        text = f"{row['credit_code']}: {row['reason']}{value}\n    {chinese(row['reason'])}"
        err.print(f"[yellow]row {row['row']}[/yellow] {escape(text)}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_REJECTED)


def write_for_people(runner: Any, prepared: Any, results: Any, target: Any, firms_target: Any, library: Any) -> None:
    """Results and enterprise totals as .xlsx or .csv with Chinese headers and labels (huiqi.batch.sheets)."""
    from huiqi.batch import sheets

    firms = runner.rows(prepared.enterprises())
    names = {f["credit_code"]: f["name"] for f in firms}
    districts = {f["credit_code"]: f["district"] for f in firms}
    arrow = runner.to_arrow(results)
    rows = (row for batch in arrow.to_batches() for row in batch.to_pylist())
    sheets.write_results(Path(target.where), list(arrow.column_names), rows, library, names)
    sheets.write_firm_totals(Path(firms_target.where), runner.rows(prepared.plan.firm_totals()), names, districts)


def write_rejected(runner: Any, rows: list[dict[str, Any]], target: Any, *, for_people: bool) -> None:
    """Every row not evaluated: a file (CSV or .xlsx: huiqi.batch.sheets), or a table of the output's database."""
    from huiqi.batch import sheets

    if target.kind in ("csv", "xlsx"):
        sheets.write_rejected(Path(target.where), rows, for_people=for_people)
        return
    import pyarrow as pa

    listed = list(sheets.rejected_rows(rows))
    arrow = pa.table(
        {
            name: pa.array([r.get(name) for r in listed], pa.int64() if name == "row" else pa.string())
            for name in sheets.REJECTED_COLUMNS
        }
    )
    runner.write(runner.con.create_table("huiqi_rejected_rows", arrow, temp=True, overwrite=True), target)


def summarise(runner: Any, target: Any, results: Any) -> list[tuple[Any, ...]]:
    """Totals by measure: DuckDB reads a written Parquet file; a table's are summed by the engine."""
    if target.kind == "parquet":
        import duckdb

        path = target.where.replace("'", "''")
        return duckdb.sql(
            f"""select measure,
                       count(*) filter (where status = 'eligible') as eligible,
                       count(*) filter (where status = 'superseded') as superseded,
                       count(*) filter (where status = 'needs_decision') as needs_decision,
                       coalesce(sum(min) filter (where status = 'eligible'), 0) as min,
                       coalesce(sum(max) filter (where status = 'eligible'), 0) as max
                from read_parquet('{path}') group by measure order by measure"""
        ).fetchall()
    r = results
    eligible = r.status == "eligible"
    summary = r.group_by("measure").aggregate(
        eligible=eligible.cast("int64").sum(),
        superseded=(r.status == "superseded").cast("int64").sum(),
        needs_decision=(r.status == "needs_decision").cast("int64").sum(),
        min=r["min"].sum(where=eligible),
        max=r["max"].sum(where=eligible),
    )
    rows = runner.rows(summary.order_by("measure"))
    return [
        (row["measure"], row["eligible"], row["superseded"], row["needs_decision"], row["min"] or 0, row["max"] or 0)
        for row in rows
    ]


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
