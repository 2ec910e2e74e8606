"""Plan targets as data: `targets/<jurisdiction>/<plan>.yaml` beside the plan's text (source.txt).

A plan file names its region and its targets; each target says how its indicator is computed from
the statistical monitoring catalogue (a count of enterprises or a sum of an indicator, with
filters; a compound growth rate of one; or values reported outside the catalogue), its target
value or range by a year, an optional baseline, its unit and the verbatim quote it comes from.
Checked like policies: every problem at once, each with file and line; a quote must be verbatim in
the source text, an indicator must name a field of the catalogue.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from huiqi.diagnostics import (
    Bilingual,
    Diagnostic,
    InputError,
    SourceDoc,
    parse_model,
)
from huiqi.facts.chinese import amount_error, read_amount_text
from huiqi.facts.vocabulary import Field as TechField
from huiqi.monitor.indicators import COUNTED, NUMBERS
from huiqi.monitor.progress import Goal
from huiqi.regions import read_region


def _number(raw: object) -> object:
    """500, 500亿, 2万, 12%: exact."""
    if isinstance(raw, bool):
        raise Bilingual(f"应为数值, 不能是 {raw!r}", f"a number is needed, not {raw!r}")
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    if isinstance(raw, str):
        text = raw.strip()
        if text.endswith("%"):
            try:
                return Decimal(text[:-1]) / 100
            except ArithmeticError:
                raise amount_error(raw) from None
        found = read_amount_text(text.removesuffix("元").removesuffix("人").removesuffix("家").removesuffix("件"))
        if found is not None:
            return found
    raise amount_error(raw)


Number = Annotated[Decimal, BeforeValidator(_number)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Where(_Strict):
    """Which enterprises of the catalogue count (all in the plan's region, by default)."""

    region: str | None = None
    fields: list[str] = Field(default_factory=list)
    above_scale: bool | None = None


class Indicator(_Strict):
    """Exactly one of: count (of enterprises), sum (of a catalogue indicator), growth (the compound
    yearly growth of a sum since the baseline), reported (yearly values given here, with their source)."""

    count: Literal["enterprises"] | None = None
    sum: str | None = None
    growth: str | None = None
    where: Where = Field(default_factory=Where)
    reported: dict[int, Number] | None = None
    reported_source: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Indicator:
        given = [k for k in ("count", "sum", "growth", "reported") if getattr(self, k) is not None]
        if len(given) != 1:
            raise Bilingual(
                "指标须且只须写 count、sum、growth、reported 之一",
                f"an indicator is exactly one of count, sum, growth, reported (here: {given or 'none'})",
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("count", "sum", "growth", "reported") if getattr(self, k) is not None)

    @property
    def field(self) -> str | None:
        return self.sum or self.growth


class Baseline(_Strict):
    year: int
    value: Number | None = None
    quote: str | None = None


class TargetIn(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    indicator: Indicator
    unit: str = Field(min_length=1)
    by: int
    value: Number | list[Number]
    each_year: bool = False
    baseline: Baseline | None = None
    quote: str = Field(min_length=1)


class PlanIn(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    issuer: str = Field(min_length=1)
    region: str
    published: date | None = None
    source: str = "source.txt"
    source_note: str | None = None
    targets: list[TargetIn] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Target:
    plan: str
    id: str
    title: str
    title_en: str
    indicator: Indicator
    region: str
    """The region code the catalogue's enterprises must lie in."""
    unit: str
    goal: Goal
    quote: str

    @property
    def key(self) -> str:
        return f"{self.plan}.{self.id}"

    @property
    def drillable(self) -> bool:
        """A count or a sum of the catalogue: splits by region and field (a rate or a reported value does not)."""
        return self.indicator.count is not None or self.indicator.sum is not None


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    title: str
    title_en: str
    issuer: str
    region: str
    published: date | None
    targets: tuple[Target, ...]
    file: str


def _low_high(value: Decimal | list[Decimal]) -> tuple[Decimal, Decimal | None]:
    if isinstance(value, list):
        return value[0], value[-1]
    return value, None


def parse_plan(text: str, file: str, source_text: str, source_file: str = "source.txt") -> Plan:
    """A plan's targets from its YAML text, checked against the catalogue and its source text."""
    parsed, doc = parse_model(text, file, PlanIn)
    problems = _problems(parsed, doc, source_text, source_file)
    if problems:
        raise InputError(problems)
    region = read_region(parsed.region).code
    targets = []
    for t in parsed.targets:
        low, high = _low_high(t.value)
        base = t.baseline
        goal = Goal(t.by, low, high, base.year if base else None, base.value if base else None, t.each_year)
        where_region = read_region(t.indicator.where.region).code if t.indicator.where.region else region
        targets.append(Target(parsed.id, t.id, t.title, t.title_en, t.indicator, where_region, t.unit, goal, t.quote))
    return Plan(parsed.id, parsed.title, parsed.title_en, parsed.issuer, region, parsed.published, tuple(targets), file)


def _problems(plan: PlanIn, doc: SourceDoc, source: str, source_file: str) -> list[Diagnostic]:
    found: list[Diagnostic] = []

    def problem(path: tuple[str | int, ...], en: str, zh: str) -> None:
        name = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
        found.append(Diagnostic(doc.file, doc.line_of(path), en, name, zh=zh))

    def region_ok(path: tuple[str | int, ...], raw: str) -> None:
        try:
            read_region(raw)
        except ValueError as error:
            problem(path, str(error), getattr(error, "zh", str(error)))

    region_ok(("region",), plan.region)
    seen: set[str] = set()
    fields = {str(f.value) for f in TechField}
    for n, target in enumerate(plan.targets):
        at: tuple[str | int, ...] = ("targets", n)
        if target.id in seen:
            problem((*at, "id"), f"target id {target.id!r} is used twice", f"目标编号 {target.id!r} 重复")
        seen.add(target.id)
        if target.quote not in source:
            problem((*at, "quote"), f"quote is not verbatim in {source_file}", f"摘录与 {source_file} 原文不符")
        if target.baseline and target.baseline.quote and target.baseline.quote not in source:
            problem(
                (*at, "baseline", "quote"), f"quote is not verbatim in {source_file}", f"摘录与 {source_file} 原文不符"
            )
        indicator = target.indicator
        name = indicator.field
        if name is not None and name not in NUMBERS:
            near = difflib.get_close_matches(name, sorted(NUMBERS), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            problem(
                (*at, "indicator", indicator.kind),
                f"{name!r} names nothing in the catalogue{hint} (one of {', '.join(sorted(NUMBERS))})",
                f"{name!r} 不是监测目录中的指标{('; 是否应为 ' + repr(near[0])) if near else ''}",
            )
        if indicator.count is not None and indicator.count not in COUNTED:
            problem((*at, "indicator", "count"), "only enterprises are counted", "只能统计企业数")
        if indicator.where.region:
            region_ok((*at, "indicator", "where", "region"), indicator.where.region)
        for k, code in enumerate(indicator.where.fields):
            if code not in fields:
                problem(
                    (*at, "indicator", "where", "fields", k),
                    f"{code!r} is not a field of policies/vocabulary/fields.yaml",
                    f"{code!r} 不是领域词表中的代码",
                )
        low, high = _low_high(target.value)
        if isinstance(target.value, list) and (len(target.value) != 2 or high is None or low > high):
            problem(
                (*at, "value"), "a range is [low, high] with low ≤ high", "区间应写作 [下限, 上限] 且下限不大于上限"
            )
        if low < 0:
            problem((*at, "value"), "a target must not be negative", "目标值不能为负")
        if target.baseline is not None and target.baseline.year >= target.by:
            problem(
                (*at, "baseline", "year"), "the baseline year must come before the target year", "基期应早于目标年份"
            )
        if indicator.reported is not None and not indicator.reported_source:
            problem(
                (*at, "indicator"), "reported values need their reported_source", "填报值须注明来源 reported_source"
            )
    return found


def plan_summary(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "title": plan.title,
        "title_en": plan.title_en,
        "issuer": plan.issuer,
        "region": plan.region,
        "published": plan.published.isoformat() if plan.published else None,
        "targets": [
            {
                "id": t.key,
                "title": t.title,
                "title_en": t.title_en,
                "unit": t.unit,
                "by": t.goal.year,
                "value": str(t.goal.low) if t.goal.high is None else [str(t.goal.low), str(t.goal.high)],
                "quote": t.quote,
            }
            for t in plan.targets
        ],
    }
