"""Reading facts and evaluating expressions for one subject (the scalar walker).

Unknown facts are None and logic is three-valued (Kleene): a condition holds only when it
is True, and an unknown makes it fail with "not provided" rather than guess.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pydantic import BaseModel

from huiqi.facts.size_class import classify
from huiqi.memo import per_node
from huiqi.money import EXACT, Exact, exact_decimal, format_exact
from huiqi.regions import codes_within
from huiqi.rules.expr import Arith, BoolOp, Call, Compare, Const, Expr, ListOf, Not, Ref, Sum, Within, refs
from huiqi.rules.words import code_label, expr_words, fact_name

Value = Decimal | Fraction | str | bool | date | frozenset[str] | Mapping[int, Decimal] | None


@dataclass(frozen=True, slots=True)
class Scope:
    """The objects a rule may read: enterprise, plus the measure's subject; the enterprise's
    subjects by kind (for sum(...)), the subject's year and the assessment date."""

    objects: Mapping[str, BaseModel]
    subjects: Mapping[str, Sequence[BaseModel]] = field(default_factory=dict)
    year: int | None = None
    as_of: date | None = None

    def read(self, ref: Ref) -> Value:
        return compiled(ref)(self)


def as_number(value: Value) -> Exact | None:
    """A by-year fact used as a number is its total over the years."""
    if isinstance(value, Mapping):
        return sum(value.values(), Decimal(0))
    if isinstance(value, Decimal | Fraction):
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
    try:
        return bool(_ORDER[op](left, right))
    except TypeError:  # the policy checker refuses such comparisons; never crash on one
        return None


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _exactly(
    on_decimals: Callable[[Decimal, Decimal], Decimal] | None, on_fractions: Callable[[Any, Any], Any]
) -> Callable[[Exact, Exact], Exact | None]:
    """An operation with nothing rounded: on decimals in 200 digits while both are decimals (and
    the operation keeps them so: not a quotient), else on fractions; a fraction that is a finite
    decimal goes back to one."""

    def run(a: Exact, b: Exact) -> Exact | None:
        if on_decimals is not None and isinstance(a, Decimal) and isinstance(b, Decimal):
            return on_decimals(a, b)
        if on_decimals is None and b == 0:
            return None  # x / 0 is unknown: a condition reading it fails as not provided
        return exact_decimal(on_fractions(Fraction(a), Fraction(b)))

    return run


_ARITH: dict[str, Callable[[Exact, Exact], Exact | None]] = {
    "+": _exactly(EXACT.add, operator.add),
    "-": _exactly(EXACT.subtract, operator.sub),
    "*": _exactly(EXACT.multiply, operator.mul),
    "/": _exactly(None, operator.truediv),
}


Evaluator = Callable[[Scope], Value]


def full_years(start: date, end: date) -> int:
    """Whole years from start to end: 2021-03-01 to 2024-02-29 is 2, to 2024-03-01 is 3."""
    return end.year - start.year - (1 if (end.month, end.day) < (start.month, start.day) else 0)


def _age_years(scope: Scope) -> Value:
    founded = getattr(scope.objects["enterprise"], "founded", None)
    if founded is None or scope.as_of is None:
        return None
    return Decimal(full_years(founded, scope.as_of))


def _size(scope: Scope) -> Value:
    """The size class as given, else by the national classification (huiqi.facts.size_class) from the
    industry, employees and the revenue of the year before the assessment date."""
    enterprise: Any = scope.objects["enterprise"]
    if enterprise.size_class is not None:
        return str(enterprise.size_class.value)
    if enterprise.industry is None or scope.as_of is None:
        return None
    revenue = enterprise.revenue.get(scope.as_of.year - 1)
    reading = classify(str(enterprise.industry.value), enterprise.employees, revenue)
    return None if reading is None else reading.size


def _property(root: str, name: str) -> Evaluator:
    def read(scope: Scope) -> Value:
        value = getattr(scope.objects[root], name, None)  # a calculator's partial answers have no term yet
        return None if value is None else Decimal(value)

    return read


DERIVED: dict[tuple[str, str], Evaluator] = {
    ("contract", "term_months"): _property("contract", "term_months"),
    ("contract", "year"): _property("contract", "year"),
    ("enterprise", "age_years"): _age_years,
    ("enterprise", "size"): _size,
}
"""How the interpreter computes each derived fact (huiqi.rules.factpaths.DERIVED)."""

SUBJECT_YEAR: dict[str, Callable[[Any], int]] = {
    "project": lambda p: int(p.year),
    "lease": lambda x: int(x.start_date.year),
    "institution": lambda i: int(i.recognised_year),
    "platform": lambda p: int(p.year),
    "contract": lambda c: int(c.year),
}
"""The year a subject belongs to (its claims, annual caps, sum(..., year='subject'))."""


def _sum(expr: Sum) -> Evaluator:
    """The total over the enterprise's subjects of one kind; unknown when a counted subject's
    value, or whether it counts, is unknown (never a guess)."""
    kind = expr.of.path[0]
    value = compiled(expr.of)
    where = compiled(expr.where) if expr.where is not None else None
    year_of = SUBJECT_YEAR[kind]

    def run(scope: Scope) -> Value:
        total: Exact = Decimal(0)
        for item in scope.subjects.get(kind, ()):
            if expr.year == "subject" and (scope.year is None or year_of(item) != scope.year):
                continue
            inner = Scope(
                {"enterprise": scope.objects["enterprise"], kind: item}, scope.subjects, scope.year, scope.as_of
            )
            if where is not None:
                counts = where(inner)
                if counts is None:
                    return None
                if counts is not True:
                    continue
            amount = as_number(value(inner))
            if amount is None:
                return None
            total = (
                EXACT.add(total, amount)
                if isinstance(total, Decimal) and isinstance(amount, Decimal)
                else exact_decimal(Fraction(total) + Fraction(amount))
            )
        return total

    return run


def _reader(path: tuple[str, ...]) -> Evaluator:
    """A fact read, specialised at compile time: enterprise.x, project.y or project.costs.<kind>."""
    root, name, *rest = path
    if not rest and (root, name) in DERIVED:
        return DERIVED[(root, name)]
    if rest:  # project.costs.<kind>: a by-year mapping, None when not given
        kind = rest[0]

        def read_costs(scope: Scope) -> Value:
            value: Any = getattr(scope.objects[root], name).get(kind)
            return value if value else None

        return read_costs

    def read(scope: Scope) -> Value:
        value: Any = getattr(scope.objects[root], name)
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
        if isinstance(value, dict) and not value:
            return None
        return value  # type: ignore[no-any-return]

    return read


def _kleene(parts: tuple[Evaluator, ...], decisive: bool) -> Evaluator:
    """and (decisive False) / or (decisive True) in three-valued logic: unknown unless decided."""

    def run(scope: Scope) -> Value:
        unknown = False
        for part in parts:
            result = part(scope)
            if result is decisive:
                return decisive
            unknown = unknown or result is None
        return None if unknown else not decisive

    return run


def _build(expr: Expr) -> Evaluator:
    """Turn a node into a Python closure once; the closures are what runs per evaluation."""
    match expr:
        case Const(value=value):
            return lambda scope: value
        case ListOf(items=items):
            members = frozenset(str(i.value) for i in items)
            return lambda scope: members
        case Ref(path=path):
            return _reader(path)
        case Not(operand=operand):
            inner = compiled(operand)

            def negate(scope: Scope) -> Value:
                result = inner(scope)
                return None if result is None else not result

            return negate
        case BoolOp(op="and", operands=operands):
            return _kleene(tuple(compiled(o) for o in operands), decisive=False)
        case BoolOp(op="or", operands=operands):
            return _kleene(tuple(compiled(o) for o in operands), decisive=True)
        case Compare(op=op, left=left, right=right):
            lhs, rhs = compiled(left), compiled(right)
            return lambda scope: _compare(op, lhs(scope), rhs(scope))
        case Arith(op=op, left=left, right=right):
            lhs, rhs, apply = compiled(left), compiled(right), _ARITH[op]

            def arith(scope: Scope) -> Value:
                a, b = as_number(lhs(scope)), as_number(rhs(scope))
                return None if a is None or b is None else apply(a, b)

            return arith
        case Call(func=func, args=args):
            parts, pick = tuple(compiled(a) for a in args), (min if func == "min" else max)

            def call(scope: Scope) -> Value:
                numbers = [as_number(part(scope)) for part in parts]
                known = [n for n in numbers if n is not None]
                return None if len(known) < len(numbers) else pick(known)

            return call
        case Sum():
            return _sum(expr)
        case Within(of=of, region=region):
            read, inside = compiled(of), codes_within(region)

            def within(scope: Scope) -> Value:
                value = read(scope)
                return None if value is None else value in inside

            return within
    raise TypeError(f"no evaluation rule for {type(expr).__name__}")  # pragma: no cover


compiled = per_node(_build)
"""The closure for a node, made once per node (rule trees are long-lived)."""


def evaluate(expr: Expr, scope: Scope) -> Value:
    return compiled(expr)(scope)


NOT_PROVIDED = {"zh": "未提供", "en": "not provided"}


def show(value: Value, lang: str = "zh") -> str:
    if value is None:
        return NOT_PROVIDED[lang]
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{y}: {v:,.2f}" for y, v in sorted(value.items())) + "}"
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(value)) + "]"
    if isinstance(value, Decimal):
        return f"{value:,f}" if value == value.to_integral_value() else f"{value:,}"
    if isinstance(value, Fraction):
        return format_exact(value)
    return str(value)


def facts_read(expr: Expr, scope: Scope, lang: str = "zh") -> str:
    """'领域 = 智能家居; 模型参数量 = 未提供' for a reason text ('not provided' in English): each fact by
    its name, a code by its label, a region by its name (上海市奉贤区, not 310120)."""
    return "; ".join(
        f"{fact_name(r, lang)} = {_shown(r, scope, lang)}" for r in refs(expr) if r.path[0] in scope.objects
    )


def _shown(ref: Ref, scope: Scope, lang: str) -> str:
    value = scope.read(ref)
    if isinstance(value, str):
        return code_label(ref, value, lang)
    if isinstance(value, frozenset):
        return "[" + ", ".join(code_label(ref, v, lang) for v in sorted(value)) + "]"
    return show(value, lang)


def holds(expr: Expr, scope: Scope) -> tuple[bool, str, str]:
    """Whether a condition holds, and why not (the facts it read), in Chinese and in English."""
    result = evaluate(expr, scope)
    if result is True:
        return True, "", ""
    zh, en = facts_read(expr, scope, "zh"), facts_read(expr, scope, "en")
    if result is None:
        return False, f"{expr_words(expr)}: 事实未提供 — {zh}", f"{expr_words(expr, 'en')}: not provided — {en}"
    return False, f"{expr_words(expr)} — {zh}", f"{expr_words(expr, 'en')} — {en}"
