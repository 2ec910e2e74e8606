"""How a plan's steps run on DuckDB (huiqi.batch.run.Batch.run_stages): a step exactly one later
step reads, once, is deferred (a temp view its reader computes); the figures are those of every
step materialised, and no step is left behind."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import ibis
import pyarrow.parquet as pq
import pytest

import huiqi.batch.run as run
from huiqi.batch import schema as flat
from huiqi.batch.engines import DuckDB, parse_location
from huiqi.batch.plan_cache import PlanCache, Query
from huiqi.batch.replay import SqlPlan
from huiqi.batch.synth import population
from huiqi.engine.compile_plan import STAGE_PREFIX
from huiqi.rules.library import Library
from tests.test_batch_engines import _rows

DAY = date(2025, 6, 30)


@pytest.fixture(scope="module")
def facts_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("steps") / "facts.parquet"
    pq.write_table(flat.rows_table(population(80, seed=11).to_pylist()), path)
    return path


def _evaluate(path: Path, library: Library, cache: PlanCache | None, *, defer: bool) -> dict[str, Any]:
    engine = DuckDB()
    deferred: list[str] = []
    if defer:
        real = engine.defer

        def counted(name: str, expr: Query) -> None:
            deferred.append(name)
            real(name, expr)

        engine.defer = counted  # type: ignore[method-assign]
    else:

        def materialised(name: str, expr: Query) -> None:
            engine.materialise(name, expr)

        engine.defer = materialised  # type: ignore[method-assign]
    try:
        raw = engine.load(parse_location(str(path), "INPUT", output=False))
        batch = run.prepare(engine, raw, library, DAY, cache=cache)
        batch.run_stages()
        return {
            "results": _rows(engine.to_arrow(batch.plan.results(all_rows=True))),
            "firms": _rows(engine.to_arrow(batch.plan.firm_totals())),
            "deferred": deferred,
            "steps": [name for name, _ in batch.plan.stages],
            "left": sorted(n for n in engine.con.list_tables() if n.startswith(STAGE_PREFIX)),
            "read": batch.plan.output_reads() if isinstance(batch.plan, SqlPlan) else run._outputs_read(batch.plan),
        }
    finally:
        engine.close()


@pytest.mark.parametrize("cached", [False, True], ids=["compiled", "from the plan cache"])
def test_steps_read_once_are_deferred_and_change_no_figure(
    tmp_path: Path, facts_file: Path, library: Library, cached: bool
) -> None:
    cache = PlanCache(tmp_path / "plans") if cached else None
    materialised = _evaluate(facts_file, library, cache, defer=False)
    deferred = _evaluate(facts_file, library, cache, defer=True)
    assert deferred["results"] == materialised["results"]
    assert deferred["firms"] == materialised["firms"]
    # the seed library's caps run as chains of steps, each read by the next one only
    assert len(deferred["deferred"]) >= len(deferred["steps"]) // 3
    assert not set(deferred["deferred"]) & deferred["read"]  # what the outputs read stays a table
    # every step not read by the outputs is dropped, views as well as tables
    assert set(deferred["left"]) <= deferred["read"]
    assert deferred["left"] == materialised["left"]


def test_a_step_read_twice_or_by_two_steps_is_not_deferred() -> None:
    def query(reads: dict[str, int]) -> Query:
        sql = " JOIN ".join(f'"{name}" AS "t{i}"' for i, (name, n) in enumerate(reads.items()) for _ in range(n))
        return Query(f"SELECT * FROM {sql}", ibis.schema({}), frozenset(reads))

    stages = [
        ("huiqi_s0_a", query({"huiqi_projects": 1})),
        ("huiqi_s1_b", query({"huiqi_s0_a": 1})),  # s0: one reader, once
        ("huiqi_s2_c", query({"huiqi_s1_b": 2})),  # s1: read twice (a self-join)
        ("huiqi_s3_d", query({"huiqi_s2_c": 1})),
        ("huiqi_s4_e", query({"huiqi_s2_c": 1, "huiqi_s3_d": 1})),  # s2: two readers
        ("huiqi_s5_f", query({"huiqi_s4_e": 1})),  # s5 read by the outputs only
    ]
    assert run._read_once(stages, kept={"huiqi_s5_f", "huiqi_s4_e"}) == {"huiqi_s0_a", "huiqi_s3_d"}


def test_a_step_name_can_be_a_table_in_one_plan_and_a_view_in_the_next() -> None:
    """huiqi simulate runs a baseline's and a reform's steps in one connection, under the same
    names: a step one plan keeps as a table can be deferred (a view) in the other, and back."""
    engine = DuckDB()
    try:
        one = Query("SELECT 1 AS a", ibis.schema({"a": "int32"}))
        two = Query("SELECT 2 AS a", ibis.schema({"a": "int32"}))
        engine.materialise("huiqi_s1_m0_status", one)
        engine.defer("huiqi_s1_m0_status", two)
        assert engine.con.raw_sql('SELECT a FROM "huiqi_s1_m0_status"').fetchall() == [(2,)]
        engine.materialise("huiqi_s1_m0_status", one)
        assert engine.con.raw_sql('SELECT a FROM "huiqi_s1_m0_status"').fetchall() == [(1,)]
        engine.defer("huiqi_s1_m0_status", two)
        engine.release("huiqi_s1_m0_status")
        assert "huiqi_s1_m0_status" not in engine.con.list_tables()
    finally:
        engine.close()


def test_a_materialised_step_has_the_types_duckdb_gives_it(facts_file: Path, library: Library) -> None:
    """DuckDB.materialise gives a step the schema its SQL declares, without asking DuckDB
    (every column is cast to it); here every step of the library, and each table of the check,
    is compared with what DuckDB reports of the table it wrote."""
    engine = DuckDB()
    source = parse_location(str(facts_file), "INPUT", output=False)
    batch = run.prepare(engine, engine.load(source), library, DAY)
    declared: dict[str, Any] = {}
    real = engine.materialise

    def materialise(name: str, expr: Any) -> Any:
        table = real(name, expr)
        declared[name] = table.schema()
        assert engine.con.table(name).schema() == table.schema(), name
        return table

    engine.materialise = materialise  # type: ignore[method-assign]
    batch.run_stages()
    assert len(declared) > 5
    for table in [batch.checked, *batch.tables.values()]:
        assert engine.con.table(table.get_name()).schema() == table.schema()
