"""huiqi match evaluates a ledger's enterprises with the interpreter (huiqi.batch.interpreted) and
gives exactly what the compiled batch gives: the same candidates (status, amounts to the fen and
as DECIMAL(18,2) writes them, every year with an amount, name and district), the same prior
awards, the same push list and the same files — on the demo ledger through the command, and on
hypothesis-generated populations. Without INPUT, `--engine auto` takes the interpreter and
imports neither Ibis nor DuckDB nor Arrow.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from typer.testing import CliRunner

from huiqi.batch.interpreted import candidate_rows, prior_award_rows
from huiqi.batch.match import candidates, facts_table, prior_award_claims, push_list
from huiqi.batch.run import duckdb, prepare
from huiqi.entrypoints.cli import app
from huiqi.facts.models import Facts
from huiqi.rules.library import Library
from tests.test_batch_exact import AS_OF, GENERATED, population
from tests.test_match import demo_db, demo_facts  # noqa: F401  (demo_db: the module's fixture)

ROOT = Path(__file__).resolve().parents[1]


def _money(value: Any) -> str | None:
    """As written: Decimal('1E+7') and Decimal('10000000.00') are equal but not the same text."""
    return None if value is None else str(value)


def _normal(row: dict[str, Any]) -> tuple[Any, ...]:
    years = sorted(
        (int(k[4:]), _money(row[f"min_{k[4:]}"]), _money(v))
        for k, v in row.items()
        if k.startswith("max_") and k[4:].isdigit() and v is not None and (v or row[f"min_{k[4:]}"])
    )
    fixed = ("credit_code", "enterprise", "district", "measure", "subject_kind", "subject_id", "status")
    return (*(row[k] for k in fixed), _money(row["min"]), _money(row["max"]), tuple(years))


def _both(population: list[Facts], library: Library, as_of: date) -> tuple[Any, Any]:
    con = duckdb()
    raw = con.create_table("huiqi_input_test", facts_table(population), temp=True, overwrite=True)
    batch = prepare(con, raw, library, as_of)
    batch.run_stages()
    assert batch.counts()["firms_left_out"] == 0
    compiled = (con.to_pyarrow(candidates(batch)).to_pylist(), con.to_pyarrow(batch.prior_awards()).to_pylist())
    con.disconnect()
    return compiled, (candidate_rows(population, library, as_of), prior_award_rows(population))


def _same(population: list[Facts], library: Library, as_of: date) -> None:
    (rows, awards), (mine, my_awards) = _both(population, library, as_of)
    assert sorted(map(_normal, mine)) == sorted(map(_normal, rows))
    key = lambda a: (a["credit_code"], a["measure"], a["subject"] or "", a["year"])  # noqa: E731
    assert sorted(my_awards, key=key) == sorted(awards, key=key)
    pushes = push_list(rows, prior_award_claims(awards), [], library)
    my_pushes = push_list(mine, prior_award_claims(my_awards), [], library)
    assert [tuple(map(str, p.row().values())) for p in my_pushes] == [tuple(map(str, p.row().values())) for p in pushes]


def test_the_demo_enterprises_give_the_batchs_candidates(library: Library) -> None:
    for day in (date(2020, 6, 30), date(2025, 12, 31)):
        _same(demo_facts(), library, day)


@settings(GENERATED, max_examples=3)
@given(population(), AS_OF)
def test_generated_populations_give_the_batchs_candidates(firms: list[Facts], as_of: date) -> None:
    from tests.test_batch_exact import LIBRARY

    _same(firms, LIBRARY, as_of)


def _match(db: Path, out: Path, *extra: str) -> str:
    done = CliRunner().invoke(app, ["match", "--db", str(db), "--as-of", "2020-06-30", "--out", str(out), *extra])
    assert done.exit_code == 0, done.output
    return done.stdout


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_the_command_writes_the_same_list_either_way(demo_db: Path, tmp_path: Path, suffix: str) -> None:  # noqa: F811
    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    shown = _match(demo_db, tmp_path / f"interpreter{suffix}", "--engine", "interpreter")
    assert shown == _match(demo_db, tmp_path / f"duckdb{suffix}", "--engine", "duckdb")
    assert shown == _match(demo_db, tmp_path / f"auto{suffix}")
    if suffix == ".csv":
        text = (tmp_path / "interpreter.csv").read_bytes()
        assert text == (tmp_path / "duckdb.csv").read_bytes() == (tmp_path / "auto.csv").read_bytes()
        assert b",700000.00," in text  # the fen written as DECIMAL(18,2) writes it
    elif suffix == ".parquet":
        mine, theirs = pq.read_table(tmp_path / "interpreter.parquet"), pq.read_table(tmp_path / "duckdb.parquet")
        assert mine.equals(theirs)
        assert mine.schema == theirs.schema
    else:

        def cells(name: str) -> list[list[tuple[Any, str]]]:
            return [[(c.value, c.number_format) for c in row] for row in load_workbook(tmp_path / name).active]

        mine = cells("interpreter.xlsx")
        assert mine == cells("duckdb.xlsx")
        assert any(isinstance(v, int | float) and Decimal(str(v)) == Decimal("700000") for row in mine for v, _ in row)


def test_a_facts_table_cannot_ask_for_the_interpreter(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    table = tmp_path / "facts.csv"
    table.write_text("record,credit_code\n", "utf-8")
    done = CliRunner().invoke(
        app, ["match", str(table), "--db", str(demo_db), "--engine", "interpreter", "--out", str(tmp_path / "p.csv")]
    )
    assert done.exit_code == 2
    assert "--engine" in done.stderr
    assert not (tmp_path / "p.csv").exists()


def test_the_ledger_path_imports_no_batch_engine(demo_db: Path, tmp_path: Path) -> None:  # noqa: F811
    """What makes `huiqi match --db` fast: neither Ibis nor DuckDB nor Arrow nor Alembic is imported."""
    script = (
        "import sys\n"
        "from huiqi.entrypoints.cli import main\n"
        f"sys.argv = ['huiqi', 'match', '--db', {str(demo_db)!r}, '--as-of', '2020-06-30', "
        f"'--out', {str(tmp_path / 'push.xlsx')!r}]\n"
        "try:\n    main()\nexcept SystemExit as done:\n    assert not done.code, done.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'ibis', 'duckdb', 'pyarrow', 'pandas', 'alembic'})\n"
        "print('heavy:', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "heavy: []" in done.stdout, done.stdout[-500:]
