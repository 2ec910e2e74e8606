"""Documents attached to applications (issue 21): the service, the API and the pages, on the demo's ledger.

The demo's 临港智芯 (user demo-lingang-ai-chip) has a submitted application (attachable) and one under
review (not); 上海临港智能传感器 (demo-lingang-sensor) is the other enterprise that must see nothing.
"""

from __future__ import annotations

import hashlib
import io
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huiqi.entrypoints.web.static_files import STATIC
from huiqi.ledger import attachments
from huiqi.ledger import tables as t
from huiqi.ledger.actors import SYSTEM, Actor
from huiqi.ledger.applications import list_applications
from huiqi.ledger.attachment_store import FOLDER_ENV
from huiqi.ledger.audit_log import verify_chain
from huiqi.ledger.errors import Conflict, Forbidden, Invalid, NotFound
from huiqi.ledger.file_types import kind_of
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.ledger.users import rotate_token, user_by_name
from huiqi.ledger.workflow import Role
from huiqi.rules.library import Library
from tests.web_world import csrf_of, demo_web_app, sign_in_client

OWNER, OTHER, OFFICER, ADMIN = "demo-lingang-ai-chip", "demo-lingang-sensor", "demo-reviewer", "demo-admin"
OWNER_COMPANY = "临港智芯科技有限公司"

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode"
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        package.writestr("word/document.xml", '<?xml version="1.0"?><document/>')
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("readme.txt", "not an office file")
    return buffer.getvalue()


@dataclass
class Demo:
    app_client: TestClient
    ledger: Ledger
    folder: Path  # the attachments folder: beside the demo's SQLite file
    attachable: int  # OWNER's submitted application
    fixed: int  # OWNER's application under review
    others: int  # OTHER's draft application
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, library: Library) -> Iterator[Demo]:
    mp = pytest.MonkeyPatch()
    mp.delenv(FOLDER_ENV, raising=False)
    mp.delenv("HUIQI_MAX_ATTACHMENT_BYTES", raising=False)
    folder = tmp_path_factory.mktemp("attach")
    app, ledger, _users = demo_web_app(folder, library)
    rows = ledger.read(
        SYSTEM, lambda uow: [(a.id, a.state, a.enterprise.name) for a in list_applications(uow, limit=500)]
    )

    def first(state: str, company: str) -> int:
        return next(i for i, s, c in rows if s == state and c == company)

    tokens = {name: ledger.run(SYSTEM, lambda uow, n=name: rotate_token(uow, n)) for name in (OWNER, OTHER, OFFICER)}
    with TestClient(app) as client:
        yield Demo(
            client,
            ledger,
            folder / "attachments",
            first("submitted", OWNER_COMPANY),
            first("under_review", OWNER_COMPANY),
            first("draft", "上海临港智能传感器有限公司"),
            tokens,
        )
    ledger.engine.dispose()
    mp.undo()


@pytest.fixture
def client(demo: Demo) -> TestClient:
    demo.app_client.cookies.clear()
    return demo.app_client


def as_user(demo: Demo, name: str) -> Actor:
    def actor(uow: UnitOfWork) -> Actor:
        user = user_by_name(uow, name)
        return Actor(user.id, user.name, Role(user.role), user.enterprise_id)

    return demo.ledger.read(SYSTEM, actor)


def stored(demo: Demo) -> tuple[int, list[str]]:
    """(rows in `attachments`, files in the folder), to show that a refusal stored nothing."""
    count = demo.ledger.read(SYSTEM, lambda uow: uow.session.execute(select(func.count(t.Attachment.id))).scalar_one())
    files = sorted(p.name for p in demo.folder.iterdir()) if demo.folder.exists() else []
    return count, files


def bearer(demo: Demo, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo.tokens[name]}"}


def upload_page(client: TestClient, application: int, name: str, content: bytes, **extra: str) -> object:
    return client.post(
        f"/applications/{application}/attachments",
        data={"csrf_token": csrf_of(client), **extra},
        files={"file": (name, content, "application/octet-stream")},
        follow_redirects=False,
    )


# ----- what a file is


@pytest.mark.parametrize(
    ("content", "media_type"),
    [
        (PDF, "application/pdf"),
        (png(), "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32, "image/jpeg"),
        (docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (EXE, None),
        (HTML, None),
        (plain_zip(), None),  # a zip is not an Office file
        (b"just some text", None),
    ],
)
def test_the_kind_is_told_by_the_content(tmp_path: Path, content: bytes, media_type: str | None) -> None:
    path = tmp_path / "whatever.pdf"  # the name says PDF every time: it must not matter
    path.write_bytes(content)
    kind = kind_of(path)
    assert (kind.media_type if kind else None) == media_type


def test_an_excel_workbook_made_by_openpyxl_is_accepted(tmp_path: Path) -> None:
    from openpyxl import Workbook

    path = tmp_path / "预算.xlsx"
    book = Workbook()
    book.active["A1"] = "研发投入"  # type: ignore[index]
    book.save(path)
    kind = kind_of(path)
    assert kind is not None
    assert kind.extension == "xlsx"


def test_names_are_made_safe_to_show() -> None:
    assert attachments.display_name("C:\\Users\\王\\营业执照.pdf") == "营业执照.pdf"
    assert attachments.display_name("../../etc/passwd") == "passwd"
    assert attachments.display_name("a\x00b\r\n.pdf") == "ab.pdf"
    assert attachments.display_name("") == "attachment"
    long = attachments.display_name("长" * 300 + ".pdf")
    assert len(long) == 255
    assert long.endswith(".pdf")


# ----- the service


def test_the_owner_attaches_and_officers_and_the_owner_read_the_same_bytes(demo: Demo) -> None:
    owner, officer = as_user(demo, OWNER), as_user(demo, OFFICER)
    row = demo.ledger.run(owner, lambda uow: attachments.attach(uow, demo.attachable, "可研报告.pdf", PDF))
    assert (row.media_type, row.size, row.sha256) == ("application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest())
    assert row.uploaded_by == OWNER
    for reader in (owner, officer):
        found, path = demo.ledger.read(reader, lambda uow: attachments.attachment_for_download(uow, row.id))
        assert found.filename == "可研报告.pdf"
        assert path.read_bytes() == PDF
    listed = demo.ledger.read(
        officer,
        lambda uow: [a.id for a in attachments.attachments_of(uow, uow.session.get(t.Application, demo.attachable))],
    )
    assert row.id in listed


def test_the_file_is_outside_static_under_a_random_name_readable_by_the_owner_only(demo: Demo) -> None:
    owner = as_user(demo, OWNER)
    row = demo.ledger.run(owner, lambda uow: attachments.attach(uow, demo.attachable, "营业执照.png", png()))
    path = demo.folder / row.stored_name
    assert path.is_file()
    assert path.read_bytes() == png()
    assert re.fullmatch(r"[0-9a-f]{32}", row.stored_name)
    assert "营业执照" not in row.stored_name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(demo.folder.stat().st_mode) == 0o700
    assert not path.resolve().is_relative_to(STATIC.resolve())
    assert not path.resolve().is_relative_to(Path(__file__).resolve().parents[1] / "src")
    assert not list(demo.folder.glob(".incoming-*"))  # no temporary left behind


def test_a_pdf_named_txt_is_kept_as_a_pdf_and_offered_back_as_one(demo: Demo) -> None:
    row = demo.ledger.run(as_user(demo, OWNER), lambda uow: attachments.attach(uow, demo.attachable, "scan.txt", PDF))
    assert row.media_type == "application/pdf"
    assert row.filename == "scan.txt"
    assert attachments.download_name(row) == "scan.txt.pdf"


@pytest.mark.parametrize(("name", "content"), [("报告.pdf", EXE), ("报告.pdf", HTML), ("表.docx", plain_zip())])
def test_a_wrong_type_is_refused_in_chinese_and_nothing_is_stored(demo: Demo, name: str, content: bytes) -> None:
    before = stored(demo)
    with pytest.raises(Invalid) as refused:
        demo.ledger.run(as_user(demo, OWNER), lambda uow: attachments.attach(uow, demo.attachable, name, content))
    (error,) = refused.value.errors
    assert error.field == "file"
    assert error.zh is not None
    assert "文件内容不是允许的类型" in error.zh
    assert stored(demo) == before


def test_an_oversized_file_is_refused_and_nothing_is_stored(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIQI_MAX_ATTACHMENT_BYTES", "1k")
    before = stored(demo)
    big = PDF + b"0" * 2048
    with pytest.raises(attachments.FileTooLarge) as refused:
        demo.ledger.run(as_user(demo, OWNER), lambda uow: attachments.attach(uow, demo.attachable, "大.pdf", big))
    assert refused.value.status == 413
    assert "1 KiB" in (refused.value.errors[0].zh or "")
    assert stored(demo) == before
    # exactly at the limit is accepted
    exact = PDF + b"0" * (1024 - len(PDF))
    row = demo.ledger.run(as_user(demo, OWNER), lambda uow: attachments.attach(uow, demo.attachable, "刚好.pdf", exact))
    assert row.size == 1024


def test_an_empty_file_is_refused(demo: Demo) -> None:
    with pytest.raises(Invalid) as refused:
        demo.ledger.run(as_user(demo, OWNER), lambda uow: attachments.attach(uow, demo.attachable, "空.pdf", b""))
    assert refused.value.errors[0].zh == "文件是空的"


def test_who_may_attach_and_when(demo: Demo) -> None:
    before = stored(demo)
    with pytest.raises(Forbidden):  # an officer never adds to an enterprise's file
        demo.ledger.run(as_user(demo, OFFICER), lambda uow: attachments.attach(uow, demo.attachable, "a.pdf", PDF))
    with pytest.raises(NotFound):  # another enterprise's application does not exist for it
        demo.ledger.run(as_user(demo, OTHER), lambda uow: attachments.attach(uow, demo.attachable, "a.pdf", PDF))
    with pytest.raises(Conflict) as late:  # under review: the file is what the experts judge
        demo.ledger.run(as_user(demo, OWNER), lambda uow: attachments.attach(uow, demo.fixed, "a.pdf", PDF))
    assert late.value.code == "wrong_state"
    assert stored(demo) == before
    # an admin may, on the enterprise's behalf
    row = demo.ledger.run(as_user(demo, ADMIN), lambda uow: attachments.attach(uow, demo.attachable, "代传.pdf", PDF))
    assert row.uploaded_by == ADMIN


def test_another_enterprise_cannot_read_an_attachment(demo: Demo) -> None:
    row = demo.ledger.run(as_user(demo, OWNER), lambda uow: attachments.attach(uow, demo.attachable, "x.pdf", PDF))
    with pytest.raises(NotFound):
        demo.ledger.read(as_user(demo, OTHER), lambda uow: attachments.attachment_for_download(uow, row.id))


def test_a_failed_transaction_leaves_no_file(demo: Demo) -> None:
    before = stored(demo)

    def attach_then_fail(uow):  # type: ignore[no-untyped-def]
        attachments.attach(uow, demo.attachable, "x.pdf", PDF)
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        demo.ledger.run(as_user(demo, OWNER), attach_then_fail)
    assert stored(demo) == before


def test_attachments_are_audited_and_the_chain_holds(demo: Demo) -> None:
    row = demo.ledger.run(as_user(demo, OWNER), lambda uow: attachments.attach(uow, demo.attachable, "审计.pdf", PDF))

    def events(uow):  # type: ignore[no-untyped-def]
        query = select(t.AuditEvent).where(t.AuditEvent.entity == "attachments", t.AuditEvent.entity_id == str(row.id))
        return [(e.action, e.actor, e.after["sha256"]) for e in uow.session.execute(query).scalars()]

    assert demo.ledger.read(SYSTEM, events) == [("attachment.add", OWNER, hashlib.sha256(PDF).hexdigest())]
    verdict = demo.ledger.read(SYSTEM, lambda uow: verify_chain(uow.session))
    assert verdict.ok, verdict.problem


# ----- the API


def test_the_api_uploads_lists_and_downloads(demo: Demo, client: TestClient) -> None:
    url = f"/v1/applications/{demo.attachable}/attachments"
    made = client.post(url, headers=bearer(demo, OWNER), files={"file": ("营业执照 2025.png", png(), "image/png")})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["media_type"] == "image/png"
    assert body["size"] == len(png())
    assert "stored_name" not in body
    listed = client.get(url, headers=bearer(demo, OFFICER)).json()["items"]
    assert body["id"] in [a["id"] for a in listed]
    for reader in (OWNER, OFFICER):
        got = client.get(body["download"], headers=bearer(demo, reader))
        assert got.status_code == 200
        assert got.content == png()
        assert got.headers["content-type"] == "image/png"
        assert got.headers["x-content-type-options"] == "nosniff"
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=UTF-8''{quote('营业执照 2025.png', safe='')}" in disposition


def test_the_api_refuses_a_wrong_type_with_the_field_and_stores_nothing(demo: Demo, client: TestClient) -> None:
    before = stored(demo)
    url = f"/v1/applications/{demo.attachable}/attachments"
    refused = client.post(url, headers=bearer(demo, OWNER), files={"file": ("说明.pdf", EXE, "application/pdf")})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "file"
    assert stored(demo) == before


def test_the_api_refuses_a_body_over_the_limit_unread(demo: Demo, client: TestClient) -> None:
    before = stored(demo)
    url = f"/v1/applications/{demo.attachable}/attachments"
    huge = PDF + b"0" * (10 * 1024 * 1024 + 70 * 1024)  # beyond 10 MiB and the form's room
    refused = client.post(url, headers=bearer(demo, OWNER), files={"file": ("大.pdf", huge, "application/pdf")})
    assert refused.status_code == 413
    assert "HUIQI_MAX_ATTACHMENT_BYTES" in refused.json()["detail"]
    assert stored(demo) == before


def test_the_api_hides_another_enterprises_attachments(demo: Demo, client: TestClient) -> None:
    url = f"/v1/applications/{demo.attachable}/attachments"
    made = client.post(url, headers=bearer(demo, OWNER), files={"file": ("a.pdf", PDF, "application/pdf")}).json()
    assert client.get(url, headers=bearer(demo, OTHER)).status_code == 404
    assert client.get(made["download"], headers=bearer(demo, OTHER)).status_code == 404
    sent = client.post(url, headers=bearer(demo, OTHER), files={"file": ("a.pdf", PDF, "application/pdf")})
    assert sent.status_code == 404
    assert client.post(url, headers=bearer(demo, OFFICER), files={"file": ("a.pdf", PDF)}).status_code == 403
    assert client.get(made["download"]).status_code == 401  # no token at all


# ----- the pages


def test_the_page_uploads_and_lists_and_both_readers_download(demo: Demo, client: TestClient) -> None:
    sign_in_client(client, OWNER)
    page = client.get(f"/applications/{demo.attachable}/attachments")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert 'accept=".pdf,' in page.text
    assert "每个文件不超过 10 MiB" in page.text
    assert "与文件名无关" in page.text
    done = upload_page(client, demo.attachable, "申报书.pdf", PDF)
    assert done.status_code == 303
    assert done.headers["location"] == f"/applications/{demo.attachable}"
    data = client.get(f"/applications/{demo.attachable}/attachments", headers={"Accept": "application/json"}).json()
    item = next(i for i in data["attachments"]["items"] if i["name"] == "申报书.pdf")
    assert item["type"] == "PDF 文件"
    assert data["attachments"]["may_attach"] is True
    got = client.get(item["download"])
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    client.cookies.clear()
    sign_in_client(client, OFFICER)
    seen = client.get(f"/applications/{demo.attachable}/attachments")
    assert "申报书.pdf" in seen.text
    assert 'name="file"' not in seen.text
    assert client.get(item["download"]).content == PDF


def test_the_page_returns_to_next_and_never_to_another_site(demo: Demo, client: TestClient) -> None:
    sign_in_client(client, OWNER)
    back = f"/applications/{demo.attachable}/attachments"
    assert upload_page(client, demo.attachable, "a.pdf", PDF, next=back).headers["location"] == back
    away = upload_page(client, demo.attachable, "a.pdf", PDF, next="//evil.example/")
    assert away.headers["location"] == f"/applications/{demo.attachable}"


def test_an_htmx_upload_gets_the_partial(demo: Demo, client: TestClient) -> None:
    sign_in_client(client, OWNER)
    done = client.post(
        f"/applications/{demo.attachable}/attachments",
        data={"csrf_token": csrf_of(client)},
        files={"file": ("局部.pdf", PDF)},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200
    assert "局部.pdf" in done.text
    assert "<html" not in done.text


def test_the_page_refuses_a_wrong_type_beside_the_field_in_chinese(demo: Demo, client: TestClient) -> None:
    sign_in_client(client, OWNER)
    before = stored(demo)
    refused = upload_page(client, demo.attachable, "发票.pdf", EXE)
    assert refused.status_code == 422
    field = f"attachment-file-{demo.attachable}"
    beside = re.search(rf'<span class="err" id="{field}-err" role="alert">([^<]+)</span>', refused.text)
    assert beside
    assert "文件内容不是允许的类型" in beside.group(1)
    assert f'id="{field}"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert "Traceback" not in refused.text
    assert stored(demo) == before


def test_the_page_refuses_no_file_in_chinese(demo: Demo, client: TestClient) -> None:
    sign_in_client(client, OWNER)
    refused = upload_page(client, demo.attachable, "", b"")
    assert refused.status_code == 422
    assert "请选择要上传的文件" in refused.text


def test_the_page_refuses_an_oversized_file_beside_the_field(
    demo: Demo, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in_client(client, OWNER)
    before = stored(demo)
    monkeypatch.setenv("HUIQI_MAX_ATTACHMENT_BYTES", "1k")
    refused = upload_page(client, demo.attachable, "大.pdf", PDF + b"0" * 4096)
    assert refused.status_code == 413
    assert "文件过大" in refused.text
    assert 'role="alert"' in refused.text
    assert stored(demo) == before


def test_the_page_refuses_a_body_over_the_limit_with_a_page_in_chinese(demo: Demo, client: TestClient) -> None:
    sign_in_client(client, OWNER)
    before = stored(demo)
    huge = PDF + b"0" * (10 * 1024 * 1024 + 70 * 1024)
    refused = upload_page(client, demo.attachable, "大.pdf", huge)
    assert refused.status_code == 413
    assert refused.headers["content-type"].startswith("text/html")
    assert "提交的内容过大" in refused.text
    assert "附件上限为 10 MiB" in refused.text
    assert "script-src 'self'" in refused.headers["content-security-policy"]
    assert "Traceback" not in refused.text
    assert stored(demo) == before


def test_another_enterprise_gets_404_pages(demo: Demo, client: TestClient) -> None:
    row = demo.ledger.run(as_user(demo, OWNER), lambda uow: attachments.attach(uow, demo.attachable, "秘.pdf", PDF))
    sign_in_client(client, OTHER)
    before = stored(demo)
    page = client.get(f"/applications/{demo.attachable}/attachments")
    assert page.status_code == 404
    assert "秘.pdf" not in page.text
    assert "未找到" in page.text
    download = client.get(f"/attachments/{row.id}")
    assert download.status_code == 404
    assert download.content != PDF
    sent = upload_page(client, demo.attachable, "a.pdf", PDF)
    assert sent.status_code == 404
    assert stored(demo) == before
    # its own draft: the form is there
    assert 'name="file"' in client.get(f"/applications/{demo.others}/attachments").text


def test_an_officer_cannot_attach_through_the_page(demo: Demo, client: TestClient) -> None:
    sign_in_client(client, OFFICER)
    before = stored(demo)
    refused = upload_page(client, demo.attachable, "a.pdf", PDF)
    assert refused.status_code == 403
    assert "无权" in refused.text
    assert stored(demo) == before


def test_a_post_without_its_csrf_token_is_refused_and_nothing_is_stored(demo: Demo, client: TestClient) -> None:
    sign_in_client(client, OWNER)
    before = stored(demo)
    refused = client.post(
        f"/applications/{demo.attachable}/attachments", files={"file": ("a.pdf", PDF)}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    wrong = client.post(
        f"/applications/{demo.attachable}/attachments",
        data={"csrf_token": "x" * 43},
        files={"file": ("a.pdf", PDF)},
        follow_redirects=False,
    )
    assert wrong.status_code == 403
    assert stored(demo) == before


def test_signed_out_readers_are_sent_to_sign_in(demo: Demo, client: TestClient) -> None:
    page = client.get(f"/applications/{demo.attachable}/attachments", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/signin?next=")
    assert client.get("/attachments/1", follow_redirects=False).status_code == 303


def test_the_page_in_english(demo: Demo, client: TestClient) -> None:
    demo.ledger.run(as_user(demo, OWNER), lambda uow: attachments.attach(uow, demo.attachable, "english.pdf", PDF))
    sign_in_client(client, OWNER)
    page = client.get(f"/applications/{demo.attachable}/attachments?lang=en")
    assert "Attached documents" in page.text
    assert "PDF document" in page.text
    assert "The type is judged by the file" in page.text


def test_the_api_gives_a_refusal_in_chinese_beside_its_english(tmp_path, library) -> None:  # type: ignore[no-untyped-def]
    """A refused file through /v1 names the field in both languages, as the validation errors do."""
    from fastapi.testclient import TestClient

    from huiqi.ledger import applications
    from huiqi.ledger.actors import SYSTEM
    from tests.web_world import demo_web_app

    app, ledger, _users = demo_web_app(tmp_path, library)
    drafts = ledger.read(SYSTEM, lambda uow: applications.list_applications(uow, state="draft", limit=5))
    owner = ledger.read(SYSTEM, lambda uow: drafts[0].enterprise.credit_code)
    from huiqi.ledger.users import add_user

    token = ledger.run(SYSTEM, lambda uow: add_user(uow, "api-owner", "enterprise", owner)[1])
    refused = TestClient(app).post(
        f"/v1/applications/{drafts[0].id}/attachments",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("x.pdf", b"MZ\x90\x00not a pdf", "application/pdf")},
    )
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["field"] == "file"
    assert error["message_zh"]
