"""The interpreter: facts + library + as-of date -> Assessment. Pure; no I/O.

Order of work (each step documented in docs/rule-language.md, "How a measure is computed"):
1. in force on the as-of date, else not_in_force;
2. one evaluation per subject in the measure's scope (project, lease, ... or the enterprise);
3. the policy's general conditions and the measure's conditions, else ineligible with reasons;
4. components, then the caps of one subject, net of prior awards for that subject;
5. non-duplication groups (就高不重复): the higher measure stays, the rest are superseded;
6. enterprise-wide caps (per calendar year, cumulative), net of prior awards, in facts order;
7. tranches of the payment schedule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from huiqi.engine.across import claimed, joint_caps, limit_claims_per_year
from huiqi.engine.caps import Matrix
from huiqi.engine.components import Context, amount_of, evaluate_component, no_note
from huiqi.engine.needs import needs, unknown_facts
from huiqi.engine.priors import PriorSums
from huiqi.engine.result import (
    Assessment,
    InterpretationUse,
    MeasureResult,
    Reason,
    Status,
    Step,
    Subject,
    TrancheAmount,
)
from huiqi.engine.values import SUBJECT_YEAR, Scope, holds
from huiqi.engine.values import evaluate as evaluate_expr
from huiqi.engine.work import Work
from huiqi.facts.models import Facts
from huiqi.facts.subjects import BY_KIND, PLURALS
from huiqi.memo import IdentityMemo
from huiqi.money import ZERO, Interval, format_rate, format_yuan, split_shares
from huiqi.rules.jurisdiction import jurisdiction_conditions
from huiqi.rules.library import Library, PolicyDoc
from huiqi.rules.model import Cap, InForce, Measure, NonDuplicationGroup, Policy, RentSchedule
from huiqi.rules.words import expr_words

_Candidate = tuple[Subject, Scope, int | None]


def _subjects(kind: str, facts: Facts, as_of: date) -> list[_Candidate]:
    """Every object a measure of this kind could apply to, with the scope its rules read."""
    enterprise = facts.enterprise
    lists: dict[str, Sequence[BaseModel]] = {kind: getattr(facts, plural) for kind, plural in PLURALS.items()}
    if kind == "enterprise":
        scope = Scope({"enterprise": enterprise}, lists, as_of.year, as_of)
        return [(Subject("enterprise", enterprise.credit_code, enterprise.name), scope, None)]
    year_of = SUBJECT_YEAR[kind]
    found: list[_Candidate] = []
    for item in lists[kind]:
        year = year_of(item)
        name = getattr(item, "name", None) or item.id  # type: ignore[attr-defined]
        scope = Scope({"enterprise": enterprise, kind: item}, lists, year, as_of)
        found.append((Subject(kind, item.id, name), scope, year))  # type: ignore[attr-defined]
    return found


def _in_force(policy: Policy, measure: Measure) -> InForce:
    return measure.in_force or policy.in_force


_INTERPRETATIONS: IdentityMemo[Measure, tuple[InterpretationUse, ...]] = IdentityMemo()
_NOT_IN_FORCE: IdentityMemo[Measure, MeasureResult] = IdentityMemo()


def _interpretations(doc: PolicyDoc, measure: Measure) -> tuple[InterpretationUse, ...]:
    """The interpretations shown with a measure's results; made once per measure node."""
    return _INTERPRETATIONS.get(measure, lambda: _make_interpretations(doc, measure))


def _make_interpretations(doc: PolicyDoc, measure: Measure) -> tuple[InterpretationUse, ...]:
    uses: list[InterpretationUse] = []
    for owner, items in ((doc.policy.id, doc.policy.interpretations), (measure.id, measure.interpretations)):
        for item in items:
            choice = doc.choices.get(f"{owner}:{item.id}", "default")
            # Under an officer's choice the decision shown is the alternative taken.
            decision = item.decision if choice == "default" else item.alternatives[choice].text
            texts = tuple(alt.text for alt in item.alternatives.values())
            uses.append(
                InterpretationUse(item.id, owner, item.question, decision, choice, tuple(item.alternatives), texts)
            )
    return tuple(uses)


_CAP_EN = {
    "subject": "cap per subject",
    "subject_year": "cap per subject and year",
    "enterprise_year": "cap per enterprise and year",
    "enterprise_total": "cumulative cap per enterprise",
}


def _apply_cap(
    work: Work,
    cap: Cap,
    priors: PriorSums,
    limit: Decimal,
    years: list[int | None],
    consumed: dict[int | None, Interval] | None,
) -> None:
    """One cap over one subject; `consumed` carries what earlier subjects used (enterprise caps)."""
    label = (
        cap.title
        or {
            "subject": "单项目上限",
            "subject_year": "年度上限",
            "enterprise_year": "企业年度上限",
            "enterprise_total": "累计上限",
        }[cap.per]
    )
    for year in years:
        keys = work.matrix.keys(cap.over, year)
        if not keys:
            continue
        enterprise_wide = cap.per in ("enterprise_year", "enterprise_total")
        prior = priors.total(
            work.measure.id,
            year=year,
            subject=None if enterprise_wide else work.subject.id,
            enterprise_subject=work.subject.kind == "enterprise",
        )
        used = consumed.get(year, Interval(ZERO, ZERO)) if consumed is not None else Interval(ZERO, ZERO)
        before = work.matrix.sum(keys)
        # Reviews decide each subject's rate on its own. Earlier subjects (facts order) come
        # first: this subject is sure of what is left when they all get their maximum, and
        # can get at most what is left when they all get their minimum. `used` is the sum of
        # their own figures before this cap.
        taken = work.matrix.limit(keys, limit - prior - used.hi, limit - prior - used.lo)
        after = work.matrix.sum(keys)
        where, where_en = (f"{year}年", f"{year} ") if year is not None else ("", "")
        binding = taken.hi > 0 or taken.lo > 0
        change = f": {before.describe()} → {after.describe()}"
        work.note(
            lambda: Step(
                "cap",
                f"{where}{label}" + (" (封顶)" if binding else " (未触及)"),
                f"{where_en}{_CAP_EN[cap.per]}" + (" (binding)" if binding else " (not reached)"),
                _cap_detail(limit, prior, used, "zh") + change,
                after,
                _cap_detail(limit, prior, used, "en") + change,
            )
        )
        if prior and after.hi == 0:
            work.reasons.append(
                Reason(
                    "cap_used_up",
                    f"{where}{label}已被已获资助 {format_yuan(prior)} 用尽",
                    f"{where_en}{_CAP_EN[cap.per]} used up by prior awards of {format_yuan(prior)}",
                )
            )
        if consumed is not None:
            consumed[year] = used + before


def _cap_detail(limit: Decimal, prior: Decimal, used: Interval, lang: str) -> str:
    """The figures a cap was applied with (written only when explanations are wanted)."""
    zh = lang == "zh"
    parts = [f"{'上限' if zh else 'cap'} {format_yuan(limit)}"]
    if prior:
        parts.append(f"{'已获资助' if zh else 'prior awards'} {format_yuan(prior)}")
    if used.hi:
        earlier = "此前对象自身金额合计" if zh else "earlier subjects' own figures"
        parts.append(f"{earlier} {used.describe()}")
    return "; ".join(parts)


def _cap_years(cap: Cap, matrix: Matrix) -> list[int | None]:
    return list(matrix.years()) if cap.per in ("subject_year", "enterprise_year") else [None]


def _evaluate_subject(
    doc: PolicyDoc,
    measure: Measure,
    facts: Facts,
    priors: PriorSums,
    as_of: date,
    candidate: _Candidate,
    explain: bool,
) -> Work:
    policy = doc.policy
    subject, scope, subject_year = candidate
    work = Work(policy, measure, subject, scope, Status.ELIGIBLE, explain)
    for condition in (*jurisdiction_conditions(policy), *policy.conditions, *measure.conditions):
        ok, why, why_en = holds(condition.when, scope)
        work.note(
            lambda: Step(
                "condition",
                f"条件: {condition.text}" + (" ✓" if ok else " ✗"),
                f"condition: {condition.text_en or expr_words(condition.when, 'en')}" + (" holds" if ok else " fails"),
                why,
                None,
                why_en,
            )
        )
        if not ok:
            en = f"not met: {condition.text_en} ({why_en})" if condition.text_en else f"not met: {why_en}"
            # Unknown, not false: the facts whose absence decided it (an outcome, with or without
            # explanations); what would make a false one hold is an explanation.
            undecided = evaluate_expr(condition.when, scope) is None
            absent = unknown_facts(condition.when, scope) if undecided else ()
            work.reasons.append(
                Reason(
                    "condition_failed",
                    f"未满足: {condition.text} ({why})",
                    en,
                    missing=absent,
                    needs=() if undecided or not explain else tuple(needs(condition.when, scope)),
                )
            )
    year = subject_year if subject_year is not None else as_of.year
    in_force = _in_force(policy, measure)
    last_year = in_force.end.year if in_force.end is not None else year
    if subject_year is not None and not in_force.start.year <= year <= last_year:
        term = f"{in_force.start.year}–{in_force.end.year if in_force.end else ''}"
        work.reasons.append(
            Reason(
                "year_outside_term",
                f"申报/认定年度 {year} 不在政策有效期 ({term}) 内",
                f"the subject's year {year} is outside the policy's term ({term})",
            )
        )
    claims = measure.claims
    if claims is not None and claims.per == "subject":
        count = priors.count(measure.id, subject=subject.id, enterprise_subject=subject.kind == "enterprise")
        if count >= claims.times:
            work.reasons.append(claimed(count, claims.times, "subject"))
    if work.reasons:
        work.status = Status.INELIGIBLE
        return work
    work.matrix.order = list(measure.benefits)
    missing: list[Reason] = []
    for name, component in measure.benefits.items():
        ctx = Context(facts, scope, year, as_of, _in_force(policy, measure), name, explain)
        outcome = evaluate_component(component, ctx)
        work.steps += outcome.steps
        missing += outcome.missing
        if outcome.decision is not None:
            work.status = Status.NEEDS_DECISION
            work.reasons.append(
                Reason("decision", f"个案决定: {outcome.decision}", f"decided case by case: {outcome.decision}")
            )
        for y, amount in outcome.by_year.items():
            work.matrix.put(name, y, amount)
    if work.status is Status.NEEDS_DECISION:
        return work
    for cap in measure.caps:
        if cap.per in ("subject", "subject_year"):
            limit = amount_of(cap.max, scope, work.note)
            _apply_cap(work, cap, priors, limit, _cap_years(cap, work.matrix), None)
    if work.matrix.total().hi == 0:
        work.status = Status.INELIGIBLE
        zero = Reason("zero", "计算金额为零", "the formula gives nothing for these facts")
        work.reasons += missing or ([] if work.reasons else [zero])
    return work


def _resolve_groups(works: list[Work], groups: list[NonDuplicationGroup]) -> None:
    """就高不重复: within a group, per subject (or per enterprise), only the higher measure stays."""
    labels = {"max": "上限", "min": "下限", "midpoint": "中值"}
    for group in groups:
        order = {m: i for i, m in enumerate(group.measures)}
        buckets: dict[str, dict[str, list[Work]]] = defaultdict(lambda: defaultdict(list))
        for work in works:
            if work.measure.id in order and work.status is Status.ELIGIBLE:
                key = "" if group.per == "enterprise" else f"{work.subject.kind}:{work.subject.id}"
                buckets[key][work.measure.id].append(work)
        for by_measure in buckets.values():
            if len(by_measure) < 2:
                continue
            totals = {m: sum((w.matrix.total() for w in ws), Interval(ZERO, ZERO)) for m, ws in by_measure.items()}
            winner = max(totals, key=lambda m: (_rank(totals[m], group.compare), -order[m]))
            for measure_id, losers in by_measure.items():
                if measure_id == winner:
                    continue
                for loser in losers:
                    loser.status = Status.SUPERSEDED
                    loser.superseded_by = winner
                    versus = f"{totals[winner].describe()} vs {totals[measure_id].describe()}"
                    loser.reasons.append(
                        Reason(
                            "superseded",
                            f"就高不重复 ({group.title}): 只享受较高者 {winner}"
                            f" ({versus}; 按{labels[group.compare]}比较)",
                            f"non-duplication ({group.id}): only the higher applies, {winner} ({versus}; "
                            f"compared by {group.compare})",
                        )
                    )
                    loser.note(
                        lambda: Step(
                            "stacking",
                            f"就高不重复: 由 {winner} 替代",
                            f"non-duplication: superseded by {winner}",
                            group.interpretation or "",
                            None,
                        )
                    )


def _rank(total: Interval, compare: str) -> Decimal:
    return {"max": total.hi, "min": total.lo, "midpoint": (total.lo + total.hi) / 2}[compare]


def _enterprise_caps(works: list[Work], priors: PriorSums) -> Interval:
    """Apply enterprise-wide caps across subjects in facts order; returns the joint total.

    Each subject's range is what it can get given the others' ranges; the joint total is what
    the enterprise can get altogether: per measure and year, the sum of the subjects' figures
    before these caps, capped once (so it never exceeds a cap, as a sum of ranges might).
    """
    by_measure: dict[str, list[Work]] = defaultdict(list)
    for work in works:
        if work.status is Status.ELIGIBLE:
            by_measure[work.measure.id].append(work)
    total = Interval(ZERO, ZERO)
    for measure_works in by_measure.values():
        measure = measure_works[0].measure
        if not any(cap.per in ("enterprise_year", "enterprise_total") for cap in measure.caps):
            total += sum((work.matrix.total() for work in measure_works), Interval(ZERO, ZERO))
            continue
        joint: dict[int, Interval] = defaultdict(lambda: Interval(ZERO, ZERO))
        for work in measure_works:
            for year, amount in work.matrix.by_year().items():
                joint[year] += amount
        for cap in measure.caps:
            if cap.per not in ("enterprise_year", "enterprise_total"):
                continue
            consumed: dict[int | None, Interval] = {}
            limit = max(amount_of(cap.max, work.scope, no_note) for work in measure_works)
            for work in measure_works:
                _apply_cap(
                    work, cap, priors, amount_of(cap.max, work.scope, work.note), _cap_years(cap, work.matrix), consumed
                )
            joint = _cap_joint(joint, cap, limit, priors, measure.id)
        total += sum(joint.values(), Interval(ZERO, ZERO))
        for work in measure_works:
            if work.matrix.total().hi == 0:
                work.status = Status.INELIGIBLE
                if not work.reasons:
                    work.reasons.append(
                        Reason("enterprise_cap_used_up", "企业上限已用尽", "the enterprise-wide cap is used up")
                    )
    return total


def _cap_joint(
    joint: dict[int, Interval], cap: Cap, limit: Decimal, priors: PriorSums, measure_id: str
) -> dict[int, Interval]:
    if cap.per == "enterprise_year":
        return {y: amount.cap(max(limit - priors.total(measure_id, year=y), ZERO)) for y, amount in joint.items()}
    room_lo = room_hi = max(limit - priors.total(measure_id), ZERO)
    capped: dict[int, Interval] = {}
    for year, amount in sorted(joint.items()):  # a cumulative ceiling is reached in time order
        lo, hi = min(amount.lo, room_lo), min(amount.hi, room_hi)
        room_lo, room_hi = room_lo - lo, room_hi - hi
        capped[year] = Interval(min(lo, hi), hi)
    return capped


def payment_schedule(measure: Measure, by_year: dict[int, Interval]) -> tuple[TrancheAmount, ...]:
    """The tranches of an amount (a range, or exact once decided) by the measure's payment rules."""
    total = sum(by_year.values(), Interval(ZERO, ZERO))
    yearly = len(by_year) > 1 or any(isinstance(c, RentSchedule) for c in measure.benefits.values())
    if not measure.payment:
        if yearly:
            return tuple(TrancheAmount("annual", "100%", amount, year) for year, amount in sorted(by_year.items()))
        year = next(iter(by_year), None)
        return (TrancheAmount("approval", "100%", total, year),)
    shares = [t.share for t in measure.payment]
    los, his = split_shares(total.lo, shares), split_shares(total.hi, shares)
    first_year = min(by_year, default=None)
    annual = [i for i, t in enumerate(measure.payment) if t.on == "annual"]
    years = {i: first_year + n for n, i in enumerate(annual)} if first_year is not None else {}
    return tuple(
        TrancheAmount(t.on, format_rate(t.share), Interval(min(lo, hi), hi), years.get(i), t.title)
        for i, (t, lo, hi) in enumerate(zip(measure.payment, los, his, strict=True))
    )


def _finish(work: Work, doc: PolicyDoc) -> MeasureResult:
    measure = work.measure
    eligible = work.status is Status.ELIGIBLE
    by_year = work.matrix.by_year() if eligible else {}
    amount = work.matrix.total() if work.status in (Status.ELIGIBLE, Status.SUPERSEDED) else None
    in_force = _in_force(doc.policy, measure)
    return MeasureResult(
        measure=measure.id,
        policy=doc.policy.id,
        title=measure.title,
        title_en=measure.title_en,
        status=work.status,
        subject=work.subject,
        amount=amount,
        by_year=by_year,
        tranches=payment_schedule(measure, by_year) if eligible else (),
        reasons=tuple(work.reasons),
        trace=tuple(work.steps),
        quote=measure.quote,
        review=measure.review,
        interpretations=_interpretations(doc, measure),
        superseded_by=work.superseded_by,
        in_force=(in_force.start, in_force.end),
    )


def _outside(doc: PolicyDoc, measure: Measure, status: Status, reason: Reason) -> MeasureResult:
    """A measure that does not reach the enterprise; another region's carries none of its readings."""
    in_force = _in_force(doc.policy, measure)
    return MeasureResult(
        measure=measure.id,
        policy=doc.policy.id,
        title=measure.title,
        title_en=measure.title_en,
        status=status,
        reasons=(reason,),
        quote=measure.quote,
        review=measure.review,
        interpretations=() if reason.code == "outside_region" else _interpretations(doc, measure),
        in_force=(in_force.start, in_force.end),
    )


def _not_in_force(doc: PolicyDoc, measure: Measure, in_force: InForce, as_of: date) -> MeasureResult:
    """The same for every enterprise on a given day, so made once per (measure, day)."""
    return _NOT_IN_FORCE.get(measure, lambda: _make_not_in_force(doc, measure, in_force, as_of), as_of)


def _make_not_in_force(doc: PolicyDoc, measure: Measure, in_force: InForce, as_of: date) -> MeasureResult:
    until = in_force.end.isoformat() if in_force.end else "—"
    term = f"{in_force.start.isoformat()} – {until}"
    reason = Reason(
        "not_in_force",
        f"有效期 {term}, 评估日 {as_of.isoformat()} 不在其内",
        f"in force {term}; {as_of.isoformat()} is outside",
    )
    return _outside(doc, measure, Status.NOT_IN_FORCE, reason)


def _no_subject(policy: Policy, measure: Measure, facts: Facts, as_of: date) -> Reason:
    """Why a measure has nothing to apply to, in words: the firm outside the policy's region first
    (a Shenzhen firm is told Lingang's measures are for Lingang, not that it lacks a project)."""
    firm = Scope({"enterprise": facts.enterprise}, as_of=as_of)
    for condition in jurisdiction_conditions(policy):
        if evaluate_expr(condition.when, firm) is False:
            return Reason(
                "out_of_scope",
                f"不适用: {condition.text}不符",
                f"not applicable: {condition.text_en or condition.text} fails",
            )
    kind = BY_KIND.get(measure.applies_to)
    kind_zh, kind_en = (kind.zh, kind.en) if kind is not None else (measure.applies_to, measure.applies_to)
    if measure.scope is None:
        return Reason("out_of_scope", f"没有适用对象: 未填{kind_zh}", f"no {kind_en} in scope: none given")
    return Reason(
        "out_of_scope",
        f"没有适用对象: 须有{expr_words(measure.scope)}的{kind_zh}",
        f"no {kind_en} in scope: one whose {expr_words(measure.scope, 'en')}",
    )


def evaluate(facts: Facts, library: Library, as_of: date, *, explain: bool = True) -> Assessment:
    """Every measure of every policy in the library, for one enterprise, on one date.

    With explain=False the figures, statuses and reasons are the same but no trace is
    written (for callers that only need the numbers, such as matching many firms).
    """
    results: list[MeasureResult | Work] = []
    works: list[Work] = []
    docs: dict[str, PolicyDoc] = {}
    candidates: dict[str, list[_Candidate]] = {}
    priors = PriorSums(facts.prior_awards)
    for doc in library.docs:
        for measure in doc.policy.measures:
            docs[measure.id] = doc
            in_force = _in_force(doc.policy, measure)
            if as_of < in_force.start or (in_force.end is not None and as_of > in_force.end):
                results.append(_not_in_force(doc, measure, in_force, as_of))
                continue
            if measure.applies_to not in candidates:
                candidates[measure.applies_to] = _subjects(measure.applies_to, facts, as_of)
            in_scope = [
                c
                for c in candidates[measure.applies_to]
                if measure.scope is None or evaluate_expr(measure.scope, c[1]) is True
            ]
            if not in_scope:
                results.append(
                    _outside(doc, measure, Status.INELIGIBLE, _no_subject(doc.policy, measure, facts, as_of))
                )
                continue
            measure_works = [_evaluate_subject(doc, measure, facts, priors, as_of, c, explain) for c in in_scope]
            if measure.claims is not None and measure.claims.per == "enterprise_year":
                limit_claims_per_year(measure_works, priors)
            works += measure_works
            results += measure_works
    joint_caps(works, priors)
    _resolve_groups(works, [g for doc in library.docs for g in doc.policy.non_duplication])
    total = _enterprise_caps(works, priors)
    finished = tuple(r if isinstance(r, MeasureResult) else _finish(r, docs[r.measure.id]) for r in results)
    return Assessment(as_of, facts.enterprise.name, facts.enterprise.credit_code, finished, total)
