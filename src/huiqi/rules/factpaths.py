"""The facts a rule may read, with their types, derived from the facts models.

Used once, when a policy is loaded: every reference in a condition or base must name a
real fact, enum literals must be real codes (Chinese terms are read to codes), and money
literals may be written with Chinese units. A typo is then a diagnostic, not a measure
that silently never applies.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import ClassVar, Literal

from pydantic import BaseModel

from huiqi.facts.models import Enterprise, Project
from huiqi.facts.subjects import KIND_NAMES, MODELS
from huiqi.facts.vocabulary import CostKind, Labelled, SizeClass
from huiqi.regions import read_region
from huiqi.rules.expr import Arith, BoolOp, Call, Compare, Const, Expr, ListOf, Not, Ref, Sum, Within, to_text

TypeKind = Literal["number", "bool", "enum", "set", "date", "str", "by_year", "region"]
REGION_FACTS = frozenset({("enterprise", "business_district"), ("enterprise", "tax_district")})
"""Facts holding a region's code (huiqi.regions): compared with a region, read by within(...)."""

SUBJECT_MODELS: dict[str, type[BaseModel]] = {"enterprise": Enterprise, **MODELS}
SUMMABLE = KIND_NAMES
"""The subject kinds sum(...) may run over (the enterprise is one, not a list)."""

DERIVED: dict[tuple[str, str], tuple[str, str, str]] = {
    ("contract", "term_months"): ("服务期限(月)", "term in months", "months from start to end, inclusive"),
    ("contract", "year"): ("签订年度", "year signed", "the year of the signing date"),
    ("enterprise", "age_years"): ("成立年限(年)", "years since founding", "whole years from founded to the as-of date"),
    ("enterprise", "size"): (
        "企业规模",
        "enterprise size",
        "size_class when given, else by the national classification from industry, employees and the"
        " revenue of the year before the as-of year",
    ),
}
"""Facts computed from others (Chinese, English, how): every walker computes them."""
DERIVED_FROM: dict[tuple[str, str], tuple[str, ...]] = {
    ("contract", "term_months"): ("service_start", "service_end"),
    ("contract", "year"): ("signed",),
    ("enterprise", "age_years"): ("founded",),
    ("enterprise", "size"): ("size_class", "industry", "employees", "revenue"),
}
"""The facts of the same subject each derived fact is computed from: what a form asks for it."""
DERIVED_ENUMS: dict[tuple[str, str], type[Enum]] = {("enterprise", "size"): SizeClass}
"""Derived facts that are codes (the rest are numbers)."""


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
    if (root, name) in REGION_FACTS and not tail:
        return FactType("region")
    if (root, name) in DERIVED and not tail:
        enum = DERIVED_ENUMS.get((root, name))
        if enum is not None:
            return FactType("enum", enum, True, frozenset(str(m.value) for m in enum))
        return FactType("number", nullable=True)
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
    """Type-checks the expressions of one measure, collecting every problem in `errors`.

    Literals were already read (Chinese terms to codes, '300万' to yuan) when the policy was
    parsed; this pass only judges: facts exist and may be read here, enum literals are real
    codes, and both sides of a comparison are of one family (numbers, texts, dates, booleans).
    """

    roots: frozenset[str]
    errors: list[str] = field(default_factory=list)
    in_sum: bool = False

    def check(self, expr: Expr, expect: Literal["bool", "number", "by_year"]) -> None:
        found = self.visit(expr)
        kind = found.kind if isinstance(found, FactType) else found
        if kind is None or kind == expect or (kind, expect) in (("by_year", "number"), ("number", "by_year")):
            return  # a by-year fact used as a number means its total over the years
        self.errors.append(f"{to_text(expr)!r} is a {kind}, but a {expect} is needed here")

    def visit(self, expr: Expr) -> FactType | TypeKind | None:
        match expr:
            case Const(value=value):
                if isinstance(value, bool):
                    return "bool"
                return "number" if isinstance(value, Decimal) else "str" if isinstance(value, str) else None
            case ListOf():
                return None
            case Ref(path=path):
                if path[0] not in self.roots:
                    self.errors.append(f"{expr.dotted!r}: here only {', '.join(sorted(self.roots))} can be read")
                    return None
                try:
                    return fact_type(path)
                except KeyError as exc:
                    self.errors.append(str(exc.args[0]))
                    return None
            case Not(operand=operand):
                self.check(operand, "bool")
                return "bool"
            case BoolOp(operands=operands):
                for operand in operands:
                    self.check(operand, "bool")
                return "bool"
            case Arith(op=op, left=left, right=right):
                self.check(left, "number")
                self.check(right, "number")
                if op == "/" and isinstance(right, Const) and right.value == 0:
                    self.errors.append(f"{to_text(expr)!r} divides by zero")
                return "number"
            case Call(args=args):
                for arg in args:
                    self.check(arg, "number")
                return "number"
            case Sum():
                self.sum(expr)
                return "number"
            case Within(of=of, region=region):
                found = self.visit(of)
                if isinstance(found, FactType) and found.kind != "region":
                    self.errors.append(
                        f"{to_text(expr)!r}: within(...) reads a region fact, e.g. enterprise.business_district"
                    )
                try:
                    read_region(region)
                except ValueError as error:
                    self.errors.append(str(error))
                return "bool"
            case Compare():
                self.compare(expr)
                return "bool"
        raise TypeError(f"not an expression node: {expr!r}")  # pragma: no cover

    def sum(self, expr: Sum) -> None:
        if self.in_sum:
            self.errors.append(f"{to_text(expr)!r}: a sum inside a sum cannot be computed; write it as two conditions")
            return
        kind = expr.of.path[0]
        if kind not in SUMMABLE:
            self.errors.append(
                f"{to_text(expr)!r}: sum runs over one kind of subject: {', '.join(SUMMABLE)}; not {kind!r}"
            )
            return
        inner = Checker(frozenset({"enterprise", kind}), self.errors, in_sum=True)
        inner.check(expr.of, "number")
        if expr.where is not None:
            inner.check(expr.where, "bool")

    def compare(self, expr: Compare) -> None:
        left_type, right_type = self.visit(expr.left), self.visit(expr.right)
        if expr.op in ("in", "not in"):
            # x in [a, b]  or  'code' in project.recognitions
            if isinstance(right_type, FactType) and right_type.kind == "set":
                self.literal(expr.left, right_type)
            elif isinstance(expr.right, ListOf) and isinstance(left_type, FactType):
                for item in expr.right.items:
                    self.literal(item, left_type)
            elif left_type is not None and (right_type is not None or isinstance(expr.right, ListOf)):
                self.errors.append(f"{to_text(expr)!r}: 'in' needs a list on the right or a set fact")
            return
        if isinstance(left_type, FactType):
            self.literal(expr.right, left_type)
        elif isinstance(right_type, FactType):
            self.literal(expr.left, right_type)
        self.same_family(expr, left_type, right_type)

    _FAMILY: ClassVar[dict[str, str]] = {
        "number": "number",
        "by_year": "number",
        "enum": "text",
        "str": "text",
        "bool": "bool",
        "date": "date",
        "region": "text",
    }

    def same_family(self, expr: Compare, left: FactType | TypeKind | None, right: FactType | TypeKind | None) -> None:
        if left is None or right is None:
            return  # unknown, and already reported
        families = {self._FAMILY.get(t.kind if isinstance(t, FactType) else t) for t in (left, right)}
        if families == {"date", "text"}:
            return  # a date compared with 'YYYY-MM-DD' (checked by literal)
        if len(families) > 1:
            self.errors.append(f"{to_text(expr)!r} compares a {' with a '.join(sorted(f or '?' for f in families))}")
        elif expr.op in ("<", "<=", ">", ">=") and families & {"text", "bool"}:
            self.errors.append(f"{to_text(expr)!r}: {expr.op} needs numbers or dates")

    def literal(self, node: Expr, target: FactType) -> None:
        """A literal compared with a fact must be a value that fact can have."""
        if not isinstance(node, Const) or node.value is None:
            return
        value = node.value
        if target.kind == "region":
            try:
                read_region(value)
            except ValueError as error:
                self.errors.append(str(error))
            return
        if target.kind in ("enum", "set") and str(value) not in target.values:
            self.errors.append(f"{value!r} is not a known value{_did_you_mean(str(value), target)}")
        if target.kind == "date" and isinstance(value, str):
            try:
                date.fromisoformat(value)
            except ValueError:
                self.errors.append(f"{value!r} is not a date; write 'YYYY-MM-DD'")


def _did_you_mean(value: str, target: FactType) -> str:
    """'; did you mean 'compute'?' (a near code, or the code of a Chinese term or synonym), then the
    vocabulary's codes."""
    codes = sorted(target.values)
    near = difflib.get_close_matches(value, codes, n=1, cutoff=0.6)
    if not near and target.enum is not None and issubclass(target.enum, Labelled):
        try:
            near = [str(target.enum.read(value).value)]  # type: ignore[attr-defined]
        except ValueError:
            near = []
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return f"{hint} expected one of {codes}"


def _humanised(name: str) -> str:
    return name.replace("_", " ")


def fact_label(path: tuple[str, ...]) -> tuple[str, str]:
    """The Chinese and English names of a fact, from the facts models (e.g. 项目新增投资 / new investment)."""
    root, *rest = path
    model = SUBJECT_MODELS.get(root)
    if len(rest) == 1 and (root, rest[0]) in DERIVED:
        zh, en, _ = DERIVED[(root, rest[0])]
        return zh, en
    if model is None or not rest or rest[0] not in model.model_fields:
        return ".".join(path), ".".join(path)
    name = rest[0]
    if model is Project and name == "costs" and len(rest) == 2:
        labels = {str(kind.value): kind.zh for kind in CostKind}
        return labels.get(rest[1], rest[1]), _humanised(rest[1])
    info = model.model_fields[name]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    zh = str(extra.get("zh") or info.title or name)
    return zh, _humanised(name)
