"""`huiqi import … --update`: enterprises by credit code and projects by enterprise and id are
updated field by field; the dry run shows each change as before → after and writes nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from huiqi.ledger.actors import SYSTEM
from huiqi.ledger.audit_log import verify_chain
from huiqi.ledger.errors import Invalid
from huiqi.ledger.importing import import_rows
from huiqi.ledger.uow import Ledger
from huiqi.tabular import Row
from tests.ledger_world import MINHANG, build_world
from tests.test_cli import run
from tests.test_cli_ledger import ENTERPRISES

CHANGED = (
    "统一社会信用代码,企业名称,工商注册地,税务登记地,严重失信记录,年主营业务收入.2019,年主营业务收入.2020\n"
    "91310112MA1GC3H0XW,闵行智能机器人股份有限公司,闵行区,闵行区,否,1.3亿,1.5亿\n"  # renamed, 2019 and 2020
    "91310115MA1K4LG0X7,临港智芯科技有限公司,临港新片区,临港新片区,否,8600万,\n"  # as stored
    "91310112MA1GK7RL5P,闵行新企业有限公司,闵行区,闵行区,否,100万,\n"  # new
)


def facts(db: str, code: str) -> dict[str, object]:
    with sqlite3.connect(db) as connection:
        stored = connection.execute("SELECT facts FROM enterprises WHERE credit_code = ?", (code,)).fetchone()
    return dict(json.loads(stored[0])) if stored else {}


def test_update_enterprises_with_a_dry_run_first(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    run("db", "upgrade", "--db", db)
    first = tmp_path / "first.csv"
    first.write_text(ENTERPRISES, encoding="utf-8")
    run("import", "enterprises", str(first), "--db", db)
    changed = tmp_path / "changed.csv"
    changed.write_text(CHANGED, encoding="utf-8")

    refused = run("import", "enterprises", str(changed), "--db", db, check_code=2)
    assert f"{changed}:2: row: enterprise 91310112MA1GC3H0XW is already in the catalogue" in refused.stderr
    assert "import with update to change it" in refused.stderr

    before = facts(db, "91310112MA1GC3H0XW")
    dry = run("import", "enterprises", str(changed), "--update", "--dry-run", "--db", db).stdout
    assert f"{changed}:2: enterprise 91310112MA1GC3H0XW" in dry
    assert "    name: 闵行智能机器人有限公司 → 闵行智能机器人股份有限公司" in dry
    assert "    revenue.2019: 120000000.00 → 130000000.00" in dry
    assert "    revenue.2020: (none) → 150000000.00" in dry
    assert "91310115MA1K4LG0X7" not in dry  # unchanged: not listed
    assert "would import 1 and update 1 enterprises (1 unchanged) from" in dry
    assert facts(db, "91310112MA1GC3H0XW") == before  # a dry run writes nothing
    assert facts(db, "91310112MA1GK7RL5P") == {}

    done = run("import", "enterprises", str(changed), "--update", "--db", db).stdout
    assert "imported 1 and updated 1 enterprises (1 unchanged) from" in done
    after = facts(db, "91310112MA1GC3H0XW")
    assert after["name"] == "闵行智能机器人股份有限公司"
    assert after["revenue"] == {"2019": "130000000.00", "2020": "150000000.00"}
    assert facts(db, "91310112MA1GK7RL5P")["name"] == "闵行新企业有限公司"
    with sqlite3.connect(db) as connection:  # the unchanged one: not even a new version
        version = connection.execute("SELECT version FROM enterprises WHERE credit_code = '91310115MA1K4LG0X7'")
        assert version.fetchone()[0] == 1
    assert "intact" in run("audit", "verify", "--db", db).stdout

    again = run("import", "enterprises", str(changed), "--update", "--db", db).stdout
    assert "imported 0 and updated 0 enterprises (3 unchanged) from" in again


def test_update_keeps_what_the_sheet_does_not_name(ledger: Ledger) -> None:
    """An empty cell, a year or a field the sheet has no column for: kept as stored (both databases)."""
    build_world(ledger)
    rows = [Row(2, {"credit_code": MINHANG, "revenue.2021": "3亿", "name": "闵行智能机器人股份有限公司"})]

    def work(uow: object) -> object:
        report = import_rows(uow, "enterprises", rows, dry_run=False, update=True)  # type: ignore[arg-type]
        uow.commit()  # type: ignore[attr-defined]
        return report

    report = ledger.run(SYSTEM, work)  # type: ignore[arg-type]
    assert report.as_dict()["updated"] == 1
    assert [(c.field, c.after) for c in report.changes] == [
        ("name", "闵行智能机器人股份有限公司"),
        ("revenue.2021", "300000000.00"),
    ]
    stored = ledger.read(SYSTEM, lambda uow: uow.session.execute(_facts_query()).scalar_one())
    assert stored["business_district"] == "310112"  # 闵行, stored as its region code
    assert set(stored["revenue"]) == {"2018", "2019", "2020", "2021"}
    assert ledger.read(SYSTEM, lambda uow: verify_chain(uow.session)).ok


def _facts_query() -> object:
    from sqlalchemy import select

    from huiqi.ledger import tables as t

    return select(t.Enterprise.facts).where(t.Enterprise.credit_code == MINHANG)


def test_update_projects_by_enterprise_and_id(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    run("db", "upgrade", "--db", db)
    companies = tmp_path / "enterprises.csv"
    companies.write_text(ENTERPRISES, encoding="utf-8")
    run("import", "enterprises", str(companies), "--db", db)
    projects = tmp_path / "projects.csv"
    projects.write_text(
        "enterprise,type,id,area_m2,annual_rent,start_date,end_date\n"
        "91310112MA1GC3H0XW,lease,L1,800,146万,2019-07-01,2024-06-30\n",
        encoding="utf-8",
    )
    run("import", "projects", str(projects), "--db", db)
    projects.write_text("enterprise,type,id,annual_rent\n91310112MA1GC3H0XW,lease,L1,150万\n", encoding="utf-8")
    dry = run("import", "projects", str(projects), "--update", "--dry-run", "--db", db).stdout
    assert f"{projects}:2: lease 91310112MA1GC3H0XW/L1" in dry
    assert "    annual_rent: 1460000.00 → 1500000.00" in dry
    assert "would import 0 and update 1 projects (0 unchanged) from" in dry
    projects.write_text("enterprise,type,id\n91310112MA1GC3H0XW,platform,L1\n", encoding="utf-8")
    refused = run("import", "projects", str(projects), "--update", "--db", db, check_code=2)
    assert "type: 91310112MA1GC3H0XW's subject 'L1' is a lease; its type cannot change" in refused.stderr


def test_applications_are_not_updated_by_import(tmp_path: Path) -> None:
    refused = run("import", "applications", str(tmp_path / "x.csv"), "--update", check_code=2)
    assert "--update: updates enterprises and projects" in refused.stderr


def test_the_service_refuses_to_update_applications(ledger: Ledger) -> None:
    with pytest.raises(Invalid):
        ledger.run(SYSTEM, lambda uow: import_rows(uow, "applications", [], dry_run=True, update=True))
