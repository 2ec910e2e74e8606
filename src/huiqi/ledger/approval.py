"""Whether an approval may commit an award: the engine decides, fed with the ledger's awards.

An approval is refused, with its reasons, when the measure does not apply to the subject,
when the decided amount lies outside what the measure allows once the enterprise's
committed awards are counted (per-measure, annual and cumulative caps), when the subject
already holds an award of the same non-duplication group, or when the policy's budget for
the year cannot carry it. Pure: the caller loads the awards and the budget (under a lock)
and stores the award this returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from huiqi.engine.interpret import evaluate, payment_schedule
from huiqi.engine.result import MeasureResult, Status, TrancheAmount
from huiqi.facts.models import Facts, PriorAward
from huiqi.money import ZERO, Interval, format_yuan
from huiqi.rules.library import Library


@dataclass(frozen=True, slots=True)
class Award:
    """A committed award: what the ledger holds for caps, non-duplication and budgets."""

    application: str
    enterprise: str  # credit code
    measure: str
    subject: str
    year: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Budget:
    policy: str
    year: int
    allocated: Decimal
    committed: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def remaining(self) -> Decimal:
        return self.allocated - self.committed


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of an approval check: the award to commit, or the reasons it is refused."""

    approved: bool
    reasons: tuple[str, ...] = ()
    award: Award | None = None
    tranches: tuple[TrancheAmount, ...] = ()
    allowed: Interval | None = None


def with_awards(facts: Facts, awards: Iterable[Award]) -> Facts:
    """The facts with the ledger's committed awards added to the prior awards the engine nets caps of."""
    ledger = [PriorAward(measure=a.measure, year=a.year, amount=a.amount, subject=a.subject) for a in awards]
    return facts.model_copy(update={"prior_awards": [*facts.prior_awards, *ledger]})


def _result(results: Sequence[MeasureResult], measure: str, subject: str) -> MeasureResult | None:
    for result in results:
        if result.measure == measure and (result.subject is None or result.subject.id == subject):
            return result
    return None


def check_approval(
    *,
    application: str,
    facts: Facts,
    measure: str,
    subject: str,
    amount: Decimal,
    year: int,
    library: Library,
    as_of: date,
    awards: Sequence[Award],
    budgets: Mapping[int, Budget],
) -> Decision:
    """May `amount` be awarded under `measure` to `subject` of this enterprise, given the ledger?"""
    enterprise = facts.enterprise.credit_code
    mine = [a for a in awards if a.enterprise == enterprise and a.application != application]
    reasons: list[str] = []
    ref = library.measure(measure)
    for group in ref.policy.non_duplication:
        if measure in group.measures:
            for other in mine:
                if other.measure in group.measures and other.measure != measure and other.subject == subject:
                    reasons.append(
                        f"就高不重复 ({group.title}): {subject} 已获 {other.measure} "
                        f"{format_yuan(other.amount)} (application {other.application})"
                    )
    assessment = evaluate(with_awards(facts, mine), library, as_of, explain=False)
    result = _result(assessment.results, measure, subject)
    allowed = allowed_range(result, year) if result is not None and result.status is Status.ELIGIBLE else None
    if result is None:
        reasons.append(f"{measure} does not apply to {subject}")
    elif result.status is not Status.ELIGIBLE:
        reasons += [str(r) for r in result.reasons] or [f"{measure}: {result.status.value}"]
    elif allowed is None:
        reasons.append(f"{measure} gives {subject} nothing for {year} (年度不在支持期内)")
    elif not allowed.lo <= amount <= allowed.hi:
        reasons.append(
            f"决定金额 {format_yuan(amount)} 不在可给予范围 {allowed.describe()} 内 "
            "(the decided amount is outside what the measure allows, caps net of committed awards)"
        )
    tranches = payment_schedule(ref.measure, {year: Interval(amount, amount)})
    for budget_year, charge in sorted(charges(tranches, year).items()):
        budget = budgets.get(budget_year)
        if budget is not None and charge > budget.remaining:
            reasons.append(
                f"{budget.policy} {budget.year} 年度预算余额 {format_yuan(budget.remaining)} 不足 "
                f"{format_yuan(charge)} (budget remaining is too small)"
            )
    if reasons:
        return Decision(False, tuple(reasons), allowed=allowed)
    award = Award(application, enterprise, measure, subject, year, amount)
    return Decision(True, (), award, tranches, allowed)


def allowed_range(result: MeasureResult, year: int) -> Interval | None:
    """What may be awarded for `year`: the year's figure for a yearly measure, else the whole."""
    if len(result.by_year) > 1:
        return result.by_year.get(year)
    return result.amount


def charges(tranches: Sequence[TrancheAmount], year: int) -> dict[int, Decimal]:
    """What each budget year carries: an annual tranche its own year, the others the award's year."""
    out: dict[int, Decimal] = {}
    for tranche in tranches:
        charged = tranche.year if tranche.year is not None else year
        out[charged] = out.get(charged, ZERO) + tranche.amount.hi
    return out
