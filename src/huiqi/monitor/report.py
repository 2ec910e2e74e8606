"""Each target's progress on the catalogue, as data for the CLI, the API and the pages (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from huiqi.monitor.indicators import CatalogueEntry, Filter, breakdown, yearly
from huiqi.monitor.progress import STATUS_LABELS, Progress, Status, Thresholds, progress, root_growth
from huiqi.monitor.targets import Plan, Target


def target_filter(target: Target) -> Filter:
    where = target.indicator.where
    return Filter(target.region, frozenset(where.fields), where.above_scale)


def series(target: Target, entries: Sequence[CatalogueEntry]) -> dict[int, Decimal]:
    """The indicator's value in each year: from the catalogue, or as reported in the plan's file."""
    indicator = target.indicator
    if indicator.reported is not None:
        return dict(sorted(indicator.reported.items()))
    counted = None if indicator.count is not None else indicator.field
    return yearly(entries, target_filter(target), counted)


def _growth_progress(target: Target, values: Mapping[int, Decimal], as_of_year: int) -> Progress:
    """A growth target (年均增长12%以上): the compound yearly growth from the baseline to now."""
    known = {y: v for y, v in values.items() if y <= as_of_year}
    base_year = target.goal.base_year if target.goal.base_year in known else (min(known) if known else None)
    if base_year is None or not known or max(known) <= base_year or known[base_year] <= 0:
        why = ("基期或当年数据不足, 无法计算增速", "no base or later year to grow from")
        return Progress(Status.NO_DATA, notes=(why,))
    year = max(known)
    ratio = known[year] / known[base_year]
    growth = root_growth(ratio, year - base_year) if ratio > 0 else Decimal(-1)
    met = growth >= target.goal.low
    if year >= target.goal.year:
        status = Status.MET if met else Status.MISSED
    else:
        status = Status.ON_TRACK if met else Status.OFF_TRACK
    return Progress(status, current_year=year, current=growth, base_year=base_year, base=known[base_year])


def target_progress(
    target: Target, entries: Sequence[CatalogueEntry], as_of_year: int, limits: Thresholds
) -> dict[str, Any]:
    values = series(target, entries)
    if target.indicator.growth is not None:
        found = _growth_progress(target, values, as_of_year)
    else:
        found = progress(target.goal, values, as_of_year, limits)
    zh, en = STATUS_LABELS[found.status]
    goal = target.goal
    return {
        "id": target.key,
        "plan": target.plan,
        "title": target.title,
        "title_en": target.title_en,
        "unit": target.unit,
        "kind": target.indicator.kind,
        "region": target.region,
        "by": goal.year,
        "target": _text(goal.low) if goal.high is None else [_text(goal.low), _text(goal.high)],
        "quote": target.quote,
        "series": {str(y): _text(v) for y, v in values.items()},
        "status": found.status.value,
        "status_zh": zh,
        "status_en": en,
        "current_year": found.current_year,
        # a rate (a growth target's compound rate) to six places, as the other ratios; counts and sums exact
        "current": _text(found.current, 6 if target.unit == "%" else None),
        "base_year": found.base_year,
        "base": _text(found.base),
        "share": _text(found.share, 6),
        "growth_achieved": _text(found.growth_achieved, 6),
        "growth_needed": _text(found.growth_needed, 6),
        "reached_in": found.reached_in,
        "notes": [{"zh": z, "en": e} for z, e in found.notes],
    }


def plan_progress(plan: Plan, entries: Sequence[CatalogueEntry], as_of_year: int, limits: Thresholds) -> dict[str, Any]:
    return {
        "id": plan.id,
        "title": plan.title,
        "title_en": plan.title_en,
        "region": plan.region,
        "targets": [target_progress(t, entries, as_of_year, limits) for t in plan.targets],
    }


def drill_down(target: Target, entries: Sequence[CatalogueEntry], year: int, by: str) -> dict[str, str]:
    """One year's figure split by region or field (the catalogue's targets only)."""
    indicator = target.indicator
    counted = None if indicator.count is not None else indicator.field
    split = breakdown(entries, target_filter(target), counted, year, by)
    return {key: _text(value) or "0" for key, value in split.items()}


def behind(target: Target, entries: Sequence[CatalogueEntry], year: int) -> list[CatalogueEntry]:
    """The enterprises behind one year's figure, the largest contribution first."""
    admit = target_filter(target)
    found = [e for e in entries if e.year == year and admit.admits(e)]
    name = target.indicator.field
    if name is not None:
        found.sort(key=lambda e: (-Decimal(getattr(e, name)), e.credit_code))
    return found


@dataclass(frozen=True, slots=True)
class Support:
    """The ledger's money to the enterprises a target counts, beside what the supported ones achieved."""

    counted: int
    supported: int
    awarded: Decimal
    paid: Decimal
    since: int
    growth: Decimal
    """The supported enterprises' AI revenue growth since `since` (their first year in the catalogue's count)."""
    talents: int
    """The supported enterprises' AI talents now."""

    @property
    def per_yuan_of_growth(self) -> Decimal | None:
        return (self.awarded / self.growth).quantize(Decimal("0.0001")) if self.growth > 0 else None

    @property
    def per_talent(self) -> Decimal | None:
        return (self.awarded / self.talents).quantize(Decimal("0.01")) if self.talents else None


def support_beside(
    target: Target, entries: Sequence[CatalogueEntry], year: int, money: Mapping[str, tuple[Decimal, Decimal]]
) -> Support:
    """`money`: awarded and paid by credit code (the ledger's)."""
    admit = target_filter(target)
    now = [e for e in entries if e.year == year and admit.admits(e)]
    funded = [e for e in now if e.credit_code in money]
    first = min((e.year for e in entries if admit.admits(e)), default=year)
    before = {e.credit_code: e.ai_revenue for e in entries if e.year == first and admit.admits(e)}
    return Support(
        counted=len(now),
        supported=len(funded),
        awarded=sum((money[e.credit_code][0] for e in funded), Decimal(0)),
        paid=sum((money[e.credit_code][1] for e in funded), Decimal(0)),
        since=first,
        growth=sum((e.ai_revenue - before.get(e.credit_code, Decimal(0)) for e in funded), Decimal(0)),
        talents=sum(e.ai_talents for e in funded),
    )


def percent(value: str | None) -> str:
    """A ratio as people read it, one decimal, half up: '0.409459' → '40.9%' (the CLI's and the pages')."""
    if value is None:
        return "—"
    return f"{(Decimal(value) * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


UNITS_EN = {"元": "yuan", "家": "firms", "人": "people", "件": "patents", "个": ""}


def unit_text(unit: str, lang: str = "zh") -> str:
    return unit if lang == "zh" else UNITS_EN.get(unit, unit)


def amount_text(value: str | None, unit: str, lang: str = "zh") -> str:
    """A figure as people read it: 577.67亿元, 16,703 人, 40.9%; in English millions of yuan, firms."""
    if value is None:
        return "—"
    if unit == "%":
        return percent(value)
    number = Decimal(value)
    if unit == "元" and lang == "zh" and abs(number) >= 10**4:
        scale, word = (10**8, "亿元") if abs(number) >= 10**8 else (10**4, "万元")
        return f"{(number / scale).quantize(Decimal('0.01')):,f}{word}"
    if unit == "元" and lang != "zh" and abs(number) >= 10**6:
        return f"{(number / 10**6).quantize(Decimal('0.01')):,f} million yuan"
    return f"{number:,f} {unit_text(unit, lang)}".rstrip()


def _text(value: Decimal | None, places: int | None = None) -> str | None:
    if value is None:
        return None
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return format(value.normalize(), "f")
