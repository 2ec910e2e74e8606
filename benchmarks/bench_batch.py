"""Batch benchmark: `huiqi batch` end to end (Parquet -> Parquet) on a synthetic population, wall and peak RSS.

    uv run python benchmarks/bench_batch.py 330000     # ≈ 1,000,000 rows

Run by hand (not a test); figures in benchmarks/README.md.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(firms: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        population = Path(tmp) / "population.parquet"
        subprocess.run(["huiqi", "synth", str(firms), "--out", str(population)], check=True)
        started = time.perf_counter()
        subprocess.run(
            ["huiqi", "batch", str(population), "--out", str(Path(tmp) / "out.parquet"), "--as-of", "2025-06-30"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"{firms:,} firms: {wall:.1f} s wall, peak RSS {rss:.0f} MiB (the larger of synth and batch)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
