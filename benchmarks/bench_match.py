"""`huiqi match` over the demo ledger, cold: the whole command's wall time from a shell (issue 19).

    uv run python benchmarks/bench_match.py [--runs 7] [--engine auto|duckdb] [--baseline DIR]

The demo ledger (`huiqi demo-data`, ten enterprises) in a temporary folder, then
`huiqi match --db DB --as-of 2020-06-30 --out push.xlsx` as the README has it, each run with a
new, empty plan cache (HUIQI_CACHE_DIR): nothing kept from an earlier run. With --baseline,
the same command from another checkout's source, interleaved run for run. Target: ≤ 1 s.
Figures in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from _runs import HUIQI, ROOT, commit, compile_bytecode, env, load, summary, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--engine", default=None, help="auto (default), interpreter or duckdb")
    parser.add_argument("--baseline", type=Path, help="another checkout (its src/) to time side by side")
    args = parser.parse_args()
    compile_bytecode(ROOT / "src", *([args.baseline / "src"] if args.baseline else []))
    print(f"commit {commit()}; {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "huiqi.db"
        subprocess.run([HUIQI, "demo-data", "--db", str(db)], env=env(), check=True, stdout=subprocess.DEVNULL)
        argv = [HUIQI, "match", "--db", str(db), "--as-of", "2020-06-30", "--out", str(Path(tmp) / "push.xlsx")]
        sides: dict[str, tuple[list[str], Path | None]] = {
            "this": ([*argv, *(["--engine", args.engine] if args.engine else [])], None)
        }
        if args.baseline:
            sides["baseline"] = (argv, args.baseline)
        runs: dict[str, list[tuple[float, float, float]]] = {side: [] for side in sides}
        for command, baseline in sides.values():  # a warm-up: the page cache, not the plan cache
            timed(command, env(baseline, HUIQI_CACHE_DIR=str(Path(tmp) / "warm-up")))
        for number in range(args.runs):
            for side, (command, baseline) in sides.items():
                cache = Path(tmp) / f"cache-{side}-{number}"  # new and empty: cold
                runs[side].append(timed(command, env(baseline, HUIQI_CACHE_DIR=str(cache))))
        for side in sides:
            print(f"{side}: {summary(runs[side])}")
    print(load())


if __name__ == "__main__":
    main()
