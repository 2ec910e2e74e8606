"""What would make a failed condition hold: each failing part in words, with the figure needed.

`project.parameters >= 100e9` failing on 500亿 says "模型参数量 须 ≥ 1000亿 (现为 500亿)";
`project.field in [...]` says which fields qualify; an `and` lists each failing part, an `or`
each way out. Words in Chinese and English, like every reason the engine gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import Enum

from huiqi.engine.result import Need
from huiqi.engine.values import Scope, Value, evaluate
from huiqi.money import format_wan
from huiqi.regions import HOME, display, read_region
from huiqi.rules.expr import BoolOp, Compare, Const, Expr, ListOf, Not, Ref, Within, refs, to_text
from huiqi.rules.factpaths import REGION_FACTS, fact_label, fact_type

_OPS_ZH = {"==": "须为", "!=": "不得为", ">": "须大于", ">=": "须不低于", "<": "须小于", "<=": "须不高于"}
_OPS_EN = {"==": "must be", "!=": "must not be", ">": "must exceed", ">=": "must be at least", "<": "must be under"}
_OPS_EN["<="] = "must be at most"
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}


def _money(path: tuple[str, ...]) -> bool:
    try:
        kind = fact_type(path).kind
    except KeyError:
        return False
    return kind == "by_year" or path[-1] in ("annual_rent", "city_support", "construction_cost", "approved_investment")


def _enum(path: tuple[str, ...]) -> type[Enum] | None:
    try:
        return fact_type(path).enum
    except KeyError:
        return None


def _words(value: object, path: tuple[str, ...]) -> tuple[str, str]:
    """A value as a reader would write it: 1000亿, 300万元, 是, a field's Chinese name."""
    if value is None:
        return "未提供", "not provided"
    if path in REGION_FACTS and isinstance(value, str):
        return _place(value, "zh"), _place(value, "en")
    if isinstance(value, bool):
        return ("是", "yes") if value else ("否", "no")
    if isinstance(value, Mapping):
        value = sum(value.values(), Decimal(0))
    if isinstance(value, Decimal):
        if _money(path):
            return format_wan(value), f"¥{value:,.2f}"
        if value >= 10_000 and value == value.to_integral_value():
            return format_wan(value).removesuffix("元"), f"{value:,.0f}"
        return f"{value.normalize():f}", f"{value.normalize():f}"
    enum = _enum(path)
    if enum is not None and isinstance(value, str):
        try:
            member = enum(value)
            return str(getattr(member, "zh", value)), value
        except ValueError:
            pass
    return str(value), str(value)


def _place(code: str, lang: str) -> str:
    """A region as a condition names it: 临港新片区, 闵行区 (the English full: Minhang, Shanghai)."""
    try:
        found = read_region(code, prefer=HOME)
    except ValueError:
        return code
    return found.name if lang == "zh" else display(found.code, "en")


def _within(expr: Within, scope: Scope) -> list[Need]:
    label_zh, label_en = fact_label(expr.of.path)
    now_zh, now_en = _words(_current(scope, expr.of), expr.of.path)
    place_zh, place_en = _place(expr.region, "zh"), _place(expr.region, "en")
    return [
        Need(
            expr.of.dotted,
            f"{label_zh}须在 {place_zh}（现为 {now_zh}）",
            f"{label_en} must be in {place_en} (now {now_en})",
        )
    ]


def _list_words(items: tuple[Const, ...], path: tuple[str, ...]) -> tuple[str, str]:
    pairs = [_words(item.value, path) for item in items]
    return "、".join(z for z, _ in pairs), ", ".join(e for _, e in pairs)


def _current(scope: Scope, ref: Ref) -> Value:
    return scope.read(ref) if ref.path[0] in scope.objects else None


def _compare(expr: Compare, scope: Scope) -> list[Need]:
    left, right, op = expr.left, expr.right, expr.op
    if isinstance(left, Const) and isinstance(right, Ref) and op in _FLIP:
        left, right, op = right, left, _FLIP[op]  # type: ignore[assignment]
    if isinstance(left, Ref) and isinstance(right, ListOf) and op in ("in", "not in"):
        label_zh, label_en = fact_label(left.path)
        now_zh, now_en = _words(_current(scope, left), left.path)
        options_zh, options_en = _list_words(right.items, left.path)
        verb_zh, verb_en = ("须为以下之一", "must be one of") if op == "in" else ("不得为", "must not be one of")
        return [
            Need(
                left.dotted,
                f"{label_zh}{verb_zh}：{options_zh}（现为：{now_zh}）",
                f"{label_en} {verb_en}: {options_en} (now: {now_en})",
            )
        ]
    if isinstance(left, Const) and isinstance(right, Ref) and op in ("in", "not in"):
        label_zh, label_en = fact_label(right.path)
        item_zh, item_en = _words(left.value, right.path)
        verb_zh, verb_en = ("须包含", "must include") if op == "in" else ("不得包含", "must not include")
        return [Need(right.dotted, f"{label_zh}{verb_zh}：{item_zh}", f"{label_en} {verb_en}: {item_en}")]
    if isinstance(left, Ref) and isinstance(right, Const) and op in _OPS_ZH:
        label_zh, label_en = fact_label(left.path)
        want_zh, want_en = _words(right.value, left.path)
        now_zh, now_en = _words(_current(scope, left), left.path)
        return [
            Need(
                left.dotted,
                f"{label_zh}{_OPS_ZH[op]} {want_zh}（现为 {now_zh}）",
                f"{label_en} {_OPS_EN[op]} {want_en} (now {now_en})",
            )
        ]
    return []


def needs(expr: Expr, scope: Scope) -> list[Need]:
    """For a condition that is false on the facts, what would make it true (as far as can be said)."""
    if evaluate(expr, scope) is not False:
        return []
    found: list[Need] = []
    match expr:
        case Ref() if isinstance(_current(scope, expr), bool):
            label_zh, label_en = fact_label(expr.path)
            found = [Need(expr.dotted, f"{label_zh}须为 是", f"{label_en} must be yes")]
        case Not(operand=Ref() as ref):
            label_zh, label_en = fact_label(ref.path)
            found = [Need(ref.dotted, f"{label_zh}须为 否", f"{label_en} must be no")]
        case Compare():
            found = _compare(expr, scope)
        case Within():
            found = _within(expr, scope)
        case BoolOp(op="and", operands=operands):
            found = [need for operand in operands for need in needs(operand, scope)]
        case BoolOp(op="or", operands=operands):
            ways = [need for operand in operands for need in needs(operand, scope)]
            found = [Need(w.fact, f"（任一即可）{w.zh}", f"(any one) {w.en}") for w in ways]
    if not found:  # a formula: say which facts it reads
        facts = ", ".join(ref.dotted for ref in refs(expr))
        found = [Need(facts, f"须满足：{to_text(expr)}", f"must hold: {to_text(expr)}")]
    return found


def unknown_facts(expr: Expr, scope: Scope) -> tuple[str, ...]:
    """The facts an expression reads that are not given (what would let it be decided)."""
    return tuple(ref.dotted for ref in refs(expr) if ref.path[0] in scope.objects and scope.read(ref) is None)
