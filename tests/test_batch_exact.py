"""Exactness: the compiled batch (DuckDB) equals the interpreter for every (entity, measure), to the fen.

Status, min, max, superseded_by, every per-year amount and each enterprise's joint total, on
hypothesis-generated enterprises (many per batch, so enterprise-wide caps and non-duplication meet
real neighbours) and on the bundled examples.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from huiqi.facts.credit_code import complete
from huiqi.facts.models import Facts
from huiqi.policy_files import load_facts, load_library
from tests.batch_exact import compare
from tests.test_properties import facts

LIBRARY = load_library()
AS_OF = st.sampled_from([date(2019, 6, 30), date(2021, 3, 1), date(2025, 6, 30), date(2026, 3, 1)])


@st.composite
def population(draw: st.DrawFn) -> list[Facts]:
    firms = []
    for i in range(draw(st.integers(min_value=3, max_value=20))):
        f = draw(facts())
        leases = [
            lease.model_copy(update={"end_date": draw(st.none() | st.dates(lease.start_date, date(2027, 12, 31)))})
            for lease in f.leases
        ]
        enterprise = f.enterprise.model_copy(update={"credit_code": complete(f"913101{i:011d}")})
        firms.append(f.model_copy(update={"enterprise": enterprise, "leases": leases}))
    return firms


def _check(firms: list[Facts], as_of: date) -> None:
    only_interpreter, only_batch, totals = compare(firms, LIBRARY, as_of)
    assert not only_interpreter, sorted(only_interpreter, key=str)[:5]
    assert not only_batch, sorted(only_batch, key=str)[:5]
    assert not totals, list(totals.items())[:5]


@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(population(), AS_OF)
def test_batch_equals_interpreter_on_generated_enterprises(firms: list[Facts], as_of: date) -> None:
    _check(firms, as_of)


# 2023-01-01: no seed measure in force (Minhang's ended 2021-09-30, Lingang's begin 2024-10-14)
@pytest.mark.parametrize("as_of", [date(2021, 6, 30), date(2023, 1, 1), date(2025, 6, 30)])
def test_batch_equals_interpreter_on_examples(as_of: date) -> None:
    _check([load_facts(f) for f in sorted(Path("examples").glob("*.yaml"))], as_of)


def test_steps_no_output_reads_are_dropped_as_the_batch_runs() -> None:
    """Memory: a step's table is dropped after its last reader, and what the outputs read is kept."""
    import ibis

    from huiqi.batch.run import prepare
    from huiqi.engine.compile_plan import STAGE_PREFIX
    from tests.batch_exact import table_of

    con = ibis.duckdb.connect()
    firms = [load_facts(f) for f in sorted(Path("examples").glob("*.yaml"))]
    raw = con.create_table("input", table_of(firms), temp=True)
    batch = prepare(con, raw, LIBRARY, date(2025, 6, 30))
    batch.run_stages()
    left = {name for name in con.list_tables() if name.startswith(STAGE_PREFIX)}
    steps = {name for name, _ in batch.plan.stages}
    assert left < steps  # some dropped, none invented
    assert len(left) < len(steps) / 2
    assert con.to_pyarrow(batch.plan.results()).num_rows > 0  # what the outputs read is still there
    assert con.to_pyarrow(batch.plan.firm_totals()).num_rows > 0
