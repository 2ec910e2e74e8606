"""The facts a rule may read, with their types, derived from the facts models.

Used once, when a policy is loaded: every reference in a condition or base must name a
real fact, enum literals must be real codes (Chinese terms are read to codes), and money
literals may be written with Chinese units. A typo is then a diagnostic, not a measure
that silently never applies.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Literal

from pydantic import BaseModel

from huiqi.facts.models import Enterprise, Lease, Project, RDInstitution, ServicePlatform
from huiqi.facts.vocabulary import CostKind, Labelled
from huiqi.money import MoneyError, parse_amount
from huiqi.rules.expr import Arith, BoolOp, Call, Compare, Const, Expr, ListOf, Not, Ref, to_text

TypeKind = Literal["number", "bool", "enum", "set", "date", "str", "by_year"]

SUBJECT_MODELS: dict[str, type[BaseModel]] = {
    "enterprise": Enterprise,
    "project": Project,
    "lease": Lease,
    "institution": RDInstitution,
    "platform": ServicePlatform,
}


@dataclass(frozen=True, slots=True)
class FactType:
    kind: TypeKind
    enum: type[Enum] | None = None
    nullable: bool = False
    values: frozenset[str] = field(default_factory=frozenset)


def _unwrap(annotation: object) -> tuple[object, bool]:
    nullable = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            nullable = nullable or len(args) < len(typing.get_args(annotation))
            annotation = args[0]
        else:
            return annotation, nullable


def _fact_type(annotation: object) -> FactType | None:
    inner, nullable = _unwrap(annotation)
    origin = typing.get_origin(inner)
    if inner is bool:
        return FactType("bool", nullable=nullable)
    if inner in (int, Decimal):
        return FactType("number", nullable=nullable)
    if inner is date:
        return FactType("date", nullable=nullable)
    if inner is str:
        return FactType("str", nullable=nullable)
    if isinstance(inner, type) and issubclass(inner, Enum):
        return FactType("enum", inner, nullable, frozenset(str(m.value) for m in inner))
    if origin in (frozenset, set, list):
        (item,) = typing.get_args(inner)
        item_type, _ = _unwrap(item)
        if isinstance(item_type, type) and issubclass(item_type, Enum):
            return FactType("set", item_type, nullable, frozenset(str(m.value) for m in item_type))
    if origin is dict:
        return FactType("by_year", nullable=nullable)
    return None


def fact_type(path: tuple[str, ...]) -> FactType:
    """The type of a fact path, or KeyError with a message naming what is known."""
    root, *rest = path
    model = SUBJECT_MODELS.get(root)
    if model is None:
        raise KeyError(f"unknown fact {'.'.join(path)!r}: a path starts with one of {sorted(SUBJECT_MODELS)}")
    if not rest:
        raise KeyError(f"{root!r} alone is not a fact; name a field, e.g. {root}.{next(iter(model.model_fields))}")
    name, *tail = rest
    if name not in model.model_fields:
        raise KeyError(f"unknown fact {'.'.join(path)!r}; {root} has: {', '.join(model.model_fields)}")
    if model is Project and name == "costs":
        kinds = {k.value for k in CostKind}
        if len(tail) != 1 or tail[0] not in kinds:
            raise KeyError(f"{'.'.join(path)!r}: write project.costs.<kind> with kind one of {sorted(kinds)}")
        return FactType("by_year")
    if tail:
        raise KeyError(f"unknown fact {'.'.join(path)!r}: {root}.{name} has no parts")
    found = _fact_type(model.model_fields[name].annotation)
    if found is None:  # pragma: no cover - every facts field has a known type
        raise KeyError(f"fact {'.'.join(path)!r} cannot be used in a rule")
    return found


@dataclass
class Checker:
    """Type-checks an expression for one measure and returns it with literals normalised."""

    roots: frozenset[str]
    errors: list[str] = field(default_factory=list)

    def check(self, expr: Expr, expect: Literal["bool", "number", "by_year"]) -> Expr:
        checked, found = self.visit(expr)
        kind = found.kind if isinstance(found, FactType) else found
        if kind is not None and expect == "number" and kind == "by_year":
            return checked  # a by-year fact used as a number means its total over the years
        if kind is not None and kind != expect and not (expect == "by_year" and kind == "number"):
            self.errors.append(f"{to_text(expr)!r} is a {kind}, but a {expect} is needed here")
        return checked

    def visit(self, expr: Expr) -> tuple[Expr, FactType | TypeKind | None]:
        match expr:
            case Const(value=value):
                kind: TypeKind | None = (
                    "bool"
                    if isinstance(value, bool)
                    else "number"
                    if isinstance(value, Decimal)
                    else "str"
                    if isinstance(value, str)
                    else None
                )
                return expr, kind
            case ListOf():
                return expr, None
            case Ref(path=path):
                if path[0] not in self.roots:
                    self.errors.append(f"{expr.dotted!r}: here only {', '.join(sorted(self.roots))} can be read")
                    return expr, None
                try:
                    return expr, fact_type(path)
                except KeyError as exc:
                    self.errors.append(str(exc.args[0]))
                    return expr, None
            case Not(operand=operand):
                return Not(self.check(operand, "bool")), "bool"
            case BoolOp(op=op, operands=operands):
                return BoolOp(op, tuple(self.check(o, "bool") for o in operands)), "bool"
            case Arith(op=op, left=left, right=right):
                return Arith(op, self.check(left, "number"), self.check(right, "number")), "number"
            case Call(func=func, args=args):
                return Call(func, tuple(self.check(a, "number") for a in args)), "number"
            case Compare():
                return self.compare(expr), "bool"
        raise TypeError(f"not an expression node: {expr!r}")  # pragma: no cover

    def compare(self, expr: Compare) -> Compare:
        left, left_type = self.visit(expr.left)
        right, right_type = self.visit(expr.right)
        if expr.op in ("in", "not in"):
            # x in [a, b]  or  'code' in project.recognitions
            if isinstance(right_type, FactType) and right_type.kind == "set":
                return Compare(expr.op, self.literal_for(left, right_type), right)
            if isinstance(right, ListOf) and isinstance(left_type, FactType):
                items = tuple(self.literal_for(item, left_type) for item in right.items)
                return Compare(expr.op, left, ListOf(items))  # type: ignore[arg-type]
            if left_type is None or (right_type is None and not isinstance(right, ListOf)):
                return expr  # an unknown fact was already reported
            self.errors.append(f"{to_text(expr)!r}: 'in' needs a list on the right or a set fact")
            return expr
        if isinstance(left_type, FactType):
            right = self.literal_for(right, left_type)
        elif isinstance(right_type, FactType):
            left = self.literal_for(left, right_type)
        return Compare(expr.op, left, right)

    def literal_for(self, node: Expr, target: FactType) -> Expr:
        """Normalise a literal to the fact's type: enum codes, exact money."""
        if not isinstance(node, Const) or node.value is None:
            return node
        value = node.value
        if target.kind in ("enum", "set") and target.enum is not None:
            if isinstance(value, str) and issubclass(target.enum, Labelled):
                value = target.enum.read(value)  # type: ignore[assignment]
            if str(value) not in target.values:
                self.errors.append(f"{value!r} is not a known value; expected one of {sorted(target.values)}")
            return Const(str(value))
        if target.kind == "date" and isinstance(value, str):
            try:
                date.fromisoformat(value)
            except ValueError:
                self.errors.append(f"{value!r} is not a date; write 'YYYY-MM-DD'")
        if target.kind in ("number", "by_year") and isinstance(value, str):
            try:
                return Const(parse_amount(value))
            except MoneyError as exc:
                self.errors.append(str(exc))
        return node
