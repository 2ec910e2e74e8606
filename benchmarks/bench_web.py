"""The public pages' speed (issue 20): each page's time, and the calculator's partial update.

Serves the app with uvicorn (one worker, in a subprocess, a fresh SQLite ledger) and asks each
public page N times over one keep-alive connection on loopback, after a warm-up. The round trip
bounds the server time from above (loopback adds ~0.1 ms). The partial update is the request
HTMX sends after an answer that changes the questions (POST /calculator/form with one project),
and the one it sends to check an answer (POST /calculator/check).

    ./huiqi-python benchmarks/bench_web.py [--repeat 200]    (or .venv/bin/python …)

Targets: each page's median ≤ 50 ms; the partial update's round trip ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
FORM = {
    "as_of": "2026-01-15",
    "enterprise.name": "上海智芯科技有限公司",
    "enterprise.credit_code": "91310000MA1FL0000N",
    "enterprise.business_district": "lingang",
    "enterprise.tax_district": "lingang",
    "enterprise.severe_credit_record": "false",
    "n.projects": "1",
    "projects[0].name": "AI芯片研发",
    "projects[0].kind": "rd_innovation",
    "projects[0].year": "2025",
    "projects[0].costs.new_investment": "3000万",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(call, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    for _ in range(10):
        call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code < 400, response.status_code
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        env = {**os.environ, "HUIQI_DATABASE_URL": f"sqlite:///{db}"}
        huiqi = ROOT / ".venv/bin/huiqi"
        subprocess.run([huiqi, "db", "upgrade"], env=env, check=True, capture_output=True)
        server = subprocess.Popen(
            [huiqi, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=30) as client:
                for _ in range(100):
                    try:
                        client.get("/healthz")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                page = client.get("/calculator").text
                token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
                headers = {"X-CSRF-Token": token, "HX-Request": "true"}
                done = client.post("/calculator", data={**FORM, "csrf_token": token}, follow_redirects=False)
                result = done.headers["location"]
                cases = {
                    "GET /": lambda: client.get("/"),
                    "GET /policies": lambda: client.get("/policies"),
                    "GET /policies?q=新增投资": lambda: client.get("/policies", params={"q": "新增投资"}),
                    "GET /policies/lingang-2024": lambda: client.get("/policies/lingang-2024"),
                    "GET /policies/minhang-2018": lambda: client.get("/policies/minhang-2018"),
                    "GET /calculator": lambda: client.get("/calculator"),
                    "GET /signin": lambda: client.get("/signin"),
                    "GET " + "/calculator/r/…": lambda: client.get(result),
                    "POST /calculator/form (partial)": lambda: client.post(
                        "/calculator/form", data=FORM, headers=headers
                    ),
                    "POST /calculator/check (partial)": lambda: client.post(
                        "/calculator/check",
                        data={"projects[0].year": "2025"},
                        headers={**headers, "HX-Trigger-Name": "projects[0].year"},
                    ),
                }
                print(f"{'request':40} {'median':>9} {'p95':>9}  (ms, {args.repeat} each)")
                for name, call in cases.items():
                    times = sorted(timed(call, args.repeat))
                    p95 = times[int(len(times) * 0.95) - 1]
                    print(f"{name:40} {statistics.median(times):9.1f} {p95:9.1f}")
        finally:
            server.terminate()
            server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
