"""sum(...) in the batch: each sum node of a measure becomes one aggregate over the summed kind's
table, joined onto the measure's rows before its expressions are compiled.

As in the interpreter (huiqi.engine.values._sum): the total over the enterprise's subjects of one
kind, those where `where` holds, with year='subject' only those of the row's subject year; zero
when there are none; unknown (null) when a counted subject's value, or whether it counts, is unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import ibis
import ibis.expr.types as ir

from huiqi.engine.compile import I64, Layout, NotCompilable, Scope, base_value, compile_expr, subject_year
from huiqi.engine.compile import _truth as truth_of
from huiqi.rules.check import measure_exprs
from huiqi.rules.expr import Arith, BoolOp, Call, Compare, Expr, Not, Sum, to_text
from huiqi.rules.model import Measure, Policy


def sum_nodes(exprs: Iterable[Expr]) -> list[Sum]:
    """Every sum(...) node in these expressions, each once, in order."""
    found: list[Sum] = []

    def walk(node: Expr) -> None:
        match node:
            case Sum():
                if node not in found:
                    found.append(node)
            case Not(operand=operand):
                walk(operand)
            case BoolOp(operands=operands) | Call(args=operands):
                for operand in operands:
                    walk(operand)
            case Compare(left=left, right=right) | Arith(left=left, right=right):
                walk(left)
                walk(right)

    for expr in exprs:
        walk(expr)
    return found


def measure_sums(policy: Policy, measure: Measure) -> list[Sum]:
    exprs = [e for _, e, _ in measure_exprs(measure, ())]
    exprs += [c.when for c in policy.conditions]
    return sum_nodes(exprs)


def join_sums(
    rows: ir.Table,
    tables: dict[str, ir.Table],
    measure: Measure,
    policy: Policy,
    layout: Layout,
    as_of: date,
) -> tuple[ir.Table, dict[Sum, tuple[str, int]]]:
    """The rows with one column per sum node (`_sum<k>`), and where each node's total is."""
    joined: dict[Sum, tuple[str, int]] = {}
    enterprise = tables["enterprise"].rename(_erow="_row", _ename="name")
    for k, node in enumerate(measure_sums(policy, measure)):
        kind = node.of.path[0]
        items = tables[kind].join(enterprise, "credit_code")
        scope = Scope(items, measure.id, layout, kind, as_of)
        value = base_value(node.of, scope)
        if value.den is not None:
            raise NotCompilable(f"sum {to_text(node)}", measure.id, "a sum of quotients by a fact")
        counts = ibis.literal(True) if node.where is None else _truth(node.where, scope)
        unknown = counts.isnull() | (counts.fill_null(False) & value.expr.isnull())
        keys = ["credit_code"]
        items = items.mutate(_v=value.expr, _in=counts.fill_null(False), _unk=unknown)
        if node.year == "subject":
            items = items.mutate(_sum_year=subject_year(kind, items))
            keys.append("_sum_year")
        totals = items.group_by(keys).aggregate(
            _s=ibis.ifelse(items._in, items._v, 0).sum(),
            _u=ibis.ifelse(items._unk, 1, 0).sum(),
        )
        name = f"_sum{k}"
        if node.year == "subject":
            year = (
                ibis.literal(as_of.year, I64)
                if measure.applies_to == "enterprise"
                else subject_year(measure.applies_to, rows)
            )
            rows = rows.mutate(_sum_year=year)
        rows = rows.left_join(totals, keys)
        rows = rows.drop(*[c for c in rows.columns if c.endswith("_right")])
        total = ibis.ifelse(rows._u.fill_null(0) > 0, ibis.null(I64), rows._s.fill_null(0).cast(I64))
        rows = rows.mutate(**{name: total}).drop("_s", "_u", *(["_sum_year"] if node.year == "subject" else []))
        joined[node] = (name, value.scale)
    return rows, joined


def _truth(expr: Expr, scope: Scope) -> ir.BooleanValue:
    """Whether a subject counts: true, false or null (unknown), not yet folded to false."""
    return truth_of(compile_expr(expr, scope), scope, expr)
