"""The batch's input checks: bad rows reported with row number and reason, their enterprise left out.

Real DuckDB over real files (CSV and Parquet); the CLI is run in-process through Typer's runner.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from huiqi.batch.load import read_input
from huiqi.batch.run import prepare
from huiqi.batch.synth import population
from huiqi.diagnostics import InputError
from huiqi.entrypoints.cli import app
from huiqi.policy_files import load_library

LIBRARY = load_library()
AS_OF = date(2025, 6, 30)


def _rows(firms: int = 6) -> list[dict[str, str]]:
    table = population(firms, seed=7)
    return [{k: "" if v is None else str(v) for k, v in row.items()} for row in table.to_pylist()]


def _write_csv(rows: list[dict[str, str]], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _rejected(path: Path) -> tuple[list[dict[str, object]], dict[str, int]]:
    con = ibis.duckdb.connect()
    batch = prepare(con, read_input(con, path), LIBRARY, AS_OF)
    return con.to_pyarrow(batch.rejected()).to_pylist(), batch.counts()


def _first_row_of(rows: list[dict[str, str]], record: str) -> int:
    return next(i for i, r in enumerate(rows) if r["record"] == record)


def test_bad_rows_are_reported_with_row_number_and_reason_and_their_enterprise_left_out(tmp_path: Path) -> None:
    rows = _rows()
    p = _first_row_of(rows, "project")
    rows[p]["project_year"] = "twenty"  # unreadable number
    bad_code = rows[p]["credit_code"]
    e = next(i for i, r in enumerate(rows) if r["record"] == "enterprise" and r["credit_code"] != bad_code)
    rows[e]["business_district"] = "atlantis"  # unknown code
    other_code = rows[e]["credit_code"]
    rejected, counts = _rejected(_write_csv(rows, tmp_path / "facts.csv"))
    reasons = {(r["row"], r["credit_code"]): r["reason"] for r in rejected}
    assert reasons == {
        (p + 1, bad_code): "project_year: not a whole number; write a year as 2024, 2024年 or 2024.0",
        (e + 1, other_code): reasons[(e + 1, other_code)],
    }
    assert str(reasons[(e + 1, other_code)]).startswith("business_district: not a region")
    # the cell at fault, as given
    values = {r["row"]: (r["column"], r["value"]) for r in rejected}
    assert values == {p + 1: ("project_year", "twenty"), e + 1: ("business_district", "atlantis")}
    left_out = sum(1 for r in rows if r["credit_code"] in (bad_code, other_code))
    assert counts["bad_rows"] == 2
    assert counts["left_out_rows"] == left_out
    assert counts["firms_left_out"] == 2
    assert counts["firms"] == 6


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("credit_code", "91310000MA1FL0000X", "credit_code: not a valid unified social credit code (GB 32100-2015)"),
        ("record", "factory", "record: must be one of"),
        ("new_investment_2024", "-5", "new_investment_2024: an amount must not be negative"),
        ("new_investment_2024", "12abc", "new_investment_2024: not an amount; write e.g. 1234.56, 2,000万"),
        ("revenue_2024", "100", "revenue_2024: only a enterprise row has this column"),
        ("name", "", "name: required for this record"),
        ("recognitions", "key_chain_supplier;nonsense", "recognitions: codes separated by ;"),
    ],
)
def test_each_kind_of_bad_cell_names_its_column(tmp_path: Path, column: str, value: str, reason: str) -> None:
    rows = _rows(3)
    p = _first_row_of(rows, "project")
    rows[p][column] = value
    rejected, _ = _rejected(_write_csv(rows, tmp_path / "facts.csv"))
    assert [r["row"] for r in rejected] == [p + 1]
    assert str(rejected[0]["reason"]).startswith(reason), rejected[0]["reason"]


def test_cross_row_problems(tmp_path: Path) -> None:
    rows = _rows(3)
    e = _first_row_of(rows, "enterprise")
    rows.insert(e + 1, dict(rows[e]))  # a second enterprise row for the same credit code
    p = _first_row_of(rows, "project")
    twin = dict(rows[p])
    rows.insert(p + 1, twin)  # the same project id twice
    rejected, _counts = _rejected(_write_csv(rows, tmp_path / "facts.csv"))
    reasons = {r["row"]: r["reason"] for r in rejected}
    assert reasons[e + 2] == "a second enterprise row for this credit_code"
    assert reasons[p + 2].startswith("id: used twice")
    assert e + 1 not in reasons
    assert p + 1 not in reasons


def test_with_no_enterprise_at_fault_the_checked_rows_are_the_checks_own(tmp_path: Path) -> None:
    """The checks across rows are first counted (huiqi.batch.load.firms_at_fault); with no
    enterprise at fault, `all_clear` stands in for `check` and gives the same rows. Each kind of
    fault across rows is counted, flagged rows apart."""
    from huiqi.batch.engines import DuckDB
    from huiqi.batch.load import all_clear, check, firms_at_fault, row_flags

    def faults_and_rows(path: Path) -> tuple[dict[str, int], list[dict[str, object]], list[dict[str, object]]]:
        engine = DuckDB()
        raw = read_input(engine.con, path)
        rows = engine.materialise("flags", row_flags(raw))
        faults = engine.con.execute(firms_at_fault(rows)).iloc[0].to_dict()
        full = engine.con.to_pyarrow(check(raw, rows).order_by("_row")).to_pylist()
        clear = engine.con.to_pyarrow(all_clear(rows).order_by("_row")).to_pylist()
        return {k: int(v) for k, v in faults.items()}, full, clear

    rows = _rows(12)
    faults, full, clear = faults_and_rows(_write_csv(rows, tmp_path / "clean.csv"))
    assert faults == {"bad": 0, "flagged": 0}
    assert clear == full

    enterprises = [i for i, r in enumerate(rows) if r["record"] == "enterprise"]
    code = rows[enterprises[0]]["credit_code"]
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    for row in rows:  # a wrong check character: every row of that enterprise
        if row["credit_code"] == code:
            row["credit_code"] = wrong
    rows.append(dict(rows[enterprises[1]]))  # a second enterprise row
    rows[enterprises[4]]["project_year"] = "twenty"  # a flagged row (a project column on an enterprise row)
    faults, full, clear = faults_and_rows(_write_csv(rows, tmp_path / "faults.csv"))
    left_out = {r["credit_code"] for r in full if r["_left_out"]}
    assert faults["bad"] == len(left_out) == 3
    assert faults["flagged"] == 1
    assert clear != full


def test_a_row_without_its_enterprise(tmp_path: Path) -> None:
    rows = _rows(3)
    e = _first_row_of(rows, "enterprise")
    code = rows[e]["credit_code"]
    del rows[e]
    rejected, _ = _rejected(_write_csv(rows, tmp_path / "facts.csv"))
    orphans = [r for r in rejected if r["credit_code"] == code]
    assert orphans
    assert {r["reason"] for r in orphans} == {"no enterprise row for this credit_code"}


def test_bad_files_name_the_file_and_column(tmp_path: Path) -> None:
    rows = _rows(2)
    for r in rows:
        r["revenue_2O24"] = ""  # a typo: letter O
    path = _write_csv(rows, tmp_path / "typo.csv")
    con = ibis.duckdb.connect()
    with pytest.raises(InputError) as caught:
        read_input(con, path)
    assert any(d.field == "revenue_2O24" and str(path) in str(d) for d in caught.value.diagnostics)

    table = population(2, seed=1)
    floats = table.set_column(table.column_names.index("area_m2"), "area_m2", table["area_m2"].cast(pa.float64()))
    pq.write_table(floats, tmp_path / "floats.parquet")
    with pytest.raises(InputError) as caught:
        read_input(con, tmp_path / "floats.parquet")
    assert any(d.field == "area_m2" and "binary float" in str(d) for d in caught.value.diagnostics)


def test_cli_reports_bad_input_with_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out.parquet"
    result = runner.invoke(app, ["batch", str(tmp_path / "missing.parquet"), "--out", str(out)])
    assert result.exit_code == 2
    assert "no such file" in result.output
    assert not out.exists()
    result = runner.invoke(app, ["batch", str(tmp_path / "x.parquet"), "--out", str(out), "--as-of", "2025-13-01"])
    assert result.exit_code == 2
    assert "--as-of" in result.output
    assert not out.exists()


def test_cli_writes_results_totals_and_rejected_rows(tmp_path: Path) -> None:
    rows = _rows(4)
    p = _first_row_of(rows, "project")
    rows[p]["project_year"] = "twenty"
    source = _write_csv(rows, tmp_path / "facts.csv")
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(app, ["batch", str(source), "--out", str(out), "--as-of", "2025-06-30", "--all-rows"])
    assert result.exit_code == 3, result.output  # finished, with rejected rows: not a clean run
    assert "REJECTED 1 bad row: 1 enterprise" in result.output
    results = pq.read_table(out)
    codes = set(results["credit_code"].to_pylist())
    assert rows[p]["credit_code"] not in codes  # its enterprise is left out
    assert len(codes) == 3
    assert (tmp_path / "out.firms.parquet").exists()
    rejected = list(csv.DictReader((tmp_path / "out.rejected.csv").open(encoding="utf-8-sig")))
    bad = next(r for r in rejected if r["row"] == str(p + 1))
    assert (bad["column"], bad["value"]) == ("project_year", "twenty")
    assert bad["reason"].startswith("project_year: not a whole number")
    assert bad["reason_zh"].startswith("project_year: 不是整数")
    # the other rows of its enterprise: listed too, naming the bad row
    others = [r for r in rejected if r["credit_code"] == rows[p]["credit_code"] and r["row"] != str(p + 1)]
    assert len(others) == sum(1 for r in rows if r["credit_code"] == rows[p]["credit_code"]) - 1
    assert all(r["reason"] == f"left out with its enterprise: row {p + 1} is bad" for r in others)


def test_typed_columns_out_of_range_are_caught_row_by_row(tmp_path: Path) -> None:
    """On DuckDB the typed number columns' least and greatest values decide which are range-checked
    per row (huiqi.batch.load.in_range); a column with one value out of range is, and names its row."""
    from decimal import Decimal

    from huiqi.batch import schema as flat
    from huiqi.batch.engines import DuckDB
    from huiqi.batch.load import in_range, range_query

    rows = population(60, seed=3).to_pylist()
    projects = [i for i, r in enumerate(rows) if r["record"] == "project"]
    platform = next(i for i, r in enumerate(rows) if r["record"] == "platform")
    rows[projects[0]]["new_investment_2024"] = Decimal("-0.01")
    rows[projects[1]]["rd_cost_2023"] = Decimal("1000000000000.01")  # above the batch limit
    rows[projects[2]]["project_year"] = 1850
    rows[platform]["platform_year"] = 2101
    path = tmp_path / "typed.parquet"
    pq.write_table(flat.rows_table(rows), path)

    engine = DuckDB()
    raw = read_input(engine.con, path)
    assert raw.new_investment_2024.type().is_decimal()
    found = engine.fetch(engine.compile(range_query(raw))).to_pylist()[0]
    fine = in_range(raw, found)
    assert {"new_investment_2024", "rd_cost_2023", "project_year", "platform_year"}.isdisjoint(fine)
    assert {"new_investment_2025", "award_amount", "award_year", "area_m2"} <= fine

    rejected, _ = _rejected(path)
    assert {r["row"]: r["reason"] for r in rejected} == {
        projects[0] + 1: "new_investment_2024: an amount must not be negative",
        projects[1] + 1: "rd_cost_2023: above the batch limit of 1,000,000,000,000 yuan",
        projects[2] + 1: "project_year: a year from 1990 to 2100",
        platform + 1: "platform_year: a year from 1990 to 2100",
    }


def test_columns_of_codes_with_a_wrong_code_are_caught_row_by_row(tmp_path: Path) -> None:
    """On DuckDB each column of codes is judged on its distinct values first
    (huiqi.batch.load.in_vocabulary); a column with one wrong value is checked per row, and the
    rows with it are named. Labels and white space around a code are not wrong."""
    from huiqi.batch.engines import DuckDB
    from huiqi.batch.load import in_vocabulary, vocabulary_query

    rows = _rows(30)
    projects = [i for i, r in enumerate(rows) if r["record"] == "project"]
    lease = _first_row_of(rows, "lease")
    rows[projects[0]]["field"] = "quantum"
    rows[projects[1]]["recognitions"] = "chokepoint;nonsense"
    rows[projects[2]]["project_kind"] = " fixed_investment\x0b"  # trimmed: a code
    rows[lease]["record"] = "leese"
    rows[projects[3]]["field"] = "AI芯片"  # a label: read as its code
    path = _write_csv(rows, tmp_path / "codes.csv")

    engine = DuckDB()
    raw = read_input(engine.con, path)
    fine = in_vocabulary(engine.fetch(engine.compile(vocabulary_query(raw))).to_pylist())
    assert {"field", "recognitions", "record"}.isdisjoint(fine)
    assert {"project_kind", "business_district", "track", "level"} <= fine

    rejected, _ = _rejected(path)
    reasons = {r["row"]: r["reason"].split(":")[0] for r in rejected}
    assert reasons == {projects[0] + 1: "field", projects[1] + 1: "recognitions", lease + 1: "record"}


def test_columns_of_codes_that_read_as_themselves_are_taken_as_given(tmp_path: Path) -> None:
    """A column of codes none of whose values the reading changes (no white space to trim, no
    label, no empty text) is taken as it is by the check and the normalised tables
    (huiqi.batch.load.as_given); one changed value anywhere and the column is read as before. The
    tables are the same either way."""
    from huiqi.batch.engines import DuckDB
    from huiqi.batch.load import as_given, normalised_tables, vocabulary_query
    from huiqi.batch.run import _checked

    rows = population(60, seed=11).to_pylist()
    projects = [i for i, r in enumerate(rows) if r["record"] == "project"]
    rows[projects[0]]["project_kind"] = " fixed_investment\x0b"  # trimmed to a code
    rows[projects[1]]["field"] = "AI芯片"  # a label, read as its code
    rows[projects[2]]["track"] = ""  # empty text: unknown
    path = tmp_path / "codes.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)

    engine = DuckDB()
    raw = read_input(engine.con, path)
    given = as_given(engine.fetch(engine.compile(vocabulary_query(raw))).to_pylist())
    assert {"project_kind", "field", "track", "record"}.isdisjoint(given)
    assert {"business_district", "tax_district", "level", "platform_kind"} <= given
    check = _checked(engine, raw, None)
    assert check.verbatim == given
    assert engine.con.execute(check.table._left_out.cast("int64").sum()) == 0

    def tables(verbatim: frozenset[str]) -> dict[str, list[dict[str, object]]]:
        made = normalised_tables(raw, check.table, verbatim=verbatim)
        return {record: engine.con.to_pyarrow(t.order_by("_row")).to_pylist() for record, t in made.items()}

    assert tables(given) == tables(frozenset())
    # were a changed column taken as given, its label would stay a label
    wrong = tables(given | {"field"})["project"]
    assert any(row["field"] == "AI芯片" for row in wrong)


def test_a_column_of_codes_not_of_text_is_read_as_text(tmp_path: Path) -> None:
    """pandas and pyarrow write a column with no value at all as Arrow's null type, which DuckDB
    reads as INTEGER: such a column of codes is all unknown, as an empty CSV column is, and the
    results are those of the same file with the column's cells empty text (it stopped with a
    traceback, then compared INTEGER with codes). A column of codes holding numbers has its rows
    named as bad. The folder of --out is made when it is missing, as simulate makes its own."""
    rows = population(40, seed=5)
    track = rows.column_names.index("track")
    as_null = tmp_path / "null-track.parquet"
    pq.write_table(rows.set_column(track, "track", pa.nulls(rows.num_rows)), as_null)
    as_text = tmp_path / "text-track.parquet"
    pq.write_table(rows.set_column(track, "track", pa.array([None] * rows.num_rows, pa.string())), as_text)
    assert pq.read_schema(as_null).field("track").type == pa.null()

    def run(source: Path, out: Path) -> list[dict[str, object]]:
        result = CliRunner().invoke(app, ["batch", str(source), "--out", str(out), "--as-of", "2025-06-30"])
        assert result.exit_code == 0, result.output
        return sorted(pq.read_table(out).to_pylist(), key=str)

    got = run(as_null, tmp_path / "missing" / "folder" / "null.parquet")
    made = tmp_path / "made" / "by" / "synth.parquet"
    assert CliRunner().invoke(app, ["synth", "3", "--out", str(made)]).exit_code == 0
    assert pq.read_metadata(made).num_rows > 3
    assert got
    assert got == run(as_text, tmp_path / "text.parquet")

    projects = [i for i, r in enumerate(rows.to_pylist()) if r["record"] == "project"]
    numbers = pa.array([7 if i == projects[0] else None for i in range(rows.num_rows)], pa.int64())
    as_numbers = tmp_path / "number-track.parquet"
    pq.write_table(rows.set_column(track, "track", numbers), as_numbers)
    rejected, counts = _rejected(as_numbers)
    assert [(r["row"], r["reason"].split(":")[0]) for r in rejected] == [(projects[0] + 1, "track")]
    assert counts["firms_left_out"] == 1


@pytest.mark.parametrize("command", ["batch", "match", "synth"])
def test_an_out_whose_folder_cannot_be_made_is_refused_before_any_work(tmp_path: Path, command: str) -> None:
    source = _write_csv(_rows(2), tmp_path / "facts.csv")
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    out = tmp_path / "a-file" / "sub" / ("push.xlsx" if command == "match" else "out.parquet")
    first = ["10"] if command == "synth" else [str(source), "--as-of", "2025-06-30"]
    result = CliRunner().invoke(app, [command, *first, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "--out" in result.output
    assert "is a file, not a folder" in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "facts.csv"]


def test_text_is_trimmed_of_the_white_space_python_strips() -> None:
    """The check trims a value only when it has white space at an end (huiqi.batch.load._text):
    the result is Python's strip() of string.whitespace either way, an empty value unknown."""
    import string

    from huiqi.batch.load import _text

    values = ["a", " a", "a ", "\ta\n", "\x0ba\x0c", "\ra\r", "v a f", "fixed", " ", "\x0b", "", None, "a\u3000"]
    con = ibis.duckdb.connect()
    t = ibis.memtable({"name": values})
    got = con.to_pyarrow(t.select(v=_text(t["name"]))).column("v").to_pylist()
    assert got == [None if v is None else (v.strip(string.whitespace) or None) for v in values]


def test_the_layout_from_least_and_greatest_values_is_what_its_queries_find(tmp_path: Path) -> None:
    """With typed year and date columns and no row left out, the layout's years and lease slots
    come from the check's one-row statistics (huiqi.batch.run._layout_by_ranges), not from seven
    queries; they are what the queries find. A row left out, or a column of text, and the queries
    run as before."""
    from huiqi.batch import schema as flat
    from huiqi.batch.engines import DuckDB
    from huiqi.batch.load import LAYOUT_COLUMNS, layout_from, layout_queries, normalised_tables
    from huiqi.batch.run import _checked, _layout_by_ranges
    from huiqi.engine.compile import TABLES

    rows = population(120, seed=5).to_pylist()
    typed = tmp_path / "typed.parquet"
    pq.write_table(flat.rows_table(rows), typed)

    def layouts(path: Path) -> tuple[object, object]:
        engine = DuckDB()
        raw = read_input(engine.con, path)
        check = _checked(engine, raw, None)
        checked = check.table
        by_ranges = _layout_by_ranges(engine, raw, checked, check.ranges, None)
        tables = normalised_tables(raw, checked, keep=dict.fromkeys(TABLES, LAYOUT_COLUMNS))
        queried = {k: engine.con.execute(q).iloc[0].to_dict() for k, q in layout_queries(raw.columns, tables).items()}
        if by_ranges is None:
            return None, layout_from(raw.columns, queried, AS_OF, 4)
        assert {k: {f: int(v) for f, v in row.items() if v is not None} for k, row in by_ranges.items()} == {
            k: {f: int(v) for f, v in row.items() if v is not None and v == v} for k, row in queried.items()
        }
        return layout_from(raw.columns, by_ranges, AS_OF, 4), layout_from(raw.columns, queried, AS_OF, 4)

    from_ranges, from_queries = layouts(typed)
    assert from_ranges is not None
    assert from_ranges == from_queries

    rows[_first_row_of(rows, "project")]["project_year"] = 1850  # a bad row: its enterprise left out
    pq.write_table(flat.rows_table(rows), typed)
    assert layouts(typed)[0] is None
    assert layouts(_write_csv(_rows(20), tmp_path / "text.csv"))[0] is None


def test_a_csv_of_column_names_alone_is_an_empty_batch(tmp_path: Path) -> None:
    """No data rows: nothing to evaluate, and nothing wrong (it was a reader's error, then a traceback)."""
    source = tmp_path / "names.csv"
    source.write_text("record,credit_code,name,project_year\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(app, ["batch", str(source), "--out", str(out), "--as-of", "2025-06-30"])
    assert result.exit_code == 0, result.output
    assert "0 rows, 0 enterprises" in result.output
    assert pq.read_table(out).num_rows == 0
    assert pq.read_table(tmp_path / "out.firms.parquet").num_rows == 0


def test_a_parquet_input_reads_with_the_schema_ibis_gives_it(tmp_path: Path) -> None:
    """read_input builds the Parquet input's table from DESCRIBE as Python rows (load.duckdb_table):
    the same columns and types as Ibis's own reader, so the check's SQL and the plan cache's keys
    are what they were."""
    path = tmp_path / "facts.parquet"
    table = population(5, seed=3)
    pq.write_table(table, path)
    con = ibis.duckdb.connect()
    ours = read_input(con, path)
    theirs = con.read_parquet(path, file_row_number=True)
    theirs = theirs.mutate(_row=(theirs.file_row_number + 1)).drop("file_row_number")
    assert ours.schema() == theirs.cast({"_row": "int64"}).schema()
    assert ours.count().execute() == table.num_rows


def test_a_batch_on_duckdb_from_parquet_to_parquet_imports_no_pyarrow(tmp_path: Path) -> None:
    """DuckDB reads and writes the files, and the few small results (counts, the rejected rows,
    the totals by measure) come back as Python rows: importing pyarrow (and numpy) would be
    0.2 s of every run. A new process, since this one has imported it already."""
    import os
    import subprocess
    import sys

    rows = _rows(4)
    rows[1]["credit_code"] = ""  # a rejected row: its CSV is written too
    source = tmp_path / "facts.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source)
    out = tmp_path / "out.parquet"
    script = (
        "import sys\n"
        "from huiqi.entrypoints.cli import app\n"
        f"sys.argv = ['huiqi', 'batch', {str(source)!r}, '--out', {str(out)!r}, '--as-of', '2025-06-30']\n"
        "try:\n    app()\nexcept SystemExit as exit:\n    assert exit.code == 3, exit.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyarrow', 'pandas', 'numpy')))\n"
    )
    env = {**os.environ, "HUIQI_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert pq.read_table(out).num_rows > 0
    rejected = (tmp_path / "out.rejected.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rejected[0] == "row,credit_code,record,column,value,reason_zh,reason"
    assert rejected[1] == "2,,project,credit_code,,credit_code: 必填,credit_code: required"  # unknown: an empty cell
