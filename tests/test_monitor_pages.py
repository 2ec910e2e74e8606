"""The monitoring dashboard on the demo ledger: its figures against the demo catalogue file summed
here by hand, its CSV files, and only officers see it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from huiqi.ledger.uow import Ledger
from huiqi.rules.library import Library
from tests.web_world import demo_web_app, sign_in_client

JSON = {"accept": "application/json"}
CATALOGUE = Path(__file__).resolve().parent.parent / "src" / "huiqi" / "data" / "demo" / "monitor_catalogue.csv"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, library: Library) -> Iterator[tuple[FastAPI, Ledger]]:
    app, ledger, _users = demo_web_app(tmp_path_factory.mktemp("monitor"), library)
    yield app, ledger
    ledger.engine.dispose()


@pytest.fixture(scope="module")
def officer(world: tuple[FastAPI, Ledger]) -> TestClient:
    return sign_in_client(TestClient(world[0]), "demo-reviewer")


def _rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(CATALOGUE.read_text(encoding="utf-8"))))


def test_the_figures_are_the_catalogues_own(officer: TestClient) -> None:
    page = officer.get("/dashboard/monitor?plan=lingang-ai-2025&year=2024", headers=JSON).json()
    names = [p["name"] for p in page["panels"]]
    assert names[:4] == ["targets", "trend-enterprises", "trend-industry-scale", "trend-talents"]
    assert {"by-region", "by-field", "enterprises", "support"} <= set(names)
    rows = _rows()
    lingang_2024 = [r for r in rows if r["年度"] == "2024" and r["所在地区"] == "临港新片区"]
    targets = next(p for p in page["panels"] if p["name"] == "targets")["rows"]
    firms = next(r for r in targets if r["id"] == "lingang-ai-2025.enterprises")
    assert firms["current"] == f"{len(lingang_2024)} 家 (2024)"
    trend = next(p for p in page["panels"] if p["name"] == "trend-talents")["rows"]
    talents = sum(int(r["人工智能人才"]) for r in lingang_2024)
    assert next(r for r in trend if r["year"] == "2024")["value"] == talents
    assert next(r for r in trend if r["year"] == "2025")["path"] == 20000  # the path ends at the target
    support = {r["what"]: r["value"] for r in next(p for p in page["panels"] if p["name"] == "support")["rows"]}
    supported = int(support["其中获台账资助的企业"])
    assert 1 <= supported < len(lingang_2024)  # the demo's Lingang firms the ledger awarded
    assert support["纳入统计的企业"] == str(len(lingang_2024))


def test_a_panel_as_csv(officer: TestClient) -> None:
    got = officer.get("/dashboard/monitor/by-region.csv?plan=minhang-ai-2020&target=minhang-ai-2020.enterprises")
    assert got.status_code == 200
    lines = got.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "地区,数值"
    assert lines[1].startswith("上海市闵行区,") or lines[1].startswith("闵行区,")


def test_the_targets_csv_carries_numbers_beside_the_words(officer: TestClient) -> None:
    got = officer.get("/dashboard/monitor/targets.csv?plan=lingang-ai-2025")
    rows = {r["目标"]: r for r in csv.DictReader(io.StringIO(got.content.decode("utf-8-sig")))}
    scale = rows["人工智能产业规模"]
    assert scale["目标值"].startswith("500.00亿元")  # as the page shows it
    assert (scale["单位"], scale["目标值（数值）"]) == ("元", "50000000000")  # and as a number
    assert Decimal(scale["现值（数值）"]) > 0
    assert Decimal(scale["完成度（小数）"]) > 0  # a fraction (1.22), not "122.1%"
    talents = rows["人工智能人才"]
    assert (talents["目标值（数值）"], talents["目标值上限（数值）"]) == ("20000", "30000")
    page = officer.get("/dashboard/monitor?plan=lingang-ai-2025").text
    assert "现值（数值）" not in page  # the CSV's columns only


def test_bad_filters_and_other_roles_are_refused(world: tuple[FastAPI, Ledger], officer: TestClient) -> None:
    assert officer.get("/dashboard/monitor?plan=nope").status_code == 400
    assert officer.get("/dashboard/monitor?year=20x4").status_code == 400
    assert officer.get("/dashboard/monitor/nothing.csv").status_code == 404
    firm = sign_in_client(TestClient(world[0]), "demo-lingang-ai-chip")
    assert firm.get("/dashboard/monitor").status_code == 403
    assert firm.get("/dashboard/monitor/targets.csv").status_code == 403


def test_a_target_of_another_plan_falls_back_to_the_plans_first(officer: TestClient) -> None:
    page = officer.get("/dashboard/monitor?plan=minhang-ai-2020&target=lingang-ai-2025.talents", headers=JSON)
    assert page.status_code == 200
    assert page.json()["filters"]["target"] == "minhang-ai-2020.enterprises"
    assert officer.get("/dashboard/monitor?target=nope.nothing").status_code == 400


def _token(ledger: Ledger, name: str) -> dict[str, str]:
    from huiqi.ledger.actors import SYSTEM
    from huiqi.ledger.users import rotate_token

    return {"Authorization": f"Bearer {ledger.run(SYSTEM, lambda uow: rotate_token(uow, name))}"}


def test_the_api_gives_the_same_progress_and_imports_all_or_nothing(world: tuple[FastAPI, Ledger]) -> None:
    app, ledger = world
    api = TestClient(app)
    reviewer = _token(ledger, "demo-reviewer")
    found = api.get("/v1/monitor/progress", params={"plan": "lingang-ai-2025", "year": 2024}, headers=reviewer)
    assert found.status_code == 200
    firms = next(t for t in found.json()["items"][0]["targets"] if t["id"] == "lingang-ai-2025.enterprises")
    lingang_2024 = [r for r in _rows() if r["年度"] == "2024" and r["所在地区"] == "临港新片区"]
    assert firms["current"] == str(len(lingang_2024))
    assert api.get("/v1/monitor/targets", headers=reviewer).json()["items"][0]["id"] == "lingang-ai-2025"
    bad = "统一社会信用代码,企业名称,年度,所在地区\n91310000MA1FL0000N,甲,2024,火星\n".encode("gbk")
    refused = api.post("/v1/monitor/catalogue", files={"file": ("c.csv", bad, "text/csv")}, headers=reviewer)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "region"
    # a Xuhui firm's 2022 (no other test of this module reads it: they share the demo ledger)
    code = next(r for r in _rows() if r["年度"] == "2022" and r["所在地区"] == "徐汇区")["统一社会信用代码"]
    fixed = f"统一社会信用代码,企业名称,年度,所在地区,人工智能人才\n{code},改正,2022,徐汇,1\n".encode()
    done = api.post("/v1/monitor/catalogue", files={"file": ("fix.csv", fixed, "text/csv")}, headers=reviewer)
    assert done.status_code == 200
    assert done.json()["corrected"] == 1
    versions = api.get("/v1/monitor/catalogue", params={"credit_code": code, "year": 2022}, headers=reviewer)
    versions = versions.json()["items"]
    assert [v["version"] for v in versions] == [1, 2]
    firm = _token(ledger, "demo-lingang-ai-chip")
    assert api.get("/v1/monitor/progress", headers=firm).status_code == 403
    upload = {"file": ("f.csv", fixed, "text/csv")}
    assert api.post("/v1/monitor/catalogue", files=upload, headers=firm).status_code == 403
