"""Interpreter vs compiled batch, row by row (shared by the exactness tests)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from huiqi.batch import schema as flat
from huiqi.batch.run import Batch, prepare
from huiqi.engine.interpret import evaluate
from huiqi.facts.models import Facts
from huiqi.facts.parse import parse_facts
from huiqi.rules.library import Library
from huiqi.rules.reform import parse_reform

Row = tuple[Any, ...]

# Rules the seed policies do not use (an officer's reform or interpretation may): non-duplication
# per enterprise, compared by upper bound and by midpoint; a per_year component with a total cap,
# over a by-year series and over a single amount; bases that are exact fractions (divided by a
# constant or by a fact, or with more places than the fen; a product of two amounts, past
# BIGINT in fen); a condition dividing by a fact;
# milestones over a single amount.
UNSEEDED = """title: rules the seeds do not use
text: |
  对获得市级支持的项目, 每年按市级支持金额的50%给予配套, 累计不超过300万元。
  按市级支持金额的三分之一给予10%至30%的配套, 并按其一半的七分之一配套。
  按市级支持金额超出投资额的部分给予10%至30%的配套, 投资额超出市级支持两倍的部分按10%配套。
set:
  lingang-2024: {non_duplication.0.per: enterprise}
  minhang-2018:
    non_duplication.0.per: enterprise
    non_duplication.1.per: enterprise
    non_duplication.1.compare: midpoint
  lingang-2024.testing: {benefits.fees.cap: 50万}
add:
  lingang-2024:
    - id: lingang-2024.city-match-yearly
      title: 市级支持年度配套
      title_en: yearly match of city support
      category: application
      applies_to: project
      quote: '每年按市级支持金额的50%给予配套, 累计不超过300万元'
      benefits:
        match: {kind: per_year, base: project.city_support, rate: [20%, 50%], cap: 300万}
    - id: lingang-2024.city-match-share
      title: 市级支持分成配套
      title_en: a share of city support, matched
      category: application
      applies_to: project
      quote: '按市级支持金额的三分之一给予10%至30%的配套'
      conditions:
        - {text: 市级支持的两倍超过1000元, when: project.city_support / (1 / 2) > 1000}
      benefits:
        third: {kind: ratio, base: project.city_support / 3, rate: [10%, 30%]}
        seventh: {kind: match, base: project.city_support * 0.5 / 7, ratio: 100%}
        once: {kind: milestones, series: project.city_support, tiers: [{threshold: 100万, amount: 10万}]}
        scenario:
          kind: ratio
          when: project.city_support / project.costs.investment <= 0.5
          base: project.city_support / project.application_scenarios
          rate: 10%
          cap: 50万
        product: {kind: ratio, base: project.city_support * project.costs.investment / 10000000000, rate: 1%}
    - id: lingang-2024.city-match-net
      title: 市级支持超出投资部分配套
      title_en: city support above the investment, matched
      category: application
      applies_to: project
      quote: '按市级支持金额超出投资额的部分给予10%至30%的配套, 投资额超出市级支持两倍的部分按10%配套'
      benefits:
        above: {kind: ratio, base: project.city_support - project.costs.investment, rate: [10%, 30%]}
        below: {kind: match, base: project.costs.investment - project.city_support * 2, ratio: 10%}
        short: {kind: match, base: project.city_support - project.costs.investment, ratio: 50%}
        shared:
          kind: ratio
          base: (project.city_support - project.costs.investment) / project.application_scenarios
          rate: 10%
"""


def unseeded_library(baseline: Library) -> Library:
    return parse_reform(UNSEEDED, "unseeded.yaml", baseline).library


# A Lingang firm where each of those rules binds (tests/test_batch_exact.py says how).
UNSEEDED_FIRM = """
enterprise:
  name: 临港四项目
  credit_code: 91310115MA1K4LG1QQ
  business_district: 临港新片区
  tax_district: lingang
  severe_credit_record: false
  ai_enterprise: true
projects:
  - {id: P1, name: 芯片研发, kind: rd_innovation, field: ai_chip, year: 2025, costs: {new_investment: {2025: 1亿}}}
  - {id: P2, name: 产线投资, kind: fixed_investment, year: 2025, costs: {new_investment: {2025: 2.5亿}}}
  - {id: P3, name: 配套, kind: fixed_investment, year: 2024, city_support: 900万}
  - {id: P4, name: 测试, kind: testing, year: 2024, costs: {testing_fee: {2024: 300万, 2025: 300万}}}
  - id: P5
    name: 分成配套
    kind: other
    year: 2025
    city_support: 3000000.25
    application_scenarios: 3
    costs: {investment: {2025: 10亿}}
"""


def unseeded_firm() -> Facts:
    return parse_facts(UNSEEDED_FIRM, "unseeded-firm.yaml")


def _money(value: Any) -> Decimal | None:
    return None if value is None or value != value else Decimal(value).quantize(Decimal("0.01"))


def interpreter_rows(
    population: list[Facts], library: Library, as_of: date, all_rows: bool
) -> tuple[set[Row], dict[str, Row]]:
    rows: set[Row] = set()
    totals: dict[str, Row] = {}
    for facts in population:
        assessment = evaluate(facts, library, as_of, explain=False)
        code = facts.enterprise.credit_code
        for r in assessment.results:
            if r.subject is None and not all_rows:
                continue
            years = frozenset((y, a.lo, a.hi) for y, a in r.by_year.items() if a.hi != 0 or a.lo != 0)
            rows.add(
                (
                    code,
                    r.measure,
                    r.subject.id if r.subject else None,
                    r.status.value,
                    r.amount.lo if r.amount else None,
                    r.amount.hi if r.amount else None,
                    r.superseded_by,
                    years,
                )
            )
        if assessment.total.hi or assessment.total.lo:
            totals[code] = (assessment.total.lo, assessment.total.hi)
    return rows, totals


def table_of(population: list[Facts]) -> pa.Table:
    rows = [row for facts in population for row in flat.facts_rows(facts)]
    arrow = flat.rows_table(rows)
    return arrow.append_column("_row", pc.add(pa.array(range(arrow.num_rows), pa.int64()), 1))


def batch_rows(batch: Batch, all_rows: bool) -> tuple[set[Row], dict[str, Row]]:
    batch.run_stages()
    df = batch.con.to_pyarrow(batch.plan.results(all_rows=all_rows)).to_pylist()
    years = batch.plan.years
    rows: set[Row] = set()
    for r in df:
        by_year = frozenset(
            (y, _money(r[f"min_{y}"]), _money(r[f"max_{y}"]))
            for y in years
            if r[f"max_{y}"] is not None and (r[f"max_{y}"] != 0 or r[f"min_{y}"] != 0)
        )
        rows.add(
            (
                r["credit_code"],
                r["measure"],
                r["subject_id"],
                r["status"],
                _money(r["min"]),
                _money(r["max"]),
                r["superseded_by"],
                by_year,
            )
        )
    totals = {
        t["credit_code"]: (_money(t["min"]), _money(t["max"]))
        for t in batch.con.to_pyarrow(batch.plan.firm_totals()).to_pylist()
        if t["max"] or t["min"]
    }
    return rows, totals


def compare(
    population: list[Facts],
    library: Library,
    as_of: date,
    con: Any = None,
    all_rows: bool = True,
    without: tuple[str, ...] = (),
) -> tuple[set[Row], set[Row], dict[str, Any]]:
    """(only in the interpreter, only in the batch, totals that differ); `without`: columns left
    out of the batch's table, as an input file may leave them out."""
    con = con or ibis.duckdb.connect()
    table = table_of(population)
    table = table.drop_columns([name for name in without if name in table.column_names])
    raw = con.create_table("huiqi_raw", table, temp=True, overwrite=True)
    batch = prepare(con, raw, library, as_of)
    expected, expected_totals = interpreter_rows(population, library, as_of, all_rows)
    got, got_totals = batch_rows(batch, all_rows)
    bad_totals = {
        k: (expected_totals.get(k), got_totals.get(k))
        for k in set(expected_totals) | set(got_totals)
        if expected_totals.get(k) != got_totals.get(k)
    }
    return expected - got, got - expected, bad_totals
