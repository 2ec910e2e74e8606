"""A long facts file read and evaluated as a short one is: prior awards summed once (PriorSums
equals scanning every award), and `calc --json` written by orjson exactly as json.dumps writes it.
Speed itself is measured in benchmarks/ (bench_calc.py), not here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.engine.interpret import evaluate
from huiqi.engine.priors import PriorSums
from huiqi.facts.models import PriorAward
from huiqi.policy_files import load_facts
from huiqi.report import assessment_dict, stable_json
from huiqi.rules.library import Library

ROOT = Path(__file__).resolve().parents[1]


def _scan(
    awards: list[PriorAward], measure: str, subject: str | None, year: int | None, enterprise_subject: bool
) -> Decimal:
    """What the interpreter did before: every award looked at for every cap."""
    total = Decimal(0)
    for award in awards:
        if award.measure != measure or (year is not None and award.year != year):
            continue
        if subject is not None and award.subject != subject and not (enterprise_subject and award.subject is None):
            continue
        total += award.amount
    return total


MEASURES = st.sampled_from(["m.a", "m.b", "m.c"])
SUBJECTS = st.sampled_from([None, "P1", "P2", "91310115MA1K4LG0X7"])
YEARS = st.integers(2018, 2021)
AWARDS = st.builds(
    PriorAward,
    measure=MEASURES,
    year=YEARS,
    amount=st.decimals(0, 10**9, places=2).map(str),
    subject=SUBJECTS,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(AWARDS, max_size=12), MEASURES, SUBJECTS, st.none() | YEARS, st.booleans())
def test_prior_sums_equal_a_scan(
    awards: list[PriorAward], measure: str, subject: str | None, year: int | None, enterprise_subject: bool
) -> None:
    got = PriorSums(awards).total(measure, subject=subject, year=year, enterprise_subject=enterprise_subject)
    assert got == _scan(awards, measure, subject, year, enterprise_subject)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def test_calc_json_is_what_json_dumps_writes(library: Library) -> None:
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        facts = load_facts(example, library)
        assert facts.as_of is not None
        for lang in ("zh", "en"):
            data = assessment_dict(evaluate(facts, library, facts.as_of), lang)
            assert stable_json(data).decode() == _dumps(data)


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            TEXT.filter(lambda t: not (t.isascii() and t.isdigit())) | st.integers(0, 3000), inner, max_size=3
        )
    ),
)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_stable_json_is_json_dumps_on_any_data(data: Any) -> None:
    """Control characters, quotes, non-ASCII, integer keys (years), nesting, empty containers."""
    assert stable_json(data).decode() == _dumps(data)
