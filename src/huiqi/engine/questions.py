"""The questions a calculator must ask: the facts the in-force measures read, for the subjects given.

Derived from the rule tree and the facts models, never written per measure: a measure's scope,
its policy's and its own conditions, its components (bases, series, cases, `when`s) and its caps
name the facts it reads. A measure whose scope or conditions are already false on what the user
has said (a Minhang measure for a firm registered in Lingang, a procurement measure for an R&D
project) asks nothing. So a newly encoded policy gets its questions with no form written for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any, cast

from pydantic import BaseModel

from huiqi.engine.values import Scope, evaluate
from huiqi.facts.subjects import KIND_NAMES
from huiqi.region_text import region_code
from huiqi.rules.expr import BoolOp, Compare, Const, Expr, ListOf, Not, Ref, refs
from huiqi.rules.factpaths import DERIVED_FROM, REGION_FACTS, SUBJECT_MODELS, FactType, fact_label, fact_type
from huiqi.rules.jurisdiction import jurisdiction_conditions
from huiqi.rules.library import Library
from huiqi.rules.model import (
    AmountChoice,
    Bonus,
    Component,
    Measure,
    Milestones,
    PerYear,
    Policy,
    RateChoice,
    RentSchedule,
)

SUBJECT_KINDS = KIND_NAMES
# Facts every subject needs whatever the measures read: the models require them, or they name it.
IDENTITY: dict[str, tuple[str, ...]] = {
    "enterprise": ("name", "credit_code", "business_district", "tax_district", "severe_credit_record"),
    "project": ("name", "kind", "year"),
    "lease": ("area_m2", "annual_rent", "start_date", "end_date"),
    "institution": ("name", "level", "domestic_funded", "recognised_year"),
    "platform": ("name", "kind", "year"),
    "contract": ("kind", "signed", "amount"),
}
# What a rent schedule reads besides its expressions: the enterprise's leases and its settling date.
RENT_FACTS = (("enterprise", "settled_date"), *(("lease", name) for name in IDENTITY["lease"]))


@dataclass(frozen=True)
class Question:
    path: tuple[str, ...]
    label_zh: str
    label_en: str
    type: FactType
    money: bool = False
    unit: str | None = None
    help: str | None = None
    yearly: bool = False
    """A fact by year (costs, revenue): one answer per year."""
    measures: tuple[str, ...] = ()
    """The measures that read it (empty for the facts every subject needs)."""

    @property
    def name(self) -> str:
        """The key under the subject, e.g. 'costs.new_investment'."""
        return ".".join(self.path[1:])

    def options(self) -> list[tuple[str, str, str]]:
        """(code, Chinese label, English label) of an enumerated fact."""
        if self.type.enum is None:
            return []
        return [
            (str(m.value), str(getattr(m, "zh", m.value)), str(getattr(m, "en", m.value)).replace("_", " "))
            for m in self.type.enum
        ]


@dataclass
class SubjectQuestions:
    kind: str
    index: int | None
    questions: list[Question] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    """The in-force measures that may apply to this subject."""


def _component_exprs(component: Component) -> Iterable[Expr]:
    if component.when is not None:
        yield component.when
    for name in ("base", "series"):
        value = getattr(component, name, None)
        if value is not None:
            yield value
    for name in ("rate", "cap", "amount"):
        value = getattr(component, name, None)
        if isinstance(value, RateChoice | AmountChoice):
            yield from (case.when for case in value.cases)
    if isinstance(component, Bonus):
        yield from (option.when for option in component.options)
    if isinstance(component, Milestones):
        yield from (tier.when for tier in component.tiers if tier.when is not None)


def _yearly_exprs(component: Component) -> Iterable[Expr]:
    """Bases read year by year (support each year, milestones over a series)."""
    if isinstance(component, PerYear):
        yield component.base
    if isinstance(component, Milestones):
        yield component.series


def measure_facts(policy: Policy, measure: Measure) -> tuple[list[tuple[str, ...]], set[tuple[str, ...]]]:
    """Every fact path a measure reads, in order, and those it reads year by year."""
    exprs: list[Expr] = [c.when for c in (*policy.conditions, *measure.conditions)]
    if measure.scope is not None:
        exprs.insert(0, measure.scope)
    yearly: set[tuple[str, ...]] = set()
    extra: list[tuple[str, ...]] = []
    for component in measure.benefits.values():
        exprs += _component_exprs(component)
        yearly |= {ref.path for expr in _yearly_exprs(component) for ref in refs(expr)}
        if isinstance(component, RentSchedule):
            extra += RENT_FACTS
    for cap in measure.caps:
        exprs += [case.when for case in cap.max.cases]
    paths: list[tuple[str, ...]] = []
    for path in [ref.path for expr in exprs for ref in refs(expr)] + extra:
        for fact in _asked(path):
            if fact not in paths:
                paths.append(fact)
    return paths, yearly


def _asked(path: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """The facts a form asks for a path: a derived fact (a contract's term) by the facts it comes from."""
    sources = DERIVED_FROM.get((path[0], path[1])) if len(path) == 2 else None
    return tuple((path[0], name) for name in sources) if sources else (path,)


def _partial(kind: str, answers: Mapping[str, Any]) -> SimpleNamespace:
    """A subject's object with every fact the user has not given as unknown (None)."""
    model = SUBJECT_MODELS[kind]
    values = {name: answers.get(name) for name in model.model_fields}
    for name, given in values.items():
        if (kind, name) in REGION_FACTS and isinstance(given, str):
            values[name] = region_code(given) or given  # 浦东 as the rules compare it: 310115
    if "costs" in values and not isinstance(values["costs"], dict):
        values["costs"] = {}
    return SimpleNamespace(**values)


def _possible(expr: Expr | None, scope: Scope) -> bool:
    """False only when the answers so far already make the expression false."""
    return expr is None or evaluate(expr, scope) is not False


def applicable(policy: Policy, measure: Measure, scope: Scope) -> bool:
    written = (*jurisdiction_conditions(policy), *policy.conditions, *measure.conditions)
    conditions = (measure.scope, *(c.when for c in written))
    return all(_possible(expr, scope) for expr in conditions)


def in_force_on(policy: Policy, measure: Measure, day: date) -> bool:
    window = measure.in_force or policy.in_force
    return window.start <= day and (window.end is None or day <= window.end)


def _question(path: tuple[str, ...], yearly: bool, measures: tuple[str, ...]) -> Question:
    kind = path[0]
    model: type[BaseModel] = SUBJECT_MODELS[kind]
    found = fact_type(path)
    zh, en = fact_label(path)
    info = model.model_fields[path[1]]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    unit = str(extra["unit"]) if "unit" in extra else None
    money = found.kind == "by_year" or (unit is not None and "元" in unit)
    if kind == "project" and path[1] == "costs":
        unit, money = "元", True
    return Question(
        path=path,
        label_zh=zh,
        label_en=en,
        type=found,
        money=money,
        unit=unit,
        help=info.description,
        yearly=found.kind == "by_year" and yearly,
        measures=measures,
    )


def questions_for(
    library: Library,
    day: date,
    enterprise: Mapping[str, Any],
    subjects: Iterable[tuple[str, int, Mapping[str, Any]]],
) -> list[SubjectQuestions]:
    """The questions for the enterprise and for each subject (kind, index, answers so far)."""
    firm = _partial("enterprise", enterprise)
    live = [(ref.policy, ref.measure) for ref in library.measures() if in_force_on(ref.policy, ref.measure, day)]
    groups = [SubjectQuestions("enterprise", None)]
    scopes: list[Scope] = [Scope(cast(Any, {"enterprise": firm}))]
    for kind, index, answers in subjects:
        groups.append(SubjectQuestions(kind, index))
        scopes.append(Scope(cast(Any, {"enterprise": firm, kind: _partial(kind, answers)})))
    asked: dict[tuple[int, tuple[str, ...]], list[str]] = {}
    yearly: set[tuple[int, tuple[str, ...]]] = set()
    for policy, measure in live:
        paths, by_year = measure_facts(policy, measure)
        for position, (group, scope) in enumerate(zip(groups, scopes, strict=True)):
            if measure.applies_to != group.kind or not applicable(policy, measure, scope):
                continue
            group.measures.append(measure.id)
            for path in paths:
                # An enterprise fact read by a project's measure is asked once, with the enterprise;
                # a lease fact read by an enterprise's measure (rent) is asked of every lease.
                if path[0] == "enterprise":
                    owners = [0]
                elif path[0] == group.kind:
                    owners = [position]
                else:
                    owners = [i for i, other in enumerate(groups) if other.kind == path[0]]
                for owner in owners:
                    if measure.id not in asked.setdefault((owner, path), []):
                        asked[(owner, path)].append(measure.id)
                    if path in by_year:
                        yearly.add((owner, path))
    for position, group in enumerate(groups):
        identity = [(group.kind, name) for name in IDENTITY[group.kind]]
        read = [path for (owner, path) in asked if owner == position and path[0] == group.kind]
        for path in identity + [p for p in read if p not in identity]:
            group.questions.append(_question(path, (position, path) in yearly, tuple(asked.get((position, path), ()))))
    return groups


def lease_questions(library: Library, day: date) -> bool:
    """Whether any in-force measure reads leases (so the form offers to add them)."""
    for ref in library.measures():
        if in_force_on(ref.policy, ref.measure, day):
            paths, _ = measure_facts(ref.policy, ref.measure)
            if any(path[0] == "lease" for path in paths):
                return True
    return False


def subject_kinds_in_force(library: Library, day: date) -> list[str]:
    """The kinds of subject some in-force measure applies to (leases count when rent is paid on them)."""
    kinds: set[str] = {
        ref.measure.applies_to for ref in library.measures() if in_force_on(ref.policy, ref.measure, day)
    }
    found: list[str] = [kind for kind in SUBJECT_KINDS if kind in kinds]
    if "lease" not in found and lease_questions(library, day):
        found.append("lease")
    return found


def _literals(expr: Expr, path: tuple[str, ...], found: set[str]) -> None:
    """Values an expression compares the fact at `path` with ('chokepoint' in project.recognitions)."""
    match expr:
        case Compare(left=left, right=right):
            for side, other in ((left, right), (right, left)):
                if isinstance(side, Ref) and side.path == path:
                    if isinstance(other, Const) and isinstance(other.value, str):
                        found.add(other.value)
                    if isinstance(other, ListOf):
                        found.update(str(item.value) for item in other.items)
        case BoolOp(operands=operands):
            for operand in operands:
                _literals(operand, path, found)
        case Not(operand=operand):
            _literals(operand, path, found)


def mentioned_values(library: Library, measure_ids: Iterable[str], path: tuple[str, ...]) -> set[str]:
    """The codes these measures test a fact against: the only ones worth offering for a set."""
    found: set[str] = set()
    wanted = set(measure_ids)
    for ref in library.measures():
        if ref.measure.id not in wanted:
            continue
        exprs: list[Expr] = [c.when for c in (*ref.policy.conditions, *ref.measure.conditions)]
        if ref.measure.scope is not None:
            exprs.append(ref.measure.scope)
        for component in ref.measure.benefits.values():
            exprs += _component_exprs(component)
        for cap in ref.measure.caps:
            exprs += [case.when for case in cap.max.cases]
        for expr in exprs:
            _literals(expr, path, found)
    return found
