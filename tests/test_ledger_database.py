"""One ledger database for every command and the service, named by each command, created only by
serve, db upgrade and demo-data; and no password of a database URL in anything printed."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from huiqi.entrypoints.cli import app
from huiqi.entrypoints.ledger_cli import banner
from huiqi.ledger.database import URL_ENV, database_url, ledger_state, upgrade
from huiqi.ledger.location import default_database
from huiqi.redact import redact
from tests import postgres
from tests.test_cli import HUIQI, ROOT, run

SECRET = "Pa55-w0rd-nobody-may-see"


def test_the_default_is_var_huiqi_db_in_the_checkout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(URL_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # wherever the command is started
    assert default_database() == ROOT / "var" / "huiqi.db"
    assert database_url() == f"sqlite:///{ROOT}/var/huiqi.db"
    assert "--db" not in (ROOT / "run").read_text()  # ./run serves the default too


def test_one_setting_for_the_commands_and_the_service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The issue's case: a user added by the CLI signs in to the service, both told only $HUIQI_DATABASE_URL."""
    from huiqi.entrypoints.api.server import app_from_env

    monkeypatch.setenv(URL_ENV, str(tmp_path / "shared.db"))
    created = CliRunner().invoke(app, ["db", "upgrade"])
    assert created.exit_code == 0, created.output
    added = CliRunner().invoke(app, ["users", "add", "li.hua", "--role", "approver"])
    assert added.exit_code == 0, added.output
    assert f"ledger database: {tmp_path / 'shared.db'}" in added.stderr
    token = added.stdout.strip().splitlines()[-1]
    service = app_from_env()
    with TestClient(service) as client:
        me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["name"] == "li.hua"
    service.state.ledger.engine.dispose()


def test_a_relative_path_is_from_the_current_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert database_url("ledgers/a.db") == f"sqlite:///{tmp_path}/ledgers/a.db"
    assert database_url("sqlite:///b.db") == f"sqlite:///{tmp_path}/b.db"


REFUSING = [
    ["users", "add", "li.hua", "--role", "approver"],
    ["users", "list"],
    ["users", "disable", "li.hua"],
    ["users", "enable", "li.hua"],
    ["users", "rotate-token", "li.hua"],
    ["users", "set-password", "li.hua", "--password-stdin"],
    ["audit", "verify"],
    ["import", "enterprises", "{csv}"],
    ["export", "awards", "--out", "{tmp}/awards.xlsx"],
    ["match", "--as-of", "2020-06-30"],
]


@pytest.mark.parametrize("command", REFUSING, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("how", ["--db", "env"])
def test_no_other_command_creates_a_database(
    command: list[str], how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = tmp_path / "enterprises.csv"
    csv.write_text("统一社会信用代码,企业名称\n", encoding="utf-8")
    missing = tmp_path / "ledgers" / "missing.db"
    argv = [a.format(csv=csv, tmp=tmp_path) for a in command]
    if how == "--db":
        argv += ["--db", str(missing)]
    else:
        monkeypatch.setenv(URL_ENV, str(missing))
    done = CliRunner().invoke(app, argv, input="a good password\n")
    assert done.exit_code == 2, done.output
    assert f"ledger database: {missing}" in done.stderr
    assert f"no ledger database at {missing}" in done.stderr
    assert "huiqi db upgrade" in done.stderr
    assert not missing.exists()
    assert not missing.parent.exists()
    assert not (tmp_path / "awards.xlsx").exists()


def test_an_empty_database_is_not_made_a_ledger_by_a_command(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    done = CliRunner().invoke(app, ["users", "add", "li.hua", "--role", "approver", "--db", str(empty)])
    assert done.exit_code == 2
    assert f"no huiqi ledger (no tables) in {empty}" in done.stderr
    assert ledger_state(f"sqlite:///{empty}")[0].value == "empty"


def test_the_commands_that_create_do(tmp_path: Path) -> None:
    db = tmp_path / "new" / "ledger.db"
    done = CliRunner().invoke(app, ["db", "upgrade", "--db", str(db)])
    assert done.exit_code == 0, done.output
    assert f"ledger database: {db}" in done.stderr
    assert db.is_file()
    assert ledger_state(f"sqlite:///{db}")[0].value == "current"


def test_a_ledger_behind_is_upgraded_by_writers_and_refused_by_readers(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    upgrade(f"sqlite:///{db}", "0001")
    refused = CliRunner().invoke(app, ["audit", "verify", "--db", str(db)])
    assert refused.exit_code == 2
    assert "is at revision 0001" in refused.stderr
    assert "huiqi db upgrade --db" in refused.stderr
    added = CliRunner().invoke(app, ["users", "add", "ops", "--role", "admin", "--db", str(db)])
    assert added.exit_code == 0, added.output
    assert ledger_state(f"sqlite:///{db}")[0].value == "current"
    assert CliRunner().invoke(app, ["audit", "verify", "--db", str(db)]).exit_code == 0


# ----- passwords masked


def test_redact() -> None:
    assert redact(f"postgresql://huiqi:{SECRET}@db/huiqi") == "postgresql://huiqi:***@db/huiqi"
    told = f"postgresql+psycopg://u:{SECRET}@h:5432/d and more"
    assert redact(told) == "postgresql+psycopg://u:***@h:5432/d and more"
    assert redact("postgresql://huiqi@db/huiqi") == "postgresql://huiqi@db/huiqi"
    assert redact(f"host=db password={SECRET} dbname=x") == "host=db password=*** dbname=x"
    assert SECRET not in banner("127.0.0.1", 8000, f"postgresql+psycopg://huiqi:{SECRET}@db/huiqi")


def test_an_unreachable_database_is_named_without_its_password() -> None:
    url = f"postgresql://huiqi:{SECRET}@127.0.0.1:9/huiqi"  # port 9 (discard): nothing listens
    for command in (["db", "upgrade"], ["users", "list"], ["audit", "verify"]):
        done = run(*command, "--db", url, check_code=2)
        assert SECRET not in done.stdout + done.stderr
        assert "postgresql+psycopg://huiqi:***@127.0.0.1:9/huiqi" in done.stderr


def test_serve_never_prints_the_password(postgres_server: str | None) -> None:
    if postgres_server is None:
        if os.environ.get("HUIQI_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required here (HUIQI_REQUIRE_POSTGRES=1) but not installed")
        pytest.skip("PostgreSQL is not installed (CI installs it; see .ci/run)")
    # The test server trusts loopback: the password is accepted and ignored, so serve really starts.
    url = postgres.fresh_database(postgres_server).replace("huiqi@", f"huiqi:{SECRET}@")
    upgraded = run("db", "upgrade", "--db", url)
    assert SECRET not in upgraded.stdout + upgraded.stderr
    assert "huiqi:***@" in upgraded.stdout
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [HUIQI, "serve", "--db", url, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        assert server.stdout is not None
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            lines.append(line)
            if "Application startup complete" in line or not line:
                break
    finally:
        server.terminate()
        rest, _ = server.communicate(timeout=30)
    printed = "".join(lines) + rest
    assert "huiqi serving on" in printed, printed
    assert "huiqi:***@" in printed
    assert SECRET not in printed


def test_the_migrations_make_the_tables_the_models_map(database_url: str) -> None:
    """Migration 0002 and the mappings agree (users' password columns, audit_events.row_digest)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from huiqi.ledger.database import make_engine
    from huiqi.ledger.tables import Base

    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert differences == []


def test_the_revisions_read_from_the_files_are_alembics() -> None:
    """`ledger_state` reads the migrations' revisions without importing Alembic; they must agree."""
    from alembic.script import ScriptDirectory

    from huiqi.ledger.database import alembic_config, head_revision, revisions

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert revisions() == {s.revision: s.down_revision for s in scripts.walk_revisions()}
    assert head_revision() == scripts.get_current_head()
