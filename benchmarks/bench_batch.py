"""Batch benchmark: `huiqi batch` end to end (Parquet -> Parquet) on synthetic populations: wall, CPU, peak RSS.

    uv run python benchmarks/bench_batch.py 33000 330000      # ≈ 100,000 and 1,000,000 rows
    uv run python benchmarks/bench_batch.py 330000 --engine spark

Each size: `huiqi synth N` (not timed), then `huiqi batch` in its own process under
/usr/bin/time-like accounting (wall, user+system CPU, peak RSS of that process alone), twice:
with its plan cache empty (it compiles the library) and then warm (the SQL the first run kept;
huiqi.batch.plan_cache).
Python's bytecode is compiled once first: this environment sets PYTHONDONTWRITEBYTECODE, which
would otherwise make every run recompile Ibis, pandas and sqlglot from source (seconds).
Run by hand (not a test); figures in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return {**env, **extra}


def _timed(argv: list[str], cache: str) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one child process, with its plan cache in `cache`."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=_env(HUIQI_CACHE_DIR=cache), stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({status})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("firms", type=int, nargs="*", default=[33_000])
    parser.add_argument("--engine", default="duckdb")
    parser.add_argument("--as-of", default="2025-06-30")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", "src"], env=_env(), check=False)
    subprocess.run(["huiqi", "--help"], env=_env(), stdout=subprocess.DEVNULL, check=True)  # warm imports
    print("| firms | rows | engine | plan cache | wall (s) | CPU (s) | peak RSS (MiB) |")
    print("| ---: | ---: | --- | --- | ---: | ---: | ---: |")
    for firms in args.firms:
        with tempfile.TemporaryDirectory() as tmp:
            population = Path(tmp) / "population.parquet"
            subprocess.run(["huiqi", "synth", str(firms), "--out", str(population)], env=_env(), check=True)
            import pyarrow.parquet as pq

            rows = pq.ParquetFile(population).metadata.num_rows
            out = Path(tmp) / "out.parquet"
            argv = ["huiqi", "batch", str(population), "--out", str(out), "--as-of", args.as_of]
            for cache in ("cold", "warm"):  # the second run finds what the first kept
                wall, cpu, rss = _timed([*argv, "--engine", args.engine], str(Path(tmp) / "plan-cache"))
                row = f"| {firms:,} | {rows:,} | {args.engine} | {cache} | {wall:.1f} | {cpu:.1f} | {rss:.0f} |"
                print(row, flush=True)


if __name__ == "__main__":
    main()
