"""Runs every YAML case beside the policies (see tests/policy_cases.py for the format)."""

from __future__ import annotations

import pytest

from huiqi.rules.library import Library
from tests.policy_cases import Case, check, load_cases

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_policy_case(case: Case, library: Library) -> None:
    check(case, library)


def test_every_measure_has_cases(library: Library) -> None:
    covered = {c.measure for c in CASES} | {e.get("measure") for c in CASES for e in c.expect}
    missing = [ref.measure.id for ref in library.measures() if ref.measure.id not in covered]
    assert not missing, f"measures without YAML cases: {missing}"
