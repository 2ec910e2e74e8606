"""Benefit components: one function per node kind, each returning amounts by year and steps.

Table-driven (COMPONENT_RULES); a node kind without a rule raises NoRuleError by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from huiqi.engine.result import Reason, Step
from huiqi.engine.values import Scope, as_number, evaluate, facts_read, holds, show
from huiqi.facts.models import Facts, Lease
from huiqi.money import ZERO, Exact, Interval, exact_product, format_exact, format_rate, format_yuan, round_fen
from huiqi.rules.expr import Expr, refs, to_text
from huiqi.rules.model import (
    AmountCase,
    AmountChoice,
    AmountRange,
    Bonus,
    Component,
    Decision,
    Fixed,
    InForce,
    Match,
    Milestones,
    PerYear,
    RateCase,
    RateChoice,
    RateRange,
    Ratio,
    RentSchedule,
)
from huiqi.rules.words import expr_words


class NoRuleError(TypeError):
    """A rule-tree node that this walker has no rule for."""


Note = Callable[[Callable[[], Step]], None]
"""Records an explanation step; takes a maker so no text is built when nobody will read it."""


def no_note(make: Callable[[], Step]) -> None:
    return None


@dataclass
class ComponentOutcome:
    explain: bool = True
    by_year: dict[int, Interval] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    missing: list[Reason] = field(default_factory=list)
    decision: str | None = None

    def note(self, make: Callable[[], Step]) -> None:
        if self.explain:
            self.steps.append(make())

    def add(self, year: int, amount: Interval) -> None:
        self.by_year[year] = self.by_year.get(year, Interval(ZERO, ZERO)) + amount


@dataclass(frozen=True, slots=True)
class Context:
    facts: Facts
    scope: Scope
    subject_year: int
    as_of: date
    in_force: InForce
    name: str  # the component's id
    explain: bool = True


def _case(cases: Sequence[RateCase | AmountCase], scope: Scope, note: Note) -> RateCase | AmountCase | None:
    """The first case whose condition holds, noted in the explanation."""
    for case in cases:
        if evaluate(case.when, scope) is True:
            label = case.title or expr_words(case.when)
            note(
                lambda: Step(
                    "case",
                    f"适用情形: {label}",
                    f"case applies: {label}",
                    facts_read(case.when, scope),
                    None,
                    facts_read(case.when, scope, "en"),
                )
            )
            return case
    return None


def rate_of(choice: RateChoice, scope: Scope, note: Note) -> Interval:
    case = _case(choice.cases, scope, note)
    value = case.rate if isinstance(case, RateCase) else choice.default
    if isinstance(value, RateRange):
        return Interval(value.min, value.max)
    return Interval(value, value)


def amount_of(choice: AmountChoice, scope: Scope, note: Note) -> Decimal:
    case = _case(choice.cases, scope, note)
    return case.amount if isinstance(case, AmountCase) else choice.default


def describe_rate(rate: Interval) -> str:
    if rate.is_exact:
        return format_rate(rate.lo)
    return f"[{format_rate(rate.lo)}, {format_rate(rate.hi)}]"


def _cap_component(
    out: ComponentOutcome, year: int, amount: Interval, cap: Decimal, label: str, label_en: str
) -> Interval:
    capped = amount.cap(cap)
    binding = capped != amount
    out.note(
        lambda: Step(
            "cap",
            f"{label}上限 {format_yuan(cap)}" + (" (封顶)" if binding else " (未触及)"),
            f"{label_en} cap {format_yuan(cap)}" + (" (binding)" if binding else " (not reached)"),
            f"{amount.describe()} → {capped.describe()}" if binding else "",
            capped,
        )
    )
    return capped


def _no_base(expr: Expr) -> Reason:
    missing = tuple(ref.dotted for ref in refs(expr))
    text = to_text(expr)
    return Reason("no_base", f"计算基数未提供: {text}", f"the base is not provided: {text}", missing=missing)


def _base(expr: Expr, ctx: Context, out: ComponentOutcome) -> Exact | None:
    """The component's base; a negative one (a rule that subtracts, e.g. investment less a
    previous round's) counts as zero: a share of less than nothing is no support, not a charge,
    as per_year leaves out the years whose base is not positive. The batch compiler clamps alike."""
    base = as_number(evaluate(expr, ctx.scope))
    if base is None:
        out.missing.append(_no_base(expr))
    elif base < 0:
        negative = base
        out.note(
            lambda: Step(
                "note",
                f"计算基数为负 ({format_exact(negative)}), 按 0 计: {to_text(expr)}",
                f"the base is negative ({format_exact(negative)}), counted as 0: {to_text(expr)}",
            )
        )
        return ZERO
    return base


def ratio(component: Ratio, ctx: Context) -> ComponentOutcome:
    out = ComponentOutcome(ctx.explain)
    base = _base(component.base, ctx, out)
    if base is None:
        return out
    rate = rate_of(component.rate, ctx.scope, out.note)
    amount = Interval.of_product(base, rate)
    out.note(
        lambda: Step(
            "formula",
            f"{component.title or ctx.name}: {expr_words(component.base)} × 比例",
            f"{component.title_en or ctx.name}: {expr_words(component.base, 'en')} × rate",
            f"{format_exact(base)} × {describe_rate(rate)} = {amount.describe()}",
            amount,
        )
    )
    if component.cap is not None:
        cap = amount_of(component.cap, ctx.scope, out.note)
        amount = _cap_component(out, ctx.subject_year, amount, cap, "单项", "component")
    out.add(ctx.subject_year, amount)
    return out


def match(component: Match, ctx: Context) -> ComponentOutcome:
    out = ComponentOutcome(ctx.explain)
    base = _base(component.base, ctx, out)
    if base is None:
        return out
    amount = Interval.exact(round_fen(exact_product(base, component.ratio)))
    out.note(
        lambda: Step(
            "formula",
            f"{component.title or ctx.name}: 按 {expr_words(component.base)} 的 {format_rate(component.ratio)} 配套",
            f"{component.title_en or ctx.name}: matching {format_rate(component.ratio)}"
            f" of {expr_words(component.base, 'en')}",
            f"{format_exact(base)} × {format_rate(component.ratio)} = {amount.describe()}",
            amount,
        )
    )
    if component.cap is not None:
        cap = amount_of(component.cap, ctx.scope, out.note)
        amount = _cap_component(out, ctx.subject_year, amount, cap, "配套", "matching")
    out.add(ctx.subject_year, amount)
    return out


def fixed(component: Fixed, ctx: Context) -> ComponentOutcome:
    out = ComponentOutcome(ctx.explain)
    amount = Interval.exact(amount_of(component.amount, ctx.scope, out.note))
    out.note(
        lambda: Step(
            "formula",
            f"{component.title or ctx.name}: 定额",
            f"{component.title_en or ctx.name}: fixed amount",
            amount.describe(),
            amount,
        )
    )
    out.add(ctx.subject_year, amount)
    return out


def amount_range(component: AmountRange, ctx: Context) -> ComponentOutcome:
    out = ComponentOutcome(ctx.explain)
    amount = Interval(component.min, component.max)
    out.note(
        lambda: Step(
            "formula",
            f"{component.title or ctx.name}: 评审在区间内确定",
            f"{component.title_en or ctx.name}: decided by review within the range",
            amount.describe(),
            amount,
        )
    )
    out.add(ctx.subject_year, amount)
    return out


def bonus(component: Bonus, ctx: Context) -> ComponentOutcome:
    out = ComponentOutcome(ctx.explain)
    won = [o for o in component.options if evaluate(o.when, ctx.scope) is True]
    if not won:
        out.note(
            lambda: Step(
                "note",
                f"{component.title or ctx.name}: 不适用",
                f"{component.title_en or ctx.name}: none applies",
                "; ".join(facts_read(o.when, ctx.scope) for o in component.options),
                None,
                "; ".join(facts_read(o.when, ctx.scope, "en") for o in component.options),
            )
        )
        return out
    if component.stacking == "highest":
        won = [max(won, key=lambda o: o.amount)]
    total = sum((o.amount for o in won), ZERO)
    amount = Interval.exact(total)
    names = " + ".join(f"{o.title or to_text(o.when)} {format_yuan(o.amount)}" for o in won)
    rule_zh = "取最高" if component.stacking == "highest" else "累加"
    out.note(
        lambda: Step(
            "formula",
            f"{component.title or ctx.name}: 一次性奖励 ({rule_zh})",
            f"{component.title_en or ctx.name}: one-time bonus ({component.stacking})",
            names,
            amount,
        )
    )
    out.add(ctx.subject_year, amount)
    return out


def per_year(component: PerYear, ctx: Context) -> ComponentOutcome:
    out = ComponentOutcome(ctx.explain)
    value = evaluate(component.base, ctx.scope)
    series: Mapping[int, Exact]
    if isinstance(value, Mapping):
        series = value
    else:
        number = as_number(value)
        if number is None:
            out.missing.append(_no_base(component.base))
            return out
        series = {ctx.subject_year: number}
    rate = rate_of(component.rate, ctx.scope, out.note)
    first, last = ctx.in_force.start.year, (ctx.in_force.end.year if ctx.in_force.end else 9999)
    outside = sorted(y for y, v in series.items() if v > 0 and not first <= y <= last)
    if outside:
        out.note(
            lambda: Step(
                "note",
                f"不在政策有效年度内, 不计: {outside}",
                f"years outside the policy's term, not counted: {outside}",
            )
        )
    years = sorted(y for y, v in series.items() if v > 0 and first <= y <= last)
    if component.max_years is not None and years:
        # The support period is N consecutive calendar years from the first year with a base.
        period_end = years[0] + component.max_years - 1
        dropped = [y for y in years if y > period_end]
        if dropped:
            out.note(
                lambda: Step(
                    "note",
                    f"资助周期不超过{component.max_years}年 ({years[0]}–{period_end}), 不计: {dropped}",
                    f"support period of {component.max_years} years ({years[0]}–{period_end}); not counted: {dropped}",
                )
            )
        years = [y for y in years if y <= period_end]
    total_cap = amount_of(component.cap, ctx.scope, out.note) if component.cap is not None else None
    running = ZERO
    for year in years:
        base = series[year]
        amount = Interval.of_product(base, rate)
        out.note(
            lambda: Step(
                "formula",
                f"{component.title or ctx.name} {year}年: {expr_words(component.base)} × 比例",
                f"{component.title_en or ctx.name} {year}: {expr_words(component.base, 'en')} × rate",
                f"{format_exact(base)} × {describe_rate(rate)} = {amount.describe()}",
                amount,
            )
        )
        if component.cap_per_year is not None:
            amount = _cap_component(out, year, amount, component.cap_per_year, f"{year}年度", f"{year} yearly")
        if total_cap is not None:
            remaining = max(total_cap - running, ZERO)
            if amount.hi > remaining:
                amount = _cap_component(out, year, amount, remaining, "累计", "cumulative")
        running += amount.hi
        out.add(year, amount)
    return out


def milestones(component: Milestones, ctx: Context) -> ComponentOutcome:
    out = ComponentOutcome(ctx.explain)
    series = evaluate(component.series, ctx.scope)
    if not isinstance(series, Mapping):
        out.missing.append(_no_base(component.series))
        return out
    first_window_year = ctx.in_force.start.year
    last_window_year = min(ctx.as_of.year, ctx.in_force.end.year if ctx.in_force.end else ctx.as_of.year)
    passed: dict[int, list[tuple[Decimal, str, str]]] = {}  # year -> (amount, label, label in English)
    for tier in component.tiers:
        label = tier.title or f"突破{format_yuan(tier.threshold)}"
        label_en = tier.title or f"above {format_yuan(tier.threshold)}"  # a tier's title is the policy's own
        first = next((y for y in sorted(series) if _passes(series[y], tier.threshold, component.passing)), None)
        if first is None:
            out.note(
                lambda: Step(
                    "note", f"{label}: 未突破", f"{label_en}: not passed", show(series), None, show(series, "en")
                )
            )
            continue
        if not first_window_year <= first <= last_window_year:
            out.note(
                lambda: Step(
                    "note",
                    f"{label}: 首次突破在{first}年, 不在计算年度内"
                    f" (政策施行年度至评估年度 {first_window_year}–{last_window_year})",
                    f"{label_en}: first passed in {first}, outside {first_window_year}–{last_window_year}"
                    " (the policy's first year to the as-of year)",
                    show(series),
                    None,
                    show(series, "en"),
                )
            )
            continue
        if tier.when is not None:
            ok, why, why_en = holds(tier.when, ctx.scope)
            if not ok:
                out.note(
                    lambda: Step(
                        "note", f"{label}: 附加条件不满足", f"{label_en}: extra condition not met", why, None, why_en
                    )
                )
                continue
        passed.setdefault(first, []).append((tier.amount, label, label_en))
    for year, tiers in sorted(passed.items()):
        if component.stacking == "highest" and len(tiers) > 1:
            out.note(
                lambda: Step(
                    "stacking",
                    f"{year}年同时突破多档, 只取最高档",
                    f"{year}: several tiers in one year, highest only",
                    ", ".join(t[1] for t in tiers),
                    None,
                    ", ".join(t[2] for t in tiers),
                )
            )
            tiers = [max(tiers)]
        for amount, label, label_en in tiers:
            value = Interval.exact(amount)
            out.note(
                lambda: Step(
                    "formula",
                    f"{label}: {year}年首次突破, 一次性奖励",
                    f"{label_en}: first passed in {year}, one-time reward",
                    f"{format_yuan(series[year])} → {format_yuan(amount)}",
                    value,
                )
            )
            out.add(year, value)
    return out


def _passes(value: Decimal, threshold: Decimal, passing: str) -> bool:
    return value > threshold if passing == "greater" else value >= threshold


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def rent_schedule(component: RentSchedule, ctx: Context) -> ComponentOutcome:
    out = ComponentOutcome(ctx.explain)
    leases = sorted(ctx.facts.leases, key=lambda lease: lease.start_date)
    if not leases:
        out.missing.append(Reason("no_base", "没有租赁信息", "no lease in the facts", missing=("leases",)))
        return out
    settled = ctx.facts.enterprise.settled_date

    def later_of_settlement(day: date) -> date:
        return max(day, settled) if settled is not None else day

    shared_start = later_of_settlement(leases[0].start_date)
    counted: list[tuple[Lease, Decimal]] = []
    for lease in leases:
        # The area cap holds at any one time: earlier leases still running take their share first.
        area = lease.area_m2
        if component.area_cap_m2 is not None:
            running = sum((a for other, a in counted if _overlaps(other, lease)), Decimal(0))
            area = max(min(area, component.area_cap_m2 - running), Decimal(0))
        counted.append((lease, area))
        if area <= 0:
            out.note(
                lambda: Step(
                    "cap",
                    f"租赁 {lease.id}: 补贴面积已满 {component.area_cap_m2} m²",
                    f"lease {lease.id}: area cap already used",
                    "",
                )
            )
            continue
        start = shared_start if component.count_from == "shared" else later_of_settlement(lease.start_date)
        out.note(
            lambda: Step(
                "formula",
                f"租赁 {lease.id}: 计补面积 {area} m² / {lease.area_m2} m², 补贴年度自 {start} 起算",
                f"lease {lease.id}: {area} of {lease.area_m2} m² counted, support years from {start}",
                f"年租金 {format_yuan(lease.annual_rent)}",
                None,
                f"annual rent {format_yuan(lease.annual_rent)}",
            )
        )
        _rent_years(component, lease, start, area, out)
    return out


def _overlaps(earlier: Lease, later: Lease) -> bool:
    return earlier.end_date is None or earlier.end_date >= later.start_date


def _rent_years(component: RentSchedule, lease: Lease, anchor: date, area: Decimal, out: ComponentOutcome) -> None:
    """Support year k runs from anchor + k years; the lease is covered where it overlaps it."""
    yearly_rent = lease.annual_rent * area / lease.area_m2
    for index, rate in enumerate(component.rates):
        year_start, year_end = _add_years(anchor, index), _add_years(anchor, index + 1)
        covered_start = max(year_start, lease.start_date)
        covered_end = min(year_end, lease.end_date + timedelta(days=1)) if lease.end_date else year_end
        if covered_end <= covered_start:
            continue
        days_in_year = (year_end - year_start).days
        # Split the support year across the calendar years it spans, by days.
        cursor = covered_start
        while cursor < covered_end:
            piece_end = min(covered_end, date(cursor.year + 1, 1, 1))
            days = (piece_end - cursor).days
            amount = round_fen(yearly_rent * rate * days / days_in_year)
            value = Interval.exact(amount)
            out.note(
                lambda: Step(
                    "formula",
                    f"第{index + 1}补贴年 {cursor}–{piece_end}: 租金 × {format_rate(rate)}",
                    f"support year {index + 1} {cursor}–{piece_end}: rent × {format_rate(rate)}",
                    f"{format_yuan(yearly_rent)} × {format_rate(rate)} × {days}/{days_in_year}天"
                    f" = {format_yuan(amount)}",
                    value,
                    f"{format_yuan(yearly_rent)} × {format_rate(rate)} × {days}/{days_in_year} days"
                    f" = {format_yuan(amount)}",
                )
            )
            out.add(cursor.year, value)
            cursor = piece_end


def decision(component: Decision, ctx: Context) -> ComponentOutcome:
    out = ComponentOutcome(ctx.explain, decision=component.text)
    out.note(
        lambda: Step(
            "note",
            f"{component.title or ctx.name}: 无计算公式, 个案决定",
            f"{component.title_en or ctx.name}: no formula; decided case by case",
            component.text,
        )
    )
    return out


COMPONENT_RULES: dict[type[Any], Callable[[Any, Context], ComponentOutcome]] = {
    Ratio: ratio,
    Match: match,
    Fixed: fixed,
    AmountRange: amount_range,
    Bonus: bonus,
    PerYear: per_year,
    Milestones: milestones,
    RentSchedule: rent_schedule,
    Decision: decision,
}


def evaluate_component(component: Component, ctx: Context) -> ComponentOutcome:
    rule = COMPONENT_RULES.get(type(component))
    if rule is None:
        raise NoRuleError(f"the interpreter has no rule for benefit kind {type(component).__name__}")
    if component.when is not None:
        ok, why, why_en = holds(component.when, ctx.scope)
        if not ok:
            out = ComponentOutcome(ctx.explain)
            out.note(
                lambda: Step(
                    "note",
                    f"{component.title or ctx.name}: 不适用",
                    f"{component.title_en or ctx.name}: does not apply",
                    why,
                    None,
                    why_en,
                )
            )
            return out
    outcome = rule(component, ctx)
    if component.funder is not None:
        zh, en = FUNDERS[component.funder]
        name, name_en = component.title or ctx.name, component.title_en or ctx.name
        outcome.note(lambda: Step("note", f"{name}: 资金来源 {zh}", f"{name_en}: paid by the {en}", "", None, ""))
    return outcome


FUNDERS = {
    "national": ("国家", "national government"),
    "city": ("市级财政", "city"),
    "district": ("区级财政", "district"),
    "zone": ("功能区/新片区", "zone"),
}
