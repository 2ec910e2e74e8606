"""Condition and base expressions: a tiny typed tree parsed once from policy text.

The surface syntax is a safe subset of Python expressions, e.g.

    project.field in ['ai_chip', 'smart_sensor'] and project.parameters >= 100e9
    'chokepoint' in project.recognitions
    not enterprise.severe_credit_record

Python's own parser reads the text; only the node kinds below are accepted, so nothing
is ever executed. Number literals are read from their source text as Decimal (100e9 is
exactly 100000000000), and strings compared with money may use Chinese units ('300万').
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal, TypeAlias

from huiqi.memo import per_node

CompareOp: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
ArithOp: TypeAlias = Literal["+", "-", "*", "/"]
Scalar: TypeAlias = Decimal | str | bool | None


@dataclass(frozen=True, slots=True)
class Const:
    value: Scalar


@dataclass(frozen=True, slots=True)
class ListOf:
    items: tuple[Const, ...]


@dataclass(frozen=True, slots=True)
class Ref:
    """A fact: ('project', 'costs', 'new_investment')."""

    path: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: Literal["and", "or"]
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    op: CompareOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Arith:
    op: ArithOp
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Call:
    """min(a, b) / max(a, b)."""

    func: Literal["min", "max"]
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Sum:
    """sum(contract.amount, where=contract.kind == 'compute', year='subject'): a fact summed over
    every subject of one kind the enterprise has (the subject assessed included), those where
    `where` holds, and, with year='subject', only those of the assessed subject's year."""

    of: Ref
    where: Expr | None = None
    year: Literal["subject"] | None = None


@dataclass(frozen=True, slots=True)
class Within:
    """within(enterprise.business_district, '上海市'): a region fact lies in a region (itself, or a
    district, zone … inside it). The region is read to its code when the policy loads."""

    of: Ref
    region: str


Expr: TypeAlias = Const | ListOf | Ref | Not | BoolOp | Compare | Arith | Call | Sum | Within


class ExprSyntaxError(ValueError):
    def __init__(self, message: str, column: int | None = None):
        self.column = column
        super().__init__(message)


_COMPARE_OPS: dict[type[ast.cmpop], CompareOp] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_ARITH_OPS: dict[type[ast.operator], ArithOp] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


# A bare ISO date (contract.signed >= 2023-09-01) is a date literal; Python would read it as a
# subtraction (and refuse 09), so it is quoted before parsing. Quoted strings are left alone.
_BARE_DATE = re.compile(r"""('[^']*'|"[^"]*")|(?<![\w.'"])(\d{4}-\d{2}-\d{2})(?![\w.'"])""")


def _quote_dates(text: str) -> str:
    return _BARE_DATE.sub(lambda m: m.group(1) or f"'{m.group(2)}'", text)


def parse_expr(text: str) -> Expr:
    try:
        tree = ast.parse(_quote_dates(text.strip()), mode="eval")
    except SyntaxError as exc:
        raise ExprSyntaxError(f"cannot parse expression {text!r}: {exc.msg}", exc.offset) from exc
    return _Converter(_quote_dates(text.strip())).convert(tree.body)


class _Converter:
    def __init__(self, source: str):
        self.source = source

    def fail(self, node: ast.AST, what: str) -> ExprSyntaxError:
        column = getattr(node, "col_offset", None)
        return ExprSyntaxError(f"{what} is not allowed in a rule expression: {self.source!r}", column)

    def convert(self, node: ast.expr) -> Expr:
        match node:
            case ast.BoolOp(op=ast.And(), values=values):
                return BoolOp("and", tuple(self.convert(v) for v in values))
            case ast.BoolOp(op=ast.Or(), values=values):
                return BoolOp("or", tuple(self.convert(v) for v in values))
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return Not(self.convert(operand))
            case ast.UnaryOp(op=ast.USub(), operand=ast.Constant() as operand):
                constant = self.constant(operand)
                if not isinstance(constant.value, Decimal):
                    raise self.fail(node, "a minus sign before a non-number")
                return Const(-constant.value)
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                return self.compare(left, ops, comparators)
            case ast.BinOp(left=left, op=op, right=right) if type(op) in _ARITH_OPS:
                return Arith(_ARITH_OPS[type(op)], self.convert(left), self.convert(right))
            case ast.Call(func=ast.Name(id="min" | "max" as func), args=args, keywords=[]) if len(args) >= 2:
                return Call(func, tuple(self.convert(a) for a in args))
            case ast.Call(func=ast.Name(id="sum"), args=[ast.Attribute() as of], keywords=keywords):
                return self.sum(node, Ref(self.path(of)), keywords)
            case ast.Call(
                func=ast.Name(id="within"),
                args=[ast.Attribute() as of, ast.Constant(value=str() as region)],
                keywords=[],
            ):
                return Within(Ref(self.path(of)), region)
            case ast.Constant():
                return self.constant(node)
            case ast.List(elts=elts) | ast.Tuple(elts=elts) | ast.Set(elts=elts):
                return ListOf(tuple(self.constant(e) for e in elts))
            case ast.Name(id="true" | "false" as word):
                return Const(word == "true")
            case ast.Name() | ast.Attribute():
                return Ref(self.path(node))
        raise self.fail(node, type(node).__name__)

    def sum(self, node: ast.expr, of: Ref, keywords: list[ast.keyword]) -> Sum:
        where: Expr | None = None
        year: Literal["subject"] | None = None
        for keyword in keywords:
            if keyword.arg == "where":
                where = self.convert(keyword.value)
            elif keyword.arg == "year" and isinstance(keyword.value, ast.Constant) and keyword.value.value == "subject":
                year = "subject"
            else:
                raise self.fail(node, f"sum(..., {keyword.arg}=...): only where=<condition> and year='subject'")
        return Sum(of, where, year)

    def compare(self, left: ast.expr, ops: list[ast.cmpop], comparators: list[ast.expr]) -> Expr:
        # a < b <= c is read as (a < b) and (b <= c), as in Python.
        parts: list[Expr] = []
        current = self.convert(left)
        for op, comparator in zip(ops, comparators, strict=True):
            right = self.convert(comparator)
            parts.append(Compare(_COMPARE_OPS[type(op)], current, right))
            current = right
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def constant(self, node: ast.expr) -> Const:
        if not isinstance(node, ast.Constant):
            raise self.fail(node, f"{type(node).__name__} inside a list")
        value = node.value
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return Const(value)
        if isinstance(value, int | float):
            text = ast.get_source_segment(self.source, node) or repr(value)
            try:
                return Const(Decimal(text.replace("_", "")))
            except InvalidOperation as exc:  # pragma: no cover - Python accepted it as a number
                raise self.fail(node, f"number {text!r}") from exc
        raise self.fail(node, f"constant {value!r}")

    def path(self, node: ast.expr) -> tuple[str, ...]:
        if isinstance(node, ast.Name):
            return (node.id,)
        if isinstance(node, ast.Attribute):
            return (*self.path(node.value), node.attr)
        raise self.fail(node, type(node).__name__)


@per_node
def refs(expr: Expr) -> tuple[Ref, ...]:
    """Every fact an expression reads, in order (for explanations); made once per node."""
    found: list[Ref] = []

    def walk(node: Expr) -> None:
        match node:
            case Ref():
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
            case Sum():
                pass  # reads other subjects: shown as the sum, not as facts of the subject
            case Within(of=of):
                walk(of)
            case Const() | ListOf():
                pass

    walk(expr)
    return tuple(found)


@per_node
def to_text(expr: Expr) -> str:
    """Canonical text of an expression (for traces and reasons), made once per node."""
    match expr:
        case Const(value=value):
            if isinstance(value, Decimal):
                return format(value.normalize(), "f")
            return repr(value) if isinstance(value, str) else str(value)
        case ListOf(items=items):
            return "[" + ", ".join(to_text(i) for i in items) + "]"
        case Ref():
            return expr.dotted
        case Not(operand=operand):
            return f"not {_wrap(operand)}"
        case BoolOp(op=op, operands=operands):
            return f" {op} ".join(_wrap(o) for o in operands)
        case Compare(op=op, left=left, right=right) | Arith(op=op, left=left, right=right):
            return f"{_wrap(left)} {op} {_wrap(right)}"
        case Call(func=func, args=args):
            return f"{func}(" + ", ".join(to_text(a) for a in args) + ")"
        case Within(of=of, region=region):
            return f"within({of.dotted}, {region!r})"
        case Sum(of=of, where=where, year=year):
            parts = [of.dotted]
            if where is not None:
                parts.append(f"where={to_text(where)}")
            if year is not None:
                parts.append(f"year={year!r}")
            return "sum(" + ", ".join(parts) + ")"
    raise TypeError(f"not an expression node: {expr!r}")  # pragma: no cover


def _wrap(expr: Expr) -> str:
    text = to_text(expr)
    return f"({text})" if isinstance(expr, BoolOp) else text
