"""Applications through their life: filing, transitions, expert review, approval, acceptance.

Approval is the one step that spends money, so it runs under locks taken in a fixed order —
the application, then the policy's budget rows (by year), then the enterprise — before the
engine is asked, with the enterprise's committed awards, what may be approved. Two officers
approving at once therefore see each other's awards and budgets, on SQLite (one writer at a
time) and on PostgreSQL (row locks) alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from huiqi.engine.interpret import evaluate, payment_schedule
from huiqi.engine.result import Assessment, MeasureResult
from huiqi.ledger import tables as t
from huiqi.ledger.approval import Award as AwardFact
from huiqi.ledger.approval import Budget as BudgetFact
from huiqi.ledger.approval import allowed_amount, charges, check_approval, with_awards
from huiqi.ledger.budget_accounts import account_of
from huiqi.ledger.catalogue import check_version, enterprise_by_code, facts_of, project_by_id
from huiqi.ledger.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.workflow import Action, Role, State, TransitionRefused, transition
from huiqi.money import ZERO, Interval, parse_amount
from huiqi.rules.library import MeasureRef


def application_by_id(uow: UnitOfWork, application_id: int, *, lock: bool = False) -> t.Application:
    query = select(t.Application).where(t.Application.id == application_id)
    row = uow.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if row is None or not uow.actor.may_see(row.enterprise_id):
        raise NotFound(f"no application {application_id}")
    return row


def subject_ref(application: t.Application) -> str:
    return application.project.ref if application.project is not None else application.enterprise.credit_code


def file_application(
    uow: UnitOfWork,
    *,
    enterprise: str,
    project: int | None,
    measure: str,
    year: int,
    requested: Decimal | None = None,
    note: str = "",
) -> t.Application:
    """A draft application for one measure of one project (or of the enterprise itself)."""
    uow.action = "application.create"
    company = enterprise_by_code(uow, enterprise)
    if not (uow.actor.role in (Role.ENTERPRISE, Role.ADMIN) and uow.actor.may_see(company.id)):
        raise Forbidden("applications are filed by the enterprise (or an admin on its behalf)")
    try:
        ref = uow.library.measure(measure)
    except KeyError:
        raise Invalid("unknown measure", errors=[FieldError("measure", f"no measure {measure!r}")]) from None
    subject: t.Project | None = None
    if ref.measure.applies_to == "enterprise":
        if project is not None:
            raise Invalid("no project", errors=[FieldError("project", f"{measure} applies to the enterprise")])
    else:
        if project is None:
            raise Invalid("project needed", errors=[FieldError("project", f"{measure} applies to a {_kind(ref)}")])
        subject = project_by_id(uow, project)
        if subject.enterprise_id != company.id:
            raise Invalid("wrong project", errors=[FieldError("project", f"project {project} is not {enterprise}'s")])
        if subject.kind != ref.measure.applies_to:
            raise Invalid(
                "wrong kind", errors=[FieldError("project", f"{measure} applies to a {_kind(ref)}, not {subject.kind}")]
            )
    return draft_application(uow, company, subject, ref, year, requested=requested, note=note)


def draft_application(
    uow: UnitOfWork,
    company: t.Enterprise,
    subject: t.Project | None,
    ref: MeasureRef,
    year: int,
    *,
    requested: Decimal | None = None,
    note: str = "",
    by_system: bool = False,
) -> t.Application:
    """A draft for a subject already checked to be the measure's kind and the enterprise's own;
    refused when an open application already asks for the same measure, subject and year. A draft
    huiqi files itself (for a scenario call's winner) has no creating user."""
    measure = ref.measure.id
    open_ones = select(t.Application.id).where(
        t.Application.enterprise_id == company.id,
        t.Application.project_id.is_(None) if subject is None else t.Application.project_id == subject.id,
        t.Application.measure == measure,
        t.Application.year == year,
        t.Application.state.not_in([s.value for s in (State.REJECTED, State.WITHDRAWN)]),
    )
    existing = uow.session.execute(open_ones).scalar()
    if existing is not None:
        raise Conflict(f"application {existing} already asks for {measure} {year} for this subject", code="duplicate")
    row = t.Application(
        enterprise_id=company.id,
        project_id=subject.id if subject else None,
        measure=measure,
        policy=ref.policy.id,
        year=year,
        state=State.DRAFT.value,
        requested=requested,
        note=note,
        created_by=None if by_system else (uow.actor.user_id or None),
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def _kind(ref: MeasureRef) -> str:
    return str(ref.measure.applies_to)


def act(
    uow: UnitOfWork,
    application_id: int,
    action: Action,
    *,
    reason: str = "",
    expected: int | None = None,
    amount: Decimal | None = None,
) -> t.Application:
    """One transition, checked by the workflow table, with what the step itself requires."""
    row = application_by_id(uow, application_id, lock=True)  # another tenant's: NotFound
    check_version(row, expected)
    uow.action = f"application.{action.value}"
    try:
        event = transition(
            str(row.id),
            State(row.state),
            action,
            actor=uow.actor.name,
            role=uow.actor.role,
            at=uow.now,
            reason=reason,
        )
    except TransitionRefused as refused:
        if refused.code == "wrong_role":
            raise Forbidden(refused.reason) from None
        if refused.code == "reason_required":
            raise Invalid(
                refused.reason, errors=[FieldError("reason", "required for this step", zh="此步骤须填写理由")]
            ) from None
        raise Conflict(refused.reason, code=refused.code) from None
    if action is Action.SUBMIT:
        row.submitted_on = uow.today
    elif action is Action.APPROVE:
        _approve(uow, row, amount)
    elif action is Action.CLOSE:
        _check_all_paid(uow, row)
    row.state = event.target.value
    row.updated_at = uow.now
    uow.session.add(
        t.ApplicationEvent(
            application_id=row.id,
            action=action.value,
            source=event.source.value,
            target=event.target.value,
            actor=event.actor,
            role=event.role.value,
            reason=event.reason,
            at=event.at,
        )
    )
    uow.session.flush()
    return row


def add_review(uow: UnitOfWork, application_id: int, data: dict[str, Any]) -> t.Review:
    """An expert's review. A declared conflict of interest is recorded as a recusal, with no decision."""
    uow.actor.require(Role.REVIEWER)
    row = application_by_id(uow, application_id, lock=True)
    if row.state != State.UNDER_REVIEW.value:
        raise Conflict(f"application {row.id} is {row.state}; reviews are for applications under review")
    uow.action = "application.review"
    conflict = bool(data["conflict_of_interest"])
    decided = data.get("decided")
    if not conflict and decided is None:
        raise Invalid(
            "decision missing",
            errors=[FieldError("decided", "required unless you declare a conflict", zh="未声明回避时须填写核定金额")],
        )
    if conflict and decided is not None:
        raise Invalid(
            "recused",
            errors=[
                FieldError(
                    "decided",
                    "a reviewer with a conflict of interest may not decide",
                    zh="声明回避的评审人不能核定金额",
                )
            ],
        )
    if decided is not None:
        allowed = allowed_now(uow, row)
        if allowed is not None and not allowed.lo <= decided <= allowed.hi:
            raise Invalid(
                "outside the range",
                errors=[
                    FieldError(
                        "decided",
                        f"must lie within {allowed.describe()} (the measure's range today)",
                        zh=f"应在 {allowed.describe()} 范围之内（按今日规则可给予的金额）",
                    )
                ],
            )
    review = t.Review(
        application_id=row.id,
        reviewer=uow.actor.name,
        scores=[{"expert": s["expert"], "score": str(s["score"])} for s in data.get("scores", [])],
        conflict_of_interest=conflict,
        decided=decided,
        decided_rate=data.get("decided_rate"),
        opinion=data.get("opinion", ""),
        at=uow.now,
    )
    uow.session.add(review)
    uow.session.flush()
    return review


def reviews_of(uow: UnitOfWork, application: t.Application) -> Sequence[t.Review]:
    query = select(t.Review).where(t.Review.application_id == application.id).order_by(t.Review.id)
    return uow.session.execute(query).scalars().all()


def events_of(uow: UnitOfWork, application: t.Application) -> Sequence[t.ApplicationEvent]:
    query = select(t.ApplicationEvent).where(t.ApplicationEvent.application_id == application.id)
    return uow.session.execute(query.order_by(t.ApplicationEvent.id)).scalars().all()


def _committed(uow: UnitOfWork, enterprise: t.Enterprise, *, besides: int | None = None) -> list[AwardFact]:
    """The enterprise's committed awards (one query), leaving out application `besides`."""
    query = select(t.Award).where(t.Award.enterprise_id == enterprise.id)
    if besides is not None:
        query = query.where(t.Award.application_id != besides)
    return [
        AwardFact(str(a.application_id), enterprise.credit_code, a.measure, a.subject, a.year, a.amount)
        for a in uow.session.execute(query).scalars()
    ]


def assessment_for(uow: UnitOfWork, row: t.Application) -> tuple[Assessment, MeasureResult | None, Interval | None]:
    """The engine's view of this application today (explained, committed awards counted) and what
    may be awarded for it by the rule the approval applies; facts and awards are read once."""
    facts = facts_of(uow, row.enterprise)
    awards = _committed(uow, row.enterprise, besides=row.id)
    as_of = row.submitted_on or uow.today
    subject = subject_ref(row)
    assessment = evaluate(with_awards(facts, awards), uow.library, as_of, explain=True)
    found = next(
        (r for r in assessment.results if r.measure == row.measure and (r.subject is None or r.subject.id == subject)),
        None,
    )
    allowed = allowed_amount(facts, uow.library, as_of, row.measure, subject, row.year, awards)[1]
    return assessment, found, allowed


def allowed_now(uow: UnitOfWork, row: t.Application) -> Interval | None:
    """What may be awarded for this application today, by the same rule the approval applies."""
    awards = _committed(uow, row.enterprise, besides=row.id)
    as_of = row.submitted_on or uow.today
    facts = facts_of(uow, row.enterprise)
    return allowed_amount(facts, uow.library, as_of, row.measure, subject_ref(row), row.year, awards)[1]


def _approve(uow: UnitOfWork, row: t.Application, amount: Decimal | None) -> None:
    if amount is None:
        decided = [r.decided for r in reviews_of(uow, row) if r.decided is not None]
        if not decided:
            raise Conflict("no expert has decided an amount yet; review first, or give the amount", code="no_review")
        amount = decided[-1]
    ref = uow.library.measure(row.measure)
    account = account_of(uow.library, row.measure)
    charged_years = charges(payment_schedule(ref.measure, {row.year: Interval(amount, amount)}), row.year)
    years = sorted({account.year_of(y) for y in charged_years})
    budgets = {
        b.year: b
        for b in uow.session.execute(
            select(t.Budget)
            .where(t.Budget.policy == account.name, t.Budget.year.in_(years))
            .order_by(t.Budget.year)
            .with_for_update()
        ).scalars()
    }
    if account.seed is not None:  # a pool's budget, seeded from the policy the first time it is drawn on
        for year in years:
            if year not in budgets:
                budgets[year] = t.Budget(
                    policy=account.name, year=year, allocated=account.seed, committed=ZERO, paid=ZERO
                )
                uow.session.add(budgets[year])
    enterprise = uow.session.execute(
        select(t.Enterprise).where(t.Enterprise.id == row.enterprise_id).with_for_update()
    ).scalar_one()
    decision = check_approval(
        application=str(row.id),
        facts=facts_of(uow, enterprise),
        measure=row.measure,
        subject=subject_ref(row),
        amount=amount,
        year=row.year,
        library=uow.library,
        as_of=row.submitted_on or uow.today,
        awards=_committed(uow, enterprise),
        budgets={y: BudgetFact(b.policy, b.year, b.allocated, b.committed, b.paid) for y, b in budgets.items()},
        budget_year=account.year_of,
    )
    if not decision.approved:
        raise Conflict("the approval is refused", code="approval_refused", reasons=decision.reasons)
    award = t.Award(
        application_id=row.id,
        enterprise_id=row.enterprise_id,
        project_id=row.project_id,
        measure=row.measure,
        policy=row.policy,
        subject=subject_ref(row),
        year=row.year,
        amount=amount,
        approved_by=uow.actor.name,
        approved_at=uow.now,
    )
    uow.session.add(award)
    for seq, tranche in enumerate(decision.tranches, start=1):
        charged = tranche.year if tranche.year is not None else row.year
        award.tranches.append(
            t.Tranche(
                seq=seq,
                trigger=tranche.on,
                share=tranche.share,
                title=tranche.title,
                policy=account.name,
                year=charged,
                amount=tranche.amount.hi,
                paid=False,
            )
        )
        if account.year_of(charged) in budgets:
            budgets[account.year_of(charged)].committed += tranche.amount.hi
    uow.session.flush()


def _check_all_paid(uow: UnitOfWork, row: t.Application) -> None:
    award = uow.session.execute(select(t.Award).where(t.Award.application_id == row.id)).scalar_one_or_none()
    unpaid = [tr for tr in (award.tranches if award else []) if not tr.paid]
    if unpaid:
        listed = ", ".join(f"#{tr.seq} {tr.trigger} {tr.amount}" for tr in unpaid)
        raise Conflict(f"tranches still unpaid: {listed}", code="unpaid_tranches")


AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What a list of applications is narrowed to (the review queue's filters, the API's query)."""

    state: str | None = None
    measure: str | None = None
    policy: str | None = None
    enterprise: str | None = None  # credit code
    district: str | None = None
    year: int | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None


def _filtered(uow: UnitOfWork, query: AnySelect, where: QueueFilter, *, with_state: bool = True) -> AnySelect:
    if not uow.actor.is_officer:  # an enterprise's users see their own applications only
        query = query.where(t.Application.enterprise_id == uow.actor.enterprise_id)
    if where.state and with_state:
        query = query.where(t.Application.state == where.state)
    if where.measure:
        query = query.where(t.Application.measure == where.measure)
    if where.policy:
        query = query.where(t.Application.policy == where.policy)
    if where.year is not None:
        query = query.where(t.Application.year == where.year)
    if where.submitted_from is not None:
        query = query.where(t.Application.submitted_on >= where.submitted_from)
    if where.submitted_to is not None:
        query = query.where(t.Application.submitted_on <= where.submitted_to)
    if where.enterprise or where.district:
        query = query.join(t.Enterprise, t.Application.enterprise_id == t.Enterprise.id)
        if where.enterprise:
            query = query.where(t.Enterprise.credit_code == where.enterprise)
        if where.district:
            query = query.where(t.Enterprise.district == where.district)
    return query


def list_applications(
    uow: UnitOfWork,
    *,
    state: str | None = None,
    measure: str | None = None,
    enterprise: str | None = None,
    year: int | None = None,
    after: int | None = None,
    limit: int = 50,
    where: QueueFilter | None = None,
    newest_first: bool = False,
) -> Sequence[t.Application]:
    """Applications by id (or the newest first), after the cursor `after`; `where` or the keyword
    filters narrow them."""
    where = where or QueueFilter(state=state, measure=measure, enterprise=enterprise, year=year)
    order = t.Application.id.desc() if newest_first else t.Application.id
    query = _filtered(uow, select(t.Application).order_by(order), where)
    query = query.options(selectinload(t.Application.enterprise), selectinload(t.Application.project))
    if after is not None:
        query = query.where(t.Application.id > after)
    return uow.session.execute(query.limit(limit)).scalars().all()


def count_by_state(uow: UnitOfWork, where: QueueFilter) -> dict[str, int]:
    """How many applications each state holds under the other filters (the queue's tabs)."""
    query = _filtered(uow, select(t.Application.state, func.count()), where, with_state=False)
    return {row[0]: row[1] for row in uow.session.execute(query.group_by(t.Application.state))}


def read_amount(raw: Any, field: str) -> Decimal | None:
    if raw is None:
        return None
    try:
        return parse_amount(raw)
    except ValueError as error:
        raise Invalid(f"bad {field}", errors=[FieldError(field, str(error))]) from None
