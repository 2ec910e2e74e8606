"""huiqi match, the 免申即享 push list, on the demo ledger (a real SQLite file loaded by huiqi.demo)
and on a facts table built from the demo's enterprises: prior awards, ledger applications and
awards exclude; withdrawn and rejected applications do not; bad input is exit 2 with nothing written.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from huiqi.batch.match import candidates, facts_table, ledger_claims, prior_award_claims, push_list
from huiqi.batch.run import duckdb, prepare
from huiqi.batch.sheets import PUSH_HEADINGS
from huiqi.demo import demo_enterprises, load_demo
from huiqi.facts.models import Facts, PriorAward
from huiqi.ledger.actors import SYSTEM
from huiqi.ledger.database import make_engine, upgrade
from huiqi.ledger.population import filed
from huiqi.ledger.uow import Ledger
from huiqi.rules.library import Library

ROOT = Path(__file__).resolve().parents[1]
HUIQI = shutil.which("huiqi") or str(Path(sys.executable).parent / "huiqi")
CODES = {e.slug: e.code for e in demo_enterprises()}
LINGANG_DAY = date(2025, 12, 31)


def key(row: dict[str, Any], slug: str, measure: str, subject: str | None = None) -> bool:
    return (row["credit_code"], row["measure"], row["subject"]) == (CODES[slug], measure, subject or CODES[slug])


def find(rows: list[dict[str, Any]], slug: str, measure: str, subject: str | None = None) -> dict[str, Any] | None:
    return next((row for row in rows if key(row, slug, measure, subject)), None)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, library: Library) -> Path:
    path = tmp_path_factory.mktemp("match") / "huiqi.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    ledger = Ledger(make_engine(url), library)
    load_demo(ledger, url)
    ledger.engine.dispose()
    return path


def demo_facts() -> list[Facts]:
    """The demo's enterprises as facts files would have them, and one more prior award (xingchen's A1)."""
    found = []
    for enterprise in demo_enterprises():
        facts = enterprise.facts
        if enterprise.slug == "xingchen-auto":
            award = PriorAward(measure="lingang-2024.rd", year=2025, amount=Decimal("1000000"), subject="A1")
            facts = facts.model_copy(update={"prior_awards": [award]})
        found.append(facts)
    return found


# ---- the ledger, through the command -----------------------------------------------------------


def test_match_on_the_ledger(demo_db: Path, library: Library, tmp_path: Path) -> None:
    out = tmp_path / "push" / "list.xlsx"  # its folder is made
    done = subprocess.run(
        [HUIQI, "match", "--db", str(demo_db), "--as-of", "2020-06-30", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    assert "Push list" in done.stdout
    sheet = load_workbook(out).active
    assert sheet is not None
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert header[:5] == ("统一社会信用代码", "企业名称", "工商注册地", "措施编号", "措施名称")  # for people
    keys = {heading: key for key, heading in PUSH_HEADINGS.items()}
    rows = [dict(zip([keys[h] for h in header], line, strict=True)) for line in lines]

    # eligible and never applied for
    milestone = find(rows, "zizhu-unmanned", "minhang-2018.revenue-milestone")
    assert milestone is not None
    assert milestone["enterprise"] == "上海紫竹无人系统科技有限公司"
    assert milestone["district"] == "闵行区"  # codes as labels
    assert milestone["status"] == "可享受"
    assert milestone["previously"] is None
    # only withdrawn or rejected before: pushed again, with the history
    rent = find(rows, "xinzhuang-health", "minhang-2018.rent")
    assert rent is not None
    assert "withdrawn" in rent["previously"]
    institution = find(rows, "maqiao-manufacturing", "minhang-2018.rd-institution", "I1")
    assert institution is not None
    assert "rejected" in institution["previously"]
    # applied for (awards, approvals, a closed application), or a non-duplication mate of an award
    assert find(rows, "minhang-robotics", "minhang-2018.demo", "M1") is None
    assert find(rows, "minhang-robotics", "minhang-2018.city-demo-match", "M1") is None
    assert find(rows, "minshi-security", "minhang-2018.rent") is None
    assert find(rows, "xinzhuang-health", "minhang-2018.demo", "H1") is None
    assert find(rows, "zizhu-unmanned", "minhang-2018.platform", "S1") is None

    maxima = [row["max"] for row in rows if row["max"] is not None]
    assert maxima == sorted(maxima, reverse=True)
    for row in rows:
        ref = library.measure(row["measure"])
        assert row["title"] == ref.measure.title
        assert row["quote"] == ref.measure.quote
        source = next(doc.source_text for doc in library.docs if doc.policy.id == ref.policy.id)
        assert row["quote"] in (source or "")  # verbatim from the policy's text
    assert sheet.cell(row=2, column=header.index(PUSH_HEADINGS["max"]) + 1).number_format == "#,##0.00"
    assert Decimal(str(milestone["max"])) == Decimal("700000")


# ---- a facts table, with and without the ledger ------------------------------------------------


@pytest.fixture(scope="module")
def lingang_candidates(library: Library) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(candidates, prior awards) of the demo's enterprises as a facts table, as of 2025-12-31."""
    con = duckdb()
    raw = con.create_table("demo_input", facts_table(demo_facts()))
    batch = prepare(con, raw, library, LINGANG_DAY)
    batch.run_stages()
    return con.to_pyarrow(candidates(batch)).to_pylist(), con.to_pyarrow(batch.prior_awards()).to_pylist()


def test_prior_awards_in_the_facts_exclude(
    library: Library, lingang_candidates: tuple[list[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    rows, awards = lingang_candidates
    pushes = [p.row() for p in push_list(rows, prior_award_claims(awards), [], library)]
    assert find(pushes, "gangcheng-robotics", "lingang-2024.rd", "R1") is not None
    assert find(pushes, "lingang-sensor", "lingang-2024.testing", "T3") is not None
    future = find(pushes, "gangcheng-robotics", "lingang-2024.future-industry", "R2")
    assert future is not None
    assert future["previously"] == ""
    # candidates, but with a prior award of the measure for the subject
    assert any(r["measure"] == "lingang-2024.rd" and r["subject_id"] == "A1" for r in rows)
    assert find(pushes, "xingchen-auto", "lingang-2024.rd", "A1") is None
    assert any(r["measure"] == "lingang-2024.procurement" and r["subject_id"] == "P5" for r in rows)
    assert find(pushes, "lingang-ai-chip", "lingang-2024.procurement", "P5") is None  # the example's own award
    assert find(pushes, "xingchen-auto", "lingang-2024.testing", "A2") is not None


def test_ledger_applications_exclude(
    demo_db: Path, library: Library, lingang_candidates: tuple[list[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    rows, awards = lingang_candidates
    ledger = Ledger(make_engine(f"sqlite:///{demo_db}"), library)
    applied, earlier = ledger_claims(ledger.read(SYSTEM, filed))
    ledger.engine.dispose()
    pushes = [p.row() for p in push_list(rows, applied + prior_award_claims(awards), earlier, library)]
    # applied: under review, a draft (after a withdrawn one), returned, submitted
    assert find(pushes, "gangcheng-robotics", "lingang-2024.rd", "R1") is None
    assert find(pushes, "lingang-sensor", "lingang-2024.testing", "T3") is None
    assert find(pushes, "xingchen-auto", "lingang-2024.testing", "A2") is None
    assert find(pushes, "lingang-sensor", "lingang-2024.fixed-investment", "T2") is None
    # rejected: pushed again, saying so
    future = find(pushes, "gangcheng-robotics", "lingang-2024.future-industry", "R2")
    assert future is not None
    assert future["status"] == "eligible"
    assert "rejected" in future["previously"]
    assert future["years"] == "2025"
    assert future["max"] == Decimal("9000000.00")  # 30% of 3000万 new investment, under the 1000万 cap


# ---- the command's inputs ------------------------------------------------------------------------


def test_match_a_facts_file_against_the_ledger(demo_db: Path, tmp_path: Path) -> None:
    table = tmp_path / "demo.parquet"
    pq.write_table(facts_table(demo_facts()).drop(["_row"]), table)
    out = tmp_path / "push.parquet"
    done = CliRunner().invoke(
        _app(), ["match", str(table), "--db", str(demo_db), "--as-of", str(LINGANG_DAY), "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    rows = pq.read_table(out).to_pylist()
    assert find(rows, "gangcheng-robotics", "lingang-2024.future-industry", "R2") is not None
    assert find(rows, "gangcheng-robotics", "lingang-2024.rd", "R1") is None
    assert str(pq.read_schema(out).field("max").type) == "decimal128(18, 2)"


def _app() -> Any:
    from huiqi.entrypoints.cli import app

    return app


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "no ledger database at"),  # the default ledger (the session's $HUIQI_DATABASE_URL: none there)
        (["--db", "{tmp}/missing.db"], "no ledger database at"),
        (["--db", "{tmp}/empty.db"], "no huiqi ledger (no tables) in"),
        (["{tmp}/bad.csv"], "not a column of the facts table"),
        (["{tmp}/bad.csv", "--out", "{tmp}/push.txt"], "--out must end in"),
        (["{tmp}/missing.parquet"], "no such file"),
        (["{tmp}/bad.csv", "--as-of", "2025-02-30"], "--as-of"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    sqlite3.connect(tmp_path / "empty.db").close()  # an SQLite file that is not a ledger
    (tmp_path / "bad.csv").write_text("record,credit_code,colour\nenterprise,91310000000000001X,red\n", "utf-8")
    before = sorted(tmp_path.iterdir())
    out = tmp_path / "push.xlsx"
    argv = ["match", *(a.format(tmp=tmp_path) for a in args)]
    if "--out" not in argv:
        argv += ["--out", str(out)]
    done = CliRunner().invoke(_app(), argv)
    assert done.exit_code == 2, done.output
    assert message in done.stderr
    assert sorted(tmp_path.iterdir()) == before  # no output, and no database file created
