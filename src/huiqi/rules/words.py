"""An expression in a reader's words: facts by their names, codes by their labels, regions by name.

`to_text` (huiqi.rules.expr) is the rule's own notation, for analysts and diagnostics; this is for
the people an explanation is written for: `project.kind in ['procurement']` reads 项目类型属于「采购」,
`enterprise.age_years < 3` reads 成立年限(年) < 3. Derived from the facts models and vocabularies,
never written per rule.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from huiqi.region_text import region_label
from huiqi.rules.expr import Arith, BoolOp, Call, Compare, Const, Expr, ListOf, Not, Ref, Sum, Within
from huiqi.rules.factpaths import REGION_FACTS, fact_label, fact_type

_COMPARE = {
    "zh": {"==": "为", "!=": "不为", "in": "属于", "not in": "不属于", ">=": "≥", "<=": "≤", ">": ">", "<": "<"},
    "en": {"==": "is", "!=": "is not", "in": "is one of", "not in": "is none of", ">=": "≥", "<=": "≤"},
}
_JOIN = {"zh": {"and": "且", "or": "或"}, "en": {"and": "and", "or": "or"}}


def fact_name(ref: Ref, lang: str = "zh") -> str:
    """A fact's name for a reader: 合同金额, contract amount."""
    zh, en = fact_label(ref.path)
    return zh if lang == "zh" else en


def code_label(ref: Ref | None, value: object, lang: str = "zh") -> str:
    """A value as a reader knows it: a code by its label (企业, not enterprise), a region by its name."""
    if ref is not None and ref.path in REGION_FACTS:
        return region_label(value, lang)
    enum = _enum_of(ref)
    if enum is not None:
        for member in enum:
            if str(member.value) == str(value):
                zh = str(getattr(member, "zh", member.value))
                return zh if lang == "zh" else str(getattr(member, "en", None) or member.value).replace("_", " ")
    if isinstance(value, Decimal):
        return format(value.normalize(), ",f")
    return str(value)


def _enum_of(ref: Ref | None) -> type[Enum] | None:
    if ref is None:
        return None
    try:
        return fact_type(ref.path).enum
    except (KeyError, ValueError, TypeError):  # a path the models do not know: shown as written
        return None


def expr_words(expr: Expr, lang: str = "zh", ref: Ref | None = None) -> str:
    """The expression in words; `ref`: the fact a constant is compared with (its codes' labels)."""
    match expr:
        case Ref():
            return fact_name(expr, lang)
        case Const(value=value):
            return code_label(ref, value, lang) if isinstance(value, str) else _number(value, lang)
        case ListOf(items=items):
            shown = [expr_words(i, lang, ref) for i in items]
            return "「" + "、".join(shown) + "」" if lang == "zh" else "(" + ", ".join(shown) + ")"
        case Not(operand=Ref() as operand):  # not contract.related_party: 关联方交易为否
            return fact_name(operand, lang) + ("为否" if lang == "zh" else " is no")
        case Not(operand=operand):
            return ("非" if lang == "zh" else "not ") + _wrapped(operand, lang)
        case BoolOp(op=op, operands=operands):
            return f" {_JOIN[lang][op]} ".join(_wrapped(o, lang) for o in operands)
        case Compare(op=op, left=left, right=right):
            against = left if isinstance(left, Ref) else right if isinstance(right, Ref) else None
            word = _COMPARE[lang].get(op, op)
            gap = "" if lang == "zh" and word in ("为", "不为", "属于", "不属于") else " "
            return f"{expr_words(left, lang, against)}{gap}{word}{gap}{expr_words(right, lang, against)}"
        case Arith(op=op, left=left, right=right):
            sign = {"*": "×", "/": "÷"}.get(op, op)
            return f"{_wrapped(left, lang)} {sign} {_wrapped(right, lang)}"
        case Call(func=func, args=args):
            return f"{func}(" + ", ".join(expr_words(a, lang) for a in args) + ")"
        case Within(of=of, region=region):
            place = region_label(region, lang)
            return f"{fact_name(of, lang)}在{place}内" if lang == "zh" else f"{fact_name(of, lang)} within {place}"
        case Sum(of=of, where=where, year=year):
            total = f"{fact_name(of, lang)}合计" if lang == "zh" else f"total {fact_name(of, lang)}"
            parts = [] if where is None else [expr_words(where, lang)]
            if year == "subject":
                parts.append("同一年度" if lang == "zh" else "the same year")
            return total + (f"({'; '.join(parts)})" if parts else "")
    raise TypeError(f"not an expression node: {expr!r}")  # pragma: no cover


def _number(value: object, lang: str = "zh") -> str:
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, Decimal):
        return format(value.normalize(), ",f")
    return str(value)


def _wrapped(expr: Expr, lang: str) -> str:
    text = expr_words(expr, lang)
    return f"({text})" if isinstance(expr, BoolOp | Arith) else text
