"""Semantic checks of a validated policy, collected as (path, message) pairs.

pydantic checks the shape; this pass checks what needs the whole tree: every expression
names real facts of the right type for its measure's subject, references between nodes
resolve, shares add up, ranges are ordered, and every quote is verbatim in the source text.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from huiqi.rules.expr import Expr
from huiqi.rules.factpaths import Checker
from huiqi.rules.model import (
    AmountRange,
    Bonus,
    Cap,
    Component,
    Match,
    Measure,
    Milestones,
    PerYear,
    Policy,
    RateChoice,
    RateRange,
    Ratio,
    Tranche,
)

Path = tuple[str | int, ...]
Problem = tuple[Path, str]
Expect = Literal["bool", "number", "by_year"]


def _rate_problems(choice: RateChoice, path: Path) -> Iterator[Problem]:
    for index, value in enumerate([*(c.rate for c in choice.cases), choice.default]):
        if isinstance(value, RateRange) and value.min > value.max:
            where = (*path, "cases", index, "rate") if index < len(choice.cases) else (*path, "default")
            yield where, f"rate range is upside down: {value.min} > {value.max}"


def component_exprs(component: Component, path: Path) -> Iterator[tuple[Path, Expr, Expect]]:
    if component.when is not None:
        yield (*path, "when"), component.when, "bool"
    if isinstance(component, Ratio | Match):
        yield (*path, "base"), component.base, "number"
    if isinstance(component, PerYear):
        yield (*path, "base"), component.base, "by_year"
    if isinstance(component, Milestones):
        yield (*path, "series"), component.series, "by_year"
        for index, tier in enumerate(component.tiers):
            if tier.when is not None:
                yield (*path, "tiers", index, "when"), tier.when, "bool"
    if isinstance(component, Bonus):
        for index, option in enumerate(component.options):
            yield (*path, "options", index, "when"), option.when, "bool"
    for name in ("rate", "cap"):
        choice = getattr(component, name, None)
        for index, case in enumerate(getattr(choice, "cases", ())):
            yield (*path, name, "cases", index, "when"), case.when, "bool"


def measure_exprs(measure: Measure, path: Path) -> Iterator[tuple[Path, Expr, Expect]]:
    if measure.scope is not None:
        yield (*path, "scope"), measure.scope, "bool"
    for index, condition in enumerate(measure.conditions):
        yield (*path, "conditions", index, "when"), condition.when, "bool"
    for name, component in measure.benefits.items():
        yield from component_exprs(component, (*path, "benefits", name))
    for index, cap in enumerate(measure.caps):
        for case_index, case in enumerate(cap.max.cases):
            yield (*path, "caps", index, "max", "cases", case_index, "when"), case.when, "bool"
    for index, joint in enumerate(measure.joint_caps):
        yield (*path, "joint_caps", index, "limit"), joint.limit, "number"


def _check_exprs(items: Iterator[tuple[Path, Expr, Expect]], roots: frozenset[str]) -> Iterator[Problem]:
    for path, expr, expect in items:
        checker = Checker(roots)
        checker.check(expr, expect)
        for message in checker.errors:
            yield path, message


def _cap_problems(caps: tuple[Cap, ...], benefits: set[str], path: Path) -> Iterator[Problem]:
    for index, cap in enumerate(caps):
        if cap.per in ("enterprise_year", "enterprise_total") and cap.over is not None and set(cap.over) != benefits:
            yield (*path, "caps", index, "over"), "an enterprise-wide cap applies to all components; leave out `over`"
        for name in cap.over or ():
            if name not in benefits:
                yield (*path, "caps", index, "over"), f"cap names component {name!r}, which is not in benefits"


def _payment_problems(payment: tuple[Tranche, ...], path: Path) -> Iterator[Problem]:
    if payment and sum((t.share for t in payment), Decimal(0)) != 1:
        yield (*path, "payment"), "tranche shares must add up to 100%"


def _component_problems(component: Component, path: Path) -> Iterator[Problem]:
    if isinstance(component, Ratio | PerYear):
        yield from _rate_problems(component.rate, (*path, "rate"))
    if isinstance(component, AmountRange) and component.min > component.max:
        yield path, f"amount range is upside down: {component.min} > {component.max}"
    if isinstance(component, Milestones):
        thresholds = [t.threshold for t in component.tiers]
        if thresholds != sorted(thresholds):
            yield (*path, "tiers"), "tiers must be listed from the lowest threshold up"


def quotes_of(node: object, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every quote in the tree, with its path: a measure's, a condition's, a cap's, a rate case's…"""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            value = getattr(node, name)
            if name == "quote" and isinstance(value, str):
                yield (*path, "quote"), value
            elif isinstance(value, BaseModel | tuple | list | dict):
                yield from quotes_of(value, (*path, name))
    elif isinstance(node, tuple | list):
        for index, item in enumerate(node):
            yield from quotes_of(item, (*path, index))
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from quotes_of(item, (*path, key))


def _is_measure_quote(path: Path) -> bool:
    """A measure's own quote (reported with the measure's other problems)."""
    return len(path) == 3 and path[0] == "measures"


def check_policy(policy: Policy, source_text: str | None) -> list[Problem]:
    """Every semantic problem of one policy (an empty list when it is sound)."""
    problems: list[Problem] = []
    problems += _check_exprs(
        (((("conditions", i, "when")), c.when, "bool") for i, c in enumerate(policy.conditions)),
        frozenset({"enterprise"}),
    )
    seen: set[str] = set()
    for index, measure in enumerate(policy.measures):
        path: Path = ("measures", index)
        if measure.id in seen:
            problems.append(((*path, "id"), f"measure id {measure.id!r} is used twice"))
        seen.add(measure.id)
        if not measure.id.startswith(policy.id + "."):
            problems.append(((*path, "id"), f"measure id must start with the policy id: {policy.id}.<name>"))
        roots = frozenset({"enterprise", measure.applies_to})
        problems += _check_exprs(measure_exprs(measure, path), roots)
        problems += _cap_problems(measure.caps, set(measure.benefits), path)
        problems += _payment_problems(measure.payment, path)
        for name, component in measure.benefits.items():
            problems += _component_problems(component, (*path, "benefits", name))
        if source_text is not None and measure.quote not in source_text:
            problems.append(((*path, "quote"), "quote is not verbatim in the policy's source text"))
    if source_text is not None:
        problems += [
            (path, "quote is not verbatim in the policy's source text")
            for path, quote in quotes_of(policy)
            if quote not in source_text and not _is_measure_quote(path)
        ]
    pooled: dict[str, str] = {}
    for index, pool in enumerate(policy.budgets):
        for member in pool.measures:
            if member not in seen:
                problems.append(
                    (("budgets", index, "measures"), f"unknown measure {member!r} (pools name this policy's measures)")
                )
            elif member in pooled:
                problems.append((("budgets", index, "measures"), f"{member!r} is already in pool {pooled[member]!r}"))
            pooled[member] = pool.id
    if len({p.id for p in policy.budgets}) < len(policy.budgets):
        problems.append((("budgets",), "two budget pools have the same id"))
    for index, group in enumerate(policy.non_duplication):
        for member in group.measures:
            if member.startswith(policy.id + ".") and member not in seen:
                problems.append((("non_duplication", index, "measures"), f"unknown measure {member!r}"))
    return problems
