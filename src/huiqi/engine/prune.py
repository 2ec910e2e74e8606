"""Projection pushdown on Ibis expressions: each relation keeps only the columns read above it.

Ibis's joins and mutates carry every column of their inputs, and its SQL names each of them, so
a step reading three of a project's ninety columns still made the backend find all ninety, and
the normalised tables had to hold them all. `prune` drops the unread ones from the expression
(the SQL is smaller, and cheaper to compile); `columns_read` says which columns of each input
table are left, so that only those are written (huiqi.batch.run.prepare_each).

The rewrite is safe by construction: a column kept is one some kept value reads; a column wrongly
dropped would make the backend refuse the query (no such column), never give a wrong figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import ibis.expr.operations as ops
import ibis.expr.types as ir
from ibis.common.graph import Graph


def _ordered(top: ops.Node) -> list[ops.Node]:
    """Every node of the expression, each after all it reads."""
    ordered: Any = Graph.from_bfs(top).toposort()
    if isinstance(ordered, tuple):  # Ibis 12 returns (the sorted graph, the dependents)
        ordered = ordered[0]
    return list(ordered)


def _needs(top: ops.Relation) -> dict[ops.Relation, set[str]]:
    """Per relation, the columns its consumers read (all of the output's own)."""
    need: dict[ops.Relation, set[str]] = {top: set(top.schema.names)}

    def demand(rel: ops.Relation, names: Iterable[str]) -> None:
        need.setdefault(rel, set()).update(names)

    def uses(*values: ops.Value) -> None:
        for value in values:
            for found in value.find(ops.Field, filter=ops.Value):
                demand(found.rel, [found.name])
            for sub in value.find(ops.Subquery, filter=ops.Value):
                demand(sub.rel, sub.rel.schema.names)

    for node in reversed(_ordered(top)):  # consumers before what they read
        if not isinstance(node, ops.Relation):
            continue
        wanted = need.get(node, set())
        if isinstance(node, ops.Project | ops.JoinChain):
            # nothing read (a semi-join's side): `prune` keeps the first column, as SQL needs one
            uses(*(node.values[name] for name in wanted or list(node.values)[:1]))
            if isinstance(node, ops.JoinChain):
                uses(*(p for link in node.rest for p in link.predicates))
        elif isinstance(node, ops.Aggregate):
            uses(*node.groups.values(), *node.metrics.values())
        elif isinstance(node, ops.Filter):
            demand(node.parent, wanted)
            uses(*node.predicates)
        elif isinstance(node, ops.Sort):
            demand(node.parent, wanted)
            uses(*node.keys)
        elif isinstance(node, ops.Reference | ops.DropColumns | ops.Limit):
            demand(node.parent, wanted)
        elif not isinstance(node, ops.UnboundTable):  # a union, distinct, window, ...: its inputs whole
            for arg in node.__args__:
                if isinstance(arg, ops.Relation):
                    demand(arg, arg.schema.names)
    return need


def prune(expr: ir.Table) -> ir.Table:
    """The expression with every projection and join keeping only the columns read above it."""
    top = expr.op()
    need = _needs(top)

    def rewrite(node: ops.Node, changed: dict[str, Any] | None) -> ops.Node:
        args = changed if changed is not None else dict(zip(node.__argnames__, node.__args__, strict=True))
        if isinstance(node, ops.Project | ops.JoinChain):
            wanted = need.get(node, set())
            values = {k: v for k, v in args["values"].items() if k in wanted}
            if not values:  # nothing read (a semi-join's side): one column, as SQL needs one
                values = dict([next(iter(args["values"].items()))])
            if changed is None and len(values) == len(node.values):
                return node
            return node.__class__(**{**args, "values": values})
        if changed is None:
            return node
        if isinstance(node, ops.Field) and node.name not in args["rel"].schema:
            return node  # a field of a dropped value: read by nothing kept
        if isinstance(node, ops.DropColumns):  # what it dropped may be gone already
            present = [c for c in args["columns_to_drop"] if c in args["parent"].schema]
            if not present:
                return args["parent"]
            args["columns_to_drop"] = present
        return node.__class__(**args)

    return top.replace(rewrite).to_expr()


def columns_read(exprs: Sequence[ir.Table]) -> dict[str, set[str]]:
    """Per unbound table's name, the columns the (pruned) expressions read of it."""
    read: dict[str, set[str]] = {}
    for expr in exprs:
        for rel, names in _needs(expr.op()).items():
            if isinstance(rel, ops.UnboundTable):
                read.setdefault(rel.name, set()).update(names)
    return read
