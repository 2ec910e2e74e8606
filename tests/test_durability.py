"""Kill the server (SIGKILL) in the middle of a burst of filings, restart it, and check that every
acknowledged filing is there and that retrying with the same Idempotency-Key never files twice."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from huiqi.ledger.database import make_engine, upgrade
from huiqi.ledger.uow import Ledger
from huiqi.rules.library import Library
from tests.ledger_world import MINHANG, build_world

FILINGS = 100
KILL_AFTER = 30


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    huiqi = Path(sys.executable).parent / "huiqi"
    process = subprocess.Popen(
        [str(huiqi), "serve", "--db", str(db), "--port", str(port)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not start:\n" + log.read_text(errors="replace"))


def test_acknowledged_filings_survive_a_kill(tmp_path: Path, library: Library) -> None:
    db = tmp_path / "ledger.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    seed = Ledger(make_engine(url), library)
    world = build_world(seed)
    seed.engine.dispose()
    project = world.subjects[(MINHANG, "M1")]
    headers = world.headers("minhang-user")
    port = _port()
    log = tmp_path / "server.log"
    server = _start(db, port, log)

    acknowledged: dict[int, int] = {}  # filing number -> application id
    lock = threading.Lock()
    killed = threading.Event()

    def body(n: int) -> dict[str, object]:
        return {"enterprise": MINHANG, "project": project, "measure": "minhang-2018.demo", "year": 2000 + n}

    def send(numbers: range) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for n in numbers:
                if killed.is_set():
                    return
                try:
                    response = client.post(
                        "/v1/applications", json=body(n), headers={**headers, "Idempotency-Key": f"filing-{n}"}
                    )
                except httpx.HTTPError:
                    continue  # the server died under this request: not acknowledged
                if response.status_code == 201:
                    with lock:
                        acknowledged[n] = response.json()["id"]
                        if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                            killed.set()
                            server.send_signal(signal.SIGKILL)

    workers = [threading.Thread(target=send, args=(range(i, FILINGS, 4),)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    server.wait(timeout=30)
    assert killed.is_set()
    assert server.returncode == -signal.SIGKILL
    assert len(acknowledged) >= KILL_AFTER

    server = _start(db, port, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            stored = {
                a["year"] - 2000: a["id"]
                for a in client.get("/v1/applications", params={"limit": 500}, headers=headers).json()["items"]
            }
            for n, application in acknowledged.items():
                assert stored.get(n) == application, f"acknowledged filing {n} is lost"
            # The client retries everything it is unsure of, with the same keys: nothing is filed twice.
            for n in range(FILINGS):
                retry = client.post(
                    "/v1/applications", json=body(n), headers={**headers, "Idempotency-Key": f"filing-{n}"}
                )
                assert retry.status_code == 201, retry.json()
                if n in acknowledged:
                    assert retry.json()["id"] == acknowledged[n]
                    assert retry.headers["idempotent-replayed"] == "true"
            final = client.get("/v1/applications", params={"limit": 500}, headers=headers).json()["items"]
            assert sorted(a["year"] - 2000 for a in final) == list(range(FILINGS))
            assert client.get("/v1/audit/verify", headers=world.headers("admin")).json()["ok"] is True
    finally:
        server.kill()
        server.wait(timeout=30)
