"""A scenario call (揭榜挂帅) from publication to award: the deadline, an ineligible consortium, a
conflicted expert recused, scores hidden until the panel closes, an objection during the notice."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from huiqi.monitor.calls import (
    Applicant,
    Call,
    Criterion,
    Eligibility,
    Expert,
    Journal,
    Objection,
    Proposal,
    Refused,
    Stage,
    award,
    close_panel,
    close_submissions,
    conflicts,
    decide_objection,
    declare_conflict,
    object_to,
    publish,
    score,
    submit,
    visible_scores,
)

T0 = datetime(2025, 3, 1, 9, 0)
DEADLINE = T0 + timedelta(days=30)
A = Applicant("91310000MA1FL0000N", "甲智能")
B = Applicant("91310000MA1FL0001L", "乙科技")
C = Applicant("91310000MA1FL0002J", "丙数据")
D = Applicant("91310000MA1FL0003G", "丁研究院")
CRITERIA = (Criterion("tech", "技术方案", 50), Criterion("team", "团队能力", 30), Criterion("price", "报价", 20))


def draft(**changes: object) -> Call:
    call = Call(
        id="lg-2025-01",
        title="智能底盘研发系统",
        owner="宁德时代",
        requirements="面向智能底盘的研发数据平台",
        budget=Decimal("2000000"),
        deadline=DEADLINE,
        criteria=CRITERIA,
        eligibility=Eligibility(max_partners=4, exclude_past_winners=True, past_winners=frozenset({D.credit_code})),
        notice_days=5,
        recognitions=("shanghai_pilot_scenario",),
    )
    return replace(call, **changes)  # type: ignore[arg-type]


def proposal(pid: str, lead: Applicant, *partners: Applicant, day: int = 10) -> Proposal:
    return Proposal(pid, lead, partners, f"{lead.name}的方案", T0 + timedelta(days=day))


PANEL = (*(Expert(f"e{i}", f"专家{i}") for i in range(4)), Expert("e4", "专家4", employer=A.credit_code))


def opened() -> Journal:
    journal = Journal(draft())
    journal.apply(publish(journal.call, T0, "officer"))
    journal.apply(submit(journal.call, proposal("P1", A, day=3), "甲智能"))
    journal.apply(submit(journal.call, proposal("P2", B, C, day=5), "乙科技"))
    return journal


def test_a_call_with_bad_terms_is_not_published() -> None:
    bad = draft(criteria=(Criterion("tech", "技术", 60),), min_experts=4)
    with pytest.raises(Refused) as caught:
        publish(bad, T0, "officer")
    assert "权重之和应为100" in caught.value.zh
    assert "odd number" in caught.value.en


def test_late_and_ineligible_proposals_are_refused_with_reasons() -> None:
    journal = opened()
    with pytest.raises(Refused, match="Past the deadline"):
        submit(journal.call, proposal("P3", C, day=31), "丙数据")
    many = tuple(Applicant(f"9131000000000{i:04d}X", f"成员{i}") for i in range(5))
    with pytest.raises(Refused) as caught:
        submit(journal.call, proposal("P4", Applicant("91310000MA1FL0009X", "戊"), *many), "戊")
    assert "最多1家牵头单位和4家成员单位" in caught.value.zh
    with pytest.raises(Refused, match="won an earlier call"):
        submit(journal.call, proposal("P5", D), "丁研究院")
    with pytest.raises(Refused, match="not an independent legal entity"):
        submit(journal.call, proposal("P6", Applicant("91310000MA1FL0008Y", "某分公司", legal_entity=False)), "x")
    with pytest.raises(Refused, match="already answer"):
        submit(journal.call, proposal("P7", C), "丙数据")  # already a partner of P2
    assert [p.id for p in journal.call.proposals] == ["P1", "P2"]  # nothing changed


def test_the_panel_is_odd_and_sits_after_the_deadline() -> None:
    journal = opened()
    with pytest.raises(Refused, match="seated after the deadline"):
        close_submissions(journal.call, DEADLINE - timedelta(hours=1), "officer", PANEL)
    with pytest.raises(Refused, match="an odd number"):
        close_submissions(journal.call, DEADLINE, "officer", PANEL[:4])
    journal.apply(close_submissions(journal.call, DEADLINE, "officer", PANEL))
    assert journal.call.stage is Stage.REVIEWING


def reviewing() -> Journal:
    journal = opened()
    journal.apply(close_submissions(journal.call, DEADLINE, "officer", PANEL))
    return journal


def test_a_conflicted_expert_is_recused_found_or_declared() -> None:
    journal = reviewing()
    at = DEADLINE + timedelta(days=1)
    assert conflicts(journal.call, PANEL[4]) == {"P1": "own_enterprise"}  # e4 works for 甲智能
    with pytest.raises(Refused, match="conflict"):
        score(journal.call, "e4", "P1", {"tech": 90, "team": 90, "price": 90}, at)
    journal.apply(declare_conflict(journal.call, "e0", "P2", at))
    assert conflicts(journal.call, PANEL[0]) == {"P2": "declared"}
    assert [e.action for e in journal.events][-1] == "recuse"
    related = Expert("e9", "专家9", relations=frozenset({C.credit_code}))
    assert conflicts(journal.call, related) == {"P2": "related"}  # a consortium member


def test_scores_rank_after_the_panel_and_an_upheld_objection_passes_the_award_on() -> None:
    journal = reviewing()
    at = DEADLINE + timedelta(days=2)
    journal.apply(declare_conflict(journal.call, "e0", "P2", at))
    marks = {
        "P1": {"e0": (90, 80, 70), "e1": (80, 80, 80), "e2": (70, 90, 60), "e3": (85, 85, 85)},  # e4 recused
        "P2": {"e1": (60, 60, 100), "e2": (70, 70, 70), "e3": (80, 60, 90), "e4": (90, 90, 90)},  # e0 recused
    }
    for pid, by_expert in marks.items():
        for expert, (tech, team, price) in by_expert.items():
            journal.apply(score(journal.call, expert, pid, {"tech": tech, "team": team, "price": price}, at))
            assert visible_scores(journal.call) == ()  # hidden while the panel sits
    assert all("tech" not in str(e.detail) for e in journal.events)  # the events keep marks out too
    with pytest.raises(Refused, match="published rubric"):
        score(journal.call, "e0", "P1", {"tech": 1}, at)
    journal.apply(close_panel(journal.call, at, "officer"))
    # P1: weighted 0.5·tech + 0.3·team + 0.2·price per expert: 83, 80, 74, 85 → mean 80.50
    # P2: 68, 70, 76, 90 → mean 76.00
    assert journal.call.ranking == (("P1", Decimal("80.50")), ("P2", Decimal("76.00")))
    assert len(visible_scores(journal.call)) == 8
    ends = at + timedelta(days=5)
    with pytest.raises(Refused, match="notice runs until"):
        award(journal.call, ends - timedelta(minutes=1), "officer")
    journal.apply(
        object_to(journal.call, Objection("O1", "P1", "乙科技", "甲智能的业绩证明不实", at + timedelta(days=1)))
    )
    with pytest.raises(Refused, match="not yet decided"):
        award(journal.call, ends, "officer")
    with pytest.raises(Refused, match="notice period is over"):
        object_to(journal.call, Objection("O2", "P2", "x", "迟到的异议", ends + timedelta(seconds=1)))
    journal.apply(decide_objection(journal.call, "O1", True, "经核实业绩证明不实", ends, "officer"))
    call, made, event = award(journal.call, ends, "officer")
    assert call.stage is Stage.AWARDED
    assert (made.proposal, made.lead, made.amount) == ("P2", B.credit_code, Decimal("2000000"))
    assert made.recognitions == ("shanghai_pilot_scenario",)
    assert event.action == "award"
    actions = [e.action for e in journal.events]
    assert actions[:4] == ["publish", "submit", "submit", "panel"]
    assert actions[-2:] == ["object", "decide_objection"]


def test_an_unscored_proposal_keeps_the_panel_open() -> None:
    journal = reviewing()
    with pytest.raises(Refused, match="lacks marks"):
        close_panel(journal.call, DEADLINE + timedelta(days=3), "officer")


def test_the_lingang_list_ships_as_data_and_runs_through() -> None:
    from huiqi.target_files import load_call_lists

    calls = {c.id: c for c in load_call_lists()}
    assert len(calls) == 5
    first = calls["lg-2022-01"]
    assert (first.title, first.owner, first.budget) == ("智能底盘研发系统", "宁德时代", Decimal("2000000.00"))
    journal = Journal(first)
    opened_at = first.deadline - timedelta(days=30)
    journal.apply(publish(journal.call, opened_at, "officer"))
    journal.apply(submit(journal.call, replace(proposal("P1", A), submitted_at=opened_at + timedelta(days=1)), "甲"))
    assert journal.call.stage is Stage.PUBLISHED


def test_a_broken_list_names_every_problem_by_line() -> None:
    from huiqi.diagnostics import InputError
    from huiqi.monitor.call_list import parse_call_list

    text = """source_quote: 不在原文
rules:
  criteria:
    - {id: tech, title: 技术, weight: 60}
  recognitions: [moon_landing]
calls:
  - {id: c1, title: 场景一, quote: 场景一}
assumed: {owner: 示例, budget: 100万, published: 2022-08-18, deadline_days: 30, requirements: 示例}
"""
    with pytest.raises(InputError) as caught:
        parse_call_list(text, "calls.yaml", "首批场景")
    lines = sorted((d.line or 0, d.message) for d in caught.value.diagnostics)
    assert [line for line, _ in lines] == [1, 2, 5, 7], lines  # quote, weights, recognition, quote
