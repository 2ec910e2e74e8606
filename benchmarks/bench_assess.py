"""One full-library assessment of a realistic enterprise with five projects, in-process.

Target (issue 2): median <= 0.5 ms. Run: uv run python benchmarks/bench_assess.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from huiqi.engine.interpret import evaluate
from huiqi.policy_files import load_facts, load_library

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--facts", type=Path, default=ROOT / "examples" / "lingang-ai-chip.yaml")
    args = parser.parse_args()
    library = load_library()
    facts = load_facts(args.facts)
    assert facts.as_of is not None
    for _ in range(200):  # warm-up
        evaluate(facts, library, facts.as_of)
    timings = []
    for _ in range(args.runs):
        start = time.perf_counter_ns()
        evaluate(facts, library, facts.as_of)
        timings.append((time.perf_counter_ns() - start) / 1e6)
    timings.sort()
    measures = sum(len(p.measures) for p in library.policies)
    print(f"facts: {args.facts.name} ({len(facts.projects)} projects), library: {measures} measures")
    print(f"runs: {args.runs}")
    print(f"median: {statistics.median(timings):.3f} ms   p95: {timings[int(0.95 * len(timings))]:.3f} ms   "
          f"min: {timings[0]:.3f} ms")


if __name__ == "__main__":
    main()
