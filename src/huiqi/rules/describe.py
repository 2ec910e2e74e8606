"""Measures in plain words: "按项目新增投资的10%–30%给予支持，最高1亿元", from the rule tree.

A third walker over the same tree (beside the interpreter and the compiler): every policy,
including one encoded tomorrow, gets its catalogue text with no template written for it.
Each phrase is made in Chinese and in English; nothing here reads a file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from huiqi.money import format_rate, format_wan
from huiqi.rules.expr import Expr, Ref, refs
from huiqi.rules.factpaths import fact_label
from huiqi.rules.model import (
    AmountChoice,
    AmountRange,
    Bonus,
    Cap,
    Component,
    Decision,
    Fixed,
    Match,
    Measure,
    Milestones,
    PerYear,
    Policy,
    RateChoice,
    RateRange,
    Ratio,
    RentSchedule,
    Tranche,
)


@dataclass(frozen=True, slots=True)
class Words:
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


def yuan_zh(value: Decimal) -> str:
    return format_wan(value)


def yuan_en(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"¥{value:,.0f}"
    return f"¥{value:,.2f}"


def _rate(rate: Decimal | RateRange) -> Words:
    if isinstance(rate, RateRange):
        if rate.min == 0:
            text = f"up to {format_rate(rate.max)}"
            return Words(f"最高{format_rate(rate.max)}", text)
        span = f"{format_rate(rate.min)}–{format_rate(rate.max)}"
        return Words(span, span)
    return Words(format_rate(rate), format_rate(rate))


def _rate_choice(choice: RateChoice) -> Words:
    words = _rate(choice.default)
    for case in choice.cases:
        special = _rate(case.rate)
        label = case.title or "特定情形"
        words = Words(
            f"{words.zh}（{label}：{special.zh}）", f"{words.en} ({case.title or 'special case'}: {special.en})"
        )
    return words


def _amount_choice(choice: AmountChoice) -> Words:
    words = Words(yuan_zh(choice.default), yuan_en(choice.default))
    for case in choice.cases:
        label = case.title or "特定情形"
        words = Words(
            f"{words.zh}（{label}：{yuan_zh(case.amount)}）",
            f"{words.en} ({case.title or 'special case'}: {yuan_en(case.amount)})",
        )
    return words


def base_words(expr: Expr) -> Words:
    """A base in words: a single fact by its name, anything else by the facts it reads."""
    if isinstance(expr, Ref):
        zh, en = fact_label(expr.path)
        return Words(zh, en)
    labels = [fact_label(ref.path) for ref in refs(expr)]
    return Words(
        "、".join(z for z, _ in labels) + "计算所得", "a figure computed from " + ", ".join(e for _, e in labels)
    )


def _with_cap(words: Words, cap: AmountChoice | None) -> Words:
    if cap is None:
        return words
    limit = _amount_choice(cap)
    return Words(f"{words.zh}，最高{limit.zh}", f"{words.en}, at most {limit.en}")


def _ratio(component: Ratio) -> Words:
    base, rate = base_words(component.base), _rate_choice(component.rate)
    return _with_cap(Words(f"按{base.zh}的{rate.zh}给予支持", f"{rate.en} of {base.en}"), component.cap)


def _match(component: Match) -> Words:
    base = base_words(component.base)
    ratio = f"1:{(component.ratio).normalize():f}" if component.ratio != 1 else "1:1"
    words = Words(f"按{base.zh}{ratio}配套支持", f"matched {ratio} against {base.en}")
    return _with_cap(words, component.cap)


def _fixed(component: Fixed) -> Words:
    amount = _amount_choice(component.amount)
    return Words(f"给予{amount.zh}", f"{amount.en}")


def _amount_range(component: AmountRange) -> Words:
    if component.min == 0:
        return Words(f"最高{yuan_zh(component.max)}（评审确定）", f"up to {yuan_en(component.max)} (decided at review)")
    return Words(
        f"给予{yuan_zh(component.min)}至{yuan_zh(component.max)}（评审确定）",
        f"{yuan_en(component.min)} to {yuan_en(component.max)} (decided at review)",
    )


def _bonus(component: Bonus) -> Words:
    options_zh = "、".join(f"{o.title or ''}{yuan_zh(o.amount)}" for o in component.options)
    options_en = "; ".join(f"{o.title or 'bonus'} {yuan_en(o.amount)}" for o in component.options)
    rule_zh = "可叠加" if component.stacking == "sum" else "取其高"
    rule_en = "added up" if component.stacking == "sum" else "the highest applies"
    if component.title:  # the title says what the bonus is for (component_words prefixes it)
        return Words(f"{options_zh}（{rule_zh}）", f"{options_en} ({rule_en})")
    return Words(f"一次性奖励：{options_zh}（{rule_zh}）", f"one-time bonus: {options_en} ({rule_en})")


def _per_year(component: PerYear) -> Words:
    base, rate = base_words(component.base), _rate_choice(component.rate)
    zh, en = f"每年按{base.zh}的{rate.zh}给予支持", f"each year {rate.en} of {base.en}"
    if component.cap_per_year is not None:
        zh += f"，每年最高{yuan_zh(component.cap_per_year)}"
        en += f", at most {yuan_en(component.cap_per_year)} a year"
    if component.max_years is not None:
        zh += f"，最多{component.max_years}年"
        en += f", for at most {component.max_years} years"
    return _with_cap(Words(zh, en), component.cap)


def _milestones(component: Milestones) -> Words:
    series = base_words(component.series)
    tiers_zh = "、".join(f"首次突破{yuan_zh(t.threshold)}奖励{yuan_zh(t.amount)}" for t in component.tiers)
    tiers_en = "; ".join(f"{yuan_en(t.amount)} on first passing {yuan_en(t.threshold)}" for t in component.tiers)
    return Words(f"{series.zh}{tiers_zh}", f"{series.en}: {tiers_en}")


def _rent(component: RentSchedule) -> Words:
    years_zh = "、".join(f"第{i + 1}年{format_rate(r)}" for i, r in enumerate(component.rates))
    years_en = ", ".join(f"year {i + 1} {format_rate(r)}" for i, r in enumerate(component.rates))
    zh, en = f"租金补贴：{years_zh}", f"rent support: {years_en}"
    if component.area_cap_m2 is not None:
        zh += f"，面积不超过{component.area_cap_m2.normalize():f}平方米"
        en += f", on at most {component.area_cap_m2.normalize():f} m²"
    return Words(zh, en)


def _decision(component: Decision) -> Words:
    return Words(f"一事一议：{component.text}", f"decided case by case: {component.text}")


COMPONENT_WORDS: dict[type[Any], Callable[[Any], Words]] = {
    Ratio: _ratio,
    Match: _match,
    Fixed: _fixed,
    AmountRange: _amount_range,
    Bonus: _bonus,
    PerYear: _per_year,
    Milestones: _milestones,
    RentSchedule: _rent,
    Decision: _decision,
}


class NoWordsError(TypeError):
    """A component kind this walker has no words for."""


def component_words(component: Component) -> Words:
    rule = COMPONENT_WORDS.get(type(component))
    if rule is None:
        raise NoWordsError(f"no description for {type(component).__name__}")
    words = rule(component)
    title = component.title
    if (component.when is not None or isinstance(component, Bonus)) and title:
        title_en = component.title_en or title
        if any(ch.isdigit() for ch in title):  # the title states the amount itself; add its cap
            return _with_cap(Words(title, title_en), getattr(component, "cap", None))
        return Words(f"{title}：{words.zh}", f"{title_en}: {words.en}")
    return words


_CAP_WORDS = {
    "subject": ("最高", "at most"),
    "subject_year": ("每年最高", "at most a year"),
    "enterprise_year": ("每家企业每年最高", "per enterprise and year at most"),
    "enterprise_total": ("每家企业累计最高", "per enterprise in total at most"),
}


def cap_words(cap: Cap) -> Words:
    prefix_zh, prefix_en = _CAP_WORDS[cap.per]
    limit = _amount_choice(cap.max)
    return Words(f"{prefix_zh}{limit.zh}", f"{prefix_en} {limit.en}")


_TRIGGER = {
    "approval": ("立项/核定时", "on approval"),
    "acceptance": ("验收后", "on acceptance"),
    "annual": ("按年", "yearly"),
    "award": ("认定后", "on award"),
}


def payment_words(tranches: tuple[Tranche, ...]) -> Words | None:
    if not tranches:
        return None
    zh = "，".join(f"{_TRIGGER[t.on][0]}拨付{format_rate(t.share)}" for t in tranches)
    en = ", ".join(f"{format_rate(t.share)} {_TRIGGER[t.on][1]}" for t in tranches)
    return Words(f"分期拨付：{zh}", f"paid in tranches: {en}")


def measure_words(measure: Measure) -> Words:
    """The whole measure in one sentence: its benefits, then its caps."""
    parts = [component_words(c) for c in measure.benefits.values()]
    parts += [cap_words(cap) for cap in measure.caps]
    return Words("；".join(p.zh for p in parts), "; ".join(p.en for p in parts))


def summary(policy: Policy, measure: Measure) -> dict[str, Any]:
    """Everything the catalogue says about a measure, in both languages."""
    payment = payment_words(measure.payment)
    return {
        "benefits": [component_words(c).as_dict() for c in measure.benefits.values()],
        "caps": [cap_words(cap).as_dict() for cap in measure.caps],
        "payment": payment.as_dict() if payment else None,
        "sentence": measure_words(measure).as_dict(),
    }
