"""Peers: huiqi batch, an OpenFisca model and a NumPy kernel, side by side on one population (issue 4).

    uv run python benchmarks/bench_peers.py                  # 330,000 firms (≈ 1,000,000 rows)
    uv run python benchmarks/bench_peers.py --firms 10000    # a quick run

One synthetic population (`huiqi synth`); each engine runs end to end in its own process:
read the Parquet input, compute, write a Parquet output. Wall time and peak RSS per process
come from /usr/bin/time. The engines:

- huiqi batch, the whole library (20 measures, every row checked, per-year columns, the
  firms' totals) and the same restricted to the subset's library (peers/subset.py), each with
  its plan cache cold (an empty folder per run: it compiles) and warm (the library's SQL kept
  by an earlier run, not timed: huiqi.batch.plan_cache);
- the OpenFisca model of the subset (peers/openfisca_model/, float32 money as OpenFisca has it),
  and the same with float64 (an experiment: not how OpenFisca is used);
- the NumPy kernel of the subset on int64 fen (peers/numpy_kernel.py).

Then exactness: the interpreter's figures for a random sample of firms (--exact-firms, 0 for
all), and per engine the results whose paid min or max is 0.01 yuan or more away from them.
Run by hand (not a test); figures in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from peers import exact
from peers.subset import REPO, Phases, write_library

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


@dataclass
class Run:
    name: str
    output: Path
    wall: float  # seconds
    rss: float  # MiB, peak resident set of the process
    phases: dict[str, float]


def timed(name: str, command: list[str], output: Path, cache: str | None = None) -> Run:
    """Run one engine under /usr/bin/time; its stderr may carry a `phases:` line (peers/subset.Phases).
    `cache`: huiqi's plan cache folder, "cold" for a new empty one."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report, tempfile.TemporaryDirectory() as empty:
        env = {**os.environ, "PYTHONPATH": str(HERE)}
        if cache is not None:
            env["HUIQI_CACHE_DIR"] = empty if cache == "cold" else cache
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%e %M", "-o", report.name, *command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=HERE,
            check=False,
        )
        if done.returncode != 0:
            sys.exit(f"{name} failed:\n{done.stderr}")
        wall, kib = report.read().split()[-2:]
    phases = {}
    for line in done.stderr.splitlines():
        if line.startswith(Phases.PREFIX):
            phases = json.loads(line.removeprefix(Phases.PREFIX))
    print(f"  {name}: {float(wall):.1f} s, {int(kib) / 1024:.0f} MiB {phases or ''}", flush=True)
    return Run(name, output, float(wall), int(kib) / 1024, phases)


def byte_compile() -> None:
    """Write the byte-code of the environment and the sources once, before anything is timed.

    This sandbox sets PYTHONDONTWRITEBYTECODE=1, so otherwise every engine's process compiles
    every module it imports from source on every run (pandas alone: seconds), a start-up cost
    that no installed deployment pays. Processes still read the byte-code with that setting.
    """
    paths = [sysconfig.get_paths()["purelib"], REPO / "src", HERE]
    subprocess.run([sys.executable, "-m", "compileall", "-qq", "-j", "0", *map(str, paths)], check=False)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, load average {load:.1f} at the start"


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    return out.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=330_000)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 6, 30))
    parser.add_argument("--exact-firms", type=int, default=20_000, help="firms the interpreter checks; 0 = all")
    parser.add_argument("--workers", type=int, default=2, help="interpreter processes for the exact figures")
    parser.add_argument("--keep", type=Path, help="keep the population and outputs in this folder")
    parser.add_argument("--repeat", type=int, default=1, help="run each engine this many times; report the fastest")
    args = parser.parse_args()
    as_of = args.as_of.isoformat()
    byte_compile()
    print(f"{date.today()}, commit {commit()}, {machine()}")
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        population = tmp / "population.parquet"
        started = time.perf_counter()
        subprocess.run([BIN / "huiqi", "synth", str(args.firms), "--out", population], check=True)
        print(f"  synth: {time.perf_counter() - started:.1f} s (not part of any engine's time)")
        library = write_library(tmp / "subset-library")
        subprocess.run([BIN / "huiqi", "policies", "check", library], check=True)

        def batch(out: str, *more: object) -> tuple[list[object], Path]:
            return [BIN / "huiqi", "batch", population, "--out", tmp / out, "--as-of", as_of, *more], tmp / out

        def peer(module: str, out: str, *more: object) -> tuple[list[object], Path]:
            return [sys.executable, "-m", module, population, tmp / out, "--as-of", as_of, *more], tmp / out

        warm = str(tmp / "plan-cache")
        engines = {
            "huiqi batch, whole library, cache cold": (*batch("huiqi.parquet"), "cold"),
            "huiqi batch, whole library, cache warm": (*batch("huiqi.parquet"), warm),
            "huiqi batch, subset library, cache cold": (*batch("huiqi-subset.parquet", "--policies", library), "cold"),
            "huiqi batch, subset library, cache warm": (*batch("huiqi-subset.parquet", "--policies", library), warm),
            "OpenFisca (float32)": (*peer("peers.openfisca_model.run", "openfisca.parquet"), None),
            "OpenFisca with float64 (experiment)": (
                *peer("peers.openfisca_model.run", "openfisca64.parquet", "--float64"),
                None,
            ),
            "NumPy kernel (int64 fen)": (*peer("peers.numpy_kernel", "numpy.parquet"), None),
        }
        runs = []
        for name, (command, output, cache) in engines.items():
            argv = [str(part) for part in command]
            if cache == warm:  # the plan kept by one run first, not timed
                subprocess.run(argv, env={**os.environ, "HUIQI_CACHE_DIR": warm}, capture_output=True, check=True)
            tries = [timed(name, argv, output, cache) for _ in range(args.repeat)]
            runs.append(min(tries, key=lambda run: run.wall))

        sample = args.exact_firms or None
        codes = exact.sample_codes(population, sample)
        started = time.perf_counter()
        reference = exact.interpreter(population, library, args.as_of, codes, workers=args.workers)
        print(
            f"  interpreter: {len(codes):,} firms, {len(reference):,} results in {time.perf_counter() - started:.0f} s"
        )
        checks = {run.name: exact.compare(reference, exact.engine_results(run.output, codes)) for run in runs}

    floor = runs[-1].wall
    print()
    some = next(iter(checks.values()))
    print(
        f"{args.firms:,} firms, as of {as_of}; exactness on {len(codes):,} firms: {some.results:,} results"
        f" (project × measure in scope), {some.paid:,} of them paying something"
    )
    print()
    print("| engine | wall (s) | × NumPy | peak RSS (MiB) | phases (s) | ≥ 0.01 yuan off | status ≠ | worst (yuan) |")
    print("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for run in runs:
        check = checks[run.name]
        phases = ", ".join(f"{k} {v:.1f}" for k, v in run.phases.items()) or "—"
        print(
            f"| {run.name} | {run.wall:.1f} | {run.wall / floor:.1f} | {run.rss:.0f} | {phases} "
            f"| {check.differ:,} | {check.status_differ:,} | {check.worst:,.2f} |"
        )


if __name__ == "__main__":
    main()
