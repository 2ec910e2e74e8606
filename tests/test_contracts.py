"""Contracts as subjects: dates and terms in expressions, sum(...) over subjects, claim limits,
the founding date — in the interpreter, and equal to the fen in the batch (DuckDB)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from huiqi.diagnostics import InputError
from huiqi.engine.interpret import evaluate
from huiqi.engine.result import Status
from huiqi.facts.credit_code import complete
from huiqi.facts.models import Contract, Facts, months_between
from huiqi.facts.parse import parse_facts
from huiqi.policy_files import load_library
from huiqi.rules.expr import Compare, Const, Ref, Sum, parse_expr
from tests.batch_exact import compare

LIBRARY_DIR = Path(__file__).parent / "assets" / "voucher-library"
LIBRARY = load_library(LIBRARY_DIR)

FIRM = """
enterprise:
  name: 北京某智能科技有限公司
  credit_code: 91110108MA01ABCD1E
  business_district: 北京市海淀区
  tax_district: 海淀区
  severe_credit_record: false
  founded: 2022-03-01
"""


def _facts(contracts: str, priors: str = "") -> Facts:
    return parse_facts(FIRM + "contracts:\n" + contracts + priors, "firm.yaml")


def _results(f: Facts, as_of: date) -> dict[tuple[str, str], tuple[Status, Decimal | None, Decimal | None, str]]:
    found = {}
    for r in evaluate(f, LIBRARY, as_of).results:
        reasons = " ".join(x.zh for x in r.reasons)
        subject = r.subject.id if r.subject is not None else ""
        lo, hi = (r.amount.lo, r.amount.hi) if r.amount is not None else (None, None)
        found[(r.measure.split(".")[1], subject)] = (r.status, lo, hi, reasons)
    return found


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2024, 1, 1), date(2024, 12, 31), 12),  # a calendar year
        (date(2024, 1, 15), date(2025, 1, 14), 12),  # a year from the 15th
        (date(2024, 1, 15), date(2025, 1, 15), 13),  # a day more than a year
        (date(2024, 3, 1), date(2024, 3, 1), 1),  # one day is a month begun
        (date(2024, 1, 31), date(2024, 2, 29), 1),
        (date(2024, 2, 1), date(2026, 1, 31), 24),
    ],
)
def test_a_contracts_term_in_months(start: date, end: date, months: int) -> None:
    assert months_between(start, end) == months
    contract = Contract(id="C", kind="compute", signed=start, service_start=start, service_end=end, amount=1)
    assert contract.term_months == months


def test_a_contract_ending_before_it_starts_is_refused_in_both_languages() -> None:
    with pytest.raises(InputError) as caught:
        _facts(
            "  - {id: C1, kind: 算力, signed: 2024-01-10, service_start: 2024-02-01,"
            " service_end: 2024-01-31, amount: 1万}\n"
        )
    text = str(caught.value) + " ".join(d.zh or "" for d in caught.value.diagnostics)
    assert "service_end" in text
    assert "终止日不能早于起始日" in text


def test_a_bare_date_and_a_sum_parse_as_nodes() -> None:
    assert parse_expr("contract.signed >= 2023-09-01") == Compare(
        ">=", Ref(("contract", "signed")), Const("2023-09-01")
    )
    parsed = parse_expr("sum(contract.amount, where=contract.kind == 'compute', year='subject') <= 1")
    assert isinstance(parsed, Compare)
    assert isinstance(parsed.left, Sum)
    assert parsed.left.year == "subject"
    assert parsed.left.of == Ref(("contract", "amount"))
    assert parse_expr("x == '2023-09-01'") == Compare("==", Ref(("x",)), Const("2023-09-01"))  # quoted stays


def test_dates_terms_age_and_the_years_total_decide_the_voucher() -> None:
    f = _facts(
        "  - {id: C1, kind: compute, signed: 2024-01-10, service_start: 2024-01-15,"
        " service_end: 2025-01-14, amount: 300万}\n"
        "  - {id: C2, kind: compute, signed: 2023-08-31, service_start: 2023-09-01,"
        " service_end: 2024-08-31, amount: 100万}\n"
        "  - {id: C3, kind: compute, signed: 2024-02-01, service_start: 2024-02-01,"
        " service_end: 2026-01-31, amount: 100万}\n"
        "  - {id: C4, kind: compute, signed: 2025-02-01, service_start: 2025-02-01,"
        " service_end: 2025-07-31, amount: 20万}\n"
    )
    found = _results(f, date(2025, 3, 1))
    # founded 2022-03-01, assessed 2025-03-01: 3 whole years, so not a startup (< 3): C1's 2024 total
    # of compute contracts is C1 + C3 = 400万 > 50万, so the default range: 300万 × [10%, 20%]
    assert found[("compute", "C1")][:3] == (Status.ELIGIBLE, Decimal("300000.00"), Decimal("600000.00"))
    assert "2023-08-31" in found[("compute", "C2")][3]  # signed the day before the start date
    assert "服务期限(月) = 24" in found[("compute", "C3")][3]  # a two-year contract
    # C4: the 2025 total is C4 alone, 20万 ≤ 50万: 30% = 6万
    assert found[("compute", "C4")][:3] == (Status.ELIGIBLE, Decimal("60000.00"), Decimal("60000.00"))
    younger = _results(f, date(2025, 2, 28))  # a day before the third anniversary: 2 years, a startup
    assert younger[("compute", "C1")][:3] == (Status.ELIGIBLE, Decimal("1800000.00"), Decimal("1800000.00"))


def test_the_size_class_given_or_computed_sets_the_small_firms_rate() -> None:
    contracts = (
        "  - {id: C1, kind: compute, signed: 2024-03-01, service_start: 2024-03-01, service_end: 2024-12-31,"
        " amount: 40万}\n"
    )
    f = _facts(contracts)
    # founded 2022-03-01: 3 years on 2025-06-30, no startup. 40万 ≤ 50万 in 2024 gives 30%; the size is
    # unknown (no industry, no size_class), so not the small firms' 50%
    assert _results(f, date(2025, 6, 30))[("compute", "C1")][1] == Decimal("120000.00")
    # 软件和信息技术服务业: 50 people (10 ≤ X < 100: small) and 2024 revenue 80万 (50万 ≤ Y < 1000万: small)
    data = f.model_dump()
    data["enterprise"] |= {"industry": "软件和信息技术服务业", "employees": 50, "revenue": {2024: Decimal(800_000)}}
    small = Facts.model_validate(data)
    assert _results(small, date(2025, 6, 30))[("compute", "C1")][1] == Decimal("200000.00")  # 40万 × 50%
    # the same firm registered as large: the given class wins
    large = Facts.model_validate(
        small.model_dump() | {"enterprise": small.enterprise.model_dump() | {"size_class": "大型"}}
    )
    assert _results(large, date(2025, 6, 30))[("compute", "C1")][1] == Decimal("120000.00")


def test_a_contract_claimed_once_and_a_measure_claimed_twice_a_year() -> None:
    f = _facts(
        "  - {id: C1, kind: compute, signed: 2024-05-01, service_start: 2024-05-01,"
        " service_end: 2024-10-31, amount: 40万}\n"
        "  - {id: M1, kind: model_api, signed: 2024-02-01, amount: 10万}\n"
        "  - {id: M2, kind: model_api, signed: 2024-03-01, amount: 20万}\n"
        "  - {id: M3, kind: model_api, signed: 2024-04-01, amount: 30万}\n"
        "  - {id: M4, kind: model_api, signed: 2025-04-01, amount: 30万}\n",
        "prior_awards:\n  - {measure: scratch-voucher.compute, year: 2024, amount: 4万, subject: C1}\n",
    )
    found = _results(f, date(2025, 6, 30))
    assert found[("compute", "C1")][0] is Status.INELIGIBLE
    assert "限申领 1 次" in found[("compute", "C1")][3]
    # two model claims a year: M1 and M2 take 2024's places, M3 is refused; M4 is 2025's first
    assert [found[("model", m)][0] for m in ("M1", "M2", "M3", "M4")] == [
        Status.ELIGIBLE,
        Status.ELIGIBLE,
        Status.INELIGIBLE,
        Status.ELIGIBLE,
    ]
    assert found[("model", "M4")][1] == Decimal("90000.00")  # 30万 × 30%


# ---- the batch equals the interpreter on generated firms with contracts ----------------------------

KINDS = st.sampled_from(["compute", "model_api", "corpus", "other"])
DAYS = st.dates(date(2023, 1, 1), date(2026, 6, 30))
AMOUNTS = st.integers(min_value=0, max_value=20_000_000_00).map(lambda fen: Decimal(fen) / 100)


@st.composite
def contract(draw: st.DrawFn, index: int) -> dict[str, object]:
    signed = draw(DAYS)
    start = draw(st.none() | st.dates(signed, date(2026, 12, 31)))
    end = None if start is None else draw(st.none() | st.dates(start, date(2028, 12, 31)))
    return {
        "id": f"C{index}",
        "kind": draw(KINDS),
        "signed": signed,
        "service_start": start,
        "service_end": end,
        "amount": draw(AMOUNTS),
    }


@st.composite
def firms(draw: st.DrawFn) -> list[Facts]:
    found = []
    for i in range(draw(st.integers(min_value=2, max_value=8))):
        contracts = [draw(contract(k)) for k in range(draw(st.integers(min_value=0, max_value=6)))]
        priors = [
            {
                "measure": draw(st.sampled_from(["scratch-voucher.compute", "scratch-voucher.model"])),
                "year": draw(st.integers(min_value=2023, max_value=2026)),
                "amount": draw(AMOUNTS),
                "subject": draw(st.sampled_from([c["id"] for c in contracts]) | st.none()) if contracts else None,
            }
            for _ in range(draw(st.integers(min_value=0, max_value=3)))
        ]
        enterprise = {
            "name": f"企业{i}",
            "credit_code": complete(f"911101{i:011d}"),
            "business_district": draw(st.sampled_from(["110108", "110105", "440305", "310112", "outside_shanghai"])),
            "tax_district": draw(st.sampled_from(["110108", "北京市朝阳区", "440305"])),
            "severe_credit_record": False,
            "founded": draw(st.none() | st.dates(date(2018, 1, 1), date(2025, 12, 31))),
            "industry": draw(st.none() | st.sampled_from(["software_it", "industry", "leasing_business", "retail"])),
            "employees": draw(st.none() | st.sampled_from([0, 9, 10, 99, 100, 299, 300, 1000])),
            "revenue": draw(
                st.dictionaries(
                    st.sampled_from([2023, 2024, 2025]),
                    st.sampled_from([Decimal(0), Decimal(499_999), Decimal(500_000), Decimal(10_000_000)]),
                )
            ),
            "size_class": draw(st.none() | st.none() | st.sampled_from(["small", "large"])),
        }
        found.append(Facts.model_validate({"enterprise": enterprise, "contracts": contracts, "prior_awards": priors}))
    return found


@settings(
    max_examples=15,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(firms(), st.sampled_from([date(2024, 6, 30), date(2025, 2, 28), date(2025, 12, 31)]))
def test_the_batch_equals_the_interpreter_on_contracts(population: list[Facts], as_of: date) -> None:
    only_interpreter, only_batch, totals = compare(population, LIBRARY, as_of)
    assert not only_interpreter, sorted(only_interpreter, key=str)[:5]
    assert not only_batch, sorted(only_batch, key=str)[:5]
    assert not totals, list(totals.items())[:5]


def test_the_checker_names_every_problem_of_a_sum(tmp_path: Path) -> None:
    source = "按合同金额给予支持。"
    policy = (LIBRARY_DIR / "scratch" / "policy.yaml").read_text(encoding="utf-8")
    bad = policy.replace(
        "scope: contract.kind == 'compute'",
        "scope: sum(enterprise.employees) > 1 and sum(contract.amount, where=sum(project.year) > 1) > 1"
        " and sum(contract.counterparty) > 1 and sum(contract.amount, where=contract.kind == 'rocket') > 1",
    )
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "policy.yaml").write_text(bad, encoding="utf-8")
    (folder / "source.txt").write_text(source, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_library(folder)
    messages = "\n".join(str(d) for d in caught.value.diagnostics)
    assert "sum runs over one kind of subject" in messages
    assert "'enterprise'" in messages
    assert "a sum inside a sum" in messages
    assert "contract.counterparty" in messages
    assert "a number is needed" in messages
    assert "'rocket' is not a known value" in messages
    assert all(d.line is not None for d in caught.value.diagnostics)


def test_simulate_reports_when_a_budget_pool_runs_out(tmp_path: Path) -> None:
    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from huiqi.batch import schema as flat
    from huiqi.entrypoints.cli import app

    rows = []
    for i in range(3):  # three firms, one 2024 compute contract of 200万 each (20万–40万 each at 10%–20%)
        data = _facts(
            f"  - {{id: C{i}, kind: compute, signed: 2024-03-01, service_start: 2024-03-01,"
            " service_end: 2024-12-31, amount: 200万}\n"
        ).model_dump()
        data["enterprise"] |= {"credit_code": complete(f"911101{i:011d}"), "founded": date(2010, 1, 1)}
        rows += flat.facts_rows(Facts.model_validate(data))
    facts_file = tmp_path / "firms.parquet"
    pq.write_table(flat.rows_table(rows), facts_file)
    reform = tmp_path / "bigger-pool.yaml"
    reform.write_text(
        "title: 资金池扩大到200万\nset:\n  scratch-voucher: {budgets.0.amount: 200万}\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            *("simulate", str(facts_file), "--reform", str(reform)),
            *("--as-of", "2025-06-30", "--out", str(out), "--policies", str(LIBRARY_DIR)),
        ],
    )
    assert result.exit_code == 0, result.output
    pools = (out / "pools.csv").read_text(encoding="utf-8-sig")
    # demand 60万–120万 in 2024 against 100万: runs out; pro rata pays 100/120 = 83.33%
    assert "算力券资金池" in pools
    assert "2024" in pools
    assert "0.8333" in pools, pools  # base: 100万 / 120万, rounded down
    assert "资金池名称" in pools
    assert "需求最高(元)" in pools
    assert "Budget pools" in result.output
    assert "yes" in result.output


def test_a_joint_cap_cuts_the_district_top_up_to_what_the_city_leaves() -> None:
    f = _facts(
        "  - {id: C1, kind: compute, signed: 2024-03-01, service_start: 2024-03-01, service_end: 2024-12-31,"
        " amount: 40万}\n"
        "  - {id: C2, kind: compute, signed: 2024-03-01, service_start: 2024-03-01, service_end: 2024-12-31,"
        " amount: 100万}\n",
        "prior_awards:\n  - {measure: scratch-district.top-up, year: 2024, amount: 1万, subject: C2}\n",
    )
    found = _results(f, date(2025, 6, 30))  # founded 2022-03-01: 3 years, no startup
    # 2024's compute total is 140万 > 50万: the city pays 10%–20%. C1: city [4万, 8万]; the district's 30%
    # is 12万; together at most 20万: the district keeps 12万 (20 − 8 = 12 at least, 20 − 4 = 16 at most)
    assert found[("top-up", "C1")][:3] == (Status.ELIGIBLE, Decimal("120000.00"), Decimal("120000.00"))
    # C2: city [10万, 20万]; district 30万; limit 50万 less the district's prior 1万 = 49万: at least
    # 49 − 20 = 29万, at most 49 − 10 = 39万, so the district's 30万 becomes [29万, 30万]
    assert found[("top-up", "C2")][:3] == (Status.ELIGIBLE, Decimal("290000.00"), Decimal("300000.00"))
    startup = _results(f, date(2025, 2, 28))  # a startup: the city pays 60%, C1 24万, C2 60万
    # C1: 20 − 24 < 0, nothing left for the district; C2: 49 − 60 < 0 too
    assert startup[("top-up", "C1")][0] is Status.INELIGIBLE
    assert "合计已达上限" in startup[("top-up", "C1")][3]
    assert startup[("top-up", "C2")][0] is Status.INELIGIBLE


def test_a_joint_cap_naming_an_unknown_measure_or_another_kind_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "library"
    for name in ("scratch", "scratch-district"):
        (folder / name).mkdir(parents=True)
        for file in ("policy.yaml", "source.txt"):
            text = (LIBRARY_DIR / name / file).read_text(encoding="utf-8")
            (folder / name / file).write_text(text, encoding="utf-8")
    policy = folder / "scratch-district" / "policy.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace(
            "with: [scratch-voucher.compute]", "with: [scratch-voucher.computer, scratch-voucher.model]"
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        load_library(folder)
    messages = "\n".join(str(d) for d in caught.value.diagnostics)
    assert "unknown measure 'scratch-voucher.computer'" in messages
    assert "scratch-voucher.model" not in messages  # a contract measure too: allowed


@pytest.mark.parametrize("without", [(), ("entity_type",)])
def test_the_examples_in_the_batch_equal_the_calculator_even_without_an_entity_type_column(
    without: tuple[str, ...],
) -> None:
    """Every example (Shenzhen's startup rate reads entity_type) computes the same in the batch; an
    input with no entity_type column (synth writes none) is of enterprises, as a facts file is."""
    examples = sorted(Path("examples").glob("*.yaml"))
    population = [parse_facts(p.read_text(encoding="utf-8"), p.name) for p in examples]
    only_interpreter, only_batch, totals = compare(population, load_library(), date(2025, 6, 30), without=without)
    assert not only_interpreter, sorted(only_interpreter, key=str)[:3]
    assert not only_batch, sorted(only_batch, key=str)[:3]
    assert not totals, totals
