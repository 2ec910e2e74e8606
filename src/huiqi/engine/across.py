"""The interpreter's limits that look across subjects and measures: claim limits per enterprise and
year (huiqi.rules.model.ClaimLimit) and joint caps with other measures (JointCap)."""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from huiqi.engine.caps import Matrix
from huiqi.engine.priors import PriorSums
from huiqi.engine.result import Reason, Status, Step
from huiqi.engine.values import as_number
from huiqi.engine.values import evaluate as evaluate_expr
from huiqi.engine.work import Work
from huiqi.money import ZERO, Interval, format_yuan
from huiqi.rules.expr import to_text


def claimed(count: int, times: int, per: str) -> Reason:
    if per == "subject":
        where_zh, where_en = "每个对象", "each subject"
    else:
        where_zh, where_en = "每家企业每年", "each enterprise a year"
    return Reason(
        "claimed",
        f"已申领 {count} 次; 本措施{where_zh}限申领 {times} 次",
        f"claimed {count} time(s) already; the measure allows {times} for {where_en}",
    )


def fen_floor(value: Decimal | Fraction) -> Decimal:
    """An expression's limit to the fen, rounded down: a cap never allows more than the text."""
    return Decimal(math.floor(Fraction(value) * 100)) / 100


def joint_caps(works: list[Work], priors: PriorSums) -> None:
    """Each measure's joint caps, in library order: the measures named keep their amounts on the same
    subject (as they stand: after their own caps and any joint cap of theirs applied before), and this
    one is cut to what is left of the limit, net of the prior awards of all of them."""
    by_subject: dict[tuple[str, str], list[Work]] = defaultdict(list)
    for work in works:
        by_subject[(work.subject.kind, work.subject.id)].append(work)
    for work in works:
        for joint in work.measure.joint_caps:
            if work.status is not Status.ELIGIBLE:
                break
            value = as_number(evaluate_expr(joint.limit, work.scope))
            label = joint.title or "合计上限"
            if value is None:
                work.status = Status.INELIGIBLE
                work.reasons.append(
                    Reason("condition_failed", f"{label}: {to_text(joint.limit)} 事实未提供", f"{label}: not provided")
                )
                break
            limit = fen_floor(value)
            others = [
                w
                for w in by_subject[(work.subject.kind, work.subject.id)]
                if w.measure.id in joint.with_ and w.status is Status.ELIGIBLE
            ]
            used = sum((w.matrix.total() for w in others), Interval(ZERO, ZERO))
            prior = sum((priors.total(m, subject=work.subject.id) for m in (work.measure.id, *joint.with_)), ZERO)
            keys = work.matrix.keys()
            before = work.matrix.sum(keys)
            work.matrix.limit(keys, limit - prior - used.hi, limit - prior - used.lo)
            after = work.matrix.sum(keys)
            named = "、".join(joint.with_)
            change = f"{before.describe()} → {after.describe()}"
            work.note(
                lambda: Step(
                    "cap",
                    f"{label}: 与 {named} 合计不超过 {format_yuan(limit)}",
                    f"joint cap with {named}: at most {format_yuan(limit)} together",
                    f"其他措施 {used.describe()}; 已获资助 {format_yuan(prior)}: {change}",
                    after,
                    f"the others {used.describe()}; prior awards {format_yuan(prior)}: {change}",
                )
            )
            if after.hi == 0:
                work.status = Status.INELIGIBLE
                work.reasons.append(
                    Reason(
                        "joint_cap",
                        f"与 {named} 合计已达上限 {format_yuan(limit)}",
                        f"the joint cap of {format_yuan(limit)} with {named} is used up",
                    )
                )


def limit_claims_per_year(works: list[Work], priors: PriorSums) -> None:
    """A measure claimed at most N times per enterprise and year: the prior awards of that year take
    places first, then the eligible subjects in facts order; the rest become ineligible."""
    taken: dict[int, int] = {}
    for work in works:
        claims = work.measure.claims
        if claims is None or work.status is not Status.ELIGIBLE:
            continue
        year = work.scope.year if work.scope.year is not None else 0
        if year not in taken:
            taken[year] = priors.count(work.measure.id, year=year)
        if taken[year] >= claims.times:
            work.status = Status.INELIGIBLE
            work.reasons.append(claimed(taken[year], claims.times, "enterprise_year"))
            work.matrix = Matrix(order=list(work.measure.benefits))
            continue
        taken[year] += 1
