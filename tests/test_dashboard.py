"""The officers' dashboards: their figures are the ledger's sums, their CSV files their tables, and
only officers see them (issue 21).

The demo ledger (./run's data) through the pages; the queries on SQLite and PostgreSQL over rows
inserted in bulk (tests/dashboard_world.py), summed here independently.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from huiqi.batch.sheets import COMPARISON_HEADINGS
from huiqi.entrypoints.web.dashboard_tables import Column, csv_bytes
from huiqi.ledger import dashboard as queries
from huiqi.ledger import tables as t
from huiqi.ledger.actors import Actor
from huiqi.ledger.applications import list_applications
from huiqi.ledger.database import make_engine
from huiqi.ledger.errors import Forbidden
from huiqi.ledger.payments import list_awards, list_budgets, list_payments
from huiqi.ledger.uow import Ledger
from huiqi.ledger.workflow import Role
from huiqi.rules.library import Library
from tests import dashboard_world
from tests.simulation_world import make_simulation
from tests.web_world import demo_web_app, sign_in_client

ZERO = Decimal(0)
FINANCE = Actor(1, "finance", Role.FINANCE)
PAGES = ("/dashboard", "/dashboard/simulations", "/dashboard/simulations/lingang-rd-40")
CSVS = [f"/dashboard/{name}.csv" for name in ("budgets", "pipeline", "awards-by-measure", "awards-by-month")] + [
    f"/dashboard/simulations/lingang-rd-40/{name}.csv" for name in ("by-measure", "gains")
]
JSON = {"accept": "application/json"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, library: Library) -> Iterator[tuple[FastAPI, Ledger]]:
    app, ledger, _users = demo_web_app(tmp_path_factory.mktemp("dash"), library)
    app.state.simulations_dir = make_simulation(tmp_path_factory.mktemp("sims"), firms=150).parent
    yield app, ledger
    ledger.engine.dispose()


@pytest.fixture(scope="module")
def officer(world: tuple[FastAPI, Ledger]) -> TestClient:
    return sign_in_client(TestClient(world[0]), "demo-finance")


def _panels(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in data["panels"]}


def _money(rows: list[dict[str, Any]], key: str, value: str) -> dict[Any, Decimal]:
    return {tuple(r[k] for k in key.split(",")): Decimal(r[value]) for r in rows}


def _china_month(moment: Any) -> str:
    return (moment + timedelta(hours=8)).strftime("%Y-%m")


def _ledger_sums(ledger: Ledger, policy: str | None = None, year: int | None = None) -> dict[str, dict[Any, Decimal]]:
    """The dashboard's figures summed here from the ledger's rows, as the services list them."""

    def work(uow: Any) -> dict[str, dict[Any, Decimal]]:
        sums: dict[str, dict[Any, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for b in list_budgets(uow, policy=policy, year=year):
            sums["budgets"][(b.policy, str(b.year), "remaining")] = b.allocated - b.committed
            sums["budgets"][(b.policy, str(b.year), "paid")] = b.paid
        for a in list_awards(uow, policy=policy, year=year, limit=100_000):
            sums["awards-by-measure"][(a.measure,)] += a.amount
            sums["awards-by-district"][(a.application.enterprise.district,)] += a.amount
            sums["awards-by-month"][(_china_month(a.approved_at),)] += a.amount
        for p in list_payments(uow, limit=100_000):
            award = p.tranche.award
            if (policy is None or award.policy == policy) and (year is None or award.year == year):
                sums["payments-by-month"][(p.paid_on.strftime("%Y-%m"),)] += p.amount
        for app in list_applications(uow, year=year, limit=100_000):
            if policy is None or app.policy == policy:
                sums["pipeline"][(app.policy, app.state)] += 1
        return sums

    return ledger.read(FINANCE, work)


@pytest.mark.parametrize("query", ["", "?policy=lingang-2024", "?year=2020", "?policy=minhang-2018&year=2019"])
def test_the_figures_are_the_ledgers_sums(world: tuple[FastAPI, Ledger], officer: TestClient, query: str) -> None:
    filters = dict(part.split("=") for part in query.lstrip("?").split("&") if part)
    expected = _ledger_sums(world[1], filters.get("policy"), int(filters["year"]) if "year" in filters else None)
    assert expected["awards-by-measure"] or query == "?policy=minhang-2018&year=2019"  # the demo has awards
    panels = _panels(officer.get(f"/dashboard{query}", headers=JSON).json())
    budgets = panels["budgets"]["rows"]
    shown = _money(budgets, "policy,year", "remaining")
    assert {(*k, "remaining"): v for k, v in shown.items()} == {
        k: v for k, v in expected["budgets"].items() if k[2] == "remaining"
    }
    assert {(r["policy"], r["year"], "paid"): Decimal(r["paid"]) for r in budgets} == {
        k: v for k, v in expected["budgets"].items() if k[2] == "paid"
    }
    assert _money(panels["awards-by-measure"]["rows"], "measure", "amount") == expected["awards-by-measure"]
    assert _money(panels["awards-by-district"]["rows"], "district", "amount") == expected["awards-by-district"]
    assert _money(panels["awards-by-month"]["rows"], "month", "amount") == expected["awards-by-month"]
    assert _money(panels["payments-by-month"]["rows"], "month", "amount") == expected["payments-by-month"]
    pipeline = {(r["policy_title"], r["state"]): r["applications"] for r in panels["pipeline"]["rows"]}
    assert sum(pipeline.values()) == sum(expected["pipeline"].values())
    assert sorted(s for _p, s in pipeline) == sorted(s for _p, s in expected["pipeline"])


def test_the_totals_add_up_the_budgets(officer: TestClient) -> None:
    data = officer.get("/dashboard", headers=JSON).json()
    rows = _panels(data)["budgets"]["rows"]
    for key in ("allocated", "committed", "paid", "remaining"):
        assert Decimal(data["totals"][key]) == sum((Decimal(r[key]) for r in rows), ZERO)


@pytest.mark.parametrize("url", CSVS)
def test_each_csv_is_its_table(officer: TestClient, url: str) -> None:
    page, _, name = url.rpartition("/")
    panel = _panels(officer.get(page or "/dashboard", headers=JSON).json())[name.removesuffix(".csv")]
    done = officer.get(url)
    assert done.status_code == 200
    assert done.headers["content-type"].startswith("text/csv")
    assert done.content.startswith(b"\xef\xbb\xbf")  # a BOM: Excel in a Chinese locale reads UTF-8
    header, *rows = list(csv.reader(io.StringIO(done.content.decode("utf-8-sig"))))
    assert header == [c["label"] for c in panel["columns"]]
    assert rows == [["" if r[c["key"]] is None else str(r[c["key"]]) for c in panel["columns"]] for r in panel["rows"]]
    assert rows  # the demo and the simulation have figures for each of these


def test_csv_headers_are_chinese_and_formulas_are_defused(officer: TestClient) -> None:
    header = officer.get("/dashboard/budgets.csv").content.decode("utf-8-sig").splitlines()[0]
    assert header == "政策,年度,预算安排(元),已承诺(元),已拨付(元),余额(元)"
    made = csv_bytes([Column("name", "企业"), Column("amount", "金额", "money")], [{"name": "=1+2", "amount": "-5.00"}])
    assert made.decode("utf-8-sig").splitlines()[1] == "'=1+2,-5.00"  # text quoted; a negative amount stays a number


def test_the_page_shows_each_chart_with_its_table(officer: TestClient) -> None:
    page = officer.get("/dashboard")
    assert page.status_code == 200
    for name in ("budgets", "pipeline", "awards-by-measure", "awards-by-district", "awards-by-month"):
        assert f'data-chart="data-{name}"' in page.text
        assert f'<script type="application/json" id="data-{name}">' in page.text
        assert f'href="/dashboard/{name}.csv"' in page.text
    assert "各政策分年度预算" in page.text
    assert "已办结" in page.text
    assert "<script>" not in page.text  # nothing inline: the CSP forbids it
    assert "Budgets by policy and year" in officer.get("/dashboard?lang=en").text
    officer.get("/dashboard?lang=zh")


def test_an_enterprise_user_is_refused_every_officer_page(world: tuple[FastAPI, Ledger]) -> None:
    client = sign_in_client(TestClient(world[0]), "demo-lingang-ai-chip")
    for url in (*PAGES, *CSVS, "/dashboard?year=2025"):
        refused = client.get(url)
        assert refused.status_code == 403, url
        assert "禁止访问" in refused.text or "无权" in refused.text, url
        assert "Traceback" not in refused.text
        assert client.get(url, headers=JSON).status_code == 403


def test_without_a_session_each_page_asks_to_sign_in(world: tuple[FastAPI, Ledger]) -> None:
    client = TestClient(world[0])
    for url in (*PAGES, *CSVS):
        done = client.get(url, follow_redirects=False)
        assert done.status_code == 303, url
        assert done.headers["location"].startswith("/signin?next=%2Fdashboard")


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/dashboard?year=abc", 400),
        ("/dashboard?year=２０２５", 400),
        ("/dashboard?policy=nope", 400),
        ("/dashboard/budgets.csv?year=99999", 400),
        ("/dashboard/nothing.csv", 404),
        ("/dashboard/simulations/nope", 404),
        ("/dashboard/simulations/.hidden", 404),
        ("/dashboard/simulations/%2e%2e", 404),
        ("/dashboard/simulations/..%2F..%2Fetc", 404),
        ("/dashboard/simulations/lingang-rd-40/passwd.csv", 404),
        ("/dashboard/simulations/%2e%2e/total.csv", 404),
    ],
)
def test_bad_input_is_a_page_in_chinese(officer: TestClient, url: str, status: int) -> None:
    done = officer.get(url)
    assert done.status_code == status, done.text[:300]
    assert "text/html" in done.headers["content-type"]
    assert "Traceback" not in done.text
    assert ("请求有误" if status == 400 else "页面不存在") in done.text


def test_the_simulation_shows_what_simulate_wrote(world: tuple[FastAPI, Ledger], officer: TestClient) -> None:
    folder = Path(world[0].state.simulations_dir) / "lingang-rd-40"
    listing = officer.get("/dashboard/simulations", headers=JSON).json()["simulations"]
    assert [s["name"] for s in listing] == ["lingang-rd-40"]
    assert listing[0]["title"] == "临港人工智能举措调整方案(示例)"
    assert listing[0]["as_of"] == "2025-06-30"
    data = officer.get("/dashboard/simulations/lingang-rd-40", headers=JSON).json()
    panels = _panels(data)
    keys = {heading: key for key, heading in COMPARISON_HEADINGS.items()}
    with (folder / "by_measure.csv").open(encoding="utf-8-sig") as file:
        written = [{keys[h]: v for h, v in row.items()} for row in csv.DictReader(file)]
    shown = panels["by-measure"]["rows"]
    assert [(r["measure"], Decimal(r["reform_max"])) for r in shown] == [
        (r["measure"], Decimal(r["reform_max"])) for r in written
    ]
    firms = pq.read_table(folder / "firms.parquet").to_pylist()
    gains = [f for f in firms if f["delta_max"] > 0]
    assert [r["credit_code"] for r in panels["gains"]["rows"]] == [f["credit_code"] for f in gains[:20]]
    assert {r["label"]: r["firms"] for r in panels["changes"]["rows"]}["增加"] == data["simulation"]["firms_gain"]
    page = officer.get("/dashboard/simulations/lingang-rd-40").text
    assert "临港人工智能举措调整方案(示例)" in page
    assert 'data-chart="data-by-measure"' in page


# ---- the queries, on SQLite and PostgreSQL ----------------------------------------------------


def test_the_queries_sum_as_the_rows_do(database_url: str, library: Library) -> None:
    ledger = Ledger(make_engine(database_url), library)
    try:
        made = dashboard_world.fill(ledger.engine, 120, enterprises=20)
        sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for award in made.awards:
            sums["measure"][str(award["measure"])] += award["amount"]  # type: ignore[operator]
            sums["district"][str(award["district"])] += award["amount"]  # type: ignore[operator]
            sums["month"][_china_month(award["approved_at"])] += award["amount"]  # type: ignore[operator]
        for payment in made.payments:
            sums["paid"][payment["paid_on"].strftime("%Y-%m")] += payment["amount"]  # type: ignore[attr-defined,operator]
        requested: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for app in made.applications:
            requested[(str(app["policy"]), str(app["state"]))] += app["requested"] or ZERO  # type: ignore[operator]

        def read(work: Any) -> Any:
            return ledger.read(FINANCE, work)

        assert {x.key: x.amount for x in read(queries.awards_by_measure)} == sums["measure"]
        assert {x.key: x.amount for x in read(queries.awards_by_district)} == sums["district"]
        months = {x.key: x.amount for x in read(queries.awards_by_month)}
        assert months == sums["month"]
        assert "2025-07" in months
        assert {x.key: x.amount for x in read(queries.payments_by_month)} == sums["paid"]
        assert {(x.policy, x.state): x.requested for x in read(queries.pipeline)} == requested
        lines = read(queries.budgets)
        assert [(b.policy, b.year, b.remaining) for b in lines] == sorted(
            (str(b["policy"]), int(str(b["year"])), b["allocated"] - b["committed"])  # type: ignore[operator]
            for b in made.budgets
        )
        only = read(lambda uow: queries.awards_by_measure(uow, policy="lingang-2024", year=2025))
        assert {x.key: x.amount for x in only} == {
            "lingang-2024.rd": sum(
                (a["amount"] for a in made.awards if a["policy"] == "lingang-2024" and a["year"] == 2025),  # type: ignore[misc]
                ZERO,
            )
        }
        with pytest.raises(Forbidden):
            ledger.read(Actor(9, "firm", Role.ENTERPRISE, enterprise_id=1), queries.budgets)
        assert ledger.engine.dialect.name in ("sqlite", "postgresql")
        assert t.Award.__tablename__ == "awards"
    finally:
        ledger.engine.dispose()
