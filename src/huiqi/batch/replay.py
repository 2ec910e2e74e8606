"""A batch run from kept SQL (huiqi.batch.plan_cache): the plan as the engine's SQL, and where
that SQL comes from — the cache under the run's keys, or Ibis now (and then kept).

huiqi.batch.run.prepare_each uses these when it is given a cache and runs on DuckDB; the Batch
it returns runs a SqlPlan's steps as it would a CompiledLibrary's.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import ibis.expr.operations as ops
import ibis.expr.types as ir

from huiqi.batch.engines import DuckDB
from huiqi.batch.plan_cache import PlanCache, Query, check_key, plan_key
from huiqi.engine.compile import Layout
from huiqi.engine.compile_plan import CompiledLibrary
from huiqi.rules.library import Library

# What reading an entry that is missing (None) or not what this code wrote raises: a miss.
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)

_views = itertools.count()


@dataclass
class SqlPlan:
    """A compiled library as the engine's SQL: what a Batch runs when the plan cache is on.

    The same steps as the CompiledLibrary it was compiled from; its outputs are temp views
    (created when first asked for, after the steps), so they compose with Ibis as tables do."""

    engine: DuckDB
    stages: list[tuple[str, Query]]
    output_queries: dict[str, Query]  # results, results_all, firm_totals
    years: list[int]
    _made: dict[str, ir.Table] = field(default_factory=dict, repr=False)

    def results(self, *, all_rows: bool = False) -> ir.Table:
        return self._view("results_all" if all_rows else "results")

    def firm_totals(self) -> ir.Table:
        return self._view("firm_totals")

    def output_reads(self) -> set[str]:
        return {name for query in self.output_queries.values() for name in query.reads}

    def _view(self, label: str) -> ir.Table:
        if label not in self._made:
            query = self.output_queries[label]
            self._made[label] = self.engine.view(f"huiqi_v{next(_views)}_{label}", query)
        return self._made[label]


@dataclass
class StoredPlans:
    tables: dict[str, Query]  # the normalised tables, by record kind
    plans: list[SqlPlan]


class CachedSql:
    """One run's SQL: from the plan cache under its keys, or compiled now and kept there.

    The input's own table names and the check's are placeholders in what is kept (name_tables)."""

    def __init__(self, engine: DuckDB, raw: ir.Table, cache: PlanCache):
        self.engine, self.cache = engine, cache
        # only the names huiqi and Ibis make up (huiqi_input_…, ibis_read_parquet_…) are placeholders:
        # a user's own name is kept as it is (and is in the key), since it could also be a column's
        names = {node.name for node in raw.op().find(ops.DatabaseTable)}
        inputs = sorted(name for name in names if name.startswith(("huiqi_", "ibis_")))
        self.tokens = {name: f"__huiqi_input{i}__" for i, name in enumerate(inputs)}
        # the input as its SQL (how `_row` is made) and its schema (`SELECT *` names no column)
        self.check_key = check_key(engine.name, Query(engine.con.compile(raw), raw.schema()).to_json(self.tokens))
        self.check_entry = cache.load(self.check_key) or {}

    def name_tables(self, tokens: dict[str, str]) -> None:
        self.tokens.update(tokens)

    def _encode(self, query: Query) -> dict[str, Any]:
        return query.to_json(self.tokens)

    def _decode(self, data: dict[str, Any]) -> Query:
        return Query.from_json(data, self.tokens)

    def check_query(self, label: str, build: Callable[[], ir.Table]) -> Query:
        found = self.check_entry.get(label)
        with contextlib.suppress(*_MALFORMED):
            return self._decode(found)  # type: ignore[arg-type]
        query = self.engine.compile(build())
        self.check_entry[label] = self._encode(query)
        self.cache.save(self.check_key, self.check_entry)
        return query

    def layout_rows(self, build: Callable[[], dict[str, ir.Table]]) -> dict[str, dict[str, Any]]:
        """The row of each of the layout's queries (huiqi.batch.load.layout_queries)."""
        try:
            entry = self.check_entry
            queries = {label: self._decode(entry[f"layout_{label}"]) for label in entry["layout"]}
        except _MALFORMED:
            queries = {label: self.engine.compile(expr) for label, expr in build().items()}
            for label, query in queries.items():
                self.check_entry[f"layout_{label}"] = self._encode(query)
            self.check_entry["layout"] = list(queries)
            self.cache.save(self.check_key, self.check_entry)
        return {label: self.engine.fetch_rows(query)[0] for label, query in queries.items()}

    def plans(
        self,
        libraries: list[Library],
        as_of: date,
        layout: Layout,
        verbatim: Collection[str],
        compile_now: Callable[[], tuple[list[CompiledLibrary], dict[str, ir.Table]]],
    ) -> StoredPlans:
        """The plans and normalised tables kept under the key, or `compile_now`'s, then kept.
        `verbatim` (the columns of codes read as they are, huiqi.batch.load.as_given) is in the
        key: it changes the normalised tables' SQL."""
        key = plan_key(self.check_key, libraries, as_of, layout, verbatim)
        with contextlib.suppress(*_MALFORMED):
            return self._stored(self.cache.load(key), len(libraries))  # type: ignore[arg-type]
        entry = self._compiled(*compile_now())
        self.cache.save(key, entry)
        return self._stored(entry, len(libraries))

    def _stored(self, entry: dict[str, Any], libraries: int) -> StoredPlans:
        if len(entry["plans"]) != libraries:
            raise ValueError("another number of libraries")
        tables = {record: self._decode(q) for record, q in entry["tables"].items()}
        plans = [
            SqlPlan(
                self.engine,
                [(name, self._decode(q)) for name, q in plan["stages"]],
                {label: self._decode(q) for label, q in plan["outputs"].items()},
                list(plan["years"]),
            )
            for plan in entry["plans"]
        ]
        return StoredPlans(tables, plans)

    def _compiled(self, plans: list[CompiledLibrary], tables: dict[str, ir.Table]) -> dict[str, Any]:
        compile = self.engine.compile
        return {
            "tables": {record: self._encode(compile(table)) for record, table in tables.items()},
            "plans": [
                {
                    "stages": [[name, self._encode(compile(expr))] for name, expr in plan.stages],
                    "outputs": {
                        "results": self._encode(compile(plan.results())),
                        "results_all": self._encode(compile(plan.results(all_rows=True))),
                        "firm_totals": self._encode(compile(plan.firm_totals())),
                    },
                    "years": plan.years,
                }
                for plan in plans
            ],
        }
