"""Where an indicator stands against its plan target: the arithmetic, pure and exact.

Given a target (a value or a range by a year, from a baseline) and the indicator's yearly values,
`progress` says the current value, the share of the way achieved, the yearly growth achieved so
far and the growth needed from now, the year the target is reached at the current pace, and a
status. Decimal throughout (growth rates by Decimal's own ln and exp, 28 digits); rounding is for
display only.

The edges, each said in the result rather than guessed: a target already met; an indicator that
shrinks (never reached at this pace); a missing year (the latest known year counts, the gap is
noted); a range target (met at its lower bound, exceeded past its upper); a baseline of zero (no
growth rate exists: the pace is linear, the yearly increment); a target year already past.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from enum import StrEnum

ZERO = Decimal(0)
ONE = Decimal(1)


class Status(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    MISSED = "missed"
    NO_DATA = "no_data"


STATUS_LABELS = {
    Status.MET: ("已实现", "met"),
    Status.ON_TRACK: ("按期可达", "on track"),
    Status.AT_RISK: ("存在风险", "at risk"),
    Status.OFF_TRACK: ("难以按期实现", "off track"),
    Status.MISSED: ("到期未实现", "missed"),
    Status.NO_DATA: ("无数据", "no data"),
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a target not yet met is at risk rather than on track: projected to be reached at most
    `at_risk_years` after its target year (data: targets/status.yaml)."""

    at_risk_years: int = 1


@dataclass(frozen=True, slots=True)
class Goal:
    """What a plan sets: reach `low` (to `high`, a range) by `year`, from `base_value` in `base_year`
    (None: the first year the indicator has)."""

    year: int
    low: Decimal
    high: Decimal | None = None
    base_year: int | None = None
    base_value: Decimal | None = None
    each_year: bool = False
    """A yearly flow (1,000 patents a year): each year's value is judged on its own."""


@dataclass(frozen=True, slots=True)
class Progress:
    status: Status
    current_year: int | None = None
    current: Decimal | None = None
    base_year: int | None = None
    base: Decimal | None = None
    share: Decimal | None = None
    """(current − base) / (target − base), or current / target without a base below the target."""
    growth_achieved: Decimal | None = None
    """Yearly growth from the base to now (compound); None when the base is zero or no year passed."""
    growth_needed: Decimal | None = None
    """Yearly growth needed from now to reach the target in its year; None when met or past."""
    increment: Decimal | None = None
    """The yearly increment so far (the linear pace, used when the base is zero)."""
    reached_in: int | None = None
    """The year the target is reached at the current pace; None: never at this pace."""
    notes: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    """(Chinese, English) remarks: a missing year, a range exceeded, the linear pace used."""


def root_growth(ratio: Decimal, years: int) -> Decimal:
    """ratio^(1/years) − 1, exactly to 28 digits."""
    with localcontext() as ctx:
        ctx.prec = 28
        return (ratio.ln() / years).exp() - ONE


def _years_to(target: Decimal, current: Decimal, growth: Decimal) -> int:
    """Whole years until current × (1 + growth)^n ≥ target (growth > 0, target > current > 0)."""
    with localcontext() as ctx:
        ctx.prec = 28
        exact = (target / current).ln() / (ONE + growth).ln()
    n = math.ceil(exact)
    # guard the ceiling against the last digit of ln: check the compound value itself
    while n > 0 and current * (ONE + growth) ** (n - 1) >= target:
        n -= 1
    return n


def progress(goal: Goal, values: Mapping[int, Decimal], as_of_year: int, limits: Thresholds = Thresholds()) -> Progress:
    """The target's progress on the indicator's yearly values known up to `as_of_year`; a target whose
    year is past is judged on its own year (Minhang's 300 firms by 2020: the value of 2020)."""
    last = as_of_year if goal.each_year else min(as_of_year, goal.year)
    known = {y: v for y, v in values.items() if y <= last}
    if not known:
        return Progress(Status.NO_DATA, notes=(("没有该指标的数据", "no value of the indicator yet"),))
    current_year = max(known)
    current = known[current_year]
    notes: list[tuple[str, str]] = []
    missing = [y for y in range(min(known), current_year) if y not in known]
    if missing:
        years = "、".join(str(y) for y in missing)
        notes.append((f"缺少 {years} 年的数据", f"no value for {', '.join(str(y) for y in missing)}"))
    if current_year < last:
        notes.append((f"最新数据为 {current_year} 年", f"the latest value is of {current_year}"))
    if not goal.each_year and as_of_year > goal.year > current_year:
        notes.append(
            (
                f"目标年份 {goal.year} 年已过但其数据尚未录入: 状态按此前的走势推算, 不是结论",
                f"the target year {goal.year} is past but its value is not in: the status is a projection",
            )
        )
    if goal.each_year:
        return _yearly(goal, current_year, current, notes)
    base_year, base = _base(goal, known)
    target = goal.low
    share = _share(current, base, target)
    if goal.high is not None and current > goal.high:
        notes.append(("已超过目标区间上限", "past the upper end of the target range"))
    elapsed = current_year - base_year
    growth = root_growth(current / base, elapsed) if base > 0 and current > 0 and elapsed > 0 else None
    increment = (current - base) / elapsed if elapsed > 0 else None
    met = current >= target
    left = goal.year - current_year
    needed = root_growth(target / current, left) if not met and left > 0 and current > 0 else None
    if not met and growth is None and base == 0 and increment is not None:
        notes.append(("基数为零, 按年均增量估算", "a zero base: the pace is the yearly increment"))
    reached = current_year if met else _reached(current_year, current, target, growth, increment)
    return Progress(
        _status(met, current_year, reached, goal.year, limits),
        current_year=current_year,
        current=current,
        base_year=base_year,
        base=base,
        share=share,
        growth_achieved=growth,
        growth_needed=needed,
        increment=increment,
        reached_in=reached,
        notes=tuple(notes),
    )


def _status(met: bool, current_year: int, reached: int | None, target_year: int, limits: Thresholds) -> Status:
    if met:
        return Status.MET
    if current_year >= target_year:  # the target year's value is in, short of the target
        return Status.MISSED
    if reached is None:
        return Status.OFF_TRACK
    if reached <= target_year:
        return Status.ON_TRACK
    if reached <= target_year + limits.at_risk_years:
        return Status.AT_RISK
    return Status.OFF_TRACK


def _base(goal: Goal, known: Mapping[int, Decimal]) -> tuple[int, Decimal]:
    if goal.base_year is not None and goal.base_value is not None:
        return goal.base_year, goal.base_value
    if goal.base_year is not None and goal.base_year in known:
        return goal.base_year, known[goal.base_year]
    first = min(known)
    return first, known[first]


def _share(current: Decimal, base: Decimal, target: Decimal) -> Decimal | None:
    if target > base:
        return (current - base) / (target - base)
    return current / target if target != 0 else None


def _reached(
    year: int, current: Decimal, target: Decimal, growth: Decimal | None, increment: Decimal | None
) -> int | None:
    if growth is not None:
        return year + _years_to(target, current, growth) if growth > 0 else None
    if increment is not None and increment > 0:
        return year + math.ceil((target - current) / increment)
    return None


def _yearly(goal: Goal, year: int, value: Decimal, notes: list[tuple[str, str]]) -> Progress:
    share = value / goal.low if goal.low != 0 else None
    status = Status.MET if value >= goal.low else Status.OFF_TRACK
    return Progress(status, current_year=year, current=value, share=share, notes=tuple(notes))
