"""`huiqi calc` on one facts file of many projects, by size, to show linearity (issue 19).

    uv run python benchmarks/bench_calc.py [20000 40000 80000] [--runs 3] [--text] [--baseline DIR]
    uv run python benchmarks/bench_calc.py --junk [--baseline DIR]

Each size: a facts file made from examples/lingang-ai-chip.yaml — its enterprise, its five
projects repeated with new ids (P1 … PN) and, for every tenth project, a prior award of that
project's measure (so caps look prior awards up) — then `huiqi calc FILE --json` in its own
process, stdout to /dev/null: reading, validating, evaluating (with explanations) and writing
the whole JSON report (≈ 7 KiB per project). `--text` times the readable report instead.
HUIQI_MAX_FACTS_BYTES is raised for files above the 8 MiB default (40,000 projects and more).
Target: 20,000 projects in ≤ 3 s, and time per project flat as the size grows.

`--junk`: a 270 MB file of text (YAML-looking lines) through `huiqi calc`: refused from its size
(exit 2) before a byte is read. With --baseline the old code reads it (stopped after 120 s).
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

from _runs import HUIQI, ROOT, commit, compile_bytecode, env, load, summary, timed

MEASURES = {  # the example's projects, by kind, and the measure a prior award of each is for
    "rd_innovation": "lingang-2024.rd",
    "foundation_model": "lingang-2024.foundation-model",
    "application_demo": "lingang-2024.demo",
    "testing": "lingang-2024.testing",
    "procurement": "lingang-2024.procurement",
}


def facts_file(projects: int, path: Path) -> Path:
    text = (ROOT / "examples" / "lingang-ai-chip.yaml").read_text("utf-8")
    head, rest = text.split("projects:\n", 1)
    block, awards = rest.split("prior_awards:\n", 1)
    items = ["  - id:" + item for item in block.split("  - id:")[1:]]
    kinds = [re.search(r"kind: (\w+)", item).group(1) for item in items]  # type: ignore[union-attr]
    with open(path, "w", encoding="utf-8") as out:
        out.write(head + "projects:\n")
        for i in range(projects):
            out.write(re.sub(r"id: P\d+", f"id: P{i + 1}", items[i % len(items)], count=1))
        out.write("prior_awards:\n" + awards)
        for i in range(0, projects, 10):
            measure = MEASURES[kinds[i % len(items)]]
            out.write(f"  - {{measure: {measure}, year: 2024, amount: 10万, subject: P{i + 1}}}\n")
    return path


def junk_file(path: Path, size: int = 270_000_000) -> Path:
    line = b"junk_" + b"x" * 90 + b": " + b"y" * 100 + b"\n"
    with open(path, "wb") as out:
        block = line * (1 << 20 // len(line) + 1)
        written = 0
        while written < size:
            out.write(block)
            written += len(block)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("projects", type=int, nargs="*", default=[20_000, 40_000, 80_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--text", action="store_true", help="the readable report instead of --json")
    parser.add_argument("--junk", action="store_true", help="time the refusal of a 270 MB file")
    parser.add_argument("--baseline", type=Path, help="another checkout (its src/) to time side by side")
    args = parser.parse_args()
    compile_bytecode(ROOT / "src", *([args.baseline / "src"] if args.baseline else []))
    sides = {"this": None, **({"baseline": args.baseline} if args.baseline else {})}
    print(f"commit {commit()}; {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.junk:
            junk = junk_file(Path(tmp) / "junk.yaml")
            for side, baseline in sides.items():
                argv = [HUIQI, "calc", str(junk)] if baseline is None else ["timeout", "120", HUIQI, "calc", str(junk)]
                try:
                    run = timed(argv, env(baseline), expect=2)
                    print(
                        f"{side}: 270 MB junk refused: wall {run[0]:.2f} s, CPU {run[1]:.2f} s, peak {run[2]:.0f} MiB"
                    )
                except SystemExit as stopped:
                    print(f"{side}: {str(stopped)[:200]}")
            print(load())
            return
        for projects in args.projects:
            path = facts_file(projects, Path(tmp) / f"facts-{projects}.yaml")
            argv = [HUIQI, "calc", str(path), *([] if args.text else ["--json"])]
            size = path.stat().st_size
            limit = {"HUIQI_MAX_FACTS_BYTES": str(max(size + 1, 8 << 20))}
            runs: dict[str, list[tuple[float, float, float]]] = {side: [] for side in sides}
            for _ in range(args.runs):
                for side, baseline in sides.items():
                    runs[side].append(timed(argv, env(baseline, **limit)))
            for side in sides:
                best = min(r[0] for r in runs[side])
                print(
                    f"{projects:,} projects ({size / (1 << 20):.1f} MiB) {side}: {summary(runs[side])}; "
                    f"{best / projects * 1e6:.0f} µs per project (best wall)"
                )
    print(load())


if __name__ == "__main__":
    main()
