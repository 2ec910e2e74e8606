"""Benchmarks of the ledger service (issue 3), run by hand.

1. /v1/assess under load: `huiqi serve --workers 2` on loopback, wrk with 32 connections
   posting the facts of an example enterprise; requests/s and latency percentiles.
   Target: >= 1,000 requests/s and p99 <= 30 ms.
2. Ledger cycles on PostgreSQL: file -> submit -> start review -> review -> approve -> pay,
   through the service functions, from several threads at once; cycles per second.

    uv run python benchmarks/bench_api.py [--seconds 20] [--skip-cycles]

Needs wrk (Debian package `wrk`) and, for the cycles, PostgreSQL server binaries
(/usr/lib/postgresql/*/bin); the script starts a private server in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from huiqi.facts.credit_code import complete  # noqa: E402
from huiqi.ledger import applications, catalogue, payments  # noqa: E402
from huiqi.ledger import tables as t  # noqa: E402
from huiqi.ledger.actors import SYSTEM, Actor  # noqa: E402
from huiqi.ledger.database import make_engine, upgrade  # noqa: E402
from huiqi.ledger.uow import Ledger, UnitOfWork  # noqa: E402
from huiqi.ledger.users import actor_of, add_user  # noqa: E402
from huiqi.ledger.workflow import Action, Role  # noqa: E402
from huiqi.money import parse_amount  # noqa: E402
from huiqi.policy_files import load_library  # noqa: E402
from tests import postgres  # noqa: E402

HUIQI = Path(sys.executable).parent / "huiqi"
IN_2020 = datetime(2020, 6, 1, 9, 0, tzinfo=UTC)


def facts_json(example: str) -> str:
    data = yaml.safe_load((ROOT / "examples" / example).read_text(encoding="utf-8"))
    data.pop("prior_awards", None)
    return json.dumps(data, default=str, ensure_ascii=False)


def serve(db: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [str(HUIQI), "serve", "--db", str(db), "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def wrk(port: int, token: str, body: str, seconds: int, connections: int) -> dict[str, float]:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body, ensure_ascii=False)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("P50 %f\\nP90 %f\\nP99 %f\\n", latency:percentile(50), '
        "latency:percentile(90), latency:percentile(99)))\n"
        '  io.write(string.format("NON2XX %d\\n", summary.errors.status))\n'
        "end\n",
        encoding="utf-8",
    )
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), f"http://127.0.0.1:{port}/v1/assess"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    script.unlink()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    figures = {key: float(value) / 1000 for key, value in re.findall(r"^(P\d+) ([\d.]+)$", out, re.M)}
    errors = int(re.search(r"NON2XX (\d+)", out).group(1))  # type: ignore[union-attr]
    return {"rps": rps, **figures, "non2xx": errors}


def bench_assess(seconds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="huiqi-bench-"))
    db = folder / "ledger.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    ledger = Ledger(make_engine(url), load_library())
    token = ledger.run(SYSTEM, lambda uow: add_user(uow, "bench", "reviewer")[1])
    ledger.engine.dispose()
    port = 8765
    server = serve(db, port, workers=2)
    try:
        for example in ("lingang-ai-chip.yaml", "minhang-robotics.yaml"):
            body = facts_json(example)
            check = httpx.post(
                f"http://127.0.0.1:{port}/v1/assess",
                content=body.encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            check.raise_for_status()
            size = len(check.content)
            wrk(port, token, body, 3, 32)  # warm-up
            result = wrk(port, token, body, seconds, 32)
            print(
                f"/v1/assess {example}: {result['rps']:.0f} req/s, p50 {result['P50']:.1f} ms, "
                f"p90 {result['P90']:.1f} ms, p99 {result['P99']:.1f} ms, non-2xx {result['non2xx']:.0f}, "
                f"response {size / 1024:.0f} KiB (32 connections, 2 workers, {seconds} s)"
            )
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def bench_cycles(seconds: int, threads: int) -> None:
    with postgres.server() as admin:
        if admin is None:
            print("cycles: PostgreSQL not installed; skipped")
            return
        url = postgres.fresh_database(admin)
        upgrade(url)
        # The seed policy is in force 2018-10 to 2021-09: the ledger's clock stands in 2020.
        ledger = Ledger(make_engine(url, pool_size=threads + 2), load_library(), clock=lambda: IN_2020)
        data = yaml.safe_load((ROOT / "examples" / "minhang-robotics.yaml").read_text(encoding="utf-8"))
        template = data["projects"][0]

        def setup(uow: object) -> dict[str, Actor]:
            actors = {}
            for name, role in [("r", "reviewer"), ("a", "approver"), ("f", "finance")]:
                user, _ = add_user(uow, name, role)  # type: ignore[arg-type]
                actors[name] = actor_of(user)
            payments.set_budget(uow, "minhang-2018", 2020, parse_amount("1000亿"), None)  # type: ignore[arg-type]
            return actors

        officers = ledger.run(SYSTEM, setup)
        r, a, f = officers["r"], officers["a"], officers["f"]
        review = {"conflict_of_interest": False, "decided": parse_amount("250万"), "scores": []}
        counter = iter(range(10**9))
        lock = threading.Lock()
        done = [0]
        stop = time.monotonic() + seconds

        def cycle() -> None:
            # One enterprise per cycle (as in a call for applications): the engine evaluates the
            # whole enterprise at each approval, so one firm with thousands of projects would
            # measure that firm, not the ledger.
            with lock:
                n = next(counter)
            code = complete(f"91310112{n:09d}")
            enterprise = {**data["enterprise"], "credit_code": code, "name": f"基准企业{n}"}

            def register(uow: UnitOfWork) -> tuple[int, int]:
                company = catalogue.add_enterprise(uow, enterprise)
                project = catalogue.add_project(uow, code, "project", {**template, "id": "P1"})
                return company.id, project.id

            company_id, pid = ledger.run(SYSTEM, register)
            e = Actor(0, f"bench-{n}", Role.ENTERPRISE, company_id)
            app = ledger.run(
                e,
                lambda uow: (
                    applications.file_application(
                        uow, enterprise=code, project=pid, measure="minhang-2018.demo", year=2020
                    ).id
                ),
            )
            ledger.run(e, lambda uow: applications.act(uow, app, Action.SUBMIT))
            ledger.run(r, lambda uow: applications.act(uow, app, Action.START_REVIEW))
            ledger.run(r, lambda uow: applications.add_review(uow, app, review))
            ledger.run(a, lambda uow: applications.act(uow, app, Action.APPROVE))
            first = (
                select(t.Tranche.id).join(t.Award).where(t.Award.application_id == app, t.Tranche.trigger == "approval")
            )
            tranche = ledger.read(SYSTEM, lambda uow: uow.session.execute(first).scalar_one())
            ledger.run(f, lambda uow: payments.pay(uow, tranche, paid_on=None, reference="", expected=None))

        def worker() -> None:
            while time.monotonic() < stop:
                cycle()
                with lock:
                    done[0] += 1

        started = time.monotonic()
        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        elapsed = time.monotonic() - started
        print(
            f"ledger cycles on PostgreSQL (file, submit, start review, review, approve, pay; {threads} threads): "
            f"{done[0] / elapsed:.1f} cycles/s ({done[0]} in {elapsed:.1f} s)"
        )
        ledger.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--skip-cycles", action="store_true")
    parser.add_argument("--skip-assess", action="store_true")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    if not args.skip_assess:
        bench_assess(args.seconds)
    if not args.skip_cycles:
        bench_cycles(args.seconds, args.threads)


if __name__ == "__main__":
    main()
