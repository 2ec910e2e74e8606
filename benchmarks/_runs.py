"""Timing one `huiqi` command in its own process, by hand-run benchmarks (not a test).

Wall time as the shell sees it (start of the process to its end), CPU (user + system of that
process alone) and peak RSS. `baseline`: a folder holding another checkout's `src` (e.g. made
with `git archive <commit> | tar -x -C DIR`), put first on PYTHONPATH so the same environment
runs the old code — timed interleaved with the new, run for run, so both see the same load.
Bytecode is compiled first and kept (this environment sets PYTHONDONTWRITEBYTECODE, which would
make every run compile its imports from source: seconds that no installed huiqi pays).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HUIQI = shutil.which("huiqi") or str(Path(sys.executable).parent / "huiqi")


def env(baseline: Path | None = None, **extra: str) -> dict[str, str]:
    found = dict(os.environ)
    found.pop("PYTHONDONTWRITEBYTECODE", None)
    if baseline is not None:
        found["PYTHONPATH"] = str(baseline / "src")
    return {**found, **extra}


def compile_bytecode(*sources: Path) -> None:
    site = Path(sys.prefix) / "lib"
    for folder in (site, *sources):
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", "-j", "0", str(folder)],
            env=env(),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def timed(
    argv: list[str], environment: dict[str, str], stdout: int | None = subprocess.DEVNULL, expect: int = 0
) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one run."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=environment, stdout=stdout, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != expect:
        raise SystemExit(f"{' '.join(argv)} exited {os.waitstatus_to_exitcode(status)}: {errors.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def summary(runs: list[tuple[float, float, float]]) -> str:
    walls = sorted(r[0] for r in runs)
    cpus = sorted(r[1] for r in runs)
    return (
        f"wall min {walls[0]:.2f} s, median {statistics.median(walls):.2f} s; "
        f"CPU min {cpus[0]:.2f} s, median {statistics.median(cpus):.2f} s; "
        f"peak RSS {max(r[2] for r in runs):.0f} MiB ({len(runs)} runs)"
    )


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return done.stdout.strip() + (" (with uncommitted changes)" if dirty else "")
