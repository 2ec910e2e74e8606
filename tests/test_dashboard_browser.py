"""The officers' dashboards in a real browser: charts drawn, tables beside them, accessible, offline.

Debian's Chromium through Playwright (tests/browser.py); screenshots in test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from huiqi.rules.library import Library
from tests.browser import Requests, axe_violations, serve, shot
from tests.simulation_world import make_simulation
from tests.web_world import PASSWORD, demo_web_app

DASHBOARD_CHARTS = ("budgets", "pipeline", "awards-by-measure", "awards-by-district", "awards-by-month")
SIMULATION_CHARTS = ("changes", "by-measure", "by-district", "by-year", "gains")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, library: Library) -> Iterator[str]:
    app, ledger, _users = demo_web_app(tmp_path_factory.mktemp("dash-web"), library)
    app.state.simulations_dir = make_simulation(tmp_path_factory.mktemp("sims"), firms=150).parent
    with serve(app) as url:
        yield url
    ledger.engine.dispose()


def sign_in(page: Page, base: str, name: str, target: str) -> None:
    page.goto(f"{base}/signin?next={target}")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("form.signin button[type=submit], main button[type=submit]")
    page.wait_for_url(f"{base}{target}")


def expect_drawn(page: Page, names: tuple[str, ...]) -> None:
    """Each chart holds what ECharts drew (an SVG with bars or lines), and its table is under it."""
    for name in names:
        chart = page.locator(f"#chart-{name}")
        expect(chart.locator("svg path").first).to_be_attached(timeout=10_000)
        expect(page.locator(f"#panel-{name} table tbody tr").first).to_be_visible()
        assert chart.bounding_box() is not None
        assert chart.bounding_box()["height"] > 100  # type: ignore[index]


def test_an_officer_reads_the_dashboards(page: Page, base: str) -> None:
    requests = Requests(page, base)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, base, "demo-finance", "/dashboard")
    expect(page.locator("h1")).to_have_text("数据看板")
    expect_drawn(page, DASHBOARD_CHARTS)
    assert axe_violations(page) == []
    shot(page, "dashboard")

    page.select_option("#policy", "lingang-2024")
    page.select_option("#year", "2025")
    page.click(".dash-filters button[type=submit]")
    page.wait_for_url(f"{base}/dashboard?policy=lingang-2024&year=2025")
    expect_drawn(page, ("budgets", "awards-by-measure"))
    expect(page.locator("#panel-budgets tbody tr")).to_have_count(1)
    shot(page, "dashboard-filtered")

    with page.expect_download() as download:
        page.click("#panel-budgets a.csv")
    assert download.value.suggested_filename == "budgets.csv"

    page.click("text=政策调整测算")
    expect(page.locator("h1")).to_have_text("政策调整测算")
    assert axe_violations(page) == []
    shot(page, "dashboard-simulations")
    page.click("table a")
    expect(page.locator("h1")).to_have_text("临港人工智能举措调整方案(示例)")
    expect_drawn(page, SIMULATION_CHARTS)
    assert axe_violations(page) == []
    shot(page, "dashboard-simulation")

    assert requests.foreign() == []
    assert errors == []  # no script refused by the CSP, no error in dashboard.js


def test_an_enterprise_user_gets_a_refusal_page(page: Page, base: str) -> None:
    sign_in(page, base, "demo-lingang-ai-chip", "/")
    response = page.goto(f"{base}/dashboard")
    assert response is not None
    assert response.status == 403
    expect(page.locator("h1")).to_contain_text("403")
    shot(page, "dashboard-refused")


def test_an_officer_reads_the_monitoring_dashboard(page: Page, base: str) -> None:
    requests = Requests(page, base)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, base, "demo-reviewer", "/dashboard")
    page.click("text=产业监测")
    expect(page.locator("h1")).to_have_text("产业监测")
    expect_drawn(page, ("trend-enterprises", "trend-industry-scale", "by-region", "by-field"))
    expect(page.locator("#panel-targets tbody tr")).to_have_count(3)
    assert axe_violations(page) == []
    shot(page, "monitor-lingang")
    page.select_option("#plan", "minhang-ai-2020")
    page.click(".dash-filters button[type=submit]")
    expect(page.locator("#panel-targets")).to_contain_text("到期未实现")  # 290 firms in 2020, not 300
    shot(page, "monitor-minhang")
    page.click("nav >> text=揭榜挂帅")
    expect(page.locator("h1")).to_have_text("揭榜挂帅")
    page.click("text=智能底盘研发系统")
    expect(page.locator("h1")).to_have_text("智能底盘研发系统")
    assert axe_violations(page) == []
    shot(page, "scenario-call")
    assert requests.foreign() == []
    assert errors == []
