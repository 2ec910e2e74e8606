"""Attaching a document in a real browser (Playwright driving Debian's Chromium), as an enterprise user would.

Screenshots go to test-artifacts/attachments-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from huiqi.ledger import tables as t
from huiqi.ledger.actors import SYSTEM
from huiqi.ledger.applications import list_applications
from huiqi.ledger.attachment_store import FOLDER_ENV
from huiqi.ledger.uow import Ledger
from huiqi.rules.library import Library
from tests.browser import Requests, axe_violations, serve, shot, sign_in
from tests.test_attachments import EXE, OWNER, OWNER_COMPANY, PDF
from tests.web_world import PASSWORD, demo_web_app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, library: Library) -> Iterator[tuple[str, Ledger, int]]:
    mp = pytest.MonkeyPatch()
    mp.delenv(FOLDER_ENV, raising=False)
    mp.delenv("HUIQI_MAX_ATTACHMENT_BYTES", raising=False)
    app, ledger, _users = demo_web_app(tmp_path_factory.mktemp("attach-web"), library)
    submitted = ledger.read(
        SYSTEM,
        lambda uow: next(
            a.id for a in list_applications(uow, state="submitted", limit=500) if a.enterprise.name == OWNER_COMPANY
        ),
    )
    with serve(app) as base:
        yield base, ledger, submitted
    ledger.engine.dispose()
    mp.undo()


def rows(ledger: Ledger) -> list[tuple[str, int]]:
    return ledger.read(
        SYSTEM, lambda uow: [(a.filename, a.size) for a in uow.session.query(t.Attachment).order_by(t.Attachment.id)]
    )


def test_an_enterprise_attaches_a_document_through_the_page(
    page: Page, site: tuple[str, Ledger, int], tmp_path: Path
) -> None:
    base, ledger, application = site
    requests = Requests(page, base)
    sign_in(page, base, OWNER, PASSWORD)
    page.goto(f"{base}/applications/{application}/attachments")
    expect(page.locator("h1")).to_contain_text(f"申请 {application} 的附件")
    expect(page.get_by_text("尚未上传任何附件。")).to_be_visible()
    field = page.get_by_label("上传附件")
    expect(field).to_have_attribute("accept", ".pdf,.png,.jpg,.jpeg,.gif,.webp,.docx,.xlsx,.pptx,.doc,.xls,.ppt")
    shot(page, "attachments-empty")

    # A program named like a PDF: refused beside the field, in Chinese, nothing stored.
    fake = tmp_path / "发票.pdf"
    fake.write_bytes(EXE)
    field.set_input_files(str(fake))
    with page.expect_navigation():
        page.get_by_role("button", name="上传", exact=True).click()
    expect(page.locator(f"#attachment-file-{application}-err")).to_contain_text("文件内容不是允许的类型")
    expect(page.get_by_label("上传附件")).to_have_attribute("aria-invalid", "true")
    shot(page, "attachments-refused")
    assert rows(ledger) == []

    # A real PDF with a Chinese name: listed, and downloadable with the same bytes and name.
    report = tmp_path / "可行性研究报告.pdf"
    report.write_bytes(PDF)
    page.get_by_label("上传附件").set_input_files(str(report))
    with page.expect_navigation():
        page.get_by_role("button", name="上传", exact=True).click()
    link = page.get_by_role("link", name="可行性研究报告.pdf")
    expect(link).to_be_visible()
    expect(page.locator("table.attachment-list")).to_contain_text("PDF 文件")
    shot(page, "attachments-listed")
    assert rows(ledger) == [("可行性研究报告.pdf", len(PDF))]
    with page.expect_download() as waiting:
        link.click()
    download = waiting.value
    assert download.suggested_filename == "可行性研究报告.pdf"
    assert Path(download.path()).read_bytes() == PDF

    found = axe_violations(page)
    assert found == [], found
    assert requests.foreign() == [], requests.foreign()
