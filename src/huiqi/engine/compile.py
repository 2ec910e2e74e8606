"""The batch compiler: the rule tree compiled to Ibis expressions, one row per (subject, measure).

The fourth walker over the same rule tree (after the checker, the interpreter and the text
maker). Table-driven: EXPR_RULES maps each expression node type to a compile function and
COMPONENT_RULES each benefit kind; a node with no rule raises NotCompilable(kind, measure)
when the library is compiled, never a wrong figure.

Money is integer fen (int64) in SQL; every rounding is ROUND_HALF_UP to the fen, computed with
integer arithmetic (`div_half_up`) at the same points as the interpreter (after base × rate, on
each rent piece). Sums, caps, minima and maxima then work on whole fen and are exact on every
backend. Numbers inside an expression are exact fractions (`Num`): an integer over a constant
denominator, and over a row's denominator after dividing by a fact. Per-year amounts are
columns, one per year of the table's year window, so caps per year and latest-first cuts are
closed-form column arithmetic. Enterprise-wide caps use a window over
the enterprise's subjects in facts (file) order, as the interpreter does.

The plan is built over unbound tables named `huiqi_<record>s` (see huiqi.batch.load, which makes
them from the flattened input); any Ibis backend that has those tables runs it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import reduce
from math import gcd, lcm
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from huiqi.batch import schema as flat
from huiqi.engine import values as scalar
from huiqi.regions import codes_within
from huiqi.rules.expr import Arith, BoolOp, Call, Compare, Const, Expr, ListOf, Not, Ref, Sum, Within, refs, to_text
from huiqi.rules.model import (
    AmountChoice,
    AmountRange,
    Bonus,
    Component,
    Decision,
    Fixed,
    InForce,
    Match,
    Measure,
    Milestones,
    PerYear,
    RateChoice,
    RateRange,
    Ratio,
    RentSchedule,
)


class NotCompilable(Exception):
    """A rule-tree node the batch compiler has no rule for; raised at compile time."""

    def __init__(self, kind: str, measure: str, detail: str = ""):
        self.kind, self.measure, self.detail = kind, measure, detail
        super().__init__(f"{measure}: cannot compile {kind}" + (f" ({detail})" if detail else ""))


TABLES = {
    "enterprise": "huiqi_enterprises",
    "project": "huiqi_projects",
    "lease": "huiqi_leases",
    "institution": "huiqi_institutions",
    "platform": "huiqi_platforms",
    "contract": "huiqi_contracts",
    "prior_award": "huiqi_awards",
}
SUBJECT_YEAR = {"project": "project_year", "institution": "recognised_year", "platform": "platform_year"}
SUBJECT_DATE_YEAR = {"lease": "start_date", "contract": "signed"}
"""Subjects whose year is the year of a date: a lease's start, a contract's signing."""


def subject_year(kind: str, table: ir.Table) -> ir.IntegerValue:
    """The year a subject of this kind belongs to (as huiqi.engine.values.SUBJECT_YEAR)."""
    if kind in SUBJECT_DATE_YEAR:
        return table[SUBJECT_DATE_YEAR[kind]].year().cast(I64)
    return table[SUBJECT_YEAR[kind]].cast(I64)


I64 = dt.int64
BIG = dt.Decimal(38, 0)


@dataclass(frozen=True)
class Layout:
    """What the compiled plan may read: the columns present and the years of per-year amounts."""

    columns: frozenset[str]
    first_year: int
    last_year: int
    lease_slots: int = 1

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)


def normalised_type(name: str) -> dt.DataType:
    found = flat.classify(name)
    if isinstance(found, tuple):
        return I64
    if isinstance(found, flat.Column):
        return {
            "bool": dt.boolean,
            "int": I64,
            "money": I64,
            "area": I64,
            "date": dt.date,
        }.get(found.kind, dt.string)
    if name == "_row":
        return I64
    return dt.string


def unbound_tables(layout: Layout) -> dict[str, ir.Table]:
    """The normalised tables the plan reads, by record kind (money in fen, areas in centi-m²)."""
    tables = {}
    for record, name in TABLES.items():
        cols: dict[str, dt.DataType] = {"credit_code": dt.string, "_row": I64}
        if record != "prior_award":
            cols["id"] = dt.string
            cols["name"] = dt.string
        for column in flat.COLUMNS:
            if column.record == record:
                cols[column.name] = normalised_type(column.name)
        for family in flat.YEAR_FAMILIES:
            if family.record == record:
                for year in layout.years:
                    if flat.year_column(family, year) in layout.columns:
                        cols[flat.year_column(family, year)] = I64
        tables[record] = ibis.table(cols, name=name)
    return tables


# ---- exact integer arithmetic ----------------------------------------------------------------


def exact_quotient(n: ir.NumericValue, d: ir.NumericValue | int) -> ir.IntegerValue:
    """n // d for n >= 0 and d > 0, exact on every backend.

    (n - n % d) is a multiple of d, so the division is exact whatever type the backend gives
    `/` (a double in DuckDB and Spark for integers: the quotient, a fen amount below 2**52, is
    within 0.01 of the true integer, and rounding recovers it).
    """
    whole = n - n % d
    return (whole / d).round().cast(I64)


def div_half_up(n: ir.NumericValue, d: ir.NumericValue | int) -> ir.IntegerValue:
    """round(n / d) half up, for n >= 0 and d > 0: floor((2n + d) / 2d)."""
    return exact_quotient(n * 2 + d, d * 2)


def _scale_of(value: Decimal) -> tuple[int, int]:
    """A decimal as an integer over a power of ten: 0.3 -> (3, 10)."""
    sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)
    numerator = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    if exponent >= 0:
        return numerator * 10**exponent, 1
    return numerator, 10**-exponent


def _lit(value: int) -> ir.IntegerValue:
    return ibis.literal(value, type=I64)


def times_rate(base: Num, rate: Decimal, measure: str) -> ir.IntegerValue:
    """round_fen(base × rate), exact: the base's numerator × rate's numerator × 100 over the
    denominators, half up; the one rounding of the interpreter's base × rate."""
    numerator, denominator = _scale_of(rate)
    if denominator > 10**6:
        raise NotCompilable("rate", measure, f"{rate} has more than 6 decimal places")
    return _to_fen(base, numerator * 100, denominator)


def _to_fen(base: Num, numerator: int, denominator: int) -> ir.IntegerValue:
    """round_fen(base × numerator / denominator) for base >= 0, the constant fraction reduced."""
    bottom = base.scale * denominator
    common = gcd(numerator, bottom)
    top, bottom = numerator // common, bottom // common
    if base.den is not None:
        return div_half_up(_big(base.expr) * top, base.den * bottom)
    scaled = base.expr if top == 1 else base.expr * top
    return scaled if bottom == 1 else div_half_up(scaled, bottom)


# ---- values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Num:
    """An exact number: expr / (scale × den); money is fen (scale 100).

    scale is a positive integer: a power of ten, or more after a division by a constant (x / 3 of
    an amount is fen over 300). den is a row's positive denominator, after a division by a fact;
    then expr and den are DECIMAL(38,0), whose products do not overflow, and expr is null when
    the value is unknown (a divisor unknown or zero; every reader tests expr).
    """

    expr: ir.IntegerValue
    scale: int
    den: ir.IntegerValue | None = None


@dataclass(frozen=True)
class Series:
    """A by-year fact: one Num per year column present."""

    years: dict[int, Num]

    def total(self) -> Num:
        if not self.years:
            return Num(ibis.null(I64), 100)
        values = [n.expr for n in self.years.values()]
        known = ibis.or_(*[v.notnull() for v in values])
        summed = sum((v.fill_null(0) for v in values[1:]), values[0].fill_null(0))
        return Num(ibis.ifelse(known, summed, ibis.null(I64)), 100)


@dataclass(frozen=True)
class Text:
    expr: ir.StringValue


@dataclass(frozen=True)
class Codes:
    """A set of codes as ';a;b;' text."""

    expr: ir.StringValue


@dataclass(frozen=True)
class Day:
    expr: ir.DateValue


@dataclass(frozen=True)
class Truth:
    expr: ir.BooleanValue


@dataclass(frozen=True)
class Literal:
    value: Decimal | str | bool | None


@dataclass(frozen=True)
class Members:
    items: tuple[str, ...]


Value = Num | Series | Text | Codes | Day | Truth | Literal | Members


@dataclass
class Scope:
    """The row a measure's expressions read: enterprise columns and the subject's columns; the
    assessment date (for derived facts such as enterprise.age_years) and, per sum(...) node,
    the column holding its total (joined onto the rows by huiqi.engine.compile_sums)."""

    row: ir.Table
    measure: str
    layout: Layout
    subject: str
    as_of: date | None = None
    sums: dict[Sum, tuple[str, int]] = field(default_factory=dict)

    def column(self, name: str) -> ir.Column | None:
        return self.row[name] if name in self.row.columns else None


def _date_or_null(scope: Scope, name: str) -> ir.DateValue:
    col = scope.column(name)
    return col.cast(dt.date) if col is not None else ibis.null(dt.date)


def _term_months(scope: Scope) -> Value:
    start, end = _date_or_null(scope, "service_start"), _date_or_null(scope, "service_end")
    months = (end.year() - start.year()) * 12 + (end.month() - start.month())
    return Num((months + ibis.ifelse(end.day() >= start.day(), 1, 0)).cast(I64), 1)


def _age_years(scope: Scope) -> Value:
    if scope.as_of is None:
        raise NotCompilable("fact enterprise.age_years", scope.measure, "no assessment date")
    founded, as_of = _date_or_null(scope, "founded"), scope.as_of
    later_in_year = (founded.month() * 100 + founded.day()) > (as_of.month * 100 + as_of.day)
    return Num((as_of.year - founded.year() - ibis.ifelse(later_in_year, 1, 0)).cast(I64), 1)


def _rank(value: ir.NumericValue, large: int, medium: int, small: int) -> ir.IntegerValue:
    """3 large, 2 medium, 1 small, 0 micro by one indicator; null when the indicator is unknown."""
    ranked = ibis.cases((value >= large, 3), (value >= medium, 2), (value >= small, 1), else_=0)
    return ibis.ifelse(value.isnull(), ibis.null(I64), ranked.cast(I64))


def _size(scope: Scope) -> Value:
    """As huiqi.engine.values._size: size_class when given, else the national classification's table as
    one CASE: per industry, the lowest class its indicators reach; micro by any one indicator."""
    if scope.as_of is None:
        raise NotCompilable("fact enterprise.size", scope.measure, "no assessment date")
    from huiqi.facts.size_class import SIZE_CLASSES, industries

    def column(name: str, kind: dt.DataType) -> ir.Value:
        col = scope.column(name)
        return col.cast(kind) if col is not None else ibis.null(kind)

    indicators: dict[str, tuple[ir.Value, int]] = {
        "employees": (column("employees", I64), 1),
        "revenue": (column(f"revenue_{scope.as_of.year - 1}", I64), 100),  # fen
        "assets": (ibis.null(I64), 100),  # not among the facts: known only through the other indicators
    }
    by_industry = []
    for row in industries():
        ranks = []
        for t in row.thresholds:
            value, scale = indicators[t.indicator]
            ranks.append(_rank(value, int(t.large * scale), int(t.medium * scale), int(t.small * scale)))
        micro = ibis.or_(*[(r == 0).fill_null(False) for r in ranks])
        unknown = ibis.or_(*[r.isnull() for r in ranks])
        lowest = ibis.least(*ranks) if len(ranks) > 1 else ranks[0]
        size = ibis.cases(
            (micro, "micro"),
            (unknown, ibis.null(dt.string)),
            *[(lowest == 3 - k, name) for k, name in enumerate(SIZE_CLASSES[:3])],
            else_=ibis.null(dt.string),
        )
        by_industry.append((column("industry", dt.string) == row.code, size))
    computed = ibis.cases(*by_industry, else_=ibis.null(dt.string))
    return Text(ibis.coalesce(column("size_class", dt.string), computed))


DERIVED_RULES: dict[tuple[str, str], Callable[[Scope], Value]] = {
    ("contract", "term_months"): _term_months,
    ("contract", "year"): lambda scope: Num(_date_or_null(scope, "signed").year().cast(I64), 1),
    ("enterprise", "age_years"): _age_years,
    ("enterprise", "size"): _size,
}
"""Derived facts (huiqi.rules.factpaths.DERIVED), computed as the interpreter computes them."""


def _ref(expr: Ref, scope: Scope) -> Value:
    root, name, *rest = expr.path
    if root not in ("enterprise", scope.subject):
        raise NotCompilable(f"fact {expr.dotted}", scope.measure, "not readable for this subject")
    if not rest and (root, name) in DERIVED_RULES:
        return DERIVED_RULES[(root, name)](scope)
    path = tuple(expr.path)
    family = flat.FAMILY_BY_PATH.get(path)
    if family is not None:
        years = {}
        for year in scope.layout.years:
            col = scope.column(flat.year_column(family, year))
            if col is not None:
                years[year] = Num(col.cast(I64), 100)
        return Series(years)
    column = flat.COLUMN_BY_PATH.get((root, name))
    if column is None or rest:
        raise NotCompilable(f"fact {expr.dotted}", scope.measure, "no column in the flattened schema")
    col = scope.column(column.name)
    kind = column.kind
    if col is None:  # the table has no such column: unknown for every row
        col = ibis.null(normalised_type(column.name))
    if kind == "money":
        return Num(col.cast(I64), 100)
    if kind == "area":
        return Num(col.cast(I64), 100)
    if kind == "int":
        return Num(col.cast(I64), 1)
    if kind == "bool":
        return Truth(col.cast(dt.boolean))
    if kind == "date":
        return Day(col.cast(dt.date))
    if kind == "set":
        return Codes(col.cast(dt.string).fill_null(";"))
    return Text(col.cast(dt.string))


def _number(value: Value, scope: Scope) -> Num | None:
    if isinstance(value, Num):
        return value
    if isinstance(value, Series):
        return value.total()
    if isinstance(value, Literal) and isinstance(value.value, Decimal):
        numerator, denominator = _scale_of(value.value)
        return Num(_lit(numerator), denominator)
    if isinstance(value, Literal) and value.value is None:
        return Num(ibis.null(I64), 1)
    return None


Num2 = tuple[ir.IntegerValue, ir.IntegerValue, int, ir.IntegerValue | None]


def _common(a: Num, b: Num) -> Num2:
    """a and b over one denominator: (a's numerator, b's numerator, scale, den)."""
    scale = lcm(a.scale, b.scale)
    x, y = _times(a.expr, scale // a.scale), _times(b.expr, scale // b.scale)
    if a.den is None and b.den is None:
        return x, y, scale, None
    if b.den is not None:
        x = _big(x) * b.den
    if a.den is not None:
        y = _big(y) * a.den
    return _big(x), _big(y), scale, _product(a.den, b.den)


def _big(n: ir.IntegerValue) -> ir.IntegerValue:
    return n.cast(BIG)


def _product(*dens: ir.IntegerValue | None) -> ir.IntegerValue | None:
    present = [d for d in dens if d is not None]
    return reduce(operator.mul, present) if present else None


def _times(n: ir.IntegerValue, factor: int) -> ir.IntegerValue:
    if factor == 1:
        return n
    return n * factor if factor < 1000 else _big(n) * factor  # fen × 1000 passes 2^63 at 9.2 × 10^12 yuan


_ORDER: dict[str, Callable[[Any, Any], ir.BooleanValue]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _compare(expr: Compare, scope: Scope) -> Value:
    left, right = compile_expr(expr.left, scope), compile_expr(expr.right, scope)
    op = expr.op
    if isinstance(left, Literal) and isinstance(right, Literal | Members):
        rhs: Any = frozenset(right.items) if isinstance(right, Members) else right.value
        result = scalar._compare(op, left.value, rhs)
        return Literal(result)
    if op in ("in", "not in"):
        if isinstance(left, Text) and isinstance(right, Members):
            test = left.expr.isin(list(right.items))
            return Truth(test if op == "in" else ~test)
        if isinstance(left, Literal) and isinstance(left.value, str) and isinstance(right, Codes):
            test = right.expr.contains(f";{left.value};")
            return Truth(test if op == "in" else ~test)
        raise NotCompilable(f"comparison {to_text(expr)}", scope.measure, "membership of these kinds")
    if isinstance(left, Literal) and not isinstance(right, Literal):  # 3 < x: flip to x > 3
        flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}[op]
        return _compare(Compare(flipped, expr.right, expr.left), scope)  # type: ignore[arg-type]
    if isinstance(right, Literal) and right.value is None:
        return Truth(ibis.null(dt.boolean))
    a, b = _number(left, scope), _number(right, scope)
    if a is not None and b is not None:
        x, y, _, _ = _common(a, b)  # the denominators are positive: the order is the numerators'
        return Truth(_ORDER[op](x, y))
    if isinstance(left, Text) and isinstance(right, Literal) and isinstance(right.value, str):
        return Truth(_ORDER[op](left.expr, right.value))
    if isinstance(left, Truth) and isinstance(right, Literal) and isinstance(right.value, bool):
        return Truth(_ORDER[op](left.expr, right.value))
    if isinstance(left, Day) and isinstance(right, Literal) and isinstance(right.value, str):
        return Truth(_ORDER[op](left.expr, ibis.literal(date.fromisoformat(right.value))))
    if isinstance(left, Day) and isinstance(right, Day):
        return Truth(_ORDER[op](left.expr, right.expr))
    if isinstance(left, Text) and isinstance(right, Text):
        return Truth(_ORDER[op](left.expr, right.expr))
    raise NotCompilable(f"comparison {to_text(expr)}", scope.measure, "operands of these kinds")


def _truth(value: Value, scope: Scope, expr: Expr) -> ir.BooleanValue:
    if isinstance(value, Truth):
        return value.expr
    if isinstance(value, Literal) and (isinstance(value.value, bool) or value.value is None):
        return ibis.literal(value.value, type=dt.boolean)
    raise NotCompilable(f"condition {to_text(expr)}", scope.measure, "not a truth value")


def _not(expr: Not, scope: Scope) -> Value:
    return Truth(~_truth(compile_expr(expr.operand, scope), scope, expr.operand))


def _boolop(expr: BoolOp, scope: Scope) -> Value:
    # SQL's AND / OR / NOT are Kleene's three-valued logic, as the interpreter's.
    parts = [_truth(compile_expr(o, scope), scope, o) for o in expr.operands]
    return Truth(ibis.and_(*parts) if expr.op == "and" else ibis.or_(*parts))


def _arith(expr: Arith, scope: Scope) -> Value:
    if expr.op == "/":
        return _divide(expr, scope)
    a, b = _number(compile_expr(expr.left, scope), scope), _number(compile_expr(expr.right, scope), scope)
    if a is None or b is None:
        raise NotCompilable(f"arithmetic {to_text(expr)}", scope.measure, "non-numbers")
    if expr.op == "*":
        # DECIMAL(38,0): fen × fen, or fen × a constant after a division by one, can pass 2^63.
        return Num(_big(a.expr) * _big(b.expr), a.scale * b.scale, _product(a.den, b.den))
    x, y, scale, den = _common(a, b)
    return Num(x + y if expr.op == "+" else x - y, scale, den)


def _divide(expr: Arith, scope: Scope) -> Value:
    """x / c for a constant c: exact as x × q / p (c = p/q), the fraction kept in the scale.
    x / y for a fact y: y's numerator becomes the row's denominator (its sign moved up)."""
    a = _number(compile_expr(expr.left, scope), scope)
    if a is None:
        raise NotCompilable(f"arithmetic {to_text(expr)}", scope.measure, "non-numbers")
    if refs(expr.right):
        b = _number(compile_expr(expr.right, scope), scope)
        if b is None:
            raise NotCompilable(f"arithmetic {to_text(expr)}", scope.measure, "non-numbers")
        return _divide_by_row(a, b)
    divisor = scalar.evaluate(expr.right, scalar.Scope({}))  # a constant: no facts to read
    if not isinstance(divisor, Decimal | Fraction):
        raise NotCompilable(f"arithmetic {to_text(expr)}", scope.measure, "non-numbers")
    if divisor == 0:  # unknown, as in the interpreter
        return Num(ibis.null(I64), 1)
    by = Fraction(divisor)
    numerator = a.expr if by > 0 else -a.expr
    p, q = abs(by.numerator), by.denominator
    common = gcd(q, a.scale * p)
    return Num(_times(numerator, q // common), a.scale * p // common, a.den)


def _divide_by_row(a: Num, b: Num) -> Num:
    """a / b = a.expr · b.scale · b.den / (a.scale · a.den · |b.expr|), negated when b < 0; unknown
    when b is unknown or zero, as in the interpreter."""
    top = _big(a.expr) * b.scale
    if b.den is not None:
        top = top * b.den
    top = ibis.cases((b.expr > 0, top), (b.expr < 0, -top), else_=ibis.null(BIG))
    den = ibis.ifelse(b.expr == 0, ibis.null(BIG), _big(b.expr.abs()))
    return Num(top, a.scale, _product(a.den, den))


def _call(expr: Call, scope: Scope) -> Value:
    numbers = [_number(compile_expr(a, scope), scope) for a in expr.args]
    if any(n is None for n in numbers):
        raise NotCompilable(f"call {to_text(expr)}", scope.measure, "non-numbers")
    known = [n for n in numbers if n is not None]
    if any(n.den is not None for n in known):
        return _pick_over_rows(expr.func, known)
    scale = lcm(*(n.scale for n in known))
    exprs = [_times(n.expr, scale // n.scale) for n in known]
    picked = ibis.least(*exprs) if expr.func == "min" else ibis.greatest(*exprs)
    any_null = ibis.or_(*[e.isnull() for e in exprs])  # unknown if any argument is, as in the interpreter
    return Num(ibis.ifelse(any_null, ibis.null(I64), picked), scale)


def _pick_over_rows(func: str, numbers: list[Num]) -> Num:
    """min / max when a denominator varies by row: pairwise over a common denominator."""
    any_null = ibis.or_(*[n.expr.isnull() for n in numbers])
    picked = numbers[0]
    for number in numbers[1:]:
        x, y, scale, den = _common(picked, number)
        pick = ibis.least(x, y) if func == "min" else ibis.greatest(x, y)
        picked = Num(pick, scale, den)
    return Num(ibis.ifelse(any_null, ibis.null(BIG), picked.expr), picked.scale, picked.den)


def _within(expr: Within, scope: Scope) -> Value:
    value = compile_expr(expr.of, scope)
    if not isinstance(value, Text):
        raise NotCompilable(f"within {to_text(expr)}", scope.measure, "not a region fact")
    inside = sorted(codes_within(expr.region))
    return Truth(ibis.ifelse(value.expr.isnull(), ibis.null(dt.boolean), value.expr.isin(inside)))


def _sum(expr: Sum, scope: Scope) -> Value:
    joined = scope.sums.get(expr)
    if joined is None:
        raise NotCompilable(f"sum {to_text(expr)}", scope.measure, "its total was not joined onto the rows")
    column, scale = joined
    return Num(scope.row[column].cast(I64), scale)


EXPR_RULES: dict[type[Any], Callable[[Any, Scope], Value]] = {
    Const: lambda e, s: Literal(e.value),
    ListOf: lambda e, s: Members(tuple(str(i.value) for i in e.items)),
    Ref: _ref,
    Not: _not,
    BoolOp: _boolop,
    Compare: _compare,
    Arith: _arith,
    Call: _call,
    Sum: _sum,
    Within: lambda e, s: _within(e, s),
}


def compile_expr(expr: Expr, scope: Scope) -> Value:
    rule = EXPR_RULES.get(type(expr))
    if rule is None:
        raise NotCompilable(f"expression {type(expr).__name__}", scope.measure)
    return rule(expr, scope)


def holds(expr: Expr, scope: Scope) -> ir.BooleanValue:
    """True only when the condition is known to hold (unknown fails), as in the interpreter."""
    return _truth(compile_expr(expr, scope), scope, expr).fill_null(False)


def floor_fen(value: Num) -> ir.IntegerValue:
    """A number to whole fen, rounded down (a negative is 0), null when unknown: a limit written as
    an expression (huiqi.engine.across.fen_floor)."""
    n = ibis.greatest(value.expr, _lit(0))
    if value.den is None:
        return exact_quotient(_times(n, 100), value.scale)
    return exact_quotient(_big(n) * 100, value.den * value.scale)


def base_value(expr: Expr, scope: Scope) -> Num:
    """A base, exact (not rounded: only base × rate is, as in the interpreter); null if unknown."""
    value = _number(compile_expr(expr, scope), scope)
    if value is None:
        raise NotCompilable(f"base {to_text(expr)}", scope.measure, "not a number")
    return value


# ---- the matrix of amounts: component × year, [lo, hi] -------------------------------------------


@dataclass
class Matrix:
    """Amounts per (component, year) as fen expressions, kept as [lo, hi] while caps take their share."""

    order: list[str]
    cells: dict[tuple[str, int], list[ir.IntegerValue]] = field(default_factory=dict)

    def put(self, component: str, year: int, lo: ir.IntegerValue, hi: ir.IntegerValue) -> None:
        cell = self.cells.get((component, year))
        if cell is None:
            self.cells[(component, year)] = [lo, hi]
        else:
            cell[0], cell[1] = cell[0] + lo, cell[1] + hi

    def keys(self, over: Iterable[str] | None = None, year: int | None = None) -> list[tuple[str, int]]:
        wanted = set(over) if over is not None else None
        rank = {name: i for i, name in enumerate(self.order)}
        keys = [k for k in self.cells if (wanted is None or k[0] in wanted) and (year is None or k[1] == year)]
        return sorted(keys, key=lambda k: (k[1], rank.get(k[0], 0)))

    def years(self) -> list[int]:
        return sorted({y for _, y in self.cells})

    def sum(self, keys: Sequence[tuple[str, int]]) -> tuple[ir.IntegerValue, ir.IntegerValue]:
        if not keys:
            return _lit(0), _lit(0)
        lo = sum((self.cells[k][0] for k in keys[1:]), self.cells[keys[0]][0])
        hi = sum((self.cells[k][1] for k in keys[1:]), self.cells[keys[0]][1])
        return lo, hi

    def limit_lo(self, keys: list[tuple[str, int]], limit_lo: ir.IntegerValue) -> None:
        """caps.Matrix.limit, first half: the minimum cut latest first to limit_lo.

        Cutting greedily from the end, the amount taken from cells i..k is min(excess, their room),
        so cell i gives min(E, S_i) - min(E, S_i+1) with S_i the room of cells i..k.
        """
        if not keys:
            return
        limit_lo = ibis.greatest(limit_lo, _lit(0))
        los = [self.cells[k][0] for k in keys]
        new_los = _cut(los, los, ibis.greatest(_total(los) - limit_lo, _lit(0)))
        for key, lo in zip(keys, new_los, strict=True):
            self.cells[key][0] = lo

    def limit_hi(self, keys: list[tuple[str, int]], limit_lo: ir.IntegerValue, limit_hi: ir.IntegerValue) -> None:
        """Second half (after limit_lo): the maximum cut latest first, never below a cell's minimum."""
        if not keys:
            return
        zero = _lit(0)
        ceiling = ibis.greatest(ibis.greatest(limit_hi, zero), ibis.greatest(limit_lo, zero))
        los = [self.cells[k][0] for k in keys]
        his = [self.cells[k][1] for k in keys]
        rooms = [hi - lo for hi, lo in zip(his, los, strict=True)]
        new_his = _cut(his, rooms, ibis.greatest(_total(his) - ceiling, zero))
        for key, hi in zip(keys, new_his, strict=True):
            self.cells[key][1] = hi

    def by_year(self) -> dict[int, tuple[ir.IntegerValue, ir.IntegerValue]]:
        return {year: self.sum(self.keys(None, year)) for year in self.years()}


def _total(values: Sequence[ir.IntegerValue]) -> ir.IntegerValue:
    return sum(values[1:], values[0])


def _cut(values: list[ir.IntegerValue], rooms: list[ir.IntegerValue], excess: ir.IntegerValue) -> list[ir.IntegerValue]:
    suffix: list[ir.IntegerValue] = []
    running: ir.IntegerValue | None = None
    for room in reversed(rooms):
        running = room if running is None else running + room
        suffix.append(running)
    suffix.reverse()  # suffix[i] = room of cells i..k
    taken = [ibis.least(excess, s) for s in suffix] + [_lit(0)]
    return [v - (taken[i] - taken[i + 1]) for i, v in enumerate(values)]


# ---- components ----------------------------------------------------------------------------


@dataclass
class Ctx:
    measure: Measure
    scope: Scope
    name: str
    matrix: Matrix
    subject_year: ir.IntegerValue | int
    years: list[int]  # the years a subject-year amount can fall in
    in_force: InForce
    as_of: date
    layout: Layout
    decision: list[ir.BooleanValue]
    leases: ir.Table | None = None
    placed: list[Placed] = field(default_factory=list)

    def place(self, lo: ir.IntegerValue, hi: ir.IntegerValue) -> None:
        """An amount of the subject's year.

        When that year varies by row, the amount is only noted here: the plan computes it once as a
        column and then spreads it over the year cells (`CASE WHEN year = y THEN amount`); spreading
        the expression itself repeated it once per year, and the SQL grew to ~80 KB per measure.
        """
        if isinstance(self.subject_year, int):
            self.matrix.put(self.name, self.subject_year, lo, hi)
            return
        self.placed.append(Placed(self.name, lo, hi))


@dataclass
class Placed:
    """An amount of a component in the subject's year (a row-dependent year)."""

    component: str
    lo: ir.IntegerValue
    hi: ir.IntegerValue


def _cases(cases: Sequence[Any], scope: Scope, pick: Callable[[Any], Any], default: Any) -> Any:
    """The first case whose condition holds (per row), else the default; `pick` compiles one outcome."""
    if not cases:
        return pick(default)
    branches = [(holds(c.when, scope), pick(c)) for c in cases]
    return branches, pick(default)


def _choose(branches: Any, both: bool) -> Any:
    """Fold (conditions, outcomes) into CASE expressions; outcomes are (lo, hi) pairs when both."""
    if not isinstance(branches, tuple) or not isinstance(branches[0], list):
        return branches
    cases, default = branches
    if both:
        lo = ibis.cases(*[(c, v[0]) for c, v in cases], else_=default[0])
        hi = ibis.cases(*[(c, v[1]) for c, v in cases], else_=default[1])
        return lo, hi
    return ibis.cases(*[(c, v) for c, v in cases], else_=default)


def rate_amount(choice: RateChoice, base: Num, ctx: Ctx) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    """round_fen(base × rate) for the case's rate, [lo, hi]."""

    def pick(case: Any) -> tuple[ir.IntegerValue, ir.IntegerValue]:
        value = case.rate if hasattr(case, "rate") else case
        low, high = (value.min, value.max) if isinstance(value, RateRange) else (value, value)
        lo = times_rate(base, low, ctx.measure.id)
        return lo, (lo if high == low else times_rate(base, high, ctx.measure.id))

    return _choose(_cases(choice.cases, ctx.scope, pick, choice.default), both=True)  # type: ignore[no-any-return]


def amount_fen(choice: AmountChoice, scope: Scope) -> ir.IntegerValue:
    def pick(case: Any) -> ir.IntegerValue:
        value = case.amount if hasattr(case, "amount") else case
        return _lit(int(value * 100))

    return _choose(_cases(choice.cases, scope, pick, choice.default), both=False)


def _cap(lo: ir.IntegerValue, hi: ir.IntegerValue, cap: ir.IntegerValue) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    return ibis.least(lo, cap), ibis.least(hi, cap)


def base_column(name: str) -> str:
    return f"_base_{name}"


def component_base(component: Ratio | Match, ctx: Ctx) -> Num:
    """The base: the column the plan computed for it (once per row), else the expression; a
    negative base counts as zero, as in the interpreter (components._base). The denominator is
    positive, so the numerator's sign is the value's; CASE, not GREATEST, which skips nulls on
    DuckDB and PostgreSQL and would make an unknown base zero."""
    value = base_value(component.base, ctx.scope)
    column = base_column(ctx.name)
    if column in ctx.scope.row.columns and value.den is None:
        value = Num(ctx.scope.row[column], value.scale)
    return Num(ibis.ifelse(value.expr < 0, 0, value.expr), value.scale, value.den)


def c_ratio(component: Ratio, ctx: Ctx) -> None:
    base = component_base(component, ctx)
    lo, hi = rate_amount(component.rate, base, ctx)
    if component.cap is not None:
        lo, hi = _cap(lo, hi, amount_fen(component.cap, ctx.scope))
    known = base.expr.notnull()
    ctx.place(ibis.ifelse(known, lo, 0), ibis.ifelse(known, hi, 0))


def c_match(component: Match, ctx: Ctx) -> None:
    base = component_base(component, ctx)
    amount = times_rate(base, component.ratio, ctx.measure.id)
    lo = hi = amount
    if component.cap is not None:
        lo, hi = _cap(lo, hi, amount_fen(component.cap, ctx.scope))
    known = base.expr.notnull()
    ctx.place(ibis.ifelse(known, lo, 0), ibis.ifelse(known, hi, 0))


def c_fixed(component: Fixed, ctx: Ctx) -> None:
    amount = amount_fen(component.amount, ctx.scope)
    ctx.place(amount, amount)


def c_amount_range(component: AmountRange, ctx: Ctx) -> None:
    ctx.place(_lit(int(component.min * 100)), _lit(int(component.max * 100)))


def c_bonus(component: Bonus, ctx: Ctx) -> None:
    won = [(holds(o.when, ctx.scope), int(o.amount * 100)) for o in component.options]
    if component.stacking == "highest":
        ranked = sorted(won, key=lambda w: -w[1])  # stable: the first of equal amounts, the same figure
        amount = ibis.cases(*[(c, _lit(a)) for c, a in ranked], else_=_lit(0))
    else:
        amount = _total([ibis.ifelse(c, _lit(a), _lit(0)) for c, a in won])
    ctx.place(amount, amount)


def _term_years(ctx: Ctx) -> tuple[int, int]:
    return ctx.in_force.start.year, ctx.in_force.end.year if ctx.in_force.end else 9999


def c_per_year(component: PerYear, ctx: Ctx) -> None:
    value = compile_expr(component.base, ctx.scope)
    first, last = _term_years(ctx)
    if not isinstance(value, Series):
        _per_year_single(component, ctx)
        return
    series = {y: n for y, n in value.years.items() if first <= y <= last}
    counted = {y: n.expr.fill_null(0) > 0 for y, n in series.items()}
    in_period: dict[int, ir.BooleanValue] = {}
    if component.max_years is not None and series:
        # N consecutive calendar years from the first year with a base.
        first_year = ibis.cases(*[(counted[y], _lit(y)) for y in sorted(series)], else_=ibis.null(I64))
        in_period = {y: (first_year + (component.max_years - 1)) >= y for y in series}
    amounts: dict[int, tuple[ir.IntegerValue, ir.IntegerValue]] = {}
    for year in sorted(series):
        base = Num(series[year].expr.fill_null(0), series[year].scale)
        lo, hi = rate_amount(component.rate, base, ctx)
        if component.cap_per_year is not None:
            lo, hi = _cap(lo, hi, _lit(int(component.cap_per_year * 100)))
        keep = counted[year] & in_period[year] if year in in_period else counted[year]
        amounts[year] = ibis.ifelse(keep, lo, 0), ibis.ifelse(keep, hi, 0)
    if component.cap is not None:
        amounts = _total_cap(amounts, amount_fen(component.cap, ctx.scope))
    for year, (lo, hi) in amounts.items():
        ctx.matrix.put(ctx.name, year, lo, hi)


def _per_year_single(component: PerYear, ctx: Ctx) -> None:
    """A base that is one amount, not a by-year series: the interpreter takes it as the amount of
    the subject's year (the as-of year for the enterprise)."""
    base = base_value(component.base, ctx.scope)
    first, last = _term_years(ctx)
    lo, hi = rate_amount(component.rate, Num(base.expr.fill_null(0), base.scale, base.den), ctx)
    if component.cap_per_year is not None:
        lo, hi = _cap(lo, hi, _lit(int(component.cap_per_year * 100)))
    if component.cap is not None:  # one year: the total cap is one more cap on it
        lo, hi = _cap(lo, hi, amount_fen(component.cap, ctx.scope))
    year = ctx.subject_year
    keep = (base.expr > 0).fill_null(False)
    if isinstance(year, int):
        keep = keep & ibis.literal(first <= year <= last)
    else:
        keep = keep & ((year >= first) & (year <= last)).fill_null(False)
    ctx.place(ibis.ifelse(keep, lo, 0), ibis.ifelse(keep, hi, 0))


def _total_cap(
    amounts: dict[int, tuple[ir.IntegerValue, ir.IntegerValue]], cap: ir.IntegerValue
) -> dict[int, tuple[ir.IntegerValue, ir.IntegerValue]]:
    """A cap on the years together, the earlier years first (the interpreter's running total of the
    upper bounds). The capped running total after year y is least(Σ hi up to y, cap), so each year
    gets its difference from the year before's: no year's expression nests the ones before it."""
    capped: dict[int, tuple[ir.IntegerValue, ir.IntegerValue]] = {}
    running: ir.IntegerValue | None = None  # the uncapped Σ hi of the years before
    for year, (lo, hi) in amounts.items():
        used = ibis.least(running, cap) if running is not None else _lit(0)
        room = cap - used
        total = hi if running is None else running + hi
        capped[year] = ibis.least(lo, room), ibis.least(total, cap) - used
        running = total
    return capped


def c_milestones(component: Milestones, ctx: Ctx) -> None:
    value = compile_expr(component.series, ctx.scope)
    if not isinstance(value, Series):
        return  # the interpreter: a single amount has no first year of passing, so no base
    window_first = ctx.in_force.start.year
    window_last = min(ctx.as_of.year, ctx.in_force.end.year if ctx.in_force.end else ctx.as_of.year)
    firsts: list[tuple[ir.IntegerValue, int]] = []
    for tier in component.tiers:
        threshold = int(tier.threshold * 100)
        passes = [
            (n.expr > threshold if component.passing == "greater" else n.expr >= threshold, y)
            for y, n in sorted(value.years.items())
        ]
        first_year = ibis.cases(*[(p.fill_null(False), _lit(y)) for p, y in passes], else_=ibis.null(I64))
        ok = (first_year >= window_first) & (first_year <= window_last)
        if tier.when is not None:
            ok = ok & holds(tier.when, ctx.scope)
        firsts.append((ibis.ifelse(ok.fill_null(False), first_year, ibis.null(I64)), int(tier.amount * 100)))
    years = [y for y in value.years if window_first <= y <= window_last]
    for index, (first_year, amount) in enumerate(firsts):
        paid = first_year.notnull()
        if component.stacking == "highest":
            for other, (other_year, other_amount) in enumerate(firsts):
                if other == index:
                    continue
                beaten = other_amount > amount or (other_amount == amount and other < index)
                if beaten:
                    paid = paid & ~(other_year == first_year).fill_null(False)
        for year in years:
            here = (paid & (first_year == year)).fill_null(False)
            ctx.matrix.put(ctx.name, year, ibis.ifelse(here, amount, 0), ibis.ifelse(here, amount, 0))


def _add_years(day: ir.DateValue, years: int) -> ir.DateValue:
    if years == 0:
        return day
    return (day + ibis.interval(years=years)).cast(dt.date)  # 29 February + 1 year = 28 February


def rent_pieces(component: RentSchedule, name: str, scope: Scope) -> dict[str, ir.Value]:
    """The rent pieces as columns (a step of their own): per lease slot, support year and calendar year.

    Leases are unrolled into slots on the enterprise row (huiqi_leases pivoted, in start order),
    because the area cap is shared in lease order: a lease counts what the earlier leases still
    running left of the cap.
    """
    if scope.subject != "enterprise":
        raise NotCompilable("rent_schedule", scope.measure, "only for measures of the enterprise")
    row = scope.row
    slots = scope.layout.lease_slots
    settled = scope.column("settled_date")

    def later_of_settlement(day: ir.DateValue) -> ir.DateValue:
        if settled is None:
            return day
        return ibis.ifelse(settled.isnull(), day, ibis.greatest(day, settled))

    start = [row[f"_l{i}_start"] for i in range(slots)]
    end = [row[f"_l{i}_end"] for i in range(slots)]
    area = [row[f"_l{i}_area"] for i in range(slots)]
    rent = [row[f"_l{i}_rent"] for i in range(slots)]
    counted: list[ir.IntegerValue] = []
    for i in range(slots):
        if component.area_cap_m2 is None:
            counted.append(area[i])
            continue
        cap = int(component.area_cap_m2 * 100)
        running = _total(
            [_lit(0)] + [ibis.ifelse(end[j].isnull() | (end[j] >= start[i]), counted[j], 0) for j in range(i)]
        )
        counted.append(ibis.greatest(ibis.least(area[i], cap - running), 0))
    shared_anchor = later_of_settlement(start[0])
    columns: dict[str, ir.Value] = {}
    n = 0
    for i in range(slots):
        anchor = shared_anchor if component.count_from == "shared" else later_of_settlement(start[i])
        present = start[i].notnull() & (counted[i] > 0)
        for k, rate in enumerate(component.rates):
            numerator, denominator = _scale_of(rate)
            year_start, year_end = _add_years(anchor, k), _add_years(anchor, k + 1)
            covered_start = ibis.greatest(year_start, start[i])
            last = (end[i] + ibis.interval(days=1)).cast(dt.date)
            covered_end = ibis.ifelse(end[i].isnull(), year_end, ibis.least(year_end, last))
            days_in_year = year_end.delta(year_start, unit="day").cast(I64)
            january = ibis.date(covered_start.year() + 1, 1, 1)
            for piece_start, piece_end, year in (
                (covered_start, ibis.least(covered_end, january), covered_start.year()),
                (january, covered_end, covered_start.year() + 1),
            ):
                days = piece_end.delta(piece_start, unit="day").cast(I64)
                valid = (present & (days > 0)).fill_null(False)
                # round_fen(rent × counted/area × rate × days/days_in_year): one exact division.
                top = rent[i].cast(BIG) * counted[i].cast(BIG) * numerator * days.cast(BIG)
                bottom = area[i].cast(BIG) * denominator * days_in_year.cast(BIG)
                columns[f"_r_{name}_{n}_year"] = ibis.ifelse(valid, year.cast(I64), ibis.null(I64))
                columns[f"_r_{name}_{n}_amount"] = ibis.ifelse(valid, div_half_up(top, bottom), _lit(0))
                n += 1
    return columns


def c_rent(component: RentSchedule, ctx: Ctx) -> None:
    names = sorted(
        c[: -len("_year")] for c in ctx.scope.row.columns if c.startswith(f"_r_{ctx.name}_") and c.endswith("_year")
    )
    row = ctx.scope.row
    for year in ctx.years:
        amount = _total([_lit(0)] + [ibis.ifelse(row[f"{p}_year"] == year, row[f"{p}_amount"], 0) for p in names])
        ctx.matrix.put(ctx.name, year, amount, amount)


PRESTAGE_RULES: dict[type[Any], Callable[[Any, str, Scope], dict[str, ir.Value]]] = {RentSchedule: rent_pieces}
"""Columns some components need computed in a step of their own before the measure's amounts."""


def c_decision(component: Decision, ctx: Ctx) -> None:
    ctx.decision.append(holds(component.when, ctx.scope) if component.when is not None else ibis.literal(True))


COMPONENT_RULES: dict[type[Any], Callable[[Any, Ctx], None]] = {
    Ratio: c_ratio,
    Match: c_match,
    Fixed: c_fixed,
    AmountRange: c_amount_range,
    Bonus: c_bonus,
    PerYear: c_per_year,
    Milestones: c_milestones,
    RentSchedule: c_rent,
    Decision: c_decision,
}


def compile_component(component: Component, ctx: Ctx) -> None:
    rule = COMPONENT_RULES.get(type(component))
    if rule is None:
        raise NotCompilable(f"benefit kind {getattr(component, 'kind', type(component).__name__)}", ctx.measure.id)
    if component.when is None or isinstance(component, Decision):
        rule(component, ctx)
        return
    before = {k: list(v) for k, v in ctx.matrix.cells.items()}
    placed_before = len(ctx.placed)
    rule(component, ctx)
    applies = holds(component.when, ctx.scope)
    for placed in ctx.placed[placed_before:]:
        placed.lo = ibis.ifelse(applies, placed.lo, 0)
        placed.hi = ibis.ifelse(applies, placed.hi, 0)
    for key, cell in ctx.matrix.cells.items():  # amounts of this component only where `when` holds
        if key[0] == ctx.name:
            old = before.get(key, [_lit(0), _lit(0)])
            added = [cell[0] - old[0], cell[1] - old[1]]
            ctx.matrix.cells[key] = [
                old[0] + ibis.ifelse(applies, added[0], 0),
                old[1] + ibis.ifelse(applies, added[1], 0),
            ]
