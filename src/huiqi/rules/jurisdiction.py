"""A policy's region as general conditions, made once per policy: the registrations it names must lie
in the region (huiqi.rules.model.AppliesIn). The interpreter and the batch compiler put them before
the policy's own conditions, so the region is checked by the same code paths as any condition."""

from __future__ import annotations

from huiqi.memo import IdentityMemo
from huiqi.regions import display, region
from huiqi.rules.expr import BoolOp, Expr, Ref, Within
from huiqi.rules.model import Condition, Policy

_FACT = {"business": "business_district", "tax": "tax_district"}
_ZH = {"business": "工商注册", "tax": "税务登记"}
_EN = {"business": "business", "tax": "tax"}
_MADE: IdentityMemo[Policy, tuple[Condition, ...]] = IdentityMemo()


def jurisdiction_conditions(policy: Policy) -> tuple[Condition, ...]:
    return _MADE.get(policy, lambda: (_condition(policy),))


def _condition(policy: Policy) -> Condition:
    applies = policy.applies_in
    code = applies.region
    parts: list[Expr] = [Within(Ref(("enterprise", _FACT[r])), code) for r in applies.registrations]
    when: Expr = parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))
    names = applies.registrations
    place = region(code).name  # 闵行区, 临港新片区, 深圳市: the policy's own words for it
    zh = "和".join(_ZH[r] for r in names) + ("均" if len(names) > 1 else "") + f"在{place}"
    en = f"registered for {' and '.join(_EN[r] for r in names)} in {display(code, 'en')}"
    return Condition.model_construct(text=zh, text_en=en, when=when, quote=applies.quote)  # built valid
