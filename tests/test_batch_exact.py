"""Exactness: the compiled batch (DuckDB) equals the interpreter for every (entity, measure), to the fen.

Status, min, max, superseded_by, every per-year amount and each enterprise's joint total, on
hypothesis-generated enterprises (many per batch, so enterprise-wide caps and non-duplication meet
real neighbours) and on the bundled examples.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from huiqi.engine.interpret import evaluate
from huiqi.engine.result import Status
from huiqi.facts.credit_code import complete
from huiqi.facts.models import Facts
from huiqi.policy_files import load_facts, load_library
from huiqi.rules.library import Library
from tests.batch_exact import compare, unseeded_firm, unseeded_library
from tests.test_properties import facts

LIBRARY = load_library()

REFORMED = unseeded_library(LIBRARY)
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


def _check(firms: list[Facts], as_of: date, library: Library = LIBRARY) -> None:
    only_interpreter, only_batch, totals = compare(firms, library, as_of)
    assert not only_interpreter, sorted(only_interpreter, key=str)[:5]
    assert not only_batch, sorted(only_batch, key=str)[:5]
    assert not totals, list(totals.items())[:5]


# Each example compiles a library and runs a batch: a few, however slow.
GENERATED = settings(
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(GENERATED, max_examples=4)
@given(population(), AS_OF)
def test_batch_equals_interpreter_on_generated_enterprises(firms: list[Facts], as_of: date) -> None:
    _check(firms, as_of)


@settings(GENERATED, max_examples=3)
@given(population(), AS_OF)
def test_batch_equals_interpreter_on_rules_the_seeds_do_not_use(firms: list[Facts], as_of: date) -> None:
    _check(firms, as_of, REFORMED)


def test_non_duplication_per_enterprise_and_total_caps_in_the_batch() -> None:
    """The batch agrees with the interpreter on a firm where each of these rules binds:
    - per enterprise, the higher measure over all the firm's projects stays, on every project:
      fixed investment (10% of P1's 1亿 and P2's 2.5亿: 3500万) beats rd (at most 30% of P1's
      1亿: 3000万), so P1's rd subsidy gives way, where per project it was kept;
    - P4's testing fees, 10%–30% of 300万 in 2024 and again in 2025, are capped at 50万 in all:
      [30万, 50万] in 2024 and nothing in 2025;
    - P3's yearly match, 20%–50% of 900万 in its year, is capped at 300万: [180万, 300万]."""
    firm = unseeded_firm()
    day = date(2025, 6, 30)
    _check([firm], day, REFORMED)
    rows = {(r.measure, r.subject.id if r.subject else None): r for r in evaluate(firm, REFORMED, day).results}
    baseline = {(r.measure, r.subject.id if r.subject else None): r for r in evaluate(firm, LIBRARY, day).results}
    assert baseline["lingang-2024.rd", "P1"].status is Status.ELIGIBLE
    assert rows["lingang-2024.rd", "P1"].status is Status.SUPERSEDED
    assert rows["lingang-2024.rd", "P1"].superseded_by == "lingang-2024.fixed-investment"
    testing = rows["lingang-2024.testing", "P4"]
    assert (testing.amount.lo, testing.amount.hi) == (Decimal("300000.00"), Decimal("500000.00"))
    assert testing.by_year[2025].hi == 0
    match = rows["lingang-2024.city-match-yearly", "P3"].amount
    assert (match.lo, match.hi) == (Decimal("1800000.00"), Decimal("3000000.00"))


def test_bases_are_exact_fractions_in_the_interpreter_and_the_batch() -> None:
    """P5's city support of 3,000,000.25, shared (a reform's measure, tests/batch_exact.py):
    - a third of it at 10%–30%: 100,000.00833… and exactly 300,000.025, so [100,000.01, 300,000.03]
      (a 28-digit decimal third, 1,000,000.083…3, gave 300,000.0249… and 300,000.02);
    - half of it over 7, matched 1:1: 214,285.7321… → 214,285.73 (the base is not rounded first);
    - a milestone over a single amount pays nothing (no first year of passing);
    - over its 3 application scenarios, at 10%, as it is at most half of the 10亿 investment
      (0.003…): 100,000.00833… → 100,000.01;
    - times the investment over 10^10, at 1%: 3,000.00025 → 3,000.00 (in fen the product is
      300,000,025 × 10^11, past BIGINT's 9.2 × 10^18: DuckDB stopped with an overflow; it is
      DECIMAL(38,0) now).
    The batch, which keeps the fraction as an integer over a denominator (a constant, or the
    row's scenarios), agrees."""
    firm = unseeded_firm()
    day = date(2025, 6, 30)
    _check([firm], day, REFORMED)
    rows = {(r.measure, r.subject.id if r.subject else None): r for r in evaluate(firm, REFORMED, day).results}
    share = rows["lingang-2024.city-match-share", "P5"].amount
    assert share is not None
    rest = Decimal("214285.73") + Decimal("100000.01") + Decimal("3000.00")
    assert (share.lo, share.hi) == (Decimal("100000.01") + rest, Decimal("300000.03") + rest)


def test_a_negative_base_counts_as_zero_in_the_interpreter_and_the_batch() -> None:
    """P5's city support (3,000,000.25) less its 10亿 investment is negative: the components over
    it — a ratio at 10%–30%, a match at 50%, and a ratio of it over the 3 scenarios (a row
    denominator in the batch) — pay nothing, each said in the explanation (the interpreter
    raised "interval bounds out of order" on the rate range; the batch rounded a negative base
    toward zero). The investment less twice the support, 993,999,999.50, is matched at 10%:
    99,399,999.95. P3 has no investment: not provided, as before. The batch agrees."""
    firm = unseeded_firm()
    day = date(2025, 6, 30)
    _check([firm], day, REFORMED)
    rows = {(r.measure, r.subject.id if r.subject else None): r for r in evaluate(firm, REFORMED, day).results}
    net = rows["lingang-2024.city-match-net", "P5"]
    assert net.status is Status.ELIGIBLE
    assert net.amount is not None
    assert (net.amount.lo, net.amount.hi) == (Decimal("99399999.95"), Decimal("99399999.95"))
    notes = [s.en for s in net.trace if s.kind == "note"]
    negative = [n for n in notes if n.startswith("the base is negative (")]
    assert len(negative) == 3, notes
    assert negative[0].startswith("the base is negative (-996,999,999.75), counted as 0"), negative
    assert negative[2].startswith("the base is negative (-332,333,333.25), counted as 0"), negative
    assert rows["lingang-2024.city-match-net", "P3"].status is not Status.ELIGIBLE


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
