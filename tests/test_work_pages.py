"""The signed-in pages over the demo's ledger (TestClient): the officers' queue, an application's
steps from review to payment, the enterprise portal, and who is refused what."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from huiqi.ledger import applications, payments
from huiqi.ledger.actors import SYSTEM
from huiqi.ledger.uow import Ledger
from huiqi.rules.library import Library
from tests.web_world import csrf_of, demo_web_app, sign_in_client


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, library: Library) -> Iterator[tuple[TestClient, Ledger]]:
    app, ledger, _users = demo_web_app(tmp_path_factory.mktemp("work"), library)
    yield TestClient(app), ledger
    ledger.engine.dispose()


def client_of(demo: tuple[TestClient, Ledger], name: str) -> TestClient:
    return sign_in_client(TestClient(demo[0].app), name)


def first_in(ledger: Ledger, state: str, measure: str | None = None) -> int:
    rows = ledger.read(
        SYSTEM, lambda uow: applications.list_applications(uow, state=state, measure=measure, limit=1000)
    )
    assert rows, f"the demo has no application {state}"
    return rows[0].id


def state_of(ledger: Ledger, application: int) -> str:
    return ledger.read(SYSTEM, lambda uow: applications.application_by_id(uow, application).state)


def version_of(ledger: Ledger, application: int) -> str:
    return str(ledger.read(SYSTEM, lambda uow: applications.application_by_id(uow, application).version))


def step(client: TestClient, application: int, action: str, version: str, **extra: str):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf_of(client), "action": action, "version": version, **extra}
    return client.post(f"/applications/{application}/act", data=data, follow_redirects=False)


def test_the_queue_counts_and_lists_what_the_ledger_holds(demo: tuple[TestClient, Ledger]) -> None:
    reviewer = client_of(demo, "demo-reviewer")
    everything = demo[1].read(SYSTEM, lambda uow: applications.list_applications(uow, limit=10_000))
    data = reviewer.get("/work?state=all", headers={"accept": "application/json"}).json()
    assert data["total"] == len(everything)
    for state, count in data["counts"].items():
        assert count == sum(1 for a in everything if a.state == state), state
    waiting = reviewer.get("/work", headers={"accept": "application/json"}).json()  # the reviewer's own: submitted
    assert waiting["filters"]["state"] == "submitted"
    assert {i["id"] for i in waiting["items"]} == {a.id for a in everything if a.state == "submitted"}
    lingang = reviewer.get("/work?state=all&district=lingang", headers={"accept": "application/json"}).json()
    assert lingang["items"]
    assert all(i["district"] == "310000-lingang" for i in lingang["items"])
    assert lingang["total"] < data["total"]
    page = reviewer.get("/work?state=all")
    assert "审核队列" in page.text
    assert "统一社会信用代码" not in page.text


def test_every_list_downloads_as_the_excel_the_page_shows(demo: tuple[TestClient, Ledger]) -> None:
    finance = client_of(demo, "demo-finance")
    shown = finance.get("/work?state=all&policy=lingang-2024", headers={"accept": "application/json"}).json()
    book = load_workbook(io.BytesIO(finance.get("/work/applications.xlsx?state=all&policy=lingang-2024").content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("申请", "企业", "统一社会信用代码")
    assert [r[0] for r in rows[1:]] == [i["id"] for i in shown["items"]]
    assert all(
        r[7] in {"草稿", "已提交", "审核中", "已退回", "已批准", "已验收", "已办结", "未通过", "已撤回"}
        for r in rows[1:]
    )
    awards = finance.get("/work/awards", headers={"accept": "application/json"}).json()["items"]
    sheet = load_workbook(io.BytesIO(finance.get("/work/awards.xlsx").content)).active
    amounts = [Decimal(str(r[6])) for r in list(sheet.iter_rows(values_only=True))[1:]]
    assert amounts == [Decimal(a["amount"]) for a in awards]
    assert finance.get("/work/payments.xlsx").headers["content-type"].startswith("application/vnd.openxmlformats")


def test_an_application_from_review_to_payment_with_each_refusal_in_place(demo: tuple[TestClient, Ledger]) -> None:
    ledger = demo[1]
    reviewer, approver, finance = (client_of(demo, n) for n in ("demo-reviewer", "demo-approver", "demo-finance"))
    app_id = first_in(ledger, "submitted")
    assert step(reviewer, app_id, "start_review", version_of(ledger, app_id)).status_code == 303
    assert state_of(ledger, app_id) == "under_review"

    allowed = ledger.read(
        SYSTEM, lambda uow: applications.allowed_now(uow, applications.application_by_id(uow, app_id))
    )
    assert allowed is not None
    reviews_before = len(
        ledger.read(SYSTEM, lambda uow: applications.reviews_of(uow, applications.application_by_id(uow, app_id)))
    )
    too_much = reviewer.post(
        f"/applications/{app_id}/review",
        data={"csrf_token": csrf_of(reviewer), "decided": str(allowed.hi + 1), "opinion": "x"},
    )
    assert too_much.status_code == 422
    assert re.search(r'id="decided-err">[^<]*(范围|within)', too_much.text)  # beside its field
    bad = reviewer.post(f"/applications/{app_id}/review", data={"csrf_token": csrf_of(reviewer), "decided": "三百"})
    assert bad.status_code == 422
    assert "无法识别金额" in bad.text
    reviews_now = ledger.read(
        SYSTEM, lambda uow: applications.reviews_of(uow, applications.application_by_id(uow, app_id))
    )
    assert len(reviews_now) == reviews_before  # nothing written
    decided = allowed.lo
    ok = reviewer.post(
        f"/applications/{app_id}/review",
        data={"csrf_token": csrf_of(reviewer), "decided": f"{decided / 10000}万", "score": "86", "opinion": "同意"},
        follow_redirects=False,
    )
    assert ok.status_code == 303

    over = step(approver, app_id, "approve", version_of(ledger, app_id), amount=str(allowed.hi + 1))
    assert over.status_code == 409
    assert "审批未通过" in over.text
    assert "不在可给予范围" in over.text
    assert state_of(ledger, app_id) == "under_review"
    stale = step(approver, app_id, "approve", "1")
    assert stale.status_code == 412
    assert "已被他人修改" in stale.text
    assert step(approver, app_id, "approve", version_of(ledger, app_id)).status_code == 303
    assert state_of(ledger, app_id) == "approved"

    award = ledger.read(SYSTEM, lambda uow: payments.award_of(uow, applications.application_by_id(uow, app_id)))
    assert award is not None
    assert award.amount == decided
    page = finance.get(f"/applications/{app_id}", headers={"accept": "application/json"}).json()
    payable = [t for t in page["tranches"] if t["payable"]]
    unmet = [t for t in page["tranches"] if not t["payable"]]
    for tranche in payable:
        paid = finance.post(
            f"/applications/{app_id}/tranches/{tranche['id']}/pay",
            data={"csrf_token": csrf_of(finance), "version": str(tranche["version"]), "reference": "临财拨〔2026〕1号"},
            follow_redirects=False,
        )
        assert paid.status_code == 303
    for tranche in unmet:
        refused = finance.post(
            f"/applications/{app_id}/tranches/{tranche['id']}/pay",
            data={"csrf_token": csrf_of(finance), "version": str(tranche["version"]), "reference": "x"},
        )
        assert refused.status_code == 409
        assert "不能拨付" in refused.text
    after = finance.get(f"/applications/{app_id}", headers={"accept": "application/json"}).json()
    assert len(after["payments"]) == len(payable)
    assert [e["action"] for e in after["events"]][-2:] == ["start_review", "approve"]
    html = finance.get(f"/applications/{app_id}").text
    assert "开始审核" in html
    assert "批准" in html
    assert "办理过程" in html


def test_an_enterprise_sees_only_its_own_and_no_officer_page(demo: tuple[TestClient, Ledger]) -> None:
    ledger = demo[1]
    chip = client_of(demo, "demo-lingang-ai-chip")
    for path in (
        "/work",
        "/work?state=all",
        "/work/awards",
        "/work/payments",
        "/work/applications.xlsx",
        "/work/awards.xlsx",
    ):
        refused = chip.get(path)
        assert refused.status_code == 403, path
        assert "无权" in refused.text
    mine = chip.get("/portal", headers={"accept": "application/json"}).json()["applications"]
    everything = ledger.read(SYSTEM, lambda uow: applications.list_applications(uow, limit=10_000))
    others = [a.id for a in everything if a.id not in {m["id"] for m in mine}]
    assert mine
    assert others
    assert chip.get(f"/applications/{others[0]}").status_code == 404
    assert chip.get(f"/applications/{mine[0]['id']}").status_code == 200
    assert "临港智芯科技有限公司" in chip.get("/account").text  # the account names its enterprise
    anonymous = TestClient(demo[0].app).get("/portal", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/signin?next=%2Fportal"
    officer = client_of(demo, "demo-reviewer")
    assert officer.get("/portal").status_code == 403


def test_a_step_without_its_csrf_token_is_refused_and_nothing_changes(demo: tuple[TestClient, Ledger]) -> None:
    ledger = demo[1]
    reviewer = client_of(demo, "demo-reviewer")
    app_id = first_in(ledger, "submitted")
    version = version_of(ledger, app_id)
    refused = reviewer.post(f"/applications/{app_id}/act", data={"action": "start_review", "version": version})
    assert refused.status_code == 403
    assert state_of(ledger, app_id) == "submitted"


def test_the_portal_lists_what_is_not_applied_for_and_applies(demo: tuple[TestClient, Ledger]) -> None:
    ledger = demo[1]
    robots = client_of(demo, "demo-gangcheng-robotics")
    data = robots.get("/portal", headers={"accept": "application/json"}).json()
    entitled = data["entitled"]
    assert entitled, "the demo gives this enterprise something it has not applied for"
    first = entitled[0]
    form = {
        "csrf_token": csrf_of(robots),
        "measure": first["measure"],
        "subject": first["subject"],
        "year": str(first["year"]),
    }
    made = robots.post("/portal/apply", data=form, follow_redirects=False)
    assert made.status_code == 303
    new_id = int(made.headers["location"].rsplit("/", 1)[1])
    assert state_of(ledger, new_id) == "draft"
    again = robots.get("/portal", headers={"accept": "application/json"}).json()
    assert (first["measure"], first["subject"]) not in {(e["measure"], e["subject"]) for e in again["entitled"]}
    twice = robots.post("/portal/apply", data=form)
    assert twice.status_code == 409
    assert "已有一份在办的申请" in twice.text
    withdrawn = step(robots, new_id, "withdraw", version_of(ledger, new_id))
    assert withdrawn.status_code == 422
    assert 'id="reason-withdraw-err">' in withdrawn.text
    assert step(robots, new_id, "withdraw", version_of(ledger, new_id), reason="资料有误").status_code == 303
    assert state_of(ledger, new_id) == "withdrawn"


def test_an_application_from_a_calculator_result_carries_its_facts(demo: tuple[TestClient, Ledger]) -> None:
    ledger = demo[1]
    robots = client_of(demo, "demo-gangcheng-robotics")
    form = robots.get("/calculator?mine=1")
    assert form.status_code == 200
    assert "91310115MA7E6TJ1MX" in form.text
    facts = robots.get("/calculator?mine=1", headers={"accept": "application/json"}).json()["answers"]
    fields = {"csrf_token": csrf_of(robots), "as_of": "2025-06-30"}
    for key, value in facts["enterprise"].items():
        if isinstance(value, str):
            fields[f"enterprise.{key}"] = value
    fields["enterprise.revenue[2024]"] = "7000万"  # changed in the calculator
    fields["enterprise.revenue[2025]"] = "9000万"
    computed = robots.post("/calculator", data=fields, follow_redirects=False)
    assert computed.status_code == 303, computed.text[:500]
    public_id = computed.headers["location"].rsplit("/", 1)[1]
    page = robots.get(f"/calculator/r/{public_id}")
    assert "按此结果申报" in page.text or "将这些信息保存为本企业资料" in page.text
    kept = robots.post(
        "/portal/take", data={"csrf_token": csrf_of(robots), "calculation": public_id}, follow_redirects=False
    )
    assert kept.status_code == 303
    from huiqi.ledger.catalogue import enterprise_by_code

    revenue = ledger.read(SYSTEM, lambda uow: enterprise_by_code(uow, "91310115MA7E6TJ1MX").facts["revenue"])
    assert Decimal(revenue["2025"]) == Decimal("90000000")
    other = client_of(demo, "demo-lingang-ai-chip")
    refused = other.post("/portal/take", data={"csrf_token": csrf_of(other), "calculation": public_id})
    assert refused.status_code == 422
    assert "不是本企业" in refused.text


def test_the_demo_gives_every_role_something_to_do(demo: tuple[TestClient, Ledger]) -> None:
    counts = (
        client_of(demo, "demo-admin").get("/work?state=all", headers={"accept": "application/json"}).json()["counts"]
    )
    for state in ("draft", "submitted", "under_review", "returned", "approved", "accepted", "closed"):
        assert counts[state] > 0, state
    budgets = demo[1].read(SYSTEM, lambda uow: payments.list_budgets(uow))
    assert any(b.committed >= b.allocated * Decimal("0.8") for b in budgets)  # a budget near its limit
    finance = client_of(demo, "demo-finance")
    due = []
    for approved in demo[1].read(SYSTEM, lambda uow: applications.list_applications(uow, state="approved")):
        page = finance.get(f"/applications/{approved.id}", headers={"accept": "application/json"}).json()
        due += [t for t in page["tranches"] if not t["paid"] and t["payable"]]
    assert due  # tranches due for finance to pay
