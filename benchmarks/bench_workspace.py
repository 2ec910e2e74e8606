"""The signed-in pages' speed (issue 21): the review queue, its filters, the lists, an application's
page and the enterprise portal — each page's server time, median of N.

Two ledgers: the demo's (./run's data, 38 applications) and the demo's with 10,000 applications.
The large one is a shortcut: the demo's own applications copied (same enterprises and subjects,
so their facts are valid for the engine; the states cycled) with SQLAlchemy bulk inserts, without
the services, the workflow's checks or the audit chain — filing 10,000 through the services takes
minutes, and these pages only read. An application page and the portal run the engine, so their
time is mostly the engine's and the enterprise's own rows, not the ledger's size.

Each page is asked through FastAPI's TestClient in this process (the whole app: middleware,
session lookup, queries, template), so the time is the server's, without a socket.

    .venv/bin/python benchmarks/bench_workspace.py [--repeat 30]

Targets: each page's median ≤ 50 ms; the queue's filters ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from huiqi.ledger import tables as t  # noqa: E402
from huiqi.policy_files import load_library  # noqa: E402
from tests.web_world import demo_web_app, sign_in_client  # noqa: E402

STATES = ("draft", "submitted", "under_review", "returned", "approved", "accepted", "closed", "rejected", "withdrawn")
PAGES = (  # (user, url, target ms)
    ("demo-reviewer", "/work", 50),
    ("demo-reviewer", "/work?state=all", 100),
    ("demo-reviewer", "/work?state=all&district=lingang&policy=lingang-2024&from=2025-01-01&to=2025-12-31", 100),
    ("demo-finance", "/work/awards", 50),
    ("demo-finance", "/work/payments", 50),
    ("demo-approver", "/applications/{app}", 50),
    ("demo-lingang-ai-chip", "/portal", 50),
)


def grow(engine: object, applications: int) -> None:
    """Copies of the demo's applications until the ledger holds `applications`."""
    with Session(engine) as session:  # type: ignore[arg-type]
        demo = session.execute(select(t.Application)).scalars().all()
        now = datetime.now(UTC)
        rows = []
        for i in range(applications - len(demo)):
            source = demo[i % len(demo)]
            rows.append(
                {
                    "enterprise_id": source.enterprise_id,
                    "project_id": source.project_id,
                    "measure": source.measure,
                    "policy": source.policy,
                    "year": 2000 + i % 26,  # another year: no two open applications for one subject and year
                    "state": STATES[i % len(STATES)],
                    "requested": None,
                    "submitted_on": source.submitted_on,
                    "note": "",
                    "created_by": None,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
        session.execute(insert(t.Application), rows)
        session.commit()


def timed(client: TestClient, url: str, repeat: int) -> list[float]:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, url
    return sorted(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--applications", type=int, default=10_000)
    args = parser.parse_args()
    print(f"{'page':<95} {'ledger':>6} {'median':>7} {'p90':>7} {'target':>6}")
    worst_over = []
    for size in ("demo", "large"):
        with tempfile.TemporaryDirectory(prefix="huiqi-bench-work-") as tmp:
            app, ledger, _users = demo_web_app(Path(tmp), load_library())
            if size == "large":
                started = time.perf_counter()
                grow(ledger.engine, args.applications)
                print(f"(copied up to {args.applications:,} applications in {time.perf_counter() - started:.1f} s)")
            clients: dict[str, TestClient] = {}
            with Session(ledger.engine) as session:
                approved = session.execute(select(t.Application.id).where(t.Application.state == "approved")).scalar()
            for user, url, target in PAGES:
                client = clients.setdefault(user, sign_in_client(TestClient(app), user))
                times = timed(client, url.format(app=approved), args.repeat)
                median = statistics.median(times)
                if median > target:
                    worst_over.append(f"{url} ({size}): {median:.1f} ms")
                label = size if size == "demo" else f"{args.applications // 1000}k"
                shown = url.format(app=approved)
                print(f"{shown:<95} {label:>6} {median:>7.1f} {times[int(len(times) * 0.9) - 1]:>7.1f} {target:>6}")
            ledger.engine.dispose()
    print("every target met" if not worst_over else "NOT met: " + "; ".join(worst_over))


if __name__ == "__main__":
    main()
