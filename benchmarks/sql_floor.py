"""The SQL's own cost, with the machine's noise taken out: a `huiqi batch` run's statements replayed.

    uv run python benchmarks/sql_floor.py POPULATION.parquet [--policies DIR] [--repeat 5]

Runs `huiqi batch` once in-process (on DuckDB, with the user's plan cache), recording every SQL
statement it sends; then replays the whole sequence `--repeat` times, each in a new DuckDB
connection, and prints each statement's least time (those over 0.03 s) and their sum. On a
shared VM the same command's wall time varied 5–11 s within an hour; the least of several
replays varies far less, so a change to one query can be judged by it. Python's own time
(imports, building expressions) is not in it: see bench_batch.py for the whole.
Run by hand (not a test); figures in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def record(argv: list[str]) -> list[str]:
    """The statements `huiqi batch argv` sends to DuckDB, in order."""
    import ibis.backends.duckdb as backend

    sent: list[str] = []
    original = backend.Backend.raw_sql

    def recording(self: Any, query: Any, **kwargs: Any) -> Any:
        sent.append(query if isinstance(query, str) else query.sql("duckdb"))
        return original(self, query, **kwargs)

    backend.Backend.raw_sql = recording  # type: ignore[method-assign]
    from huiqi.entrypoints.cli import app

    try:
        app(["batch", *argv], standalone_mode=False)
    finally:
        backend.Backend.raw_sql = original  # type: ignore[method-assign]
    return sent


def replay(statements: list[str], repeat: int) -> list[float]:
    """Each statement's least wall time over `repeat` replays of the whole sequence."""
    import duckdb

    least = [float("inf")] * len(statements)
    for _ in range(repeat):
        con = duckdb.connect()
        for i, sql in enumerate(statements):
            started = time.perf_counter()
            con.execute(sql).fetchall()
            least[i] = min(least[i], time.perf_counter() - started)
        con.close()
    return least


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("population", type=Path)
    parser.add_argument("--policies", type=Path)
    parser.add_argument("--as-of", default="2025-06-30")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        argv = [str(args.population), "--out", str(Path(tmp) / "out.parquet"), "--as-of", args.as_of]
        if args.policies:
            argv += ["--policies", str(args.policies)]
        statements = record(argv)
        least = replay(statements, args.repeat)
    for seconds, sql in zip(least, statements, strict=True):
        if seconds > 0.03:
            print(f"{seconds:6.3f}  {' '.join(sql[:100].split())}")
    print(f"{len(statements)} statements; sum of the least times {sum(least):.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
