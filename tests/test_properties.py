"""Properties of every figure, over generated enterprises (hypothesis).

Amounts are never negative and min <= max; by-year amounts and tranches add up to the total;
no figure exceeds any cap (net of prior awards); more base never means less support.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.engine.interpret import evaluate
from huiqi.engine.result import Assessment, Status
from huiqi.facts.models import Facts
from huiqi.facts.vocabulary import CostKind, Field, ProjectKind, Recognition, Track
from huiqi.money import ZERO
from huiqi.rules.library import Library
from huiqi.rules.model import (
    AmountChoice,
    AmountRange,
    Bonus,
    Component,
    Decision,
    Fixed,
    Match,
    Measure,
    Milestones,
    PerYear,
    Ratio,
    RentSchedule,
)

YEARS = st.integers(min_value=2017, max_value=2027)
money = st.integers(min_value=0, max_value=3_000_000_000_00).map(lambda fen: Decimal(fen) / 100)
by_year = st.dictionaries(YEARS, money, min_size=1, max_size=4)
mostly = st.sampled_from([True, True, True, False])  # most generated firms should reach the formulas


@st.composite
def projects(draw: st.DrawFn, index: int) -> dict[str, Any]:
    return {
        "id": f"P{index}",
        "name": f"project {index}",
        "kind": draw(st.sampled_from(list(ProjectKind))).value,
        "year": draw(YEARS),
        "field": draw(st.none() | st.sampled_from(list(Field)).map(str)),
        "track": draw(st.none() | st.sampled_from(list(Track)).map(str)),
        "parameters": draw(st.none() | st.integers(min_value=0, max_value=400_000_000_000)),
        "application_scenarios": draw(st.none() | st.integers(min_value=0, max_value=6)),
        "costs": {str(k): draw(by_year) for k in CostKind if draw(mostly)},
        "recognitions": draw(st.sets(st.sampled_from(list(Recognition)).map(str), max_size=12)),
        "city_support": draw(st.none() | money),
    }


@st.composite
def facts(draw: st.DrawFn) -> Facts:
    district = draw(st.sampled_from(["minhang", "lingang", "xuhui"]))
    count = draw(st.integers(min_value=0, max_value=5))
    measures = [
        "lingang-2024.procurement",
        "lingang-2024.testing",
        "minhang-2018.rent",
        "lingang-2024.rd",
        "minhang-2018.demo",
    ]
    data = {
        "enterprise": {
            "name": "generated",
            "credit_code": "91350100M000100Y43",
            "business_district": district,
            "tax_district": district if draw(mostly) else "pudong",
            "severe_credit_record": not draw(mostly),
            "ai_enterprise": draw(mostly),
            "leading_enterprise": draw(st.none() | st.booleans()),
            "above_scale": draw(st.none() | st.booleans()),
            "revenue": draw(by_year),
            "settled_date": draw(st.none() | st.dates(date(2015, 1, 1), date(2024, 12, 31))),
        },
        "projects": [draw(projects(i)) for i in range(count)],
        "leases": [
            {
                "id": f"L{i}",
                "area_m2": draw(st.integers(min_value=1, max_value=3000)),
                "annual_rent": draw(money),
                "start_date": draw(st.dates(date(2017, 1, 1), date(2022, 12, 31))),
            }
            for i in range(draw(st.integers(min_value=0, max_value=2)))
        ],
        "institutions": [
            {
                "id": "I1",
                "name": "lab",
                "level": draw(st.sampled_from(["national", "city", "district"])),
                "domestic_funded": draw(mostly),
                "recognised_year": draw(YEARS),
            }
        ],
        "platforms": [
            {
                "id": "S1",
                "name": "platform",
                "year": draw(YEARS),
                "kind": draw(
                    st.sampled_from(["tech_innovation_service", "professional_service", "public_tech_service"])
                ),
                "recognition_level": draw(st.none() | st.sampled_from(["national", "city", "district"])),
                "construction_cost": draw(st.none() | money),
                "approved_investment": draw(st.none() | money),
                "service_to_district_ai": draw(by_year),
            }
        ],
        "prior_awards": [
            {
                "measure": draw(st.sampled_from(measures)),
                "year": draw(YEARS),
                "amount": draw(money),
                "subject": draw(st.none() | st.sampled_from(["P0", "P1"])),
            }
            for _ in range(draw(st.integers(min_value=0, max_value=3)))
        ],
    }
    return Facts.model_validate(data)


# Mostly a date when the enterprise's own district policy is in force.
AS_OF = st.sampled_from([date(2019, 6, 30), date(2020, 12, 31), date(2025, 6, 30), date(2026, 3, 1)])


@st.composite
def cases(draw: st.DrawFn) -> tuple[Facts, date]:
    f = draw(facts())
    if draw(mostly):
        in_force = (
            [date(2019, 6, 30), date(2021, 3, 1)]
            if f.enterprise.business_district == "minhang"
            else [date(2025, 6, 30), date(2026, 3, 1)]
        )
        return f, draw(st.sampled_from(in_force))
    return f, draw(AS_OF)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _most(choice: AmountChoice) -> Decimal:
    return max([choice.default, *(c.amount for c in choice.cases)])


def component_bound(component: Component, years: int) -> Decimal | None:
    """The most a component can give (None: no bound from the component alone)."""
    if isinstance(component, Ratio | Match):
        return _most(component.cap) if component.cap is not None else None
    if isinstance(component, Fixed):
        return _most(component.amount)
    if isinstance(component, AmountRange):
        return component.max
    if isinstance(component, Bonus):
        return sum((o.amount for o in component.options), ZERO)
    if isinstance(component, PerYear):
        if component.cap is not None:
            return _most(component.cap)
        return component.cap_per_year * years if component.cap_per_year is not None else None
    if isinstance(component, Milestones):
        return sum((t.amount for t in component.tiers), ZERO)
    if isinstance(component, RentSchedule | Decision):
        return None
    raise AssertionError(f"no bound for {type(component).__name__}")


def measure_bound(measure: Measure, years: int) -> Decimal | None:
    bounds = [component_bound(c, years) for c in measure.benefits.values()]
    component_total = None if any(b is None for b in bounds) else sum(bounds, ZERO)  # type: ignore[arg-type]
    whole = [c for c in measure.caps if c.over is None or set(c.over) == set(measure.benefits)]
    # A cap per year bounds the total by cap × years; a cap per subject or in total bounds it directly.
    caps = [_most(c.max) * (years if c.per in ("subject_year", "enterprise_year") else 1) for c in whole]
    candidates = [b for b in [component_total, *caps] if b is not None]
    return min(candidates) if candidates else None


def prior(f: Facts, measure: str, *, year: int | None = None, subject: str | None = None) -> Decimal:
    return sum(
        (
            a.amount
            for a in f.prior_awards
            if a.measure == measure and (year is None or a.year == year) and (subject is None or a.subject == subject)
        ),
        ZERO,
    )


def check_invariants(f: Facts, assessment: Assessment, library: Library) -> None:
    per_measure: dict[str, list[Any]] = defaultdict(list)
    for result in assessment.results:
        if result.amount is None:
            assert result.status in (Status.INELIGIBLE, Status.NOT_IN_FORCE, Status.NEEDS_DECISION)
            continue
        amount = result.amount
        assert ZERO <= amount.lo <= amount.hi, result.measure
        if result.status is not Status.ELIGIBLE:
            continue
        assert amount.hi > 0
        per_measure[result.measure].append(result)
        total_by_year = sum((a.hi for a in result.by_year.values()), ZERO)
        assert total_by_year == amount.hi
        assert sum((t.amount.hi for t in result.tranches), ZERO) == amount.hi
        assert sum((t.amount.lo for t in result.tranches), ZERO) <= amount.lo
        measure = library.measure(result.measure).measure
        bound = measure_bound(measure, len(result.by_year))
        assert bound is None or amount.hi <= bound, (result.measure, amount, bound)
        for cap in measure.caps:
            if cap.per == "subject" and cap.over is None:
                assert amount.hi <= max(_most(cap.max) - prior(f, measure.id, subject=result.subject.id), ZERO)
    joint_bound = ZERO
    for measure_id, results in per_measure.items():
        measure = library.measure(measure_id).measure
        measure_hi = sum((r.amount.hi for r in results), ZERO)
        for cap in measure.caps:
            if cap.per == "enterprise_year":
                years = {y for r in results for y in r.by_year}
                room = {y: max(_most(cap.max) - prior(f, measure_id, year=y), ZERO) for y in years}
                for year in years:
                    # Each subject alone stays within the year's room, and so do the minimums together.
                    assert all(r.by_year[year].hi <= room[year] for r in results if year in r.by_year)
                    lows = sum((r.by_year[year].lo for r in results if year in r.by_year), ZERO)
                    assert lows <= room[year], (measure_id, year)
                measure_hi = min(measure_hi, sum(room.values(), ZERO))
            if cap.per == "enterprise_total":
                room_total = max(_most(cap.max) - prior(f, measure_id), ZERO)
                assert all(r.amount.hi <= room_total for r in results)
                assert sum((r.amount.lo for r in results), ZERO) <= room_total
                measure_hi = min(measure_hi, room_total)
        joint_bound += measure_hi
    # The enterprise's total never exceeds what the caps allow, though single ranges may add up to more.
    assert assessment.total.hi <= joint_bound
    eligible_lows = (r.amount.lo for r in assessment.results if r.status is Status.ELIGIBLE and r.amount is not None)
    assert assessment.total.lo >= sum(eligible_lows, ZERO)


@SETTINGS
@given(cases())
def test_figures_respect_every_invariant(library: Library, case: tuple[Facts, date]) -> None:
    f, as_of = case
    check_invariants(f, evaluate(f, library, as_of), library)


@SETTINGS
@given(
    cases(),
    st.integers(min_value=0, max_value=4),
    st.sampled_from(list(CostKind)),
    st.integers(min_value=100, max_value=1000),
)
def test_more_base_never_means_less(
    library: Library, case: tuple[Facts, date], index: int, kind: CostKind, percent: int
) -> None:
    f, as_of = case
    if index >= len(f.projects):
        return
    project = f.projects[index]
    costs = dict(project.costs)
    costs[kind] = {y: v * percent / 100 for y, v in costs.get(kind, {project.year: Decimal(1_000_000)}).items()}
    bigger = f.model_copy(
        update={
            "projects": [*f.projects[:index], project.model_copy(update={"costs": costs}), *f.projects[index + 1 :]]
        }
    )
    before = evaluate(f, library, as_of)
    after = evaluate(bigger, library, as_of)
    for old, new in zip(before.results, after.results, strict=True):
        if old.subject is None or old.subject.id != project.id or old.amount is None:
            continue
        assert new.amount is not None, old.measure
        assert new.amount.lo >= old.amount.lo, (old.measure, old.amount, new.amount)
        assert new.amount.hi >= old.amount.hi, (old.measure, old.amount, new.amount)


@SETTINGS
@given(cases())
def test_explanations_never_change_a_figure(library: Library, case: tuple[Facts, date]) -> None:
    f, as_of = case
    full, bare = evaluate(f, library, as_of), evaluate(f, library, as_of, explain=False)
    assert bare.total == full.total
    for explained, plain in zip(full.results, bare.results, strict=True):
        # what would make a condition hold (Reason.needs) is an explanation; the rest is the outcome
        reasons = tuple(replace(r, needs=()) for r in explained.reasons)
        assert (plain.status, plain.amount, plain.by_year, plain.tranches, plain.reasons) == (
            explained.status,
            explained.amount,
            explained.by_year,
            explained.tranches,
            reasons,
        )
        assert plain.outcome == explained.outcome
        assert not plain.trace
