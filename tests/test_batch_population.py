"""Exactness on a synthetic population (huiqi synth): every (entity, measure) equal to the interpreter.

5,000 firms by default (about 15,000 rows); HUIQI_POPULATION=100000 runs the
100,000-firm population of issue 4 (about five minutes).
"""

from __future__ import annotations

import os
from datetime import date

import ibis
import pytest

from huiqi.batch.schema import facts_of_rows
from huiqi.batch.synth import population
from huiqi.policy_files import load_library
from tests.batch_exact import compare

FIRMS = int(os.environ.get("HUIQI_POPULATION", "5000"))


@pytest.mark.parametrize("as_of", [date(2021, 6, 30), date(2025, 6, 30)])
def test_synthetic_population_equals_interpreter(as_of: date) -> None:
    table = population(FIRMS, seed=7)
    firms = facts_of_rows(table.to_pylist())
    only_interpreter, only_batch, totals = compare(firms, load_library(), as_of, ibis.duckdb.connect(), all_rows=False)
    assert not only_interpreter, sorted(only_interpreter, key=str)[:5]
    assert not only_batch, sorted(only_batch, key=str)[:5]
    assert not totals, list(totals.items())[:5]
