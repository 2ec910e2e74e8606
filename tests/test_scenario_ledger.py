"""A scenario call kept by the ledger (SQLite and PostgreSQL): each role takes its steps, every step
is an event in the call's history and the audit chain, and the marks stay sealed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from huiqi.facts.credit_code import complete
from huiqi.ledger import catalogue, scenarios
from huiqi.ledger import tables as t
from huiqi.ledger.actors import SYSTEM, Actor
from huiqi.ledger.audit_log import verify_chain
from huiqi.ledger.errors import Conflict, Forbidden
from huiqi.ledger.uow import Ledger
from huiqi.ledger.workflow import Role
from huiqi.monitor.calls import Applicant, Expert, Proposal
from huiqi.target_files import load_call_lists

REVIEWER = Actor(1, "li.hua", Role.REVIEWER)
APPROVER = Actor(2, "wang.fang", Role.APPROVER)
CODES = [complete(f"91310000MA1KC000{i}") for i in range(3)]


def _enterprise(ledger: Ledger, code: str, name: str) -> Actor:
    def work(uow):  # type: ignore[no-untyped-def]
        firm = catalogue.add_enterprise(
            uow,
            {"name": name, "credit_code": code, "business_district": "临港", "tax_district": "临港"}
            | {"severe_credit_record": False},
        )
        uow.session.flush()
        return firm.id

    return Actor(100 + CODES.index(code), name, Role.ENTERPRISE, enterprise_id=ledger.run(SYSTEM, work))


def test_a_call_from_publication_to_award(ledger: Ledger) -> None:
    clock = ledger.clock
    call = next(c for c in load_call_lists() if c.id == "lg-2022-01")
    clock.now = datetime(2022, 8, 18, 2, 0, tzinfo=UTC)  # type: ignore[attr-defined]  # 10:00 in Shanghai
    firm_a, firm_b = _enterprise(ledger, CODES[0], "甲智能"), _enterprise(ledger, CODES[1], "乙科技")
    ledger.run(REVIEWER, lambda uow: scenarios.open_call(uow, call))
    with pytest.raises(Forbidden):
        ledger.run(firm_a, lambda uow: scenarios.publish(uow, call.id))
    ledger.run(REVIEWER, lambda uow: scenarios.publish(uow, call.id))
    a, b, c = (Applicant(CODES[0], "甲智能"), Applicant(CODES[1], "乙科技"), Applicant(CODES[2], "丙数据"))
    p1 = Proposal("P1", a, (), "甲的方案", clock.now)  # type: ignore[attr-defined]
    p2 = Proposal("P2", b, (c,), "乙丙联合体的方案", clock.now)  # type: ignore[attr-defined]
    ledger.run(firm_a, lambda uow: scenarios.submit(uow, call.id, p1))
    with pytest.raises(Forbidden):
        ledger.run(firm_a, lambda uow: scenarios.submit(uow, call.id, p2))  # not its own
    ledger.run(firm_b, lambda uow: scenarios.submit(uow, call.id, p2))
    clock.now = datetime(2022, 9, 18, 2, 0, tzinfo=UTC)  # type: ignore[attr-defined]  # past the deadline
    with pytest.raises(Conflict) as late:
        ledger.run(firm_a, lambda uow: scenarios.submit(uow, call.id, Proposal("P3", a, (), "迟到", clock.now)))  # type: ignore[attr-defined]
    assert late.value.reasons
    assert "截止时间" in late.value.reasons[0]
    panel = (*(Expert(f"e{i}", f"专家{i}") for i in range(4)), Expert("e4", "专家4", employer=CODES[0]))
    ledger.run(REVIEWER, lambda uow: scenarios.seat_panel(uow, call.id, panel))
    marks = {"tech": 80, "fit": 80, "team": 80, "price": 80}
    with pytest.raises(Conflict, match="conflict"):
        ledger.run(REVIEWER, lambda uow: scenarios.record_score(uow, call.id, "e4", "P1", marks))
    for expert in ("e0", "e1", "e2", "e3"):
        ledger.run(REVIEWER, lambda uow, e=expert: scenarios.record_score(uow, call.id, e, "P1", marks))
    better = {"tech": 90, "fit": 85, "team": 80, "price": 70}
    for expert in ("e0", "e1", "e2", "e3", "e4"):
        ledger.run(REVIEWER, lambda uow, e=expert: scenarios.record_score(uow, call.id, e, "P2", better))
    sealed = ledger.read(firm_a, lambda uow: scenarios.call_view(uow, call.id))
    assert sealed["scores"] == []  # hidden while the panel sits
    ledger.run(REVIEWER, lambda uow: scenarios.close_panel(uow, call.id))
    shown = ledger.read(firm_a, lambda uow: scenarios.call_view(uow, call.id))
    # P2: 0.4·90 + 0.3·85 + 0.2·80 + 0.1·70 = 84.50; P1: 80.00
    assert shown["ranking"] == [["P2", "84.50"], ["P1", "80.00"]]
    assert len(shown["scores"]) == 9
    ledger.run(firm_a, lambda uow: scenarios.object_to(uow, call.id, "O1", "P2", "乙的联合体协议未盖章"))
    clock.now += timedelta(days=6)  # type: ignore[attr-defined]  # the notice is over
    with pytest.raises(Conflict, match="not yet decided"):
        ledger.run(APPROVER, lambda uow: scenarios.award(uow, call.id))
    ledger.run(REVIEWER, lambda uow: scenarios.decide_objection(uow, call.id, "O1", False, "协议已补正, 异议不成立"))
    with pytest.raises(Forbidden):
        ledger.run(REVIEWER, lambda uow: scenarios.award(uow, call.id))
    done = ledger.run(APPROVER, lambda uow: scenarios.award(uow, call.id))
    made = done.award
    assert (made.proposal, made.lead) == ("P2", CODES[1])
    assert made.recognitions == ("major_special_project", "shanghai_pilot_scenario")
    # in 2022 no measure in force rewards a pilot scenario (Lingang's runs from 2024): a project, no drafts
    assert done.applications == ()

    def audit(uow):  # type: ignore[no-untyped-def]
        events = (
            uow.session.execute(select(t.AuditEvent).where(t.AuditEvent.entity == "scenario_calls")).scalars().all()
        )
        return [e.after for e in events if e.after], verify_chain(uow.session)

    afters, verdict = ledger.read(SYSTEM, audit)
    assert verdict.ok, verdict.problem
    assert afters
    assert all(a.get("scores") == "(redacted)" for a in afters)
    history = [e["action"] for e in shown["events"]]
    assert history[:5] == ["open", "publish", "submit", "submit", "panel"]
    assert history.count("score") == 9


def _through_the_panel(ledger: Ledger, call_id: str, firm: Actor, proposal: Proposal) -> None:
    """Publish, one proposal, a panel of five scoring it, the panel closed and the notice over."""
    clock = ledger.clock
    ledger.run(REVIEWER, lambda uow: scenarios.publish(uow, call_id))
    ledger.run(firm, lambda uow: scenarios.submit(uow, call_id, proposal))
    clock.now += timedelta(days=31)  # type: ignore[attr-defined]
    panel = tuple(Expert(f"e{i}", f"专家{i}") for i in range(5))
    ledger.run(REVIEWER, lambda uow: scenarios.seat_panel(uow, call_id, panel))
    marks = {"tech": 80, "fit": 70, "team": 60, "price": 90}
    for expert in panel:
        ledger.run(REVIEWER, lambda uow, e=expert.id: scenarios.record_score(uow, call_id, e, proposal.id, marks))
    ledger.run(REVIEWER, lambda uow: scenarios.close_panel(uow, call_id))
    clock.now += timedelta(days=6)  # type: ignore[attr-defined]


def test_the_award_flows_through_the_ledger_to_payment(ledger: Ledger) -> None:
    """The winner's project is recognised, Lingang's pilot bonus drafted for it, then reviewed,
    approved into tranches and paid like any application; a second call excludes the winner."""
    from dataclasses import replace

    from huiqi.ledger import applications, payments
    from huiqi.ledger.workflow import Action
    from huiqi.money import parse_amount

    clock = ledger.clock
    clock.now = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    calls = {c.id: c for c in load_call_lists()}
    call = replace(calls["lg-2022-01"], deadline=clock.now + timedelta(days=30))  # type: ignore[attr-defined]
    firm = _enterprise(ledger, CODES[0], "甲智能")
    ledger.run(REVIEWER, lambda uow: scenarios.open_call(uow, call))
    _through_the_panel(
        ledger, call.id, firm, Proposal("P1", Applicant(CODES[0], "甲智能"), (), "智能底盘方案", clock.now)
    )  # type: ignore[attr-defined]
    done = ledger.run(APPROVER, lambda uow: scenarios.award(uow, call.id))
    (draft,) = done.applications

    def project_and_draft(uow):  # type: ignore[no-untyped-def]
        project = uow.session.get(t.Project, done.project)
        row = uow.session.get(t.Application, draft)
        return project.facts, project.enterprise.credit_code, (row.measure, row.state, row.note)

    facts, owner, (measure, state, note) = ledger.read(SYSTEM, project_and_draft)
    assert owner == CODES[0]
    assert (facts["kind"], sorted(facts["recognitions"])) == (
        "application_demo",
        ["major_special_project", "shanghai_pilot_scenario"],
    )
    assert (measure, state) == ("lingang-2024.demo", "draft")
    assert "lg-2022-01" in note
    seen = ledger.read(firm, lambda uow: scenarios.call_view(uow, call.id))["in_ledger"]
    assert seen == {
        "project": "call-lg-2022-01",
        "applications": [{"id": draft, "measure": measure, "policy": "lingang-2024", "state": "draft", "year": 2025}],
    }
    finance = Actor(3, "zhao.kuai", Role.FINANCE)
    ledger.run(firm, lambda uow: applications.act(uow, draft, Action.SUBMIT))
    ledger.run(REVIEWER, lambda uow: applications.act(uow, draft, Action.START_REVIEW))
    with pytest.raises(Conflict, match="refused"):  # the bonus is 200万, no more
        ledger.run(APPROVER, lambda uow: applications.act(uow, draft, Action.APPROVE, amount=parse_amount("300万")))
    ledger.run(APPROVER, lambda uow: applications.act(uow, draft, Action.APPROVE, amount=parse_amount("200万")))
    (award,) = ledger.read(
        SYSTEM, lambda uow: [(a.amount, [(x.id, x.trigger) for x in a.tranches]) for a in payments.list_awards(uow)]
    )
    assert award[0] == parse_amount("200万")
    ((tranche_id, trigger),) = award[1]
    assert trigger == "approval"
    paid = ledger.run(
        finance, lambda uow: payments.pay(uow, tranche_id, paid_on=None, reference="BK-1", expected=None).amount
    )
    assert paid == parse_amount("200万")
    # the winner is a past winner now: a later call of the list turns it away
    later = replace(calls["lg-2022-02"], deadline=clock.now + timedelta(days=30))  # type: ignore[attr-defined]
    ledger.run(REVIEWER, lambda uow: scenarios.open_call(uow, later))
    ledger.run(REVIEWER, lambda uow: scenarios.publish(uow, later.id))
    again = Proposal("P1", Applicant(CODES[0], "甲智能"), (), "再次揭榜", clock.now)  # type: ignore[attr-defined]
    with pytest.raises(Conflict) as refused:
        ledger.run(firm, lambda uow: scenarios.submit(uow, later.id, again))
    assert "曾揭榜获胜" in refused.value.reasons[0]


def test_a_lead_outside_the_catalogue_is_refused_at_submission(ledger: Ledger) -> None:
    from huiqi.ledger.actors import Actor as _Actor

    ledger.clock.now = datetime(2022, 8, 18, 2, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    admin = _Actor(9, "admin", Role.ADMIN)
    call = next(c for c in load_call_lists() if c.id == "lg-2022-03")
    ledger.run(REVIEWER, lambda uow: scenarios.open_call(uow, call))
    ledger.run(REVIEWER, lambda uow: scenarios.publish(uow, call.id))
    stranger = Proposal("P1", Applicant(CODES[2], "丙数据"), (), "方案", ledger.clock.now)  # type: ignore[attr-defined]
    with pytest.raises(Conflict) as refused:
        ledger.run(admin, lambda uow: scenarios.submit(uow, call.id, stranger))
    assert "不在企业名录中" in refused.value.reasons[0]


def test_the_api_runs_the_same_steps(ledger: Ledger) -> None:
    from fastapi.testclient import TestClient

    from huiqi.entrypoints.api.app import create_app
    from huiqi.ledger.users import add_user

    ledger.clock.now = datetime(2022, 8, 18, 2, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    firm = _enterprise(ledger, CODES[0], "甲智能")
    del firm
    tokens = {
        name: ledger.run(SYSTEM, lambda uow, n=name, r=role, e=ent: add_user(uow, n, r, e)[1])
        for name, role, ent in (("rev", "reviewer", None), ("co", "enterprise", CODES[0]))
    }
    api = TestClient(create_app(ledger))

    def auth(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}"}

    assert api.post("/v1/calls/lg-2022-02/open", headers=auth("co")).status_code == 403
    assert api.post("/v1/calls/lg-2022-02/open", headers=auth("rev")).status_code == 201
    assert api.post("/v1/calls/nope/open", headers=auth("rev")).status_code == 404
    assert api.get("/v1/calls", headers=auth("co")).json()["items"] == []  # a draft: officers only
    assert api.post("/v1/calls/lg-2022-02/publish", headers=auth("rev")).json()["stage"] == "published"
    body = {"id": "P1", "title": "未来交通方案", "lead": {"credit_code": CODES[0], "name": "甲智能"}}
    done = api.post("/v1/calls/lg-2022-02/proposals", json=body, headers=auth("co"))
    assert done.status_code == 200, done.text
    assert [p["id"] for p in done.json()["proposals"]] == ["P1"]
    pdf = b"%PDF-1.4\n%%EOF\n"
    upload = {"file": ("方案书.pdf", pdf, "application/pdf")}
    added = api.post("/v1/calls/lg-2022-02/proposals/P1/files", files=upload, headers=auth("co"))
    assert added.status_code == 201, added.text
    assert api.post("/v1/calls/lg-2022-02/proposals/P1/files", files=upload, headers=auth("rev")).status_code == 403
    listed = api.get("/v1/calls/lg-2022-02/files", headers=auth("rev")).json()["items"]
    assert [f["filename"] for f in listed] == ["方案书.pdf"]
    assert api.get(listed[0]["download"], headers=auth("rev")).content == pdf
    late_panel = api.post(
        "/v1/calls/lg-2022-02/panel", json={"experts": [{"id": "e1", "name": "专家"}]}, headers=auth("rev")
    )
    assert late_panel.status_code == 409  # before the deadline
    assert "deadline" in late_panel.json()["detail"]
    assert api.post("/v1/calls/lg-2022-02/proposals", json={**body, "id": "P2"}, headers=auth("co")).status_code == 409


def _csrf(client: TestClient, path: str) -> str:
    import re

    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def test_the_pages_show_a_call_to_anyone_signed_in(tmp_path_factory: pytest.TempPathFactory) -> None:
    from huiqi.policy_files import load_library
    from tests.web_world import demo_web_app, sign_in_client

    app, demo, _users = demo_web_app(tmp_path_factory.mktemp("calls"), load_library())
    try:
        officer = sign_in_client(TestClient(app), "demo-reviewer")
        listed = officer.get("/calls")
        assert listed.status_code == 200
        assert "智能底盘研发系统" in listed.text  # the demo opens Lingang's five calls as drafts
        page = officer.get("/calls/lg-2022-01")
        assert "宁德时代" in page.text
        assert "技术方案先进性与可行性 — 40%" in page.text
        assert "创建榜单" in page.text  # the history
        assert officer.get("/calls/lg-2022-01", headers={"accept": "application/json"}).json()["scores"] == []
        firm = sign_in_client(TestClient(app), "demo-lingang-ai-chip")
        assert "智能底盘" not in firm.get("/calls").text  # drafts: officers only
        assert firm.get("/calls/lg-2022-01").status_code == 404
        assert officer.get("/calls/nothing").status_code == 404
        # the steps as forms: an officer publishes, an enterprise answers, a bad partner line is said
        token = _csrf(officer, "/calls/lg-2022-01")
        published = officer.post("/calls/lg-2022-01/step", data={"action": "publish", "csrf_token": token})
        assert published.status_code == 200  # back on the call, now open
        assert "征集中" in published.text
        token = _csrf(firm, "/calls/lg-2022-01")
        form = {"title": "临港智芯的底盘方案", "csrf_token": token}
        wrong = firm.post("/calls/lg-2022-01/proposal", data={**form, "partners": "不是代码"})
        assert wrong.status_code == 422
        assert "第 1 行：请写“统一社会信用代码 企业名称”" in wrong.text
        done = firm.post("/calls/lg-2022-01/proposal", data={**form, "partners": ""})
        assert "临港智芯的底盘方案 — 临港智芯科技有限公司" in done.text
        again = firm.post("/calls/lg-2022-01/proposal", data=form)
        assert again.status_code == 409  # the same enterprise in a second proposal
        assert "已参与本榜单的其他方案" in again.text
        assert "<strong>" + "91310115MA1K4LG0X7 已参与本榜单的其他方案" in again.text  # the headline in Chinese
        refused = firm.post("/calls/lg-2022-01/step", data={"action": "award", "csrf_token": token})
        assert refused.status_code == 403
    finally:
        demo.engine.dispose()
