"""The pages without a browser: data as JSON at the same URL, the guard (CSRF, headers, cookies),
error pages in Chinese, escaping, uploads and the calculator's validation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from huiqi.ledger.uow import Ledger
from huiqi.rules.library import Library
from tests.web_world import PASSWORD, add_officer, web_app

ROOT = Path(__file__).resolve().parent.parent
FORM_OK = {
    "as_of": "2026-01-15",
    "enterprise.name": "上海智芯科技有限公司",
    "enterprise.credit_code": "91310000MA1FL0000N",
    "enterprise.business_district": "lingang",
    "enterprise.tax_district": "lingang",
    "enterprise.severe_credit_record": "false",
    "n.projects": "1",
    "projects[0].name": "AI芯片研发",
    "projects[0].kind": "rd_innovation",
    "projects[0].year": "2025",
    "projects[0].field": "ai_chip",
    "projects[0].costs.new_investment": "3000万",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, library: Library) -> Iterator[tuple[TestClient, Ledger]]:
    app, ledger = web_app(tmp_path_factory.mktemp("pages"), library)
    add_officer(ledger, "li.hua", "reviewer")
    with TestClient(app) as client:
        yield client, ledger
    ledger.engine.dispose()


@pytest.fixture
def client(site: tuple[TestClient, Ledger]) -> TestClient:
    client = site[0]
    client.cookies.clear()
    return client


def csrf(client: TestClient, path: str = "/calculator") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found
    return found.group(1)


def post_form(client: TestClient, path: str, data: dict[str, str], **kwargs: object) -> object:
    token = csrf(client)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)  # type: ignore[arg-type]


JSON = {"Accept": "application/json"}


def test_each_page_serves_its_data_as_json_at_the_same_url(client: TestClient) -> None:
    home = client.get("/", headers=JSON).json()
    encoded = Path(__file__).resolve().parent.parent / "policies"
    assert home["counts"]["policies"] == len(list(encoded.glob("*/*/policy.yaml")))
    found = client.get("/policies", params={"q": "新增投资"}, headers=JSON).json()
    assert [m["id"] for p in found["results"] for m in p["measures"]] == [
        "lingang-2024.rd",
        "lingang-2024.fixed-investment",
        "lingang-2024.future-industry",
    ]
    policy = client.get("/policies/minhang-2018", headers=JSON).json()
    rent = next(m for m in policy["policy"]["measures"] if m["id"] == "minhang-2018.rent")
    assert rent["description"]["sentence"]["zh"] == (
        "租金补贴：第1年100%、第2年100%、第3年50%，面积不超过500平方米；每家企业累计最高300万元"
    )
    assert rent["category"] == {"code": "rent", "zh": "场地租金", "en": "rent"}
    # The source text, cut at the clauses: put back together it is the whole document, unchanged.
    source = Path("policies/shanghai/minhang-2018/source.txt").read_text(encoding="utf-8")
    assert "".join(s["text"] for s in policy["source"]) == source
    assert {s["measure"] for s in policy["source"] if s["measure"]} == {m["id"] for m in policy["policy"]["measures"]}
    html = client.get("/policies/minhang-2018").text
    assert "租金补贴：第1年100%、第2年100%、第3年50%" in html
    # Which subjects a measure is for, and where the policy applies, in words.
    shenzhen = client.get("/policies/shenzhen-ai-2024").text
    assert "适用范围: 合同类型为算力服务 且 用途为大模型训练" in shenzhen
    assert "工商注册在深圳市" in shenzhen


def test_the_api_lists_the_catalogue_with_the_same_service(site: tuple[TestClient, Ledger]) -> None:
    client, ledger = site
    from huiqi.ledger.actors import SYSTEM
    from huiqi.ledger.users import rotate_token

    token = ledger.run(SYSTEM, lambda uow: rotate_token(uow, "li.hua"))
    api = client.get("/v1/policies", params={"q": "新增投资"}, headers={"Authorization": f"Bearer {token}"}).json()
    page = client.get("/policies", params={"q": "新增投资"}, headers=JSON).json()
    assert api["items"] == page["results"]


def test_a_post_without_the_csrf_token_is_refused_and_nothing_is_written(client: TestClient) -> None:
    before = client.get("/calculator")
    refused = client.post("/calculator", data=FORM_OK, follow_redirects=False)
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    assert '<html lang="zh-CN">' in refused.text
    wrong = client.post("/calculator", data={**FORM_OK, "csrf_token": "x" * 43}, follow_redirects=False)
    assert wrong.status_code == 403
    header = client.post("/calculator/check", data={"field": "enterprise.name"}, headers={"X-CSRF-Token": "nope"})
    assert header.status_code == 403
    assert before.status_code == 200
    done = post_form(client, "/calculator", FORM_OK, follow_redirects=False)
    assert done.status_code == 303  # type: ignore[attr-defined]


def test_security_headers_and_cookies(site: tuple[TestClient, Ledger]) -> None:
    client = TestClient(site[0].app, base_url="https://testserver")
    page = client.get("/calculator")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"]
    assert "huiqi_csrf=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Secure" in cookie  # over HTTPS
    asset = client.get(re.search(r'src="(/static/js/huiqi\.js\?v=[0-9a-f]+)"', page.text).group(1))  # type: ignore[union-attr]
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"]


def test_no_page_references_another_host(client: TestClient) -> None:
    for path in ("/", "/policies", "/policies/lingang-2024", "/calculator", "/signin", "/docs", "/redoc"):
        html = client.get(path).text
        for url in re.findall(r'(?:src|href|action)="([^"]+)"', html):
            assert url.startswith(("/", "#")), f"{path}: {url}"


def test_error_pages_are_pages_in_chinese(client: TestClient) -> None:
    missing = client.get("/policies/no-such-policy")
    assert missing.status_code == 404
    assert "页面不存在" in missing.text
    assert "Traceback" not in missing.text
    assert client.get("/no/such/page").status_code == 404
    assert "页面不存在" in client.get("/no/such/page").text
    as_json = client.get("/no/such/page", headers=JSON)
    assert as_json.headers["content-type"].startswith("application/problem+json")
    api = client.get("/v1/no-such")
    assert api.headers["content-type"].startswith("application/problem+json")
    too_long = client.get("/policies", params={"q": "长" * 300})
    assert too_long.status_code == 400
    assert "请求有误" in too_long.text
    english = client.get("/no/such/page?lang=en")
    assert "Not found" in english.text


def test_what_a_user_typed_is_escaped(client: TestClient) -> None:
    name = '<script>alert("x")</script>'
    done = post_form(client, "/calculator", {**FORM_OK, "enterprise.name": name}, follow_redirects=True)
    assert done.status_code == 200  # type: ignore[attr-defined]
    assert "<script>alert" not in done.text  # type: ignore[attr-defined]
    assert "&lt;script&gt;alert" in done.text  # type: ignore[attr-defined]
    found = client.get("/policies", params={"q": '"><img src=x onerror=alert(1)>'})
    assert "<img src=x" not in found.text


def test_the_calculator_refuses_bad_answers_beside_their_fields(client: TestClient) -> None:
    bad = {**FORM_OK, "enterprise.credit_code": "", "projects[0].costs.new_investment": "三千万"}
    response = post_form(client, "/calculator", bad)
    assert response.status_code == 422  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert re.search(r'id="f-enterprise-credit_code-err">[^<]*必填项', text)
    assert re.search(r'id="f-projects-0-costs-new_investment-err">[^<]+<', text)
    assert 'value="AI芯片研发"' in text  # the answers are kept


def test_one_answer_is_checked_as_it_is_typed(client: TestClient) -> None:
    token = csrf(client)
    headers = {"X-CSRF-Token": token, "HX-Request": "true", "HX-Trigger-Name": "projects[0].year"}
    bad = client.post("/calculator/check", data={"projects[0].year": "二零二五"}, headers=headers)
    assert "无法识别年份" in bad.text
    good = client.post("/calculator/check", data={"projects[0].year": "2025"}, headers=headers)
    assert good.text.strip() == ""


def test_a_result_is_kept_and_reproduced_by_its_permalink(client: TestClient, library: Library) -> None:
    done = post_form(client, "/calculator", FORM_OK, follow_redirects=False)
    link = done.headers["location"]  # type: ignore[attr-defined]
    data = client.get(link, headers=JSON).json()
    assert data["total"] == {"min": "3000000.00", "max": "9000000.00"}
    assert data["library_digest"] == library.digest
    assert data["same_library"] is True
    # The same facts through the CLI's path give the same figures.
    from huiqi.engine.interpret import evaluate
    from huiqi.facts.models import Facts
    from huiqi.report import assessment_dict

    facts = Facts.model_validate(yaml.safe_load(client.get(link + "/facts.yaml").text))
    again = assessment_dict(evaluate(facts, library, date(2026, 1, 15)))
    assert again["total"] == data["total"]
    workbook = client.get(link + "/result.xlsx")
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
    exported = client.get(link + "/result.json").json()
    assert exported["total"] == data["total"]
    assert client.get("/calculator/r/nonexistent", headers=JSON).status_code == 404


def test_a_facts_file_loads_into_the_form_and_bad_ones_are_refused_by_line(client: TestClient) -> None:
    token = csrf(client)
    good = Path("examples/lingang-ai-chip.yaml").read_bytes()
    loaded = client.post(
        "/calculator/upload", data={"csrf_token": token}, files={"facts_file": ("chip.yaml", good, "application/yaml")}
    )
    assert loaded.status_code == 200
    assert "已将 chip.yaml 载入表单" in loaded.text
    for example in sorted(Path("examples").glob("*.yaml")):  # every kind of subject, every policy's facts
        shown = client.post(
            "/calculator/upload",
            data={"csrf_token": token},
            files={"facts_file": (example.name, example.read_bytes(), "application/yaml")},
        )
        assert shown.status_code == 200, example
        assert f"已将 {example.name} 载入表单" in shown.text
        if example.name == "shenzhen-model-training.yaml":  # its district, not in the list, offered and chosen
            assert re.search(r'<option value="440305"[^>]*selected[^>]*>广东省深圳市南山区', shown.text), shown.text
    bad = b"enterprise:\n  name: x\n  credit_code: 123\n  revenue: {2024: lots}\n"
    refused = client.post(
        "/calculator/upload", data={"csrf_token": token}, files={"facts_file": ("bad.yaml", bad, "application/yaml")}
    )
    assert refused.status_code == 422
    assert "bad.yaml:3" in refused.text
    assert "bad.yaml:4" in refused.text
    broken = client.post(
        "/calculator/upload", data={"csrf_token": token}, files={"facts_file": ("b.yaml", b"a: [1,\n", "text/yaml")}
    )
    assert broken.status_code == 422
    assert "不是有效的 YAML/JSON 格式" in broken.text  # in Chinese, not only the parser's English
    wrong_type = client.post(
        "/calculator/upload", data={"csrf_token": token}, files={"facts_file": ("x.xlsx", b"PK\x03\x04", "x")}
    )
    assert wrong_type.status_code == 422
    assert ".yaml" in wrong_type.text
    huge = client.post(
        "/calculator/upload",
        data={"csrf_token": token},
        files={"facts_file": ("big.yaml", b"#" * (600 * 1024), "application/yaml")},
    )
    assert huge.status_code == 422
    assert "KiB" in huge.text


def test_signing_in_opens_a_server_side_session_that_signing_out_closes(client: TestClient) -> None:
    token = csrf(client, "/signin")
    wrong = client.post("/signin", data={"csrf_token": token, "name": "li.hua", "password": "nope"})
    assert wrong.status_code == 401
    assert "用户名或密码错误" in wrong.text
    assert "huiqi_session" not in client.cookies
    signed = client.post(
        "/signin",
        data={"csrf_token": token, "name": "li.hua", "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == "/"  # never a redirect to another host
    session = client.cookies["huiqi_session"]
    assert client.cookies["huiqi_csrf"] != token  # a new CSRF token with the new session
    assert "li.hua" in client.get("/account").text
    out = client.post("/signout", data={"csrf_token": client.cookies["huiqi_csrf"]}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("huiqi_session", session)  # the old cookie, replayed
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_sign_in_is_rate_limited_per_address(client: TestClient) -> None:
    from huiqi.entrypoints.web.auth_pages import SIGN_IN_ATTEMPTS

    SIGN_IN_ATTEMPTS.reset()
    token = csrf(client, "/signin")
    statuses = [
        client.post("/signin", data={"csrf_token": token, "name": f"nobody{i}", "password": "x"}).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    SIGN_IN_ATTEMPTS.reset()


def test_another_reading_of_an_ambiguous_clause_is_a_new_result(client: TestClient) -> None:
    demo = {
        **{k: v for k, v in FORM_OK.items() if not k.startswith("projects")},
        "projects[0].name": "示范应用",
        "projects[0].kind": "application_demo",
        "projects[0].year": "2025",
        "projects[0].costs.ai_retrofit_investment": "1000万",
        "projects[0].recognitions": ["major_special_project", "national_pilot_scenario", "shanghai_pilot_scenario"],
    }
    token = csrf(client)
    first = client.post("/calculator", data={**demo, "csrf_token": token}, follow_redirects=False).headers["location"]
    data = client.get(first, headers=JSON).json()
    assert data["total"] == {"min": "4000000.00", "max": "6000000.00"}  # 10–30% of 1000万, and the higher bonus
    keys = {c["key"] for c in data["choosable"]}
    assert "lingang-2024.demo:bonus-stacking" in keys
    again = client.post(
        first + "/reinterpret",
        data={"csrf_token": token, "choice.lingang-2024.demo:bonus-stacking": "sum"},
        follow_redirects=False,
    )
    second = again.headers["location"]
    assert second != first
    changed = client.get(second, headers=JSON).json()
    assert changed["total"] == {"min": "6000000.00", "max": "8000000.00"}  # both bonuses
    assert changed["choices"] == {"lingang-2024.demo:bonus-stacking": "sum"}
    assert client.get(first, headers=JSON).json()["total"] == data["total"]  # the first link is unchanged
    bad = client.post(first + "/reinterpret", data={"csrf_token": token, "choice.nope:x": "y"})
    assert bad.status_code == 422


def test_a_lease_and_a_year_written_2025年_compute_as_calc_does(client: TestClient) -> None:
    """Found by trying the calculator as a new user: `area_m2` (a digit in its name) was dropped from
    every form, and a project year written 2025年 failed the costs it dates."""
    token = csrf(client)
    example = (ROOT / "examples/minhang-robotics.yaml").read_bytes()
    loaded = client.post(
        "/calculator/upload",
        data={"csrf_token": token},
        files={"facts_file": ("m.yaml", example, "application/yaml")},
        headers={"accept": "application/json"},
    )
    assert loaded.json()["answers"]["leases"][0]["area_m2"] == "800"
    lease = {
        "as_of": "2020-06-30",
        "enterprise.name": "闵行智能机器人有限公司",
        "enterprise.credit_code": "91310112MA1GC3H0XW",
        "enterprise.business_district": "minhang",
        "enterprise.tax_district": "minhang",
        "enterprise.severe_credit_record": "false",
        "leases[0].area_m2": "800",
        "leases[0].annual_rent": "146万",
        "leases[0].start_date": "2019-07-01",
        "leases[0].end_date": "2022-06-30",
    }
    done = client.post("/calculator", data={**lease, "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303, done.text[-800:]
    year = client.post(
        "/calculator", data={**FORM_OK, "projects[0].year": "2025年", "csrf_token": token}, follow_redirects=False
    )
    assert year.status_code == 303, year.text[-800:]


def test_a_required_yes_or_no_offers_no_not_sure(client: TestClient) -> None:
    """ "Not sure" on a fact the models require was refused as missing: it is not offered there."""
    page = client.get("/calculator").text
    assert 'id="f-enterprise-severe_credit_record-yes"' in page
    assert 'id="f-enterprise-severe_credit_record-unknown"' not in page
