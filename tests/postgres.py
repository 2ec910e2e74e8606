"""A private PostgreSQL server for the tests: started once per test session on loopback.

$HUIQI_TEST_POSTGRES_URL points the tests at an existing server instead. Without either
(PostgreSQL not installed), the PostgreSQL half of the ledger tests is skipped — unless
$HUIQI_REQUIRE_POSTGRES=1 (set by .ci/run), which turns that into a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_owner(argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def server() -> Iterator[str | None]:
    """The admin URL of a running server, or None when PostgreSQL is not available."""
    given = os.environ.get("HUIQI_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bin_dir = _binaries()
    if bin_dir is None:
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="huiqi-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    port = _free_port()
    subprocess.run(
        _as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "huiqi", "--auth=trust", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=200"
    subprocess.run(
        _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://huiqi@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(admin_url: str) -> str:
    """A new empty database on the server; its SQLAlchemy URL."""
    name = "t_" + uuid.uuid4().hex[:12]
    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    for attempt in range(50):
        try:
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            break
        except psycopg.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.1)
    return admin_url.rsplit("/", 1)[0] + "/" + name
