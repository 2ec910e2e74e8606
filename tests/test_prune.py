"""Projection pushdown (huiqi.engine.prune): the pruned expression gives the same rows, reads fewer
columns, and the batch writes only the columns its plan reads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pytest

from huiqi.engine.prune import columns_read, prune
from huiqi.policy_files import load_facts, load_library

LIBRARY = load_library()
FIRMS = ibis.table({"code": "string", "district": "string", "staff": "int64", "note": "string"}, name="firms")
PROJECTS = ibis.table(
    {"code": "string", "id": "string", "kind": "string", "spend": "int64", "other": "int64", "year": "int64"},
    name="projects",
)


def _data() -> dict[str, pa.Table]:
    return {
        "firms": pa.table(
            {"code": ["a", "b", "c"], "district": ["x", "y", "x"], "staff": [5, 50, 500], "note": ["n", None, "m"]}
        ),
        "projects": pa.table(
            {
                "code": ["a", "a", "b", "c", "d"],
                "id": ["p1", "p2", "p3", "p4", "p5"],
                "kind": ["rd", "fixed", "rd", "rd", "fixed"],
                "spend": [100, 200, 300, 400, 500],
                "other": [1, 2, 3, 4, 5],
                "year": [2024, 2025, 2024, 2025, 2024],
            }
        ),
    }


def _joined() -> ir.Table:
    firms = FIRMS.rename(firm_code="code")
    rows = PROJECTS.join(firms, PROJECTS.code == firms.firm_code).drop("firm_code")
    rows = rows.mutate(double=rows.spend * 2, tag=rows.note.fill_null("-"))
    return rows.filter(rows.district == "x")


EXPRESSIONS = {
    "a join, mutate and filter, three columns out": lambda: _joined().select("id", "double", "staff"),
    "an aggregate over the join": lambda: _joined().group_by("code").aggregate(total=ibis._.spend.sum()),
    "a union reads its inputs whole": lambda: ibis.union(
        _joined().select("id", "spend"), PROJECTS.select("id", "spend"), distinct=False
    ),
    "a semi-join and an anti-join": lambda: (
        PROJECTS.semi_join(FIRMS, "code").anti_join(FIRMS.filter(FIRMS.staff > 100), "code").select("id", "year")
    ),
    "a distinct keeps every column under it": lambda: _joined().select("code", "kind").distinct(),
    "a self-join": lambda: PROJECTS.join(PROJECTS.view(), "code").select("id", "id_right"),
    "a window": lambda: PROJECTS.mutate(n=ibis.row_number().over(group_by="code", order_by="year")).select("id", "n"),
}


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_a_pruned_expression_gives_the_same_rows(name: str) -> None:
    con = ibis.duckdb.connect()
    for table, data in _data().items():
        con.create_table(table, data)
    expr = EXPRESSIONS[name]()
    pruned = prune(expr)
    assert pruned.schema() == expr.schema()

    def rows(e: ir.Table) -> list[tuple[object, ...]]:
        return sorted(tuple(r.values()) for r in con.to_pyarrow(e).to_pylist())

    assert rows(pruned) == rows(expr)


def test_only_the_columns_read_are_left() -> None:
    expr = _joined().select("id", "double", "staff")
    read = columns_read([expr])
    # district and code for the filter and the join; spend for `double`; id and staff selected
    assert read == {"projects": {"code", "id", "spend"}, "firms": {"code", "district", "staff"}}
    assert "other" in ibis.to_sql(expr)  # Ibis's join names every column of both sides
    assert '"other"' not in ibis.to_sql(prune(expr))
    assert '"note"' not in ibis.to_sql(prune(expr))


def test_a_union_or_distinct_reads_its_inputs_whole() -> None:
    whole = _joined()
    assert columns_read([ibis.union(whole, whole)])["projects"] == set(PROJECTS.columns)
    read = columns_read([EXPRESSIONS["a distinct keeps every column under it"]()])
    assert read == {"projects": {"code", "kind"}, "firms": {"code", "district"}}


def test_the_batch_writes_only_the_columns_its_plan_reads() -> None:
    """On 2025-06-30 minhang-2018 has expired: no measure in force reads a lease or an institution,
    so those tables are not written at all; the project table keeps what Lingang's measures read,
    not every amount."""
    from huiqi.batch.run import prepare
    from huiqi.engine.compile import unbound_tables
    from tests.batch_exact import table_of

    con = ibis.duckdb.connect()
    firms = [load_facts(f) for f in sorted(Path("examples").glob("*.yaml"))]
    raw = con.create_table("input", table_of(firms), temp=True)
    batch = prepare(con, raw, LIBRARY, date(2025, 6, 30))
    full = {t.get_name(): set(t.columns) for t in unbound_tables(batch.layout).values()}
    # Shenzhen's vouchers read contracts (the examples have none): their table is written, if empty
    assert set(batch.tables) == {"enterprise", "project", "platform", "contract", "prior_award"}
    assert {"huiqi_leases", "huiqi_institutions"}.isdisjoint(con.list_tables())
    written = {table.get_name(): set(table.columns) for table in batch.tables.values()}
    assert written["huiqi_projects"] < full["huiqi_projects"]
    assert "new_investment_2025" in written["huiqi_projects"]
    batch.run_stages()  # every step finds what it reads
    assert con.to_pyarrow(batch.plan.results()).num_rows > 0
