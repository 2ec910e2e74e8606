"""The signed-in pages in a real browser (Playwright driving Debian's Chromium), over the demo's ledger:
an enterprise applies from its portal; officers take an application from review to payment.

Every test saves screenshots of the pages it visits in test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect

from huiqi.ledger import applications
from huiqi.ledger.actors import SYSTEM
from huiqi.ledger.uow import Ledger
from huiqi.rules.library import Library
from tests.browser import Requests, axe_violations, serve, shot, sign_in
from tests.web_world import PASSWORD, demo_web_app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, library: Library) -> Iterator[tuple[str, Ledger]]:
    app, ledger, _users = demo_web_app(tmp_path_factory.mktemp("work-browser"), library)
    with serve(app) as base:
        yield base, ledger
    ledger.engine.dispose()


def as_user(browser: Browser, base: str, name: str) -> Page:
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, base, name, PASSWORD)
    return page


def clean(page: Page, base: str) -> None:
    assert axe_violations(page) == []
    assert Requests(page, base).foreign() == []


def test_an_enterprise_sees_what_it_has_not_applied_for_and_applies(browser: Browser, site: tuple[str, Ledger]) -> None:
    base, _ledger = site
    page = as_user(browser, base, "demo-gangcheng-robotics")
    requests = Requests(page, base)
    page.goto(f"{base}/portal")
    expect(page.locator("h1")).to_have_text("上海港城具身智能机器人有限公司")
    rows = page.locator("table.entitled tbody tr")
    expect(rows.first).to_be_visible()
    shot(page, "portal-entitled")
    assert axe_violations(page) == []
    measure = rows.first.locator("td").first.inner_text()
    with page.expect_navigation():
        rows.first.locator("button").click()
    expect(page.locator("h1")).to_contain_text("草稿")
    expect(page.locator("h1")).to_contain_text(measure.split()[0])
    shot(page, "portal-new-application")
    assert axe_violations(page) == []
    page.set_input_files(
        "section.attachments input[type=file]",
        files=[{"name": "可研报告.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%test\n%%EOF\n"}],
    )
    with page.expect_navigation():
        page.click("form.attach button[type=submit]")
    expect(page.locator("h1")).to_contain_text("草稿")  # back on the application's page
    expect(page.locator("table.attachment-list")).to_contain_text("可研报告.pdf")
    with page.expect_navigation():
        page.click("form[data-step=submit] button")
    expect(page.locator("h1")).to_contain_text("已提交")
    expect(page.locator("ol.timeline")).to_contain_text("提交")
    page.goto(f"{base}/work")
    expect(page.locator("h1")).to_contain_text("403")  # an enterprise user is refused the officers' pages
    assert requests.foreign() == []


def test_officers_take_an_application_from_review_to_payment(browser: Browser, site: tuple[str, Ledger]) -> None:
    base, ledger = site
    submitted = ledger.read(SYSTEM, lambda uow: applications.list_applications(uow, state="submitted", limit=100))
    app_id = next(a.id for a in submitted if a.enterprise.name != "上海港城具身智能机器人有限公司")

    reviewer = as_user(browser, base, "demo-reviewer")
    reviewer.goto(f"{base}/work")
    expect(reviewer.locator(f"table.queue a[href='/applications/{app_id}']").first).to_be_visible()
    shot(reviewer, "work-queue")
    clean(reviewer, base)
    reviewer.select_option("#f-district", "310000-lingang")
    with reviewer.expect_navigation():
        reviewer.click("form.filters button[type=submit]")
    expect(reviewer.locator("table.queue tbody tr").first).to_contain_text("临港")
    reviewer.goto(f"{base}/applications/{app_id}")
    with reviewer.expect_navigation():
        reviewer.click("form[data-step=start_review] button")
    expect(reviewer.locator("h1")).to_contain_text("审核中")
    allowed = ledger.read(
        SYSTEM, lambda uow: applications.allowed_now(uow, applications.application_by_id(uow, app_id))
    )
    assert allowed is not None
    reviewer.fill("#decided", str(allowed.hi + 1))
    with reviewer.expect_navigation():
        reviewer.click("form.review-form button[type=submit]")
    expect(reviewer.locator("#decided-err")).to_contain_text("范围")  # beside its field, in Chinese
    shot(reviewer, "work-review-refused")
    decided = (allowed.lo + allowed.hi) / 2
    reviewer.fill("#decided", f"{decided:.2f}")
    reviewer.fill("#score", "88")
    reviewer.fill("#opinion", "同意资助")
    with reviewer.expect_navigation():
        reviewer.click("form.review-form button[type=submit]")
    expect(reviewer.locator("section[aria-labelledby=reviews-h]")).to_contain_text("同意资助")

    approver = as_user(browser, base, "demo-approver")
    approver.goto(f"{base}/applications/{app_id}")
    expect(approver.locator("section[aria-labelledby=room-h]")).to_contain_text("专项预算")
    approver.fill("#amount", str(allowed.hi + 1))
    with approver.expect_navigation():
        approver.click("form[data-step=approve] button")
    expect(approver.locator("#refusal")).to_contain_text("审批未通过")
    expect(approver.locator("#refusal")).to_contain_text("不在可给予范围")
    shot(approver, "work-approval-refused")
    assert axe_violations(approver) == []
    approver.fill("#amount", "")
    with approver.expect_navigation():
        approver.click("form[data-step=approve] button")
    expect(approver.locator("h1")).to_contain_text("已批准")
    expect(approver.locator("section[aria-labelledby=award-h]")).to_contain_text(f"{Decimal(decided):,.2f}"[:6])

    finance = as_user(browser, base, "demo-finance")
    finance.goto(f"{base}/applications/{app_id}")
    pay_forms = finance.locator("form.pay-form")
    unmet = finance.locator("table.tranches td", has_text="暂不能拨付")
    payable, waiting = pay_forms.count(), unmet.count()
    assert payable + waiting >= 1
    if payable:
        pay_forms.first.locator("input[name=reference]").fill("临财拨〔2026〕88号")
        with finance.expect_navigation():
            pay_forms.first.locator("button").click()
        expect(finance.locator("table.payments")).to_contain_text("临财拨〔2026〕88号")
    shot(finance, "work-tranche-paid")
    assert finance.locator("form.pay-form").count() == max(payable - 1, 0)  # a paid tranche has no pay form

    reviewer.goto(f"{base}/applications/{app_id}")
    with reviewer.expect_navigation():
        reviewer.click("form[data-step=accept] button")
    expect(reviewer.locator("h1")).to_contain_text("已验收")
    trail = reviewer.locator("ol.timeline")
    for step in ("开始审核", "批准", "项目验收通过"):
        expect(trail).to_contain_text(step)
    shot(reviewer, "work-accepted-timeline")
    clean(reviewer, base)
