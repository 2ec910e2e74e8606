from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from huiqi.engine.values import Scope, evaluate, holds
from huiqi.facts.models import Enterprise, Project
from huiqi.rules.expr import BoolOp, Compare, Const, ExprSyntaxError, ListOf, Ref, parse_expr, to_text
from huiqi.rules.factpaths import Checker


def test_parses_into_a_typed_tree() -> None:
    tree = parse_expr("project.field in ['ai_chip', 'smart_sensor'] and project.parameters >= 100e9")
    assert tree == BoolOp(
        "and",
        (
            Compare("in", Ref(("project", "field")), ListOf((Const("ai_chip"), Const("smart_sensor")))),
            Compare(">=", Ref(("project", "parameters")), Const(Decimal("100e9"))),
        ),
    )
    assert tree.operands[1].right.value == Decimal(100_000_000_000)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text", ["__import__('os')", "project.costs[0]", "lambda: 1", "project.f(1)", "x if y else z", "a := 1"]
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ExprSyntaxError):
        parse_expr(text)


def test_text_round_trips() -> None:
    text = "not enterprise.severe_credit_record and (project.kind == 'rd_innovation' or project.year > 2024)"
    assert parse_expr(to_text(parse_expr(text))) == parse_expr(text)


ENTERPRISE = Enterprise(
    name="t",
    credit_code="91350100M000100Y43",
    business_district="lingang",
    tax_district="lingang",
    severe_credit_record=False,
)


def scope(**project: object) -> Scope:
    base = {"id": "P", "name": "p", "kind": "rd_innovation", "year": 2025}
    return Scope({"enterprise": ENTERPRISE, "project": Project.model_validate({**base, **project})})


def test_unknown_facts_make_a_condition_fail_with_not_provided() -> None:
    ok, why, why_en = holds(parse_expr("project.parameters >= 100e9"), scope())
    assert not ok
    assert "未提供" in why
    assert "parameters = not provided" in why_en
    assert "project.parameters" not in why_en  # the fact by its name, not its path
    assert "模型参数量 = 未提供" in why


def test_three_valued_logic() -> None:
    unknown = parse_expr("project.parameters >= 1")
    assert evaluate(BoolOp("or", (unknown, Const(True))), scope()) is True
    assert evaluate(BoolOp("and", (unknown, Const(False))), scope()) is False
    assert evaluate(BoolOp("and", (unknown, Const(True))), scope()) is None


def test_by_year_facts_are_their_total_as_numbers() -> None:
    value = evaluate(
        parse_expr("project.costs.new_investment > 150"), scope(costs={"new_investment": {2024: 100, 2025: 100}})
    )
    assert value is True


def test_quotients_are_exact_and_division_by_zero_is_unknown() -> None:
    third = evaluate(parse_expr("project.city_support / 3"), scope(city_support="0.85"))
    assert third == Fraction(85, 300)  # not a 28-digit decimal
    assert evaluate(parse_expr("project.city_support / 4 * 2"), scope(city_support="0.10")) == Decimal("0.05")
    assert evaluate(parse_expr("project.city_support / 3 * 3 == 0.85"), scope(city_support="0.85")) is True
    ok, why, _ = holds(
        parse_expr("project.city_support / project.application_scenarios > 1"),
        scope(city_support="100", application_scenarios=0),
    )
    assert not ok
    assert "未提供" in why


def test_products_of_amounts_are_not_rounded_to_28_digits() -> None:
    big = "9876543210123456.78"  # 18 digits: the square has 36, more than Decimal's default 28
    product = evaluate(parse_expr("project.city_support * project.city_support"), scope(city_support=big))
    assert isinstance(product, Decimal)
    assert product == Fraction(Decimal(big)) ** 2
    eighth = evaluate(parse_expr("project.city_support * project.city_support / 8"), scope(city_support=big))
    assert eighth == Fraction(Decimal(big)) ** 2 / 8  # a finite decimal of 39 digits, not rounded to 28


def test_checker_refuses_a_written_division_by_zero() -> None:
    checker = Checker(frozenset({"enterprise", "project"}))
    checker.check(parse_expr("project.city_support / 0"), "number")
    assert checker.errors == ["'project.city_support / 0' divides by zero"]


def test_checker_names_unknown_facts_and_values() -> None:
    checker = Checker(frozenset({"enterprise", "project"}))
    checker.check(parse_expr("project.feild == 'x' and project.field == 'ai_chp' and lease.area_m2 > 1"), "bool")
    assert any("project.feild" in e for e in checker.errors)
    assert any("'ai_chp' is not a known value; did you mean 'ai_chip'?" in e for e in checker.errors)
    assert any("here only enterprise, project can be read" in e for e in checker.errors)


def test_checker_refuses_wrong_types() -> None:
    checker = Checker(frozenset({"enterprise", "project"}))
    checker.check(parse_expr("project.field"), "bool")
    assert checker.errors


@pytest.mark.parametrize(
    "text",
    [
        "enterprise.settled_date >= 5",
        "project.application_scenarios >= '3'",
        "project.field > 'ai_chip'",
        "enterprise.severe_credit_record == 1",
        "enterprise.settled_date >= '2018-13-01'",
    ],
)
def test_checker_refuses_comparisons_across_types(text: str) -> None:
    checker = Checker(frozenset({"enterprise", "project"}))
    checker.check(parse_expr(text), "bool")
    assert checker.errors, text


@pytest.mark.parametrize(
    "text",
    [
        "enterprise.settled_date >= '2018-10-01'",
        "project.costs.investment >= 300",
        "project.year == 2024",
        "'chokepoint' in project.recognitions",
        "project.kind in ['dataset', 'testing']",
    ],
)
def test_checker_accepts_sound_comparisons(text: str) -> None:
    checker = Checker(frozenset({"enterprise", "project"}))
    checker.check(parse_expr(text), "bool")
    assert not checker.errors, checker.errors
