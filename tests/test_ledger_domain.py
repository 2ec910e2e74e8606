"""The ledger's domain rules: who may move an application where, and what may be approved."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from huiqi.ledger.approval import Award, Budget, check_approval
from huiqi.ledger.workflow import Action, Role, State, TransitionRefused, available, transition
from huiqi.money import parse_amount
from huiqi.policy_files import load_facts
from huiqi.rules.library import Library

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2020, 6, 1, 9, 0)


def test_the_happy_path() -> None:
    state = State.DRAFT
    for action, role in [
        (Action.SUBMIT, Role.ENTERPRISE),
        (Action.START_REVIEW, Role.REVIEWER),
        (Action.APPROVE, Role.APPROVER),
        (Action.ACCEPT, Role.REVIEWER),
        (Action.CLOSE, Role.FINANCE),
    ]:
        event = transition("A1", state, action, actor="u", role=role, at=NOW)
        assert event.source is state
        state = event.target
    assert state is State.CLOSED


@pytest.mark.parametrize(
    ("state", "action", "role", "code"),
    [
        (State.SUBMITTED, Action.APPROVE, Role.APPROVER, "wrong_state"),
        (State.UNDER_REVIEW, Action.APPROVE, Role.REVIEWER, "wrong_role"),
        (State.UNDER_REVIEW, Action.APPROVE, Role.ENTERPRISE, "wrong_role"),
        (State.UNDER_REVIEW, Action.APPROVE, Role.ADMIN, "wrong_role"),
        (State.UNDER_REVIEW, Action.REJECT, Role.REVIEWER, "reason_required"),
        (State.APPROVED, Action.WITHDRAW, Role.ENTERPRISE, "wrong_state"),
    ],
)
def test_refusals_say_why(state: State, action: Action, role: Role, code: str) -> None:
    with pytest.raises(TransitionRefused) as refused:
        transition("A1", state, action, actor="u", role=role, at=NOW)
    assert refused.value.code == code


def test_returned_for_changes_goes_back_to_draft() -> None:
    event = transition(
        "A1", State.UNDER_REVIEW, Action.RETURN, actor="r", role=Role.REVIEWER, at=NOW, reason="缺少验收报告"
    )
    assert (event.target, event.reason) == (State.RETURNED, "缺少验收报告")
    assert (
        transition("A1", State.RETURNED, Action.REVISE, actor="e", role=Role.ENTERPRISE, at=NOW).target is State.DRAFT
    )


def test_available_actions() -> None:
    assert available(State.UNDER_REVIEW, Role.REVIEWER) == [Action.RETURN, Action.REJECT]
    assert available(State.UNDER_REVIEW, Role.APPROVER) == [Action.REJECT, Action.APPROVE]
    assert available(State.CLOSED, Role.ADMIN) == []


@pytest.fixture(scope="module")
def minhang() -> object:
    return load_facts(ROOT / "examples" / "minhang-robotics.yaml")


def approve(library: Library, facts: object, measure: str, subject: str, amount: str, **kw: object) -> object:
    return check_approval(
        application="A1",
        facts=facts,
        measure=measure,
        subject=subject,
        amount=parse_amount(amount),
        year=kw.get("year", 2020),
        library=library,
        as_of=date(2020, 12, 31),
        awards=kw.get("awards", []),
        budgets={b.year: b for b in [kw["budget"]]} if "budget" in kw else {},
    )  # type: ignore[arg-type]


def test_an_amount_within_the_range_is_approved_with_its_tranches(library: Library, minhang: object) -> None:
    decision = approve(library, minhang, "minhang-2018.demo", "M1", "250万")
    assert decision.approved, decision.reasons
    assert [t.amount.lo for t in decision.tranches] == [Decimal("1250000.00"), Decimal("1250000.00")]
    assert [t.on for t in decision.tranches] == ["approval", "acceptance"]


def test_an_amount_above_the_cap_is_refused(library: Library, minhang: object) -> None:
    decision = approve(library, minhang, "minhang-2018.demo", "M1", "350万")
    assert not decision.approved
    assert "不在可给予范围" in decision.reasons[0]


def test_a_second_measure_of_one_group_on_one_project_is_refused(library: Library, minhang: object) -> None:
    held = Award("A0", "91310112MA1GC3H0XW", "minhang-2018.city-demo-match", "M1", 2020, parse_amount("200万"))
    decision = approve(library, minhang, "minhang-2018.demo", "M1", "250万", awards=[held])
    assert not decision.approved
    assert any("就高不重复" in r for r in decision.reasons)


def test_committed_awards_eat_a_cumulative_cap(library: Library, minhang: object) -> None:
    # Rent: 300万 in total per enterprise; the facts already list 30万, the ledger holds 250万 more.
    held = Award("A0", "91310112MA1GC3H0XW", "minhang-2018.rent", "91310112MA1GC3H0XW", 2020, parse_amount("250万"))
    # Rent is yearly: the 20万 of room left goes to the earliest support year (2019) first.
    code = "91310112MA1GC3H0XW"
    allowed = approve(library, minhang, "minhang-2018.rent", code, "20万", awards=[held], year=2019)
    assert allowed.approved, allowed.reasons
    refused = approve(library, minhang, "minhang-2018.rent", code, "21万", awards=[held], year=2019)
    assert not refused.approved
    assert refused.allowed is not None
    assert refused.allowed.hi == parse_amount("20万")
    nothing_left = approve(library, minhang, "minhang-2018.rent", code, "1万", awards=[held], year=2020)
    assert nothing_left.allowed is not None
    assert nothing_left.allowed.hi == 0


def test_the_budget_must_carry_the_award(library: Library, minhang: object) -> None:
    budget = Budget("minhang-2018", 2020, allocated=parse_amount("1000万"), committed=parse_amount("800万"))
    assert approve(library, minhang, "minhang-2018.demo", "M1", "200万", budget=budget).approved
    refused = approve(library, minhang, "minhang-2018.demo", "M1", "250万", budget=budget)
    assert not refused.approved
    assert "预算" in refused.reasons[0]


def test_an_ineligible_subject_is_refused_with_the_engines_reasons(library: Library, minhang: object) -> None:
    decision = approve(library, minhang, "minhang-2018.major-project-match", "M1", "100万")
    assert not decision.approved
    assert "未满足" in decision.reasons[0]


def test_awards_of_a_yearly_measure_settle_their_years(library: Library, minhang: object) -> None:
    # Rent 2019 and 2020 already awarded: 2021's claim stands in full (not cut by counting them twice).
    code = "91310112MA1GC3H0XW"
    held = [
        Award("B1", code, "minhang-2018.rent", code, 2019, parse_amount("458743.17")),
        Award("B2", code, "minhang-2018.rent", code, 2020, parse_amount("913756.83")),
    ]
    decision = approve(library, minhang, "minhang-2018.rent", code, "682500", awards=held, year=2021)
    assert decision.approved, decision.reasons
    assert decision.allowed is not None
    assert decision.allowed.hi == parse_amount("682500")
    # …but the cumulative 300万 still holds: with 250万 awarded for 2019, 2021 gets at most 20万 (30万 prior in facts).
    big = [Award("B1", code, "minhang-2018.rent", code, 2019, parse_amount("250万"))]
    capped = approve(library, minhang, "minhang-2018.rent", code, "682500", awards=big, year=2021)
    assert not capped.approved
    assert capped.allowed is not None
    assert capped.allowed.hi == parse_amount("20万")
