"""Spark (local mode) and PostgreSQL give DuckDB's results row for row, to the fen.

Status, min, max, superseded_by, every per-year column, the enterprise totals and the rejected
rows, on a synthetic population with the bundled examples; and, from a CSV with values each
backend's own cast would read differently, the same rows rejected and the same typed values.
DuckDB itself is checked against the interpreter in test_batch_exact.py /
test_batch_population.py. One Spark session for the module; PostgreSQL on the private test
server (tests/postgres.py), skipped only when it is not installed and HUIQI_REQUIRE_POSTGRES is
unset. Also `huiqi batch --engine spark` end to end and bad options.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from huiqi.batch import schema as flat
from huiqi.batch.engines import DuckDB, Location, Postgres, Spark, parse_location, plain_url
from huiqi.batch.load import normalised_tables
from huiqi.batch.plan_cache import library_digest
from huiqi.batch.run import check_input, prepare, rejected_rows
from huiqi.batch.synth import population
from huiqi.policy_files import load_facts
from huiqi.rules.library import Library
from tests import postgres
from tests.batch_exact import unseeded_firm, unseeded_library
from tests.test_cli import HUIQI, ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
Rows = list[tuple[Any, ...]]


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return value


def _rows(arrow: pa.Table) -> Rows:
    """Every row as a tuple of (column, value), sorted: equal lists mean equal tables row for row."""
    rows = [tuple(sorted((k, _cell(v)) for k, v in r.items())) for r in arrow.to_pylist()]
    return sorted(rows, key=repr)


def evaluate(engine: Any, source: Location, library: Library, as_of: date) -> dict[str, Rows]:
    raw = engine.load(source)
    batch = prepare(engine, raw, library, as_of)
    batch.run_stages()
    return {
        "results": _rows(engine.to_arrow(batch.plan.results(all_rows=True))),
        "firms": _rows(engine.to_arrow(batch.plan.firm_totals())),
        "rejected": _rows(engine.to_arrow(batch.rejected())),
    }


def readings(engine: Any, source: Location) -> dict[str, Rows]:
    """What the engine reads of the input: the rejected rows and every typed value of the rest."""
    raw = engine.load(source)
    checked = check_input(engine, raw)
    found = {"rejected": _rows(engine.to_arrow(rejected_rows(checked)))}
    for record, table in normalised_tables(raw, checked).items():
        found[record] = _rows(engine.to_arrow(table))
    return found


def assert_same(expected: dict[str, Rows], got: dict[str, Rows]) -> None:
    assert expected.keys() == got.keys()
    for part in expected:
        want, have = set(expected[part]), set(got[part])  # once: per row it was minutes of hashing
        missing = [r for r in expected[part] if r not in have]
        extra = [r for r in got[part] if r not in want]
        assert not missing, (part, missing[:3])
        assert not extra, (part, extra[:3])
        assert expected[part] == got[part], part  # the same rows, each as often


# ---- inputs ------------------------------------------------------------------------------------


def _example_rows() -> list[dict[str, object]]:
    return [row for path in EXAMPLES for row in flat.facts_rows(load_facts(path))]


@pytest.fixture(scope="module")
def population_file(tmp_path_factory: pytest.TempPathFactory) -> Location:
    """The bundled examples and 200 synthetic enterprises in one Parquet table."""
    rows = _example_rows() + population(200, seed=11).to_pylist()
    codes = [r["credit_code"] for r in rows if r["record"] == "enterprise"]
    assert len(codes) == len(set(codes))
    path = tmp_path_factory.mktemp("engines") / "population.parquet"
    pq.write_table(flat.rows_table(rows), path)
    return parse_location(str(path), "INPUT", output=False)


TRICKY = {  # (record, column) -> text that some backend's own cast would read differently
    ("project", "project_year"): ["2024.0", "0x10", "1.5", "+2024", "2024年", "２０２４", "2024.5"],
    ("enterprise", "settled_date"): [
        "2023-02-29",
        "2024/01/05",
        "2024-1-5",
        "2020-02-29",
        "2024年1月5日",
        "2024.1.5",
        "２０２４/１/５",
    ],
    ("project", "investment_2024"): [
        "1e3",
        "１２",
        "1,000",
        " 12.",
        ".5",
        "\t12.345\x0b",
        "300万元",
        "￥1,234.56元整",
        "1亿2000万",
        "0.00000000004亿0.004",
        "1千1万",
        "三百万",
        "8千万",
        "1.5千亿",
        "3千元",
    ],
    ("project", "field"): ["\x0cai_chip", "ai_chip\x0b", "fai_chip", "smart_sensor\x0c\t"],  # trimmed alike
    ("enterprise", "ai_enterprise"): ["是", "无", "ＴＲＵＥ", "maybe"],
    ("enterprise", "business_district"): ["闵行", "临港", "上海市浦东新区"],
}


@pytest.fixture(scope="module")
def tricky_csv(tmp_path_factory: pytest.TempPathFactory) -> Location:
    """A CSV (every value text) where firms carry values only a strict reading agrees on."""
    rows = _example_rows() + population(70, seed=3).to_pylist()
    text_rows = [{k: None if v is None else str(v) for k, v in r.items()} for r in rows]
    targets = iter(r for r in text_rows if r["record"] == "project")
    firms_done: set[Any] = set()
    for (record, column), values in TRICKY.items():
        for value in values:
            row = next(
                r
                for r in (text_rows if record == "enterprise" else targets)
                if r["record"] == record and r["credit_code"] not in firms_done
            )
            row[column] = value
            firms_done.add(row["credit_code"])
    names = list(dict.fromkeys(k for r in text_rows for k in r))
    table = pa.table({n: pa.array([r.get(n) for r in text_rows], pa.string()) for n in names})
    path = tmp_path_factory.mktemp("engines") / "tricky.csv"
    pacsv.write_csv(table, path)
    return parse_location(str(path), "INPUT", output=False)


# ---- engines -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark() -> Iterator[Spark]:
    engine = Spark.start("local[2]")
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def postgres_url(postgres_server: str | None) -> str:
    if postgres_server is None:
        if os.environ.get("HUIQI_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required here (HUIQI_REQUIRE_POSTGRES=1) but not installed")
        pytest.skip("PostgreSQL is not installed (CI installs it; see .ci/run)")
    return plain_url(postgres.fresh_database(postgres_server))


_expected: dict[tuple[str, date, str], dict[str, Rows]] = {}


def duckdb_rows(source: Location, library: Library, as_of: date) -> dict[str, Rows]:
    key = (source.where, as_of, library_digest(library))
    if key not in _expected:
        engine = DuckDB()
        _expected[key] = evaluate(engine, source, library, as_of)
        engine.close()
    return _expected[key]


@pytest.mark.parametrize("as_of", [date(2021, 6, 30), date(2025, 6, 30)])
def test_spark_equals_duckdb(spark: Spark, population_file: Location, library: Library, as_of: date) -> None:
    expected = duckdb_rows(population_file, library, as_of)
    assert any(r for r in expected["results"] if ("status", "eligible") in r)
    assert_same(expected, evaluate(spark, population_file, library, as_of))


@pytest.fixture(scope="module")
def unseeded_file(tmp_path_factory: pytest.TempPathFactory) -> Location:
    """The examples, the firm where each rule the seeds do not use binds, and 100 synthetic firms."""
    rows = _example_rows() + flat.facts_rows(unseeded_firm()) + population(100, seed=5).to_pylist()
    path = tmp_path_factory.mktemp("engines") / "unseeded.parquet"
    pq.write_table(flat.rows_table(rows), path)
    return parse_location(str(path), "INPUT", output=False)


@pytest.mark.parametrize("engine_name", ["spark", "postgres"])
def test_rules_the_seeds_do_not_use_run_alike_on_every_engine(
    request: pytest.FixtureRequest, engine_name: str, unseeded_file: Location, library: Library
) -> None:
    """Non-duplication per enterprise and per_year total caps (tests/batch_exact.UNSEEDED): the
    same figures on Spark and PostgreSQL as on DuckDB (which equals the interpreter)."""
    day = date(2025, 6, 30)
    reformed = unseeded_library(library)
    expected = duckdb_rows(unseeded_file, reformed, day)
    assert any(("superseded_by", "lingang-2024.fixed-investment") in r for r in expected["results"])
    if engine_name == "spark":
        assert_same(expected, evaluate(request.getfixturevalue("spark"), unseeded_file, reformed, day))
        return
    engine = Postgres(request.getfixturevalue("postgres_url"))
    try:
        assert_same(expected, evaluate(engine, unseeded_file, reformed, day))
    finally:
        engine.close()


def duckdb_readings(source: Location) -> dict[str, Rows]:
    engine = DuckDB()
    try:
        return readings(engine, source)
    finally:
        engine.close()


def test_spark_reads_text_as_duckdb_does(spark: Spark, tricky_csv: Location) -> None:
    """The same rows rejected for the same reasons, and the same typed values (money in fen) in
    every normalised table: what the plan computes from them is checked above."""
    expected = duckdb_readings(tricky_csv)
    reasons = {dict(r)["reason"].split(":")[0] for r in expected["rejected"]}
    assert {"project_year", "settled_date", "investment_2024"} <= reasons
    assert len(expected["project"]) > 30  # the evaluated projects, besides the rejected
    assert_same(expected, readings(spark, tricky_csv))


@pytest.mark.parametrize("as_of", [date(2021, 6, 30), date(2025, 6, 30)])
def test_postgres_equals_duckdb(postgres_url: str, population_file: Location, library: Library, as_of: date) -> None:
    engine = Postgres(postgres_url)
    try:
        assert_same(duckdb_rows(population_file, library, as_of), evaluate(engine, population_file, library, as_of))
    finally:
        engine.close()


def test_postgres_reads_text_as_duckdb_does(postgres_url: str, tricky_csv: Location) -> None:
    engine = Postgres(postgres_url)
    try:
        assert_same(duckdb_readings(tricky_csv), readings(engine, tricky_csv))
    finally:
        engine.close()


# ---- the command line --------------------------------------------------------------------------


def huiqi(*args: str, env: dict[str, str] | None = None, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [HUIQI, "batch", *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout, env=env or _env()
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_MASTER", "SPARK_REMOTE", "HUIQI_BATCH_DATABASE_URL")}
    return {**env, **extra}


def _file(path: Path) -> Rows:
    return _rows(pq.read_table(path))


def test_cli_spark_end_to_end(tmp_path: Path) -> None:
    small = tmp_path / "examples.parquet"
    pq.write_table(flat.rows_table(_example_rows()), small)
    args = ["--as-of", "2025-06-30", "--all-rows"]
    done = huiqi(str(small), "--out", str(tmp_path / "duck.parquet"), *args)
    assert done.returncode == 0, done.stderr
    done = huiqi(str(small), "--out", str(tmp_path / "spark.parquet"), "--engine", "spark", *args)
    assert done.returncode == 0, done.stderr
    assert "Totals by measure" in done.stdout
    assert "spark" in done.stderr
    for name in ("{}.parquet", "{}.firms.parquet"):
        duck, spark = tmp_path / name.format("duck"), tmp_path / name.format("spark")
        assert pq.read_table(spark).schema == pq.read_table(duck).schema
        assert _file(spark) == _file(duck)
    assert (tmp_path / "spark.rejected.csv").read_text() == (tmp_path / "duck.rejected.csv").read_text()


def test_cli_duckdb_tables(tmp_path: Path, population_file: Location) -> None:
    """FILE.duckdb#TABLE in and out: the same figures as Parquet to Parquet."""
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"CREATE TABLE facts AS SELECT * FROM read_parquet('{population_file.where}')")
    assert huiqi(population_file.where, "--out", str(tmp_path / "r.parquet"), "--as-of", "2025-06-30").returncode == 0
    done = huiqi(f"{db}#facts", "--out", f"{db}#results", "--as-of", "2025-06-30")
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert _rows(con.sql("SELECT * FROM results").fetch_arrow_table()) == _file(tmp_path / "r.parquet")
        firms = con.sql("SELECT * FROM results_firms").fetch_arrow_table()
        assert _rows(firms) == _file(tmp_path / "r.firms.parquet")
        assert con.sql("SELECT count(*) FROM results_rejected").fetchone() == (0,)


def test_cli_postgres_tables(tmp_path: Path, postgres_url: str, population_file: Location) -> None:
    """A file into a PostgreSQL table (the URL from $HUIQI_BATCH_DATABASE_URL), and a PostgreSQL table
    (read in its load order) into another: the same figures as DuckDB's, Parquet to Parquet."""
    engine = Postgres(postgres_url)
    engine.load(population_file)
    engine.con.raw_sql("CREATE TABLE facts AS SELECT * FROM huiqi_input ORDER BY _row").close()
    engine.con.raw_sql("ALTER TABLE facts DROP COLUMN _row").close()
    engine.close()
    day = ("--as-of", "2025-06-30")
    assert huiqi(population_file.where, "--out", str(tmp_path / "r.parquet"), *day).returncode == 0
    env = _env(HUIQI_BATCH_DATABASE_URL=postgres_url)
    done = huiqi(population_file.where, "--out", f"{postgres_url}#from_file", "--engine", "postgres", *day, env=env)
    assert done.returncode == 0, done.stderr
    args = ("--engine", "postgres", "--database-url", postgres_url, *day)
    done = huiqi(f"{postgres_url}#facts", "--out", f"{postgres_url}#out.results", *args)
    assert done.returncode == 0, done.stderr
    with psycopg.connect(postgres_url) as con:
        for table, parquet in (
            ("from_file", "r.parquet"),
            ("from_file_firms", "r.firms.parquet"),
            ("out.results", "r.parquet"),
            ("out.results_firms", "r.firms.parquet"),
        ):
            cursor = con.execute(f"SELECT * FROM {table}")
            names = [d.name for d in cursor.description or []]
            got = [tuple(sorted((n, _cell(v)) for n, v in zip(names, row, strict=True))) for row in cursor]
            assert sorted(got, key=repr) == _file(tmp_path / parquet), table
        assert con.execute("SELECT count(*) FROM out.results_rejected").fetchone() == (0,)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--engine", "spark", "--database-url", "postgresql://h/db"], "--database-url: only for --engine postgres"),
        (["--spark-master", "local[2]"], "--spark-master: only for --engine spark"),
        (["--engine", "postgres"], "--database-url: --engine postgres needs a postgresql:// URL"),
        (["--engine", "postgres", "--database-url", "mysql://h/db"], "is not a postgresql:// URL"),
        (["--engine", "postgres", "--database-url", "postgresql://nobody@127.0.0.1:1/db"], "cannot connect"),
        (["--engine", "oracle"], "Invalid value for '--engine'"),
        (["--out", "{tmp}/results.txt"], "--out: '{tmp}/results.txt': unknown form"),
        (["--out", "{tmp}/results.parquet#t"], "a table is named in a DuckDB database file"),
        (["--out", "{tmp}/w.duckdb#no such"], "is not a table name"),
        (["--out", "postgresql://h/db"], "name the table after '#'"),
        (["--out", "postgresql://h/db#r"], "--out: postgresql://h/db#r: a PostgreSQL table needs --engine postgres"),
        (["--engine", "spark", "--spark-master", "nonsense://x"], "--spark-master: Spark did not start"),
    ],
)
def test_cli_bad_engine_options(tmp_path: Path, args: list[str], words: str) -> None:
    source = tmp_path / "in" / "examples.parquet"
    source.parent.mkdir()
    pq.write_table(flat.rows_table(_example_rows()), source)
    out = tmp_path / "out"
    out.mkdir()
    args = [a.replace("{tmp}", str(out)) for a in args]
    if "--out" not in args:
        args += ["--out", str(out / "results.parquet")]
    done = huiqi(str(source), *args, timeout=300)
    assert done.returncode == 2, done.stderr
    assert words.replace("{tmp}", str(out)) in " ".join(done.stderr.split()), done.stderr
    assert not list(out.iterdir())  # nothing written


@pytest.fixture(scope="module")
def contracts_file(tmp_path_factory: pytest.TempPathFactory) -> Location:
    """300 synthetic firms, 40% of them with service contracts (huiqi synth), every other one moved to
    Beijing (海淀区, or 朝阳区 for its tax) where the test vouchers apply."""
    path = tmp_path_factory.mktemp("engines") / "contracts.parquet"
    rows = population(300, seed=7).to_pylist()
    firms = [r for r in rows if r["record"] == "enterprise"]
    for row in firms[::2]:
        row["business_district"], row["tax_district"] = "110108", "110105"
    pq.write_table(flat.rows_table(rows), path)
    return parse_location(str(path), "INPUT", output=False)


@pytest.mark.parametrize("engine_name", ["spark", "postgres"])
def test_the_voucher_rules_run_alike_on_every_engine(
    request: pytest.FixtureRequest, engine_name: str, contracts_file: Location
) -> None:
    """Contracts, dates and terms, sum(...), claim limits, the size class and joint caps
    (tests/assets/voucher-library, equal to the interpreter on DuckDB in tests/test_contracts.py):
    the same figures on Spark and PostgreSQL."""
    from huiqi.policy_files import load_library

    vouchers = load_library(Path(__file__).parent / "assets" / "voucher-library")
    day = date(2025, 6, 30)
    expected = duckdb_rows(contracts_file, vouchers, day)
    for measure in ("scratch-voucher.compute", "scratch-voucher.model", "scratch-district.top-up"):
        assert any(("measure", measure) in r and ("status", "eligible") in r for r in expected["results"]), measure
    if engine_name == "spark":
        assert_same(expected, evaluate(request.getfixturevalue("spark"), contracts_file, vouchers, day))
        return
    engine = Postgres(request.getfixturevalue("postgres_url"))
    try:
        assert_same(expected, evaluate(engine, contracts_file, vouchers, day))
    finally:
        engine.close()
