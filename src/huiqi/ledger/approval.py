"""Whether an approval may commit an award: the engine decides, fed with the ledger's awards.

An approval is refused, with its reasons, when the measure does not apply to the subject,
when the decided amount lies outside what the measure allows once the enterprise's
committed awards are counted (per-measure, annual and cumulative caps), when the subject
already holds an award of the same non-duplication group, or when the policy's budget for
the year cannot carry it. Pure: the caller loads the awards and the budget (under a lock)
and stores the award this returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from huiqi.engine.interpret import evaluate, payment_schedule
from huiqi.engine.result import MeasureResult, Status, TrancheAmount
from huiqi.facts.models import Facts, PriorAward
from huiqi.money import ZERO, Interval, format_yuan
from huiqi.rules.library import Library
from huiqi.rules.model import Measure

TERM_YEAR = 0  # the year of a budget kept for a policy's whole term (a term pool's one row)


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
    budget_year: Callable[[int], int] = lambda year: year,
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
    result, allowed = allowed_amount(facts, library, as_of, measure, subject, year, mine)
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
    # each budget row's charge: a yearly budget its year's tranches, a term pool's one row all of them
    drawn: dict[int, Decimal] = {}
    for charged, charge in charges(tranches, year).items():
        drawn[budget_year(charged)] = drawn.get(budget_year(charged), ZERO) + charge
    for row_year, charge in sorted(drawn.items()):
        budget = budgets.get(row_year)
        if budget is not None and charge > budget.remaining:
            period = "政策期内" if row_year == TERM_YEAR else f"{budget.year} 年度"
            reasons.append(
                f"{budget.policy} {period}预算余额 {format_yuan(budget.remaining)} 不足 "
                f"{format_yuan(charge)} (budget remaining is too small)"
            )
    if reasons:
        return Decision(False, tuple(reasons), allowed=allowed)
    award = Award(application, enterprise, measure, subject, year, amount)
    return Decision(True, (), award, tranches, allowed)


def allowed_amount(
    facts: Facts,
    library: Library,
    as_of: date,
    measure: str,
    subject: str,
    year: int,
    awards: Sequence[Award],
) -> tuple[MeasureResult | None, Interval | None]:
    """The engine's result for this claim and what may be awarded for `year`, given the other awards."""
    result = _result(evaluate(with_awards(facts, awards), library, as_of, explain=False).results, measure, subject)
    if result is None or result.status is not Status.ELIGIBLE:
        return result, None
    allowed = allowed_range(result, year)
    if allowed is not None and len(result.by_year) > 1:
        ref = library.measure(measure)
        allowed = _settled_years(facts, library, as_of, ref.measure, awards, subject, year) or allowed
    return result, allowed


def _settled_years(
    facts: Facts,
    library: Library,
    as_of: date,
    measure: Measure,
    mine: Sequence[Award],
    subject: str,
    year: int,
) -> Interval | None:
    """A yearly measure: the ledger's awards of this measure settle their years' claims.

    Fed as prior awards, they would also stay in the years the engine computes and be counted
    twice against a cumulative cap. Instead: the year's entitlement without them, within the
    room each measure cap has left after them. Caps whose limit depends on cases, or that
    cover only some components, keep the engine's (stricter) reading; None then.
    """
    caps = measure.caps
    components = set(measure.benefits)
    if any(cap.max.cases or (cap.over is not None and set(cap.over) != components) for cap in caps):
        return None
    same = [a for a in mine if a.measure == measure.id]
    others = [a for a in mine if a.measure != measure.id]
    base = _result(evaluate(with_awards(facts, others), library, as_of, explain=False).results, measure.id, subject)
    if base is None or base.status is not Status.ELIGIBLE:
        return None
    entitled = allowed_range(base, year)
    if entitled is None:
        return None
    if any(a.subject == subject and a.year == year for a in same):
        return Interval(ZERO, ZERO)  # this year's claim is settled already
    # The facts' own prior awards of this measure (outside the ledger) count too; one without a
    # subject is the enterprise's, as in the engine.
    enterprise_wide = subject if measure.applies_to == "enterprise" else ""
    same = [
        *same,
        *(
            Award("", facts.enterprise.credit_code, p.measure, p.subject or enterprise_wide, p.year, p.amount)
            for p in facts.prior_awards
            if p.measure == measure.id
        ),
    ]
    room = min(
        (
            max(cap.max.default - sum((a.amount for a in same if _in_scope(cap.per, a, subject, year)), ZERO), ZERO)
            for cap in caps
        ),
        default=None,
    )
    return entitled if room is None else Interval(min(entitled.lo, room), min(entitled.hi, room))


def _in_scope(per: str, award: Award, subject: str, year: int) -> bool:
    same_subject = award.subject == subject
    return {
        "subject": same_subject,
        "subject_year": same_subject and award.year == year,
        "enterprise_year": award.year == year,
        "enterprise_total": True,
    }[per]


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
