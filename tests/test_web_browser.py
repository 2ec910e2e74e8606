"""The public pages in a real browser (Playwright driving Debian's Chromium), as a user works them.

Every test saves screenshots of the pages it visits in test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from huiqi.ledger.uow import Ledger
from huiqi.rules.library import Library
from tests.browser import Requests, axe_violations, serve, shot
from tests.web_world import PASSWORD, add_officer, web_app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, library: Library) -> Iterator[tuple[str, Ledger]]:
    app, ledger = web_app(tmp_path_factory.mktemp("web"), library)
    add_officer(ledger, "li.hua", "reviewer")
    add_officer(ledger, "wang.fang", "approver")
    with serve(app) as base:
        yield base, ledger
    ledger.engine.dispose()


@pytest.fixture
def base(site: tuple[str, Ledger]) -> str:
    return site[0]


def choose(page: Page, select: str, value: str) -> None:
    """Choose an option and wait for the form's refresh, which renders it as selected."""
    page.select_option(select, value)
    expect(page.locator(f"{select} option[value='{value}'][selected]")).to_have_count(1)
    settle(page)


def settle(page: Page) -> None:
    """No HTMX request in flight."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def fill_enterprise(page: Page, district: str = "310000-lingang", code: str = "91310000MA1FL0000N") -> None:
    page.fill("#f-enterprise-name", "上海智芯科技有限公司")
    page.fill("#f-enterprise-credit_code", code)
    choose(page, "#f-enterprise-business_district", district)
    choose(page, "#f-enterprise-tax_district", district)
    page.check("#f-enterprise-severe_credit_record-no")
    expect(page.locator("#f-enterprise-severe_credit_record-no[checked]")).to_have_count(1)


def add_project(page: Page, kind: str, year: str = "2025", name: str = "AI芯片研发") -> None:
    count = page.locator("section.subject").count()
    page.click("#add-projects")
    expect(page.locator("section.subject")).to_have_count(count + 1)
    index = count
    page.fill(f"#f-projects-{index}-name", name)
    choose(page, f"#f-projects-{index}-kind", kind)
    page.fill(f"#f-projects-{index}-year", year)
    page.locator(f"#f-projects-{index}-year").blur()
    settle(page)


def test_the_catalogue_searches_and_a_policy_shows_its_marked_clauses(page: Page, base: str) -> None:
    requests = Requests(page, base)
    page.goto(base + "/")
    expect(page.locator("h1")).to_contain_text("您的企业能获得哪些扶持")
    shot(page, "catalogue-home")
    page.fill("#home-q", "新增投资")
    page.press("#home-q", "Enter")
    expect(page).to_have_url(re.compile(r"/policies\?q="))
    results = page.locator("#results article.measure")
    expect(results).to_have_count(3)
    expect(page.locator("#results")).to_contain_text("研发补贴")
    # Typing narrows the results in place (HTMX), and the address keeps the search.
    page.fill("#q", "")
    page.select_option("#category", "rent")
    page.select_option("#applicant", "project")
    expect(page.locator("#results")).to_contain_text("没有符合条件的政策")
    page.select_option("#category", "")
    page.select_option("#applicant", "institution")
    expect(page.locator("#results article.measure")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"applicant=institution"))
    shot(page, "catalogue-search")

    page.goto(base + "/policies/lingang-2024")
    marks = page.locator(".source mark")
    assert marks.count() >= 9
    page.locator("#clause-rd").click()  # a highlighted clause links to its measure
    expect(page).to_have_url(re.compile(r"#rd$"))
    expect(page.locator("article#rd h3")).to_have_text("研发补贴")
    expect(page.locator("article#rd .plain")).to_contain_text("按项目新增投资的10%–30%给予支持；最高1亿元")
    page.locator("article#fixed-investment details.interp summary").click()
    expect(page.locator("article#fixed-investment")).to_contain_text(
        "lingang-2024.fixed-investment:chokepoint-cap=ten-yi"
    )
    shot(page, "catalogue-policy")
    assert requests.foreign() == []


def test_the_calculator_from_answers_to_a_permalink(page: Page, base: str, tmp_path: Path) -> None:
    page.goto(base + "/calculator")
    fill_enterprise(page, code="91310000MA1FL0000X")
    page.locator("#f-enterprise-credit_code").blur()
    # The engine's own check, beside the field, as the user types (a wrong check digit).
    expect(page.locator("#f-enterprise-credit_code-err")).to_contain_text("校验码不对")
    page.fill("#f-enterprise-credit_code", "91310000MA1FL0000N")
    page.locator("#f-enterprise-credit_code").blur()
    expect(page.locator("#f-enterprise-credit_code-err")).to_have_text("")
    add_project(page, "rd_innovation")
    # Only what the in-force measures for an R&D project in Lingang read is asked.
    expect(page.locator("#f-projects-0-costs-new_investment")).to_be_visible()
    expect(page.locator("#f-projects-0-field")).to_be_visible()
    expect(page.locator("#f-projects-0-costs-operating_cost")).to_have_count(0)
    page.fill("#f-projects-0-costs-new_investment", "3000万")
    page.locator("#f-projects-0-costs-new_investment").blur()
    shot(page, "calculator-form")
    page.click("#calculate")
    expect(page).to_have_url(re.compile(r"/calculator/r/[A-Za-z0-9_-]+$"))
    expect(page.locator(".summary-box .total")).to_have_text("¥3,000,000.00")
    # No field given: the R&D subsidy cannot be decided yet, and says which fact is missing.
    undecided = page.locator("section.outcome:has(#g-undecided)")
    expect(undecided).to_contain_text("研发补贴")
    expect(undecided).to_contain_text("领域")
    page.locator("article.result.eligible details summary").first.click()
    expect(page.locator("article.result.eligible").first).to_contain_text("按照项目新增投资的10%比例给予支持")
    shot(page, "calculator-result")
    permalink = page.url

    # The permalink reproduces the result exactly: the same page, and the same data as JSON.
    data = page.request.get(permalink, headers={"Accept": "application/json"}).json()
    assert data["total"] == {"min": "3000000.00", "max": "3000000.00"}
    page.goto(permalink)
    expect(page.locator(".summary-box .total")).to_have_text("¥3,000,000.00")
    expect(page.locator("#citation")).to_contain_text(data["id"])
    with page.expect_download() as download:
        page.click("text=下载 Excel")
    assert download.value.suggested_filename.endswith(".xlsx")
    facts = page.request.get(permalink + "/facts.yaml")
    assert "上海智芯科技有限公司" in facts.text()
    assert "new_investment" in facts.text()

    # The missing fact links back to its question, with the answers loaded.
    undecided.locator("a", has_text="领域").click()
    expect(page).to_have_url(re.compile(r"/calculator\?from=.*#f-projects-0-field$"))
    expect(page.locator("#f-projects-0-costs-new_investment")).to_have_value("30000000.00")
    choose(page, "#f-projects-0-field", "ai_chip")
    page.click("#calculate")
    expect(page.locator(".summary-box .total")).to_have_text("¥3,000,000.00 – ¥9,000,000.00")
    shot(page, "calculator-result-field-given")


def test_form_errors_stand_beside_their_fields_in_chinese(page: Page, base: str) -> None:
    page.goto(base + "/calculator")
    page.fill("#f-enterprise-name", "上海智芯科技有限公司")
    page.click("#calculate")
    expect(page.locator("#form-errors")).to_contain_text("请修改下面标出的")
    expect(page.locator("#f-enterprise-credit_code-err")).to_contain_text("必填项")
    expect(page.locator("#f-enterprise-credit_code")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-enterprise-name")).to_have_value("上海智芯科技有限公司")  # answers kept
    shot(page, "calculator-errors")
    add_project(page, "rd_innovation", year="二零二五")
    expect(page.locator("#f-projects-0-year-err")).to_contain_text("无法识别年份")


def test_what_would_make_a_measure_eligible(page: Page, base: str) -> None:
    page.goto(base + "/calculator")
    fill_enterprise(page)
    add_project(page, "foundation_model", name="通用大模型")
    page.fill("#f-projects-0-parameters", "500亿")
    page.fill("#f-projects-0-application_scenarios", "2")
    page.fill("#f-projects-0-costs-rd_cost", "2000万")
    page.click("#calculate")
    ineligible = page.locator("section.outcome:has(#g-ineligible) article", has_text="大模型平台支持")
    expect(ineligible).to_contain_text("满足以下条件即可享受")
    expect(ineligible).to_contain_text("模型参数量须不低于 1000亿（现为 500亿）")
    expect(ineligible).to_contain_text("落地实际应用场景数须不低于 3（现为 2）")
    shot(page, "calculator-needs")


def test_the_calculator_with_the_keyboard_alone(page: Page, base: str) -> None:
    page.goto(base + "/calculator")
    page.locator("#f-enterprise-name").focus()  # (Tab from the date moves between its day, month and year)
    page.keyboard.type("键盘科技有限公司")
    page.keyboard.press("Tab")
    page.keyboard.type("91310000MA1FL0000N")
    page.keyboard.press("Tab")  # business district: a select chosen by typing
    expect(page.locator("#f-enterprise-business_district")).to_be_focused()
    for _ in range(17):  # down to 临港新片区, the 17th district
        page.keyboard.press("ArrowDown")
    expect(page.locator("#f-enterprise-business_district")).to_have_value("310000-lingang")
    # The form refreshed its questions; focus stayed on the select (htmx keeps the element's id).
    expect(page.locator("#f-enterprise-business_district")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#f-enterprise-tax_district")).to_be_focused()
    for _ in range(17):
        page.keyboard.press("ArrowDown")
    expect(page.locator("#f-enterprise-tax_district")).to_have_value("310000-lingang")
    page.keyboard.press("Tab")  # the radios
    page.keyboard.press("ArrowLeft")  # from "not sure" (checked, so focused) to "no"
    expect(page.locator("#f-enterprise-severe_credit_record-no")).to_be_checked()
    page.locator("#add-projects").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#f-projects-0-name")).to_be_visible()
    page.locator("#f-projects-0-name").focus()
    page.keyboard.type("键盘项目")
    page.keyboard.press("Tab")  # kind
    page.keyboard.press("ArrowDown")  # 研发创新项目
    expect(page.locator("#f-projects-0-kind")).to_have_value("rd_innovation")
    page.keyboard.press("Tab")
    page.keyboard.type("2025")
    page.locator("#calculate").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/calculator/r/"))
    expect(page.locator("h1")).to_contain_text("键盘科技有限公司")
    shot(page, "calculator-keyboard")


def test_the_language_switch(page: Page, base: str) -> None:
    page.goto(base + "/policies")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.click("a.lang")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Policy catalogue")
    page.goto(base + "/calculator")  # remembered
    expect(page.locator("h1")).to_have_text("What is my enterprise entitled to?")
    shot(page, "language-en")
    page.click("a.lang")
    expect(page.locator("h1")).to_have_text("我的企业能享受哪些扶持？")


def test_sign_in_sign_out_wrong_password_and_lockout(page: Page, base: str) -> None:
    page.goto(base + "/signin")
    page.fill("#name", "li.hua")
    page.fill("#password", "not-the-password")
    page.click("button[type=submit].primary")
    expect(page.locator("#signin-error")).to_have_text("用户名或密码错误。")
    shot(page, "signin-wrong")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.locator("nav")).to_contain_text("li.hua")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["huiqi_session"]["httpOnly"]
    assert cookies["huiqi_session"]["sameSite"] == "Lax"
    page.goto(base + "/account")
    expect(page.locator("dl.facts")).to_contain_text("评审")
    shot(page, "signin-account")
    page.click("nav button:has-text('退出')")
    expect(page.locator("nav")).to_contain_text("登录")
    page.goto(base + "/account")
    expect(page).to_have_url(re.compile(r"/signin\?next=/account"))

    # Five wrong passwords lock the account: then even the right one is refused for a while.
    for _ in range(5):
        page.fill("#name", "wang.fang")
        page.fill("#password", "wrong-password-1")
        page.click("button[type=submit].primary")
    expect(page.locator("#signin-error")).to_contain_text("账户已被暂时锁定")
    page.fill("#name", "wang.fang")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.locator("#signin-error")).to_contain_text("账户已被暂时锁定")
    expect(page.locator("#signin-error")).to_contain_text(re.compile(r"请 1[0-5] 分钟后再试"))  # when, not "later"
    shot(page, "signin-locked")


def test_a_post_without_its_csrf_token_is_refused(page: Page, base: str) -> None:
    page.goto(base + "/calculator")
    status = page.evaluate(
        """async () => (await fetch('/calculator', {method: 'POST',
             headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'enterprise.name=x'})).status"""
    )
    assert status == 403
    with_token = page.evaluate(
        """async () => (await fetch('/calculator/check', {method: 'POST',
             headers: {'Content-Type': 'application/x-www-form-urlencoded',
                       'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content},
             body: 'field=enterprise.name&enterprise.name=x'})).status"""
    )
    assert with_token == 200


PUBLIC_PAGES = [
    "/",
    "/policies",
    "/policies?q=租金",
    "/policies/lingang-2024",
    "/policies/minhang-2018",
    "/calculator",
    "/signin",
]


def test_every_public_page_is_offline_and_accessible(page: Page, base: str) -> None:
    requests = Requests(page, base)
    page.goto(base + "/calculator")
    fill_enterprise(page)
    add_project(page, "rd_innovation")
    page.click("#calculate")
    expect(page).to_have_url(re.compile(r"/calculator/r/"))
    result = page.url.removeprefix(base)
    problems: dict[str, Any] = {}
    for path in [*PUBLIC_PAGES, result, "/calculator?lang=en", "/nonexistent"]:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        found = axe_violations(page)
        if found:
            problems[path] = found
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
        shot(page, f"a11y-{name}")
    page.goto(base + "/calculator?lang=zh")
    assert problems == {}, problems
    assert requests.foreign() == [], requests.foreign()

    # The API's documentation, from vendored files. ReDoc's bundle (unchanged from npm) shows a
    # "powered by" logo from cdn.redoc.ly: the page's CSP blocks it, so nothing leaves the machine.
    docs = Requests(page, base)
    for path, text in (("/docs", "huiqi"), ("/redoc", "huiqi")):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        expect(page.locator("body")).to_contain_text(text)
        expect(page.locator("body")).to_contain_text("/v1/assess")
        shot(page, f"api-docs-{path.strip('/')}")
    assert docs.foreign() == ["https://cdn.redoc.ly/redoc/logo-mini.svg"]
    page.wait_for_timeout(200)  # the refusal's event may come after the page is idle
    # Only the foreign request counts: a local one (the favicon) may be cut off by the next navigation.
    assert [u for u in docs.failed if u in docs.foreign()] == docs.foreign()  # blocked


def test_an_answer_typed_while_the_questions_are_redrawn_is_kept(page: Page, base: str) -> None:
    page.goto(base + "/calculator")
    fill_enterprise(page)
    add_project(page, "rd_innovation")

    def slowly(route: Any) -> None:
        page.wait_for_timeout(600)
        route.continue_()

    page.route("**/calculator/form", slowly)
    page.select_option("#f-projects-0-field", "ai_chip")  # a refresh, slow to come back
    page.fill("#f-projects-0-costs-new_investment", "3000万")  # typed meanwhile
    expect(page.locator("#f-projects-0-field option[value='ai_chip'][selected]")).to_have_count(1)
    settle(page)
    expect(page.locator("#f-projects-0-costs-new_investment")).to_have_value("3000万")
    page.unroute("**/calculator/form")
