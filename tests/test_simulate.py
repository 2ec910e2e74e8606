"""huiqi simulate: reforms (loading and diagnostics), baseline vs reform on DuckDB checked against the
interpreter, and the command as a user runs it (tables, CSV, Parquet, PNG; exit 2 with nothing written).

One small population (a synthetic one and the two bundled examples, as of 2025-06-30, when the
Lingang measures are in force): the batch's fixed cost of compiling and materialising its steps
dominates, so each simulation takes tens of seconds whatever the size.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import Result
from typer.testing import CliRunner

from huiqi.batch import schema as flat
from huiqi.batch.compare import Comparison, compare
from huiqi.batch.load import read_input
from huiqi.batch.run import duckdb
from huiqi.batch.sheets import COMPARISON_HEADINGS
from huiqi.batch.simulate import simulate
from huiqi.batch.synth import population
from huiqi.diagnostics import InputError
from huiqi.engine.interpret import evaluate
from huiqi.entrypoints.cli import app
from huiqi.facts.models import Facts
from huiqi.money import ZERO
from huiqi.policy_files import load_facts
from huiqi.rules.library import Library
from huiqi.rules.reform import Reform, parse_reform

ROOT = Path(__file__).resolve().parents[1]
HUIQI = shutil.which("huiqi") or str(Path(sys.executable).parent / "huiqi")
AS_OF = date(2025, 6, 30)
DEMO = "lingang-2024.demo"

RAISE_DEMO_RATE = """\
title: 示范应用比例上限提高到40%
set:
  lingang-2024.demo:
    benefits.retrofit.rate: [10%, 40%]
"""
REMOVE_DEMO = """\
title: remove the demonstration measure
remove: [lingang-2024.demo]
"""


def run(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    """The installed command in a subprocess, as a user runs it."""
    done = subprocess.run([HUIQI, *args], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert done.returncode == code, done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    return done


def invoke(*args: str, code: int = 2) -> Result:
    """The command in this process (the error paths: no interpreter start-up of several seconds each)."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture(scope="module")
def facts_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 synthetic enterprises and the two bundled examples as one flattened facts table."""
    examples = [load_facts(path) for path in sorted((ROOT / "examples").glob("*.yaml"))]
    rows = [row for facts in examples for row in flat.facts_rows(facts)]
    table = pa.concat_tables([population(120, seed=7), flat.rows_table(rows)], promote_options="permissive")
    path = tmp_path_factory.mktemp("simulate") / "population.parquet"
    pq.write_table(table, path)
    return path


@pytest.fixture(scope="module")
def firms(facts_file: Path) -> list[Facts]:
    return flat.facts_of_rows(pq.read_table(facts_file).to_pylist())


def interpreter_view(firms: list[Facts], library: Library) -> tuple[dict[str, tuple[Decimal, Decimal]], dict]:
    """Per measure the eligible sums, and per enterprise its joint total, from the interpreter."""
    by_measure: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    totals = {}
    for facts in firms:
        assessment = evaluate(facts, library, AS_OF, explain=False)
        for result in assessment.results:
            if result.status.value == "eligible" and result.amount is not None:
                by_measure[result.measure][0] += result.amount.lo
                by_measure[result.measure][1] += result.amount.hi
        totals[facts.enterprise.credit_code] = (assessment.total.lo, assessment.total.hi)
    return {k: (v[0], v[1]) for k, v in by_measure.items()}, totals


# ---- reforms -----------------------------------------------------------------------------------


def test_the_bundled_reform_loads(library: Library) -> None:
    path = ROOT / "examples" / "reforms" / "lingang-rd-40.yaml"
    reform = parse_reform(path.read_text(encoding="utf-8"), str(path), library)
    rd = reform.library.measure("lingang-2024.rd").measure
    assert rd.benefits["investment"].rate.default.max == Decimal("0.4")  # type: ignore[union-attr]
    assert reform.removed == ("lingang-2024.future-industry",)
    assert reform.added == ("lingang-2024.rd-cost",)
    group = reform.library.policy("lingang-2024").non_duplication[0]
    assert group.measures == ("lingang-2024.rd", "lingang-2024.fixed-investment")  # the removed one left it
    assert library.measure("lingang-2024.rd").measure.benefits["investment"].rate.default.max == Decimal("0.3")  # type: ignore[union-attr]
    # The added measure's quote is checked against the reform's draft text, as quotes are against the source.
    added = reform.library.measure("lingang-2024.rd-cost")
    lingang = next(doc for doc in reform.library.docs if doc.policy.id == "lingang-2024")
    assert added.measure.quote in (lingang.source_text or "")


def test_a_bad_reform_reports_every_problem_with_its_line(library: Library) -> None:
    text = """\
title: broken
set:
  lingang-2024.rd:
    benefits.investment.rate: [40%, 10%]
    benefits.invest.rate: 10%
  lingang-2024.nope:
    caps.0.max: 1万
  lingang-2024:
    conditions.0.when: enterprise.district == 'lingang'
remove: [lingang-2024.gone]
add:
  lingang-2024:
    - id: lingang-2024.new
      title: 新
      title_en: new
      category: rd
      applies_to: project
      quote: '这段文字不在原文里'
      benefits:
        rd: {kind: ratio, base: project.costs.rd, rate: 10%}
  nowhere: []
interpret: {"lingang-2024.demo:bonus-stacking": summ}
"""
    with pytest.raises(InputError) as caught:
        parse_reform(text, "reform.yaml", library)
    found = {(d.line, d.rule): d.message for d in caught.value.diagnostics}
    assert all(d.file == "reform.yaml" for d in caught.value.diagnostics)
    assert "upside down" in found[(4, "lingang-2024.rd")]
    assert "no 'invest' under benefits (there: investment)" in found[(5, "lingang-2024.rd")]
    assert "no such policy or measure" in found[(6, "lingang-2024.nope")]
    assert "unknown fact 'enterprise.district'" in found[(9, "lingang-2024")]
    assert "no measure 'lingang-2024.gone'" in found[(10, "lingang-2024.gone")]
    assert "not verbatim" in found[(18, "lingang-2024.new")]
    assert "project.costs.<kind>" in found[(20, "lingang-2024.new")]
    assert "no policy 'nowhere'" in found[(21, "nowhere")]
    assert "no alternative 'summ'" in found[(22, "lingang-2024.demo")]
    assert len(caught.value.diagnostics) == 9


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("title: x\nset: {lingang-2024.rd: {benefits.investment.rate: 40}}\n", 2, "a bare number 40"),
        ("title: x\nsett: {}\n", 2, "unknown key"),
        ("title: x\nset:\n  a: [1\n", 4, "not valid YAML"),
        ("title: x\n", 1, "changes nothing"),
        ("- a list\n", 1, "a reform is a mapping"),
        # a change that breaks an interpretation alternative of the policy, reported at the change
        (
            "title: x\nset:\n  lingang-2024.demo:\n    benefits:\n"
            "      retrofit: {kind: ratio, base: project.costs.ai_retrofit_investment, rate: 10%}\n",
            3,
            "alternative no longer loads",
        ),
    ],
)
def test_reform_diagnostics(library: Library, text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_reform(text, "r.yaml", library)
    assert any(d.line == line and message in str(d) for d in caught.value.diagnostics), caught.value.diagnostics


# ---- the simulation, checked against the interpreter -----------------------------------------


@pytest.fixture(scope="module")
def raised(library: Library, facts_file: Path) -> tuple[Reform, Comparison]:
    reform = parse_reform(RAISE_DEMO_RATE, "raise.yaml", library)
    con = duckdb()
    simulation = simulate(con, read_input(con, facts_file), library, reform.library, AS_OF)
    return reform, compare(simulation, AS_OF)


def test_raising_a_rate_raises_that_measure_only(raised: tuple[Reform, Comparison]) -> None:
    _, comparison = raised
    demo = comparison.measure(DEMO)
    assert demo.base_count == demo.reform_count > 0
    assert demo.delta_min == 0  # the rate's minimum is unchanged
    assert demo.delta_max > 0
    for line in comparison.by_measure:
        if line.key != DEMO:
            assert not line.changed, line
    # The measure has no enterprise-wide cap and no non-duplication group: its rise is the total's.
    assert comparison.total.delta_max == demo.delta_max
    assert comparison.total.delta_min == 0
    assert comparison.changes["loss"] == comparison.changes["mixed"] == 0
    assert comparison.changes["gain"] == comparison.firm_deltas.num_rows > 0
    assert set(comparison.firm_deltas.column("change").to_pylist()) == {"gain"}


def test_the_simulation_equals_the_interpreter(
    library: Library, firms: list[Facts], raised: tuple[Reform, Comparison]
) -> None:
    reform, comparison = raised
    base_measures, base_totals = interpreter_view(firms, library)
    reform_measures, reform_totals = interpreter_view(firms, reform.library)
    for line in comparison.by_measure:
        assert (line.base_min, line.base_max) == base_measures.get(line.key, (ZERO, ZERO)), line.key
        assert (line.reform_min, line.reform_max) == reform_measures.get(line.key, (ZERO, ZERO)), line.key
    assert comparison.firms == len(firms)
    assert (comparison.total.base_min, comparison.total.base_max) == (
        sum((t[0] for t in base_totals.values()), ZERO),
        sum((t[1] for t in base_totals.values()), ZERO),
    )
    assert comparison.total.reform_max == sum((t[1] for t in reform_totals.values()), ZERO)
    changed = {row["credit_code"]: row for row in comparison.firm_deltas.to_pylist()}
    assert set(changed) == {code for code in base_totals if base_totals[code] != reform_totals[code]}
    for code, row in changed.items():
        assert (row["base_min"], row["base_max"]) == base_totals[code]
        assert (row["reform_min"], row["reform_max"]) == reform_totals[code]
        assert row["delta_max"] == reform_totals[code][1] - base_totals[code][1]
    lingang = next(line for line in comparison.by_district if line.key == "310000-lingang")
    assert lingang.delta_max == comparison.total.delta_max  # the measure applies in Lingang only


# ---- the command ------------------------------------------------------------------------------


def test_simulate_command_removing_a_measure(
    library: Library, firms: list[Facts], facts_file: Path, tmp_path: Path
) -> None:
    reform_file = tmp_path / "remove-demo.yaml"
    reform_file.write_text(REMOVE_DEMO, encoding="utf-8")
    out = tmp_path / "out"
    done = run("simulate", str(facts_file), "--reform", str(reform_file), "--as-of", str(AS_OF), "--out", str(out))
    assert "remove lingang-2024.demo" in done.stdout
    for heading in ("Total cost", "By measure", "By district", "By year", "Enterprises"):
        assert heading in done.stdout

    # the losers are exactly the enterprises with an eligible demonstration result, each losing it
    demo_amounts: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for facts in firms:
        for result in evaluate(facts, library, AS_OF, explain=False).results:
            if result.measure == DEMO and result.status.value == "eligible" and result.amount is not None:
                demo_amounts[facts.enterprise.credit_code][0] += result.amount.lo
                demo_amounts[facts.enterprise.credit_code][1] += result.amount.hi
    assert demo_amounts
    deltas = pq.read_table(out / "firms.parquet").to_pylist()
    assert {row["credit_code"] for row in deltas} == set(demo_amounts)
    for row in deltas:
        assert row["change"] == "loss"
        assert [-row["delta_min"], -row["delta_max"]] == demo_amounts[row["credit_code"]]

    def table(name: str) -> list[dict[str, str]]:
        """A CSV for people (Chinese headers, huiqi.batch.sheets) read back by its column names."""
        keys = {heading: key for key, heading in COMPARISON_HEADINGS.items()}
        with (out / name).open(encoding="utf-8-sig") as file:
            return [{keys[h]: v for h, v in row.items()} for row in csv.DictReader(file)]

    (total,) = table("total.csv")
    assert total["scope"] == "合计"
    assert int(total["firms_loss"]) == len(demo_amounts)
    assert int(total["firms_gain"]) == int(total["firms_mixed"]) == 0
    assert int(total["firms"]) == len(firms)
    assert Decimal(total["delta_max"]) == -sum((v[1] for v in demo_amounts.values()), ZERO)
    by_measure = {row["measure"]: row for row in table("by_measure.csv")}
    assert by_measure[DEMO]["title"] == library.measure(DEMO).measure.title
    assert Decimal(by_measure[DEMO]["reform_max"]) == 0
    assert by_measure[DEMO]["reform_count"] == "0"
    assert Decimal(by_measure[DEMO]["base_max"]) == sum((v[1] for v in demo_amounts.values()), ZERO)
    for measure, row in by_measure.items():
        if measure != DEMO:
            assert (row["base_min"], row["base_max"]) == (row["reform_min"], row["reform_max"]), measure
    for name in ("by_district.csv", "by_year.csv"):
        assert (out / name).stat().st_size > 0

    png = (out / "chart.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    from matplotlib.image import imread

    assert imread(out / "chart.png").shape[0] > 400  # a real, decodable image


def test_a_bad_reform_exits_2_and_writes_nothing(facts_file: Path, tmp_path: Path) -> None:
    reform_file = tmp_path / "bad.yaml"
    reform_file.write_text(
        "title: bad\nset:\n  lingang-2024.rd:\n    benefits.investment.rate: 40\nremove: [x.y]\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    done = invoke("simulate", str(facts_file), "--reform", str(reform_file), "--out", str(out))
    assert f"{reform_file}:4: [lingang-2024.rd] benefits.investment.rate: a bare number 40" in done.stderr
    assert f"{reform_file}:5: [x.y] remove: no measure 'x.y'" in done.stderr
    assert not out.exists()
    missing = invoke("simulate", str(tmp_path / "nope.parquet"), "--reform", str(reform_file))
    assert "bad.yaml:4" in missing.stderr  # the reform is checked before the input is read


def test_bad_input_or_dates_exit_2_and_write_nothing(tmp_path: Path) -> None:
    reform_file = tmp_path / "ok.yaml"
    reform_file.write_text(REMOVE_DEMO, encoding="utf-8")
    out = tmp_path / "out"
    missing = invoke("simulate", str(tmp_path / "nope.parquet"), "--reform", str(reform_file), "--out", str(out))
    assert "no such file" in missing.stderr
    bad_column = tmp_path / "bad.csv"
    bad_column.write_text("record,credit_code,colour\nenterprise,91310000000000001X,red\n", encoding="utf-8")
    column = invoke("simulate", str(bad_column), "--reform", str(reform_file), "--out", str(out))
    assert "colour" in column.stderr
    day = invoke("simulate", str(bad_column), "--reform", str(reform_file), "--as-of", "2025-13-01")
    assert "--as-of" in day.stderr
    assert not out.exists()


def test_a_reform_the_batch_cannot_compile_is_reported_at_its_line(tmp_path: Path) -> None:
    """A rate with more than 6 decimal places has no compile rule (its numerator times an amount in
    fen could overflow): exit 2 at the reform's line, nothing written."""
    examples = [load_facts(path) for path in sorted((ROOT / "examples").glob("*.yaml"))]
    table = tmp_path / "examples.parquet"
    pq.write_table(flat.rows_table([row for facts in examples for row in flat.facts_rows(facts)]), table)
    reform_file = tmp_path / "cap.yaml"
    reform_file.write_text(
        "title: an over-precise rate\nset:\n  lingang-2024.testing:\n    benefits.fees.rate: 12.3456789%\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    done = invoke("simulate", str(table), "--reform", str(reform_file), "--as-of", str(AS_OF), "--out", str(out))
    assert f"{reform_file}:3: [lingang-2024.testing]" in done.stderr
    assert "cannot compile" in done.stderr
    assert not out.exists()
