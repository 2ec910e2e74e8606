"""A scenario call run from its page alone, as the officers and an enterprise would in a browser's
forms (CSRF and all): the panel seated, a recusal found, marks recorded, an objection decided and the
award entered in the ledger, with refusals said by field and what was typed kept."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from huiqi.policy_files import load_library
from tests.conftest import FakeClock
from tests.web_world import demo_web_app, sign_in_client

CALL = "/calls/lg-2022-01"
FIRM = "91310115MA1K4LG0X7"  # the demo's 临港智芯科技有限公司 (demo-lingang-ai-chip)
OTHER_FIRM = "demo-minhang-robotics"  # an enterprise not in the proposal
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _token(client: TestClient) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get(CALL).text)
    assert found
    return found.group(1)


def _post(client: TestClient, path: str, data: dict[str, str]) -> object:
    return client.post(CALL + path, data={**data, "csrf_token": _token(client)})


def test_a_call_run_from_its_page(tmp_path_factory: pytest.TempPathFactory) -> None:
    app, ledger, _users = demo_web_app(tmp_path_factory.mktemp("call-pages"), load_library())
    clock = FakeClock(datetime.now(UTC))
    ledger.clock = clock
    try:
        officer = sign_in_client(TestClient(app), "demo-reviewer")
        firm = sign_in_client(TestClient(app), "demo-lingang-ai-chip")
        anyone = TestClient(app)  # not signed in: a published call and its 公示 are public
        assert anyone.get(CALL + "/public").status_code == 404  # a draft is not
        assert _post(officer, "/step", {"action": "publish"}).status_code == 200  # type: ignore[attr-defined]
        public = anyone.get(CALL + "/public")
        assert public.status_code == 200
        assert "技术方案先进性与可行性 — 40%" in public.text
        assert anyone.get("/calls/lg-2022-02/public").status_code == 404  # still a draft
        # a refused proposal keeps what was typed; an accepted one is confirmed and the form goes
        typed = {"title": "底盘方案 <甲>", "partners": "不是代码 某公司\n91310000MA1FL0XX1X 乙公司"}
        came_from = {"referer": "http://testserver" + CALL}
        wrong = firm.post(CALL + "/proposal", data={**typed, "csrf_token": _token(firm)}, headers=came_from)
        assert wrong.status_code == 422
        assert f'href="{CALL}?lang=en"' in wrong.text  # the switch goes to the call, not the form's address
        stray = firm.get(CALL + "/proposal")
        assert stray.status_code == 405
        assert "不支持的请求方式" in stray.text
        assert "Method Not Allowed" not in stray.text  # Starlette's English phrase is not repeated
        assert 'value="底盘方案 &lt;甲&gt;"' in wrong.text  # kept, and escaped
        assert ">不是代码 某公司\n91310000MA1FL0XX1X 乙公司</textarea>" in wrong.text
        assert "第 1 行：统一社会信用代码应为18位" in wrong.text  # each line's problem said
        assert "第 2 行：校验码不对" in wrong.text
        not_a_document = {"files": ("方案.pdf", b"<script>alert(1)</script>", "application/pdf")}
        bad_file = firm.post(
            CALL + "/proposal", data={**typed, "partners": "", "csrf_token": _token(firm)}, files=not_a_document
        )
        assert bad_file.status_code == 422
        assert "文件内容不是允许的类型" in bad_file.text  # told by its content, whatever its name says
        assert "贵企业已以方案" not in bad_file.text  # nothing was submitted
        documents = [("files", ("方案书.pdf", PDF, "application/pdf")), ("files", ("报价.pdf", PDF, "application/pdf"))]
        done = firm.post(
            CALL + "/proposal", data={**typed, "partners": "", "csrf_token": _token(firm)}, files=documents
        )
        assert "方案已提交" in done.text
        links = re.findall(r'<a href="(/calls/lg-2022-01/files/\d+)">([^<]+)</a>', done.text)
        assert [name for _, name in links] == ["方案书.pdf", "报价.pdf"]
        got = firm.get(links[0][0])
        assert (got.status_code, got.content) == (200, PDF)
        assert got.headers["content-disposition"].startswith("attachment")
        assert officer.get(links[0][0]).status_code == 200
        other = sign_in_client(TestClient(app), OTHER_FIRM)
        assert other.get(links[0][0]).status_code == 404  # another enterprise: not even that it exists
        competitor = other.get(CALL).text
        assert "方案书.pdf" not in competitor
        assert "底盘方案" not in competitor  # who else answers is not shown before the ranking
        more = firm.post(
            CALL + "/files",
            data={"proposal": "P1", "csrf_token": _token(firm)},
            files=[("files", ("补充说明.pdf", PDF, "application/pdf"))],
        )
        assert "附件已上传" in more.text
        assert "补充说明.pdf" in more.text
        assert "贵企业已以方案 P1「底盘方案 &lt;甲&gt;」参与本榜单" in done.text
        assert 'action="/calls/lg-2022-01/proposal"' not in done.text

        clock.now += timedelta(days=31)  # past the deadline
        officer = sign_in_client(TestClient(app), "demo-reviewer")
        firm = sign_in_client(TestClient(app), "demo-lingang-ai-chip")
        assert "征集已截止，待组建评审专家组" in officer.get(CALL).text  # the stage as the dates leave it
        bad_row = {"expert_id_0": "e1", "expert_name_0": "专家一", "expert_id_1": "e2"}
        refused = _post(officer, "/panel", bad_row)
        assert refused.status_code == 422  # type: ignore[attr-defined]
        assert "第 2 行：请填写专家编号和姓名" in refused.text  # type: ignore[attr-defined]
        assert 'name="expert_name_0" id="expert_name_0"' in refused.text  # type: ignore[attr-defined]
        assert 'value="专家一"' in refused.text  # type: ignore[attr-defined]
        bad_code = _post(officer, "/panel", {"expert_id_0": "e1", "expert_name_0": "专家一", "expert_employer_0": "X1"})
        assert "第 1 行本人所在单位 X1：统一社会信用代码应为18位" in bad_code.text  # type: ignore[attr-defined]
        panel = {f"expert_id_{i}": f"e{i + 1}" for i in range(5)} | {
            f"expert_name_{i}": f"专家{i + 1}" for i in range(5)
        }
        panel["expert_employer_4"] = FIRM  # e5 works for the proposing firm
        seated = _post(officer, "/panel", panel)
        assert "评审专家组已组建" in seated.text  # type: ignore[attr-defined]
        assert "本人所在单位参与该方案" in seated.text  # type: ignore[attr-defined]  # e5, found by huiqi
        assert "专家1" not in firm.get(CALL).text  # the panel is the officers' until it closes
        over = _post(officer, "/marks", {"expert": "e1", "proposal": "P1", "mark_tech": "101"})
        assert over.status_code == 422  # type: ignore[attr-defined]
        assert "技术方案先进性与可行性: 请填写0至100的整数" in over.text  # type: ignore[attr-defined]
        assert "与场景需求的匹配融合度: 请填写0至100的整数" in over.text  # type: ignore[attr-defined]  # every one said
        marks = {"mark_tech": "90", "mark_fit": "80", "mark_team": "70", "mark_price": "60"}
        recused = _post(officer, "/marks", {"expert": "e5", "proposal": "P1", **marks})
        assert recused.status_code == 409  # type: ignore[attr-defined]
        assert "应回避" in recused.text  # type: ignore[attr-defined]
        for expert in ("e1", "e2", "e3", "e4"):
            recorded = _post(officer, "/marks", {"expert": expert, "proposal": "P1", **marks})
            assert "评分已记录" in recorded.text  # type: ignore[attr-defined]
        assert "90" not in re.sub(r"<[^>]+>", " ", firm.get(CALL).text).split("评分标准")[-1].split("历史")[0]
        closed = _post(officer, "/step", {"action": "close_panel"})
        assert "P1 底盘方案 &lt;甲&gt; — 80.00" in closed.text
        notice = anyone.get(CALL + "/public").text
        assert "临港智芯科技有限公司 — P1 底盘方案 &lt;甲&gt; — 80.00" in notice
        assert "专家1" not in notice  # never the panel
        assert "方案书.pdf" not in notice  # nor the documents
        shown = firm.get(CALL).text.split('id="marks-shown"')[1].split("</section>")[0]
        assert shown.count('<td class="num">90</td>') == 4  # the marks, once the panel has closed  # type: ignore[attr-defined]  # .4·90+.3·80+.2·70+.1·60

        objected = firm.post(CALL + "/objection", data={"proposal": "P1", "text": "", "csrf_token": _token(firm)})
        assert objected.status_code == 422
        assert "请写明异议内容" in objected.text
        firm.post(CALL + "/objection", data={"proposal": "P1", "text": "报价有误", "csrf_token": _token(firm)})
        no_reason = _post(officer, "/decision", {"objection": "O1", "decision": "dismissed", "reason": ""})
        assert "理由：必填" in no_reason.text  # type: ignore[attr-defined]
        decided = _post(officer, "/decision", {"objection": "O1", "decision": "dismissed", "reason": "报价已核实"})
        assert "异议处理结果已记录" in decided.text  # type: ignore[attr-defined]
        assert "O1 针对 P1：报价有误 — 不成立（报价已核实）" in decided.text  # type: ignore[attr-defined]

        clock.now += timedelta(days=6)  # the notice is over
        approver = sign_in_client(TestClient(app), "demo-approver")
        awarded = _post(approver, "/step", {"action": "award"})
        assert "揭榜结果入账" in awarded.text  # type: ignore[attr-defined]
        assert "call-lg-2022-01" in awarded.text  # type: ignore[attr-defined]
        firm = sign_in_client(TestClient(app), "demo-lingang-ai-chip")
        page = firm.get(CALL).text
        assert "贵企业的方案 P1 已揭榜" in page
        link = re.search(r'<a href="/applications/(\d+)">#\d+ 人工智能技术示范应用</a>', page)
        assert link, page.split("揭榜结果入账")[-1][:600]
        assert firm.get(f"/applications/{link.group(1)}").status_code == 200  # the winner's own draft
    finally:
        ledger.engine.dispose()
