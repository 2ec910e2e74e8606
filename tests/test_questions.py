"""The calculator's questions, derived from the rule tree: a new policy gets its questions with no
form written for it; what would make a condition hold; measures in plain words."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from huiqi.engine.needs import needs, unknown_facts
from huiqi.engine.questions import mentioned_values, questions_for
from huiqi.engine.values import Scope
from huiqi.facts.models import Enterprise, Project
from huiqi.policy_files import load_library
from huiqi.rules.describe import NoWordsError, component_words, measure_words
from huiqi.rules.expr import parse_expr
from huiqi.rules.library import Library

NEW_POLICY = """
id: testcity-2026
title: 测试市算力支持办法
title_en: Test city compute support
issuer: 测试市经信委
jurisdiction: pudong
applies_in: {region: 浦东新区}
level: district
in_force: {from: 2026-01-01, to: 2027-12-31}
conditions:
  - text: 注册在浦东
    when: enterprise.business_district == 'pudong'
measures:
  - id: testcity-2026.compute
    title: 算力补贴
    title_en: Compute subsidy
    category: rd
    applies_to: project
    scope: project.kind in ['foundation_model']
    quote: 按算力费用的20%给予补贴
    conditions:
      - text: 模型参数在百亿以上
        when: project.parameters >= 10e9
    benefits:
      compute:
        kind: ratio
        base: project.costs.operating_cost
        rate: 20%
        cap: 200万
"""


@pytest.fixture(scope="module")
def with_new_policy(tmp_path_factory: pytest.TempPathFactory) -> Library:
    root = tmp_path_factory.mktemp("policies")
    folder = root / "testcity" / "testcity-2026"
    folder.mkdir(parents=True)
    (folder / "policy.yaml").write_text(NEW_POLICY, encoding="utf-8")
    (folder / "source.txt").write_text("对企业按算力费用的20%给予补贴，最高200万元。", encoding="utf-8")
    return load_library(root)


def paths(groups: list, kind: str) -> list[str]:  # type: ignore[type-arg]
    return [q.name for g in groups if g.kind == kind for q in g.questions]


def test_a_new_policy_gets_its_questions_from_its_rules(with_new_policy: Library) -> None:
    day = date(2026, 6, 1)
    groups = questions_for(
        with_new_policy, day, {"business_district": "pudong"}, [("project", 0, {"kind": "foundation_model"})]
    )
    asked = paths(groups, "project")
    assert "parameters" in asked
    assert "costs.operating_cost" in asked
    project = next(g for g in groups if g.kind == "project")
    assert project.measures == ["testcity-2026.compute"]
    # Registered elsewhere: the measure cannot apply, so it asks nothing.
    elsewhere = questions_for(
        with_new_policy, day, {"business_district": "minhang"}, [("project", 0, {"kind": "foundation_model"})]
    )
    assert "parameters" not in paths(elsewhere, "project")
    # Out of force: nothing asked either.
    later = questions_for(
        with_new_policy,
        date(2028, 1, 1),
        {"business_district": "pudong"},
        [("project", 0, {"kind": "foundation_model"})],
    )
    assert "parameters" not in paths(later, "project")


def test_the_seed_questions_follow_the_subject_and_its_answers(library: Library) -> None:
    day = date(2025, 1, 1)
    rd = questions_for(library, day, {"business_district": "lingang"}, [("project", 0, {"kind": "rd_innovation"})])
    asked = paths(rd, "project")
    assert {"field", "costs.new_investment", "track", "recognitions"} <= set(asked)
    assert "costs.purchase_invoice" not in asked  # a procurement measure's base
    procurement = questions_for(
        library, day, {"business_district": "lingang"}, [("project", 0, {"kind": "procurement"})]
    )
    assert "costs.purchase_invoice" in paths(procurement, "project")
    yearly = {q.name: q.yearly for g in procurement for q in g.questions}
    assert yearly["costs.purchase_invoice"] is True  # support each year: asked year by year
    assert mentioned_values(library, ["lingang-2024.procurement"], ("project", "recognitions")) == {
        "key_chain_supplier"
    }


def test_what_would_make_a_condition_hold() -> None:
    enterprise = Enterprise.model_validate(
        {
            "name": "x",
            "credit_code": "91310000MA1FL0000N",
            "business_district": "minhang",
            "tax_district": "minhang",
            "severe_credit_record": True,
        }
    )
    project = Project.model_validate(
        {"id": "p", "name": "p", "kind": "foundation_model", "year": 2025, "parameters": "500亿"}
    )
    scope = Scope({"enterprise": enterprise, "project": project})
    said = [
        n.zh for n in needs(parse_expr("project.parameters >= 100e9 and project.application_scenarios >= 3"), scope)
    ]
    assert said == ["模型参数量须不低于 1000亿（现为 500亿）"]  # the unknown part is not a failure
    assert unknown_facts(parse_expr("project.application_scenarios >= 3"), scope) == ("project.application_scenarios",)
    district = needs(parse_expr("enterprise.business_district == '310000-lingang'"), scope)
    assert district[0].zh == "工商注册地须为 临港新片区（现为 闵行区）"
    inside = needs(parse_expr("within(enterprise.business_district, '310000-lingang')"), scope)
    assert inside[0].zh == "工商注册地须在 临港新片区（现为 闵行区）"
    credit = needs(parse_expr("not enterprise.severe_credit_record"), scope)
    assert credit[0].zh == "严重失信记录须为 否"
    field = needs(parse_expr("project.field in ['ai_chip', 'smart_sensor']"), scope)
    assert field == []  # unknown, not false: nothing to say but "missing"
    either = needs(parse_expr("project.parameters >= 100e9 or 'chokepoint' in project.recognitions"), scope)
    assert [n.zh for n in either] == [
        "（任一即可）模型参数量须不低于 1000亿（现为 500亿）",
        "（任一即可）认定与评审须包含：关键环节“卡脖子”重大项目",
    ]


def test_every_measure_has_plain_words(library: Library) -> None:
    words = {ref.measure.id: measure_words(ref.measure) for ref in library.measures()}
    assert words["lingang-2024.rd"].zh == "按项目新增投资的10%–30%给予支持；最高1亿元"
    assert words["minhang-2018.city-demo-match"].zh == "按市级及以上扶持金额1:1配套支持；最高300万元"
    assert (
        words["lingang-2024.testing"].en
        == "each year 10%–30% of testing fee; per enterprise and year at most ¥2,000,000"
    )
    assert all(w.zh and w.en for w in words.values())


def test_a_component_without_words_is_named() -> None:
    class Strange:
        when = None

    with pytest.raises(NoWordsError, match="Strange"):
        component_words(Strange())  # type: ignore[arg-type]


def test_the_catalogue_has_a_label_for_every_code_the_library_uses(library: Library) -> None:
    from huiqi.policy_files import load_terms

    terms = load_terms()
    assert terms.missing(library) == []
    assert terms.label("categories", "no-such")["zh"] == "no-such"  # shown as the code, never dropped


def test_a_derived_fact_is_asked_by_the_facts_it_comes_from() -> None:
    """Nobody types a contract's term, a firm's age or size: the form asks what they are computed from."""
    vouchers = load_library(Path(__file__).parent / "assets" / "voucher-library")
    groups = questions_for(
        vouchers, date(2024, 3, 1), {"business_district": "110108"}, [("contract", 0, {"kind": "compute"})]
    )
    contract, enterprise = set(paths(groups, "contract")), set(paths(groups, "enterprise"))
    assert {"service_start", "service_end", "signed", "amount"} <= contract
    assert {"founded", "size_class", "industry", "employees", "revenue"} <= enterprise
    assert not (contract | enterprise) & {"term_months", "age_years", "size", "year"}
