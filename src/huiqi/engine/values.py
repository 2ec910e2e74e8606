"""Reading facts and evaluating expressions for one subject (the scalar walker).

Unknown facts are None and logic is three-valued (Kleene): a condition holds only when it
is True, and an unknown makes it fail with "not provided" rather than guess.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from huiqi.rules.expr import Arith, BoolOp, Call, Compare, Const, Expr, ListOf, Not, Ref, refs, to_text

Value = Decimal | str | bool | date | frozenset[str] | Mapping[int, Decimal] | None


@dataclass(frozen=True, slots=True)
class Scope:
    """The objects a rule may read: enterprise, plus the measure's subject."""

    objects: Mapping[str, BaseModel]

    def read(self, ref: Ref) -> Value:
        root, name, *rest = ref.path
        value: Any = getattr(self.objects[root], name)
        if rest:  # project.costs.<kind>
            value = value.get(rest[0], {})
            return value if value else None
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
        if isinstance(value, dict) and not value:
            return None
        return value  # type: ignore[no-any-return]


def as_number(value: Value) -> Decimal | None:
    """A by-year fact used as a number is its total over the years."""
    if isinstance(value, Mapping):
        return sum(value.values(), Decimal(0))
    if isinstance(value, Decimal):
        return value
    return None


def _compare(op: str, left: Value, right: Value) -> bool | None:
    if op in ("in", "not in"):
        if left is None or right is None:
            return None
        contained = left in right  # type: ignore[operator]
        return contained if op == "in" else not contained
    if left is None or right is None:
        return None
    left_num, right_num = as_number(left), as_number(right)
    if left_num is not None and right_num is not None:
        left, right = left_num, right_num
    if isinstance(left, date) and isinstance(right, str):
        right = date.fromisoformat(right)
    return bool(_ORDER[op](left, right))


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITH: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


def evaluate(expr: Expr, scope: Scope) -> Value:
    match expr:
        case Const(value=value):
            return value
        case ListOf(items=items):
            return frozenset(str(i.value) for i in items)
        case Ref():
            return scope.read(expr)
        case Not(operand=operand):
            inner = evaluate(operand, scope)
            return None if inner is None else not inner
        case BoolOp(op="and", operands=operands):
            results = [evaluate(o, scope) for o in operands]
            if any(r is False for r in results):
                return False
            return None if any(r is None for r in results) else True
        case BoolOp(op="or", operands=operands):
            results = [evaluate(o, scope) for o in operands]
            if any(r is True for r in results):
                return True
            return None if any(r is None for r in results) else False
        case Compare(op=op, left=left, right=right):
            return _compare(op, evaluate(left, scope), evaluate(right, scope))
        case Arith(op=op, left=left, right=right):
            a, b = as_number(evaluate(left, scope)), as_number(evaluate(right, scope))
            return None if a is None or b is None else _ARITH[op](a, b)
        case Call(func=func, args=args):
            numbers = [as_number(evaluate(a, scope)) for a in args]
            if any(n is None for n in numbers):
                return None
            return (min if func == "min" else max)(n for n in numbers if n is not None)
    raise TypeError(f"no evaluation rule for {type(expr).__name__}")  # pragma: no cover


def show(value: Value) -> str:
    if value is None:
        return "未提供"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{y}: {v:,.2f}" for y, v in sorted(value.items())) + "}"
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(value)) + "]"
    if isinstance(value, Decimal):
        return f"{value:,f}" if value == value.to_integral_value() else f"{value:,}"
    return str(value)


def facts_read(expr: Expr, scope: Scope) -> str:
    """'project.field = smart_home; project.parameters = 未提供' for a reason text."""
    return "; ".join(f"{r.dotted} = {show(scope.read(r))}" for r in refs(expr) if r.path[0] in scope.objects)


def holds(expr: Expr, scope: Scope) -> tuple[bool, str]:
    """Whether a condition holds, and why not (the facts it read)."""
    result = evaluate(expr, scope)
    if result is True:
        return True, ""
    detail = facts_read(expr, scope)
    if result is None:
        return False, f"{to_text(expr)}: 事实未提供 (not provided) — {detail}"
    return False, f"{to_text(expr)} — {detail}"
