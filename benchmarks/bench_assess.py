"""One full-library assessment of a realistic enterprise with five projects, in-process.

Target (issue 2): median <= 0.5 ms. Timings are taken over batches (the median of batch
means) because single calls of well under a millisecond are dominated by timer and
scheduler noise on a shared 2-core machine.

Run: uv run python benchmarks/bench_assess.py [--batches N] [--batch-size N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from huiqi.engine.interpret import evaluate
from huiqi.facts.models import Facts
from huiqi.policy_files import load_facts, load_library
from huiqi.rules.library import Library

ROOT = Path(__file__).resolve().parents[1]


def measure(facts: Facts, library: Library, *, explain: bool, batches: int, size: int) -> list[float]:
    assert facts.as_of is not None
    for _ in range(200):  # warm-up: compiled expressions, memoised texts
        evaluate(facts, library, facts.as_of, explain=explain)
    means = []
    for _ in range(batches):
        start = time.perf_counter_ns()
        for _ in range(size):
            evaluate(facts, library, facts.as_of, explain=explain)
        means.append((time.perf_counter_ns() - start) / size / 1e6)
    return sorted(means)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--facts", type=Path, default=ROOT / "examples" / "lingang-ai-chip.yaml")
    args = parser.parse_args()
    library = load_library()
    facts = load_facts(args.facts)
    measures = sum(len(p.measures) for p in library.policies)
    print(
        f"facts: {args.facts.name} ({len(facts.projects)} projects), library: {measures} measures, "
        f"{args.batches} batches of {args.batch_size}"
    )
    for explain in (True, False):
        means = measure(facts, library, explain=explain, batches=args.batches, size=args.batch_size)
        label = "with explanations" if explain else "figures only     "
        print(
            f"{label}: median {statistics.median(means):.3f} ms   best batch {means[0]:.3f} ms   "
            f"worst batch {means[-1]:.3f} ms"
        )


if __name__ == "__main__":
    main()
