"""The officers' dashboards' speed (issue 21): each dashboard page's server time, median of N.

Two ledgers: the demo's (./run's data, 38 applications) and one of 10,000 applications. The large
one is made by a shortcut: enterprises, applications in every state, awards with a tranche each,
payments and budgets bulk-inserted straight into a fresh SQLite ledger with SQLAlchemy
(tests/dashboard_world.py) — no services, no workflow checks, no audit chain — since filing
10,000 applications through the services takes minutes and the dashboards only read the tables.
The simulations' pages read a `huiqi simulate --out` folder of 300 synthetic enterprises.

Each page is asked through FastAPI's TestClient in this process (the whole app: middleware,
session lookup, queries, template), so the time is the server's, without a socket. A warm-up of
5 requests first.

    .venv/bin/python benchmarks/bench_dashboard.py [--repeat 50]

Target: each dashboard's median ≤ 100 ms at both sizes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from huiqi.entrypoints.api.app import create_app  # noqa: E402
from huiqi.ledger.database import make_engine, upgrade  # noqa: E402
from huiqi.ledger.uow import Ledger  # noqa: E402
from huiqi.policy_files import load_library  # noqa: E402
from tests import dashboard_world  # noqa: E402
from tests.simulation_world import make_simulation  # noqa: E402
from tests.web_world import add_officer, demo_web_app, sign_in_client  # noqa: E402

PAGES = (
    "/dashboard",
    "/dashboard?policy=lingang-2024&year=2025",
    "/dashboard/budgets.csv",
    "/dashboard/awards-by-month.csv",
    "/dashboard/simulations",
    "/dashboard/simulations/lingang-rd-40",
    "/dashboard/simulations/lingang-rd-40/gains.csv",
)
TARGET_MS = 100.0


def timed(client: TestClient, url: str, repeat: int) -> list[float]:
    for _ in range(5):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
    return times


def large_ledger(folder: Path, applications: int) -> tuple[TestClient, Ledger]:
    url = f"sqlite:///{folder / 'large.db'}"
    upgrade(url)
    ledger = Ledger(make_engine(url), load_library())
    started = time.perf_counter()
    dashboard_world.fill(ledger.engine, applications)
    print(f"bulk-inserted {applications:,} applications in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    add_officer(ledger, "bench-finance", "finance")
    return sign_in_client(TestClient(create_app(ledger)), "bench-finance"), ledger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--applications", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="huiqi-bench-dash-") as tmp:
        folder = Path(tmp)
        simulations = make_simulation(folder / "sims", firms=300).parent
        app, demo_ledger, _users = demo_web_app(folder, load_library())
        demo = sign_in_client(TestClient(app), "demo-finance")
        large, large_ledger_ = large_ledger(folder, args.applications)
        for client in (demo, large):
            client.app.state.simulations_dir = simulations  # type: ignore[attr-defined]
        print(f"{'page':<50} {'ledger':>8} {'median ms':>10} {'p90 ms':>8}")
        worst = 0.0
        for url in PAGES:
            for label, client in (("demo", demo), (f"{args.applications // 1000}k", large)):
                times = sorted(timed(client, url, args.repeat))
                median = statistics.median(times)
                worst = max(worst, median)
                print(f"{url:<50} {label:>8} {median:>10.1f} {times[int(len(times) * 0.9) - 1]:>8.1f}")
        verdict = "met" if worst <= TARGET_MS else "NOT met"
        print(f"slowest median {worst:.1f} ms; target ≤ {TARGET_MS:.0f} ms: {verdict}")
        demo_ledger.engine.dispose()
        large_ledger_.engine.dispose()


if __name__ == "__main__":
    main()
