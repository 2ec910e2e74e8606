"""The plan cache (huiqi.batch.plan_cache): a run from kept SQL gives what compiling gives.

Figures equal to the fen with the cache cold, warm and off, also with bad rows (the check's
other query); a different library, date or input columns is a different key, never a stale plan;
an unreadable entry is a miss and an unwritable folder is no error; `huiqi batch` keeps its SQL.
Only a private cache is used: a folder or entry of another user, or writable by group or others,
is named in a warning and left alone (the run compiles); the folder is made 0700, entries 0600.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import huiqi.batch.run as run
from huiqi.batch import schema as flat
from huiqi.batch.engines import DuckDB, parse_location
from huiqi.batch.plan_cache import PlanCache, Query
from huiqi.batch.synth import population
from huiqi.engine.compile_plan import STAGE_PREFIX
from huiqi.entrypoints.cli import app
from huiqi.policy_files import load_reform
from huiqi.rules.library import Library
from tests.test_batch_engines import _rows, evaluate

DAY = date(2025, 6, 30)


@pytest.fixture(scope="module")
def facts_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 synthetic enterprises, one of them with a bad project row (so the check names a reason)."""
    rows = population(60, seed=5).to_pylist()
    bad = next(r for r in rows if r["record"] == "project")
    bad["project_year"] = 1850
    path = tmp_path_factory.mktemp("cache") / "facts.parquet"
    pq.write_table(flat.rows_table(rows), path)
    return path


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the run compiled its libraries with Ibis (a warm cache: none)."""
    calls: list[int] = []
    real = run.compiled_plans

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "compiled_plans", counted)
    return calls


def _evaluate(path: Path, library: Library, as_of: date, cache: PlanCache | None) -> dict[str, Any]:
    engine = DuckDB()
    try:
        raw = engine.load(parse_location(str(path), "INPUT", output=False))
        batch = run.prepare(engine, raw, library, as_of, cache=cache)
        batch.run_stages()
        return {
            "results": _rows(engine.to_arrow(batch.plan.results(all_rows=True))),
            "firms": _rows(engine.to_arrow(batch.plan.firm_totals())),
            "rejected": _rows(engine.to_arrow(batch.rejected())),
            "schema": engine.to_arrow(batch.plan.results()).schema,
            "steps left": sorted(n for n in engine.con.list_tables() if n.startswith(STAGE_PREFIX)),
        }
    finally:
        engine.close()


def test_cold_and_warm_runs_give_what_compiling_gives(
    tmp_path: Path, facts_file: Path, library: Library, compiles: list[int]
) -> None:
    cache = PlanCache(tmp_path / "plans")
    off = _evaluate(facts_file, library, DAY, None)
    assert off["rejected"]
    assert off["results"]
    cold = _evaluate(facts_file, library, DAY, cache)
    assert len(list((tmp_path / "plans").glob("*.json"))) == 2  # the check's and the plan's
    warm = _evaluate(facts_file, library, DAY, cache)
    assert compiles == [1, 1]  # the warm run compiled nothing
    assert cold == off
    assert warm == off


def test_another_library_date_or_input_is_another_key(
    tmp_path: Path, facts_file: Path, library: Library, compiles: list[int]
) -> None:
    cache = PlanCache(tmp_path / "plans")
    base = _evaluate(facts_file, library, DAY, cache)
    reform = load_reform(Path("examples/reforms/lingang-rd-40.yaml"), library).library
    reformed = _evaluate(facts_file, reform, DAY, cache)
    assert reformed["results"] != base["results"]  # not the baseline's plan
    assert reformed == _evaluate(facts_file, reform, DAY, None)
    _evaluate(facts_file, library, date(2024, 6, 30), cache)
    wider = facts_file.parent / "wider.parquet"
    table = pq.read_table(facts_file)
    pq.write_table(table.append_column("revenue_2030", pa.nulls(table.num_rows, pa.decimal128(18, 2))), wider)
    assert _evaluate(wider, library, DAY, cache) == _evaluate(wider, library, DAY, None)
    assert compiles == [1] * 6  # each compiled, none taken from another's entry


def test_an_unreadable_entry_is_a_miss_and_an_unwritable_folder_no_error(
    tmp_path: Path, facts_file: Path, library: Library, compiles: list[int]
) -> None:
    cache = PlanCache(tmp_path / "plans")
    expected = _evaluate(facts_file, library, DAY, cache)
    for entry in (tmp_path / "plans").glob("*.json"):
        entry.write_text('{"tables": {"enterprise": ')  # cut short
    assert _evaluate(facts_file, library, DAY, cache) == expected
    for entry in (tmp_path / "plans").glob("*.json"):
        entry.write_text('{"plans": [{"stages": 3}], "rows": {"sql": 1}, "layout": ["x"]}')  # not ours
    assert _evaluate(facts_file, library, DAY, cache) == expected
    assert compiles == [1, 1, 1]
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert _evaluate(facts_file, library, DAY, PlanCache(blocked / "plans")) == expected


def test_only_the_runs_own_table_names_become_placeholders() -> None:
    """The run's table is replaced where it is quoted whole, not inside other names."""
    import ibis

    sql = 'SELECT "t0"."huiqi_input_1x" FROM "huiqi_input_1" AS "t0" JOIN "huiqi_rows_1" ON TRUE'
    query = Query(sql, ibis.schema({"huiqi_input_1x": "int64"}))
    names = {"huiqi_input_1": "__huiqi_input0__", "huiqi_rows_1": "__huiqi_rows__"}
    kept = query.to_json(names)
    assert kept["sql"] == 'SELECT "t0"."huiqi_input_1x" FROM "__huiqi_input0__" AS "t0" JOIN "__huiqi_rows__" ON TRUE'
    assert Query.from_json(kept, names) == query
    other = {"ibis_read_parquet_2": "__huiqi_input0__", "huiqi_rows_2": "__huiqi_rows__"}
    assert Query.from_json(kept, other).sql == (
        'SELECT "t0"."huiqi_input_1x" FROM "ibis_read_parquet_2" AS "t0" JOIN "huiqi_rows_2" ON TRUE'
    )


def test_the_cache_is_off_with_huiqi_plan_cache_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUIQI_CACHE_DIR", str(tmp_path))
    found = PlanCache.default()
    assert found is not None
    assert found.directory == tmp_path / "plans"
    monkeypatch.setenv("HUIQI_PLAN_CACHE", "off")
    assert PlanCache.default() is None


def test_huiqi_batch_keeps_its_sql_and_gives_the_same_files_from_it(
    tmp_path: Path, facts_file: Path, library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUIQI_CACHE_DIR", str(tmp_path / "cache"))
    written = []
    for run_number in (1, 2):
        out = tmp_path / f"run{run_number}.parquet"
        done = CliRunner().invoke(app, ["batch", str(facts_file), "--out", str(out), "--as-of", "2025-06-30"])
        assert done.exit_code == 3, done.output  # the file has bad rows (facts_file): results, and exit 3
        written.append((pq.read_table(out), pq.read_table(out.with_suffix(".firms.parquet"))))
        assert len(list((tmp_path / "cache" / "plans").glob("*.json"))) == 2
    assert written[0][0].schema == written[1][0].schema
    assert _rows(written[0][0]) == _rows(written[1][0])
    assert _rows(written[0][1]) == _rows(written[1][1])
    source = parse_location(str(facts_file), "INPUT", output=False)
    engine = DuckDB()
    expected = evaluate(engine, source, library, DAY)
    engine.close()
    assert _rows(written[1][1]) == expected["firms"]


# ---- a private cache only (its SQL is executed as it stands) -----------------------------------


ENTRY = {"plans": [], "note": "kept"}


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _saved(folder: Path) -> PlanCache:
    cache = PlanCache(folder)
    cache.save("k", ENTRY)
    return PlanCache(folder)  # a new run: nothing checked yet


def test_the_folder_is_made_0700_and_its_entries_0600(tmp_path: Path, umask_022: None) -> None:
    folder = tmp_path / "cache" / "plans"
    cache = _saved(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "k.json").stat().st_mode) == 0o600
    assert cache.load("k") == ENTRY


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777, 0o1777])
def test_a_folder_others_may_write_is_not_used(
    tmp_path: Path, mode: int, capsys: pytest.CaptureFixture[str], umask_022: None
) -> None:
    folder = tmp_path / "plans"
    cache = _saved(folder)
    folder.chmod(mode)
    assert cache.load("k") is None
    cache.save("new", ENTRY)
    assert not (folder / "new.json").exists()  # nor written to
    warning = capsys.readouterr().err
    assert str(folder) in warning
    assert f"mode {mode:04o}" in warning
    assert "may be written by its group or by others" in warning
    assert "同组或其他用户可写" in warning
    assert "计划缓存" in warning
    folder.chmod(0o755)  # not writable by others: used again
    assert PlanCache(folder).load("k") == ENTRY


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_an_entry_others_may_write_is_not_used(
    tmp_path: Path, mode: int, capsys: pytest.CaptureFixture[str], umask_022: None
) -> None:
    folder = tmp_path / "plans"
    cache = _saved(folder)
    (folder / "k.json").chmod(mode)
    assert cache.load("k") is None
    warning = capsys.readouterr().err
    assert str(folder / "k.json") in warning
    assert "may be written by its group or by others" in warning
    cache.save("k", ENTRY)  # replaced by an entry of mode 0600
    assert stat.S_IMODE((folder / "k.json").stat().st_mode) == 0o600
    assert PlanCache(folder).load("k") == ENTRY


def test_a_cache_of_another_user_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], umask_022: None
) -> None:
    folder = tmp_path / "plans"
    _saved(folder)
    me = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: me + 1)  # as if another user ran huiqi over this folder
    assert PlanCache(folder).load("k") is None
    warning = capsys.readouterr().err
    assert f"belongs to user {me}, not to the current user ({me + 1})" in warning
    assert "而非当前用户" in warning


def test_ownership_and_kind_are_checked_from_stat() -> None:
    from huiqi.batch.private_files import problem

    def info(mode: int, uid: int) -> os.stat_result:
        return os.stat_result((mode, 0, 0, 1, uid, 0, 0, 0, 0, 0))

    me = os.getuid()
    assert problem(info(stat.S_IFDIR | 0o700, me), folder=True) is None
    assert problem(info(stat.S_IFDIR | 0o755, me), folder=True) is None
    assert problem(info(stat.S_IFREG | 0o600, me), folder=False) is None
    assert problem(info(stat.S_IFREG | 0o644, me), folder=False) is None
    other = problem(info(stat.S_IFDIR | 0o700, me + 7), folder=True)
    assert other is not None
    assert f"user {me + 7}" in other[0]
    root = problem(info(stat.S_IFREG | 0o600, 0), folder=False)
    assert (root is None) == (me == 0)
    assert problem(info(stat.S_IFREG | 0o600, me), folder=True) == ("is not a folder", "不是文件夹")
    assert problem(info(stat.S_IFIFO | 0o600, me), folder=False) == ("is not a regular file", "不是普通文件")
    assert problem(info(stat.S_IFLNK | 0o777, me), folder=False) is not None


def test_a_pipe_in_the_folder_is_no_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "plans"
    folder.mkdir(mode=0o700)
    os.mkfifo(folder / "k.json", 0o600)
    assert PlanCache(folder).load("k") is None  # not waited on
    assert "is not a regular file" in capsys.readouterr().err


def test_huiqi_batch_compiles_and_warns_over_a_cache_others_may_write(
    tmp_path: Path, facts_file: Path, monkeypatch: pytest.MonkeyPatch, compiles: list[int]
) -> None:
    monkeypatch.setenv("HUIQI_CACHE_DIR", str(tmp_path / "cache"))
    outputs = []
    for run_number in (1, 2):
        out = tmp_path / f"run{run_number}.parquet"
        done = CliRunner().invoke(app, ["batch", str(facts_file), "--out", str(out), "--as-of", "2025-06-30"])
        assert done.exit_code == 3, done.output  # the fixture's one bad row: finished, with a reject
        outputs.append(_rows(pq.read_table(out)))
        (tmp_path / "cache" / "plans").chmod(0o777)
    assert outputs[0] == outputs[1]
    assert compiles == [1, 1]  # the second run did not use the SQL others could have changed
    assert "plan cache is not used" in done.stderr
    assert str(tmp_path / "cache" / "plans") in done.stderr
