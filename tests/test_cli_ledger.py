"""The ledger's CLI commands as a user runs them (subprocesses on a temporary SQLite file)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from openpyxl import load_workbook

from tests.test_cli import run

ENTERPRISES = (
    "统一社会信用代码,企业名称,工商注册地,税务登记地,严重失信记录,年主营业务收入.2019\n"
    "91310112MA1GC3H0XW,闵行智能机器人有限公司,闵行区,闵行区,否,1.2亿\n"
    "91310115MA1K4LG0X7,临港智芯科技有限公司,临港新片区,临港新片区,false,8600万\n"
)


def test_users_and_the_audit_chain(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    run("db", "upgrade", "--db", db)
    added = run("users", "add", "ops", "--role", "admin", "--db", db).stdout
    token = added.strip().splitlines()[-1]
    assert token.startswith("hq_")
    with sqlite3.connect(db) as connection:
        stored = connection.execute("SELECT token_hash FROM users").fetchone()[0]
    assert token not in stored  # only the hash is kept
    assert "intact: 1 events" in run("audit", "verify", "--db", db).stdout
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE audit_events SET actor = 'mallory'")
    broken = run("audit", "verify", "--db", db, check_code=1)
    assert "event 1" in broken.stderr
    refused = run("users", "add", "x", "--role", "boss", "--db", db, check_code=2)
    assert "role" in refused.stderr


def test_import_is_all_or_nothing_with_row_numbers(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    run("db", "upgrade", "--db", db)  # import acts on an existing ledger only
    bad = tmp_path / "企业.csv"
    bad.write_text(ENTERPRISES + "91310112MA1GC3H0XA,坏企业,闵行区,火星,否,1\n", encoding="utf-8")
    dry = run("import", "enterprises", str(bad), "--dry-run", "--db", db, check_code=2)
    assert f"{bad}:4: enterprise.credit_code" in dry.stderr
    assert f"{bad}:4: enterprise.tax_district" in dry.stderr
    assert "nothing was written" in dry.stderr
    run("import", "enterprises", str(bad), "--db", db, check_code=2)
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM enterprises").fetchone()[0] == 0
    good = tmp_path / "good.csv"
    good.write_text(ENTERPRISES, encoding="utf-8")
    assert "would import 2" in run("import", "enterprises", str(good), "--dry-run", "--db", db).stdout
    assert "imported 2" in run("import", "enterprises", str(good), "--db", db).stdout
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT credit_code, facts FROM enterprises ORDER BY id").fetchall()
    assert [code for code, _ in rows] == ["91310112MA1GC3H0XW", "91310115MA1K4LG0X7"]
    assert '"2019": "120000000.00"' in rows[0][1]


def test_export_awards_to_excel(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    run("demo-data", "--db", db)
    out = tmp_path / "awards.xlsx"
    assert "awards to" in run("export", "awards", "--out", str(out), "--db", db).stdout
    sheet = load_workbook(out).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert "amount" in rows[0]
    assert len(rows) > 10


def test_a_bad_database_url_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    refused = run("db", "upgrade", "--db", "mysql+nosuchdriver://x", check_code=None)
    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr


def test_cli_constants_match_the_ledger() -> None:
    """The CLI keeps copies (to start fast without importing SQLAlchemy); they must not drift."""
    from huiqi.entrypoints import ledger_cli
    from huiqi.ledger import database, importing

    assert ledger_cli.URL_ENV == database.URL_ENV
    assert ledger_cli.KINDS == importing.KINDS


def test_cli_starts_without_the_ledger_or_ibis() -> None:
    import subprocess
    import sys

    heavy = "('sqlalchemy', 'ibis', 'fastapi')"
    code = f"import sys, huiqi.entrypoints.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
