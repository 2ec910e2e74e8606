"""The monitoring dashboard on the demo ledger: its figures against the demo catalogue file summed
here by hand, its CSV files, and only officers see it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
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
    assert int(support["获台账资助的企业"]) >= 1  # the demo's Lingang firms, awarded by the ledger
    assert support["纳入统计的企业"] == str(len(lingang_2024))


def test_a_panel_as_csv(officer: TestClient) -> None:
    got = officer.get("/dashboard/monitor/by-region.csv?plan=minhang-ai-2020&target=minhang-ai-2020.enterprises")
    assert got.status_code == 200
    lines = got.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "地区,数值"
    assert lines[1].startswith("上海市闵行区,") or lines[1].startswith("闵行区,")


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
