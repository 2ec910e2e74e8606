"""Industry monitoring: the plans' targets as checked data, the catalogue imported with versions and
row-numbered errors, and progress from the command line (huiqi monitor)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from huiqi.diagnostics import InputError
from huiqi.facts.credit_code import complete
from huiqi.ledger.actors import SYSTEM, Actor
from huiqi.ledger.errors import Forbidden, Invalid
from huiqi.ledger.monitoring import current_entries, history, import_catalogue
from huiqi.ledger.uow import Ledger
from huiqi.ledger.workflow import Role
from huiqi.target_files import default_targets, load_plans

ROOT = Path(__file__).resolve().parent.parent
HUIQI = shutil.which("huiqi") or str(Path(sys.executable).parent / "huiqi")
CODE = "91310000MA1FL0000N"
OTHER = [complete(f"91310000MA1FL000{i}") for i in range(5)]
HEADER = "统一社会信用代码,企业名称,年度,所在地区,领域,规模以上,人工智能业务收入,人工智能人才,发明专利申请数\n"


def huiqi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HUIQI, *args], capture_output=True, text=True, cwd=ROOT, timeout=180)


def test_the_bundled_plans_load_with_their_quotes_verbatim() -> None:
    plans = {p.id: p for p in load_plans()}
    assert set(plans) == {"lingang-ai-2025", "shanghai-ai-2025", "minhang-ai-2020"}
    talents = next(t for t in plans["lingang-ai-2025"].targets if t.id == "talents")
    assert (talents.goal.low, talents.goal.high, talents.goal.year) == (20000, 30000, 2025)
    assert talents.region == "310000-lingang"


BROKEN = """id: test-plan
title: 测试规划
title_en: test plan
issuer: 测试区
region: 南山区
targets:
  - id: firms
    title: 企业数量
    title_en: firms
    indicator: {sum: ai_revenu}
    unit: 家
    by: 2025
    value: [3万, 2万]
    quote: 不在原文里的一句话
  - id: firms
    title: 企业数量
    title_en: firms
    indicator: {count: enterprises, where: {fields: [quantum]}}
    unit: 家
    by: 2025
    value: 500
    baseline: {year: 2026}
    quote: 汇集企业500家
"""


def test_a_broken_plan_names_every_problem_by_line(tmp_path: Path) -> None:
    folder = tmp_path / "targets" / "test" / "plan-a"
    folder.mkdir(parents=True)
    (folder / "plan.yaml").write_text(BROKEN, encoding="utf-8")
    (folder / "source.txt").write_text("力争汇集企业500家。", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_plans(tmp_path / "targets")
    found = {(d.line, d.message.split(";")[0].split(" (")[0]) for d in caught.value.diagnostics}
    lines = sorted(line or 0 for line, _ in found)
    assert lines == [5, 10, 13, 14, 15, 18, 22], found  # region, indicator, range, quote, id, field, baseline
    said = " ".join(d.message for d in caught.value.diagnostics)
    assert "did you mean 'ai_revenue'?" in said
    done = huiqi("monitor", "targets", "--targets", str(tmp_path / "targets"))
    assert done.returncode == 2
    assert "plan.yaml:10" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def at_2025(ledger: Ledger) -> Ledger:
    """The ledger of conftest (SQLite and PostgreSQL), its clock in 2025."""
    ledger.clock.now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    return ledger


def rows(text: str) -> list[tuple[int, dict[str, object]]]:
    from huiqi.monitor.indicators import CatalogueEntry
    from huiqi.tabular import nest, read_table

    return [(r.number, nest(r.values, CatalogueEntry)) for r in read_table((HEADER + text).encode(), "c.csv")]


def test_bad_rows_are_named_by_row_and_nothing_is_written(at_2025: Ledger) -> None:
    bad = rows(
        f"{CODE},甲公司,2024,临港,AI芯片,是,1亿,30,2\n"
        f"{CODE},甲公司,2024,临港,AI芯片,是,1亿,30,2\n"  # the same firm and year again
        f"{OTHER[1]},乙公司,2024,火星,AI芯片,否,0,1,0\n"  # an unknown region
        f"{OTHER[2]},丙公司,2024,闵行,量子,否,0,1,0\n"  # an unknown field
        f"{OTHER[3]},丁公司,2024,闵行,,否,0,-3,0\n"  # a negative count
        f"{OTHER[4]},戊公司,2099,闵行,,否,0,1,0\n"  # a year to come
    )
    with pytest.raises(Invalid) as caught:
        at_2025.run(SYSTEM, lambda uow: import_catalogue(uow, bad, "c.csv"))
    found = {(e.row, e.field) for e in caught.value.errors}
    assert found == {(3, "credit_code"), (4, "region"), (5, "field"), (6, "ai_talents"), (7, "year")}, found
    assert at_2025.read(SYSTEM, current_entries) == []
    no_region = [(2, {"credit_code": CODE, "name": "甲", "year": 2024})]
    with pytest.raises(Invalid) as caught:
        at_2025.run(SYSTEM, lambda uow: import_catalogue(uow, no_region, "c.csv"))
    assert [(e.row, e.field, e.zh) for e in caught.value.errors] == [(1, "region", "文件缺少“所在地区”列")]


def test_a_correction_is_a_new_version_and_the_old_one_is_kept(at_2025: Ledger) -> None:
    first = rows(f"{CODE},甲公司,2024,临港,AI芯片,是,1亿,30,2\n{CODE},甲公司,2023,临港,AI芯片,是,8000万,20,1\n")
    done = at_2025.run(SYSTEM, lambda uow: import_catalogue(uow, first, "a.csv"))
    assert (done.added, done.corrected) == (2, 0)
    again = at_2025.run(SYSTEM, lambda uow: import_catalogue(uow, first, "a.csv"))
    assert (again.added, again.corrected, again.unchanged) == (0, 0, 2)
    fixed = rows(f"{CODE},甲公司,2024,临港,AI芯片,是,1.2亿,30,2\n")
    assert at_2025.run(SYSTEM, lambda uow: import_catalogue(uow, fixed, "b.csv")).corrected == 1
    versions = at_2025.read(SYSTEM, lambda uow: history(uow, CODE, 2024))
    assert [(v["version"], v["ai_revenue"], v["source"]) for v in versions] == [
        (1, "100000000.00", "a.csv#2"),
        (2, "120000000.00", "b.csv#2"),
    ]
    latest = {e.year: e.ai_revenue for e in at_2025.read(SYSTEM, current_entries)}
    assert latest == {2023: 80_000_000, 2024: 120_000_000}


def test_enterprises_neither_import_nor_read_the_catalogue(at_2025: Ledger) -> None:
    firm = Actor(9, "firm", Role.ENTERPRISE, enterprise_id=1)
    with pytest.raises(Forbidden):
        at_2025.read(firm, current_entries)
    with pytest.raises(Forbidden):
        at_2025.run(firm, lambda uow: import_catalogue(uow, rows(""), "c.csv"))


def test_progress_from_the_command_line_on_a_gbk_file(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    assert huiqi("db", "upgrade", "--db", str(db)).returncode == 0
    codes = [complete(f"9131000000000{i:04d}") for i in range(3)]
    text = HEADER + "".join(
        f"{code},临港{i}号公司,{year},临港新片区,AI芯片,是,{100 * (i + 1) * (year - 2020)}亿,{5000 * (year - 2021)},1\n"
        for i, code in enumerate(codes)
        for year in (2022, 2023, 2024)
    )
    csv_file = tmp_path / "目录.csv"
    csv_file.write_bytes(text.encode("gbk"))  # as Chinese Excel saves it
    imported = huiqi("monitor", "import", str(csv_file), "--db", str(db))
    assert imported.returncode == 0, imported.stderr
    assert "added 9" in imported.stdout
    shown = huiqi("monitor", "progress", "--plan", "lingang-ai-2025", "--year", "2024", "--json", "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    found = {t["id"]: t for t in json.loads(shown.stdout)[0]["targets"]}
    # 3 firms against 500: 3 a year, never growing: off track.
    assert found["lingang-ai-2025.enterprises"]["current"] == "3"
    assert found["lingang-ai-2025.enterprises"]["status"] == "off_track"
    # AI revenue: (100+200+300)亿 × 4 = 2400亿 in 2024 ≥ 500亿: met.
    assert found["lingang-ai-2025.industry-scale"]["current"] == "240000000000"
    assert found["lingang-ai-2025.industry-scale"]["status"] == "met"
    # talents: 3 × 15000 = 45000 ≥ 20000 (past the range's 30000: said).
    talents = found["lingang-ai-2025.talents"]
    assert talents["status"] == "met"
    assert any("上限" in n["zh"] for n in talents["notes"])
    table = huiqi("monitor", "show", "lingang-ai-2025.industry-scale", "--db", str(db))
    assert table.returncode == 0, table.stderr
    assert "临港2号公司" in table.stdout
    data = huiqi("monitor", "show", "lingang-ai-2025.industry-scale", "--json", "--year", "2024", "--db", str(db))
    shown_json = json.loads(data.stdout)
    assert shown_json["series"]["2024"] == "240000000000.00"
    assert [e["name"] for e in shown_json["enterprises"]] == ["临港2号公司", "临港1号公司", "临港0号公司"]
    english = huiqi("monitor", "show", "lingang-ai-2025.industry-scale", "--lang", "en", "--db", str(db))
    assert "240,000.00 million yuan" in english.stdout
    assert "Lingang Special Area" in english.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + f"{codes[0]},甲,2024,火星,,是,1,1,1\n", encoding="utf-8")
    refused = huiqi("monitor", "import", str(bad), "--db", str(db))
    assert refused.returncode == 2
    assert f"{bad}:2: region" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_targets_folder_is_bundled() -> None:
    assert (default_targets() / "status.yaml").is_file()


def test_the_support_beside_a_target_counts_the_supported_firms_only() -> None:
    from decimal import Decimal

    from huiqi.monitor.indicators import CatalogueEntry
    from huiqi.monitor.report import support_beside

    plan = next(p for p in load_plans() if p.id == "lingang-ai-2025")
    target = next(t for t in plan.targets if t.id == "industry-scale")

    def entry(code: str, year: int, revenue: int, talents: int) -> CatalogueEntry:
        return CatalogueEntry.model_validate(
            {"credit_code": code, "name": code[-4:], "year": year, "region": "临港", "ai_revenue": revenue}
            | {"ai_talents": talents}
        )

    entries = [entry(OTHER[0], 2023, 100, 10), entry(OTHER[0], 2024, 300, 20), entry(OTHER[1], 2024, 5000, 90)]
    found = support_beside(target, entries, 2024, {OTHER[0]: (Decimal(40), Decimal(10))})
    # counted: both 2024 firms; supported: OTHER[0] only, its growth 300 − 100 = 200, 20 talents
    assert (found.counted, found.supported, found.growth, found.talents) == (2, 1, 200, 20)
    assert found.per_yuan_of_growth == Decimal("0.2")  # 40 / 200
    assert found.per_talent == Decimal("2")  # 40 / 20
