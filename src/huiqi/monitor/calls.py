"""Application-scenario calls (揭榜挂帅), from publication to award: the rules, pure.

An officer publishes a scenario (its owner, the demand side; requirements, budget, deadline; who may
answer and how proposals are scored, as data). Enterprises submit proposals before the deadline,
alone or as a consortium; eligibility is judged at submission. A panel of experts (at least five,
an odd number) scores them on the published rubric; each expert declares conflicts of interest and
the call also finds them (the expert's own enterprise, a consortium member, a declared relation):
a conflicted expert is recused from that proposal. Scores stay hidden until the panel closes; then
the proposals are ranked, a public notice (公示) runs for its days, objections are recorded and
decided, and the award goes to the first proposal standing.

Every step returns the call's new state and the event to record (`Event`): the adapters store both,
the event in the audit log. A step that the rules refuse raises `Refused`, said in Chinese and
English; nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

from huiqi.diagnostics import Bilingual

CHINA = timezone(timedelta(hours=8))  # China Standard Time (no summer time): how a call's times are said


class Refused(Bilingual):
    """A step the call's rules do not allow now (a late proposal, a score before the panel sits)."""


class Stage(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # open for proposals until the deadline
    REVIEWING = "reviewing"  # the panel scores
    NOTICE = "notice"  # ranked; the public notice runs, objections are taken
    AWARDED = "awarded"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    title: str
    weight: int  # percent; a call's weights add up to 100


@dataclass(frozen=True, slots=True)
class Eligibility:
    legal_entity: bool = True
    """The lead (and every partner) must be an independent legal entity."""
    max_partners: int = 4
    """A consortium: one lead and at most this many partners (0: no consortium)."""
    exclude_past_winners: bool = False
    past_winners: frozenset[str] = frozenset()
    """Credit codes of earlier calls' winners (with exclude_past_winners)."""


@dataclass(frozen=True, slots=True)
class Applicant:
    credit_code: str
    name: str
    legal_entity: bool = True


@dataclass(frozen=True, slots=True)
class Proposal:
    id: str
    lead: Applicant
    partners: tuple[Applicant, ...]
    title: str
    submitted_at: datetime
    attachments: tuple[str, ...] = ()
    disqualified: str | None = None
    """Why an upheld objection removed it from the ranking."""

    @property
    def members(self) -> frozenset[str]:
        return frozenset({self.lead.credit_code, *(p.credit_code for p in self.partners)})


@dataclass(frozen=True, slots=True)
class Expert:
    id: str
    name: str
    employer: str | None = None
    """The credit code of the expert's own enterprise, if any."""
    relations: frozenset[str] = frozenset()
    """Credit codes the expert declared a relation with (a former employer, a relative's firm)."""


@dataclass(frozen=True, slots=True)
class Objection:
    id: str
    proposal: str
    by: str
    text: str
    at: datetime
    decision: str | None = None  # "upheld" | "dismissed"
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    action: str
    at: datetime
    by: str
    detail: dict[str, object]


@dataclass(frozen=True, slots=True)
class Call:
    id: str
    title: str
    owner: str
    requirements: str
    budget: Decimal
    deadline: datetime
    criteria: tuple[Criterion, ...]
    eligibility: Eligibility = Eligibility()
    notice_days: int = 5
    min_experts: int = 5
    recognitions: tuple[str, ...] = ()
    """What the winner's project is recognised as (codes of the recognitions vocabulary)."""
    project_kind: str = "application_demo"
    """The kind the winner's project is entered as (a code of the project-kinds vocabulary)."""
    stage: Stage = Stage.DRAFT
    proposals: tuple[Proposal, ...] = ()
    experts: tuple[Expert, ...] = ()
    declared: frozenset[tuple[str, str]] = frozenset()
    """(expert, proposal) conflicts the experts declared."""
    scores: tuple[tuple[str, str, tuple[tuple[str, int], ...]], ...] = ()
    """(expert, proposal, ((criterion, 0–100), …))."""
    ranking: tuple[tuple[str, Decimal], ...] = ()
    notice_ends: datetime | None = None
    objections: tuple[Objection, ...] = ()
    winner: str | None = None

    def proposal(self, proposal_id: str) -> Proposal:
        for p in self.proposals:
            if p.id == proposal_id:
                return p
        raise Refused(f"没有编号为 {proposal_id} 的申报方案", f"no proposal {proposal_id}")


def _event(action: str, at: datetime, by: str, **detail: object) -> Event:
    return Event(action, at, by, dict(detail))


STAGE_ZH = {
    Stage.DRAFT: "草稿",
    Stage.PUBLISHED: "征集",
    Stage.REVIEWING: "评审",
    Stage.NOTICE: "公示",
    Stage.AWARDED: "已揭榜",
    Stage.CANCELLED: "已取消",
}


def _need(call: Call, *stages: Stage) -> None:
    if call.stage not in stages:
        names = "、".join(STAGE_ZH[s] for s in stages)
        raise Refused(
            f"榜单当前处于{STAGE_ZH[call.stage]}阶段，此操作须在{names}阶段进行",
            f"the call is {call.stage.value}; this needs it {' or '.join(s.value for s in stages)}",
        )


def check_call(call: Call) -> list[tuple[str, str]]:
    """What is wrong with a call's own terms, (Chinese, English) each: publishing needs none."""
    found: list[tuple[str, str]] = []
    if sum(c.weight for c in call.criteria) != 100:
        found.append(("评分标准权重之和应为100", "the criteria's weights must add up to 100"))
    if len({c.id for c in call.criteria}) != len(call.criteria):
        found.append(("评分标准编号重复", "a criterion id is used twice"))
    if call.budget <= 0:
        found.append(("榜单资金应大于零", "the budget must be more than zero"))
    if call.min_experts < 5 or call.min_experts % 2 == 0:
        found.append(("评审专家至少5人且为奇数", "the panel needs at least five experts, an odd number"))
    if call.notice_days < 1:
        found.append(("公示期至少1天", "the notice runs at least one day"))
    if call.eligibility.max_partners < 0:
        found.append(("联合体成员数不能为负", "a consortium's partners cannot be negative"))
    return found


def publish(call: Call, at: datetime, by: str) -> tuple[Call, Event]:
    _need(call, Stage.DRAFT)
    problems = check_call(call)
    if problems:
        raise Refused("；".join(z for z, _ in problems), "; ".join(e for _, e in problems))
    if call.deadline <= at:
        raise Refused("截止时间应晚于发布时间", "the deadline must come after publication")
    return replace(call, stage=Stage.PUBLISHED), _event("publish", at, by, deadline=call.deadline.isoformat())


def eligibility_problems(call: Call, proposal: Proposal) -> list[tuple[str, str]]:
    rules = call.eligibility
    found: list[tuple[str, str]] = []
    applicants = (proposal.lead, *proposal.partners)
    if rules.legal_entity:
        for a in applicants:
            if not a.legal_entity:
                found.append((f"{a.name} 不具备独立法人资格", f"{a.name} is not an independent legal entity"))
    if len(proposal.partners) > rules.max_partners:
        found.append(
            (
                f"联合体最多1家牵头单位和{rules.max_partners}家成员单位，本方案有{len(proposal.partners)}家成员",
                f"a consortium is one lead and at most {rules.max_partners} partners;"
                f" this has {len(proposal.partners)}",
            )
        )
    if len(proposal.members) != len(applicants):
        found.append(("联合体成员重复", "a consortium member appears twice"))
    if rules.exclude_past_winners:
        for a in applicants:
            if a.credit_code in rules.past_winners:
                found.append((f"{a.name} 曾揭榜获胜，本榜单不再接受", f"{a.name} won an earlier call and is excluded"))
    return found


def submit(call: Call, proposal: Proposal, by: str) -> tuple[Call, Event]:
    """A proposal, refused when late, from an applicant already answering, or ineligible (reasons said)."""
    _need(call, Stage.PUBLISHED)
    if proposal.submitted_at > call.deadline:
        raise Refused(
            f"已过截止时间 {call.deadline.astimezone(CHINA):%Y-%m-%d %H:%M}（北京时间），不再接受申报",
            f"Past the deadline, {call.deadline.astimezone(CHINA):%Y-%m-%d %H:%M} (Beijing time): no more proposals.",
        )
    if any(p.id == proposal.id for p in call.proposals):
        raise Refused(f"方案编号 {proposal.id} 已存在", f"proposal id {proposal.id} exists")
    taken = {code for p in call.proposals for code in p.members} & proposal.members
    if taken:
        raise Refused(
            f"{'、'.join(sorted(taken))} 已参与本榜单的其他方案", f"{', '.join(sorted(taken))} already answer this call"
        )
    problems = eligibility_problems(call, proposal)
    if problems:
        raise Refused(
            "不符合揭榜条件：" + "；".join(z for z, _ in problems), "not eligible: " + "; ".join(e for _, e in problems)
        )
    event = _event("submit", proposal.submitted_at, by, proposal=proposal.id, members=sorted(proposal.members))
    return replace(call, proposals=(*call.proposals, proposal)), event


def attachable(call: Call, proposal_id: str, at: datetime) -> Proposal:
    """The proposal a document may still be added to: the call open and its deadline not passed."""
    _need(call, Stage.PUBLISHED)
    if at > call.deadline:
        when = f"{call.deadline.astimezone(CHINA):%Y-%m-%d %H:%M}"
        raise Refused(
            f"已过截止时间 {when}（北京时间），不能再添加附件",
            f"Past the deadline, {when} (Beijing time): no more documents.",
        )
    return call.proposal(proposal_id)


def close_submissions(call: Call, at: datetime, by: str, experts: tuple[Expert, ...]) -> tuple[Call, Event]:
    """After the deadline: the panel sits (at least the call's minimum, an odd number)."""
    _need(call, Stage.PUBLISHED)
    if at < call.deadline:
        when = f"{call.deadline.astimezone(CHINA):%Y-%m-%d %H:%M}"
        raise Refused(
            f"截止时间 {when}（北京时间）之后才能组建评审专家组",
            f"The panel can be seated after the deadline, {when} (Beijing time).",
        )
    if not call.proposals:
        raise Refused("没有方案可评审", "no proposal to review")
    if len(experts) < call.min_experts or len(experts) % 2 == 0:
        raise Refused(
            f"评审专家应至少{call.min_experts}人且为奇数，现为{len(experts)}人",
            f"the panel needs at least {call.min_experts} experts, an odd number; it has {len(experts)}",
        )
    if len({e.id for e in experts}) != len(experts):
        raise Refused("专家重复", "an expert appears twice")
    event = _event("panel", at, by, experts=[e.id for e in experts])
    return replace(call, stage=Stage.REVIEWING, experts=experts), event


CONFLICT_WHY = {
    "declared": ("本人申报", "declared by the expert"),
    "own_enterprise": ("本人所在单位参与该方案", "the expert's own enterprise is in it"),
    "related": ("与方案成员存在申报的关联关系", "a declared relation is in it"),
}


def conflicts(call: Call, expert: Expert) -> dict[str, str]:
    """The proposals an expert may not score, each with why (declared, or found by the call)."""
    found: dict[str, str] = {}
    for p in call.proposals:
        if (expert.id, p.id) in call.declared:
            found[p.id] = "declared"
        elif expert.employer is not None and expert.employer in p.members:
            found[p.id] = "own_enterprise"
        elif expert.relations & p.members:
            found[p.id] = "related"
    return found


def declare_conflict(call: Call, expert_id: str, proposal_id: str, at: datetime) -> tuple[Call, Event]:
    _need(call, Stage.REVIEWING)
    _expert(call, expert_id)
    call.proposal(proposal_id)
    event = _event("recuse", at, expert_id, expert=expert_id, proposal=proposal_id, why="declared")
    return replace(call, declared=call.declared | {(expert_id, proposal_id)}), event


def _expert(call: Call, expert_id: str) -> Expert:
    for e in call.experts:
        if e.id == expert_id:
            return e
    raise Refused(f"{expert_id} 不是本榜单的评审专家", f"{expert_id} is not on this call's panel")


def score(call: Call, expert_id: str, proposal_id: str, marks: dict[str, int], at: datetime) -> tuple[Call, Event]:
    """One expert's marks (0–100 on every criterion of the published rubric) for one proposal."""
    _need(call, Stage.REVIEWING)
    expert = _expert(call, expert_id)
    call.proposal(proposal_id)
    why = conflicts(call, expert).get(proposal_id)
    if why is not None:
        zh, en = CONFLICT_WHY[why]
        raise Refused(
            f"{expert.name}与方案 {proposal_id} 存在利益冲突（{zh}），应回避",
            f"{expert.name} has a conflict with proposal {proposal_id} ({en}): recused",
        )
    wanted = {c.id for c in call.criteria}
    if set(marks) != wanted:
        raise Refused(
            f"应按公布的评分标准逐项打分：{'、'.join(sorted(wanted))}",
            f"score every criterion of the published rubric: {', '.join(sorted(wanted))}",
        )
    if any(not 0 <= m <= 100 for m in marks.values()):
        raise Refused("每项得分应在0至100之间", "each mark is from 0 to 100")
    if any(e == expert_id and p == proposal_id for e, p, _ in call.scores):
        raise Refused("该专家已为此方案打分", "this expert has scored this proposal")
    entry = (expert_id, proposal_id, tuple(sorted(marks.items())))
    # the event keeps the marks out of sight until the panel closes: only who scored what
    return replace(call, scores=(*call.scores, entry)), _event(
        "score", at, expert_id, expert=expert_id, proposal=proposal_id
    )


def visible_scores(call: Call) -> tuple[tuple[str, str, tuple[tuple[str, int], ...]], ...]:
    """The marks, once the panel has closed; none before."""
    return () if call.stage in (Stage.DRAFT, Stage.PUBLISHED, Stage.REVIEWING) else call.scores


def _weighted(call: Call, marks: tuple[tuple[str, int], ...]) -> Decimal:
    weights = {c.id: c.weight for c in call.criteria}
    return sum((Decimal(m * weights[c]) / 100 for c, m in marks), Decimal(0))


def close_panel(call: Call, at: datetime, by: str) -> tuple[Call, Event]:
    """Every expert not recused has scored every proposal: rank by the mean weighted score (ties:
    the earlier submission first), and open the public notice."""
    _need(call, Stage.REVIEWING)
    totals: list[tuple[str, Decimal, datetime]] = []
    for p in call.proposals:
        allowed = [e for e in call.experts if p.id not in conflicts(call, e)]
        marks = {e: m for e, q, m in call.scores if q == p.id}
        missing = [e.id for e in allowed if e.id not in marks]
        if missing:
            raise Refused(
                f"方案 {p.id} 尚有专家未打分：{'、'.join(missing)}",
                f"proposal {p.id} lacks marks of {', '.join(missing)}",
            )
        if not allowed:
            raise Refused(f"方案 {p.id} 无可评审的专家（全部回避）", f"every expert is recused from {p.id}")
        mean = sum((_weighted(call, marks[e.id]) for e in allowed), Decimal(0)) / len(allowed)
        totals.append((p.id, mean.quantize(Decimal("0.01")), p.submitted_at))
    totals.sort(key=lambda t: (-t[1], t[2]))
    ranking = tuple((pid, total) for pid, total, _ in totals)
    ends = at + timedelta(days=call.notice_days)
    event = _event("rank", at, by, ranking=[[p, str(s)] for p, s in ranking], notice_ends=ends.isoformat())
    return replace(call, stage=Stage.NOTICE, ranking=ranking, notice_ends=ends), event


def object_to(call: Call, objection: Objection) -> tuple[Call, Event]:
    _need(call, Stage.NOTICE)
    assert call.notice_ends is not None
    if objection.at > call.notice_ends:
        raise Refused("公示期已结束，不再受理异议", "the notice period is over: no more objections")
    call.proposal(objection.proposal)
    event = _event("object", objection.at, objection.by, objection=objection.id, proposal=objection.proposal)
    return replace(call, objections=(*call.objections, objection)), event


def decide_objection(
    call: Call, objection_id: str, upheld: bool, reason: str, at: datetime, by: str
) -> tuple[Call, Event]:
    """An upheld objection takes its proposal out of the ranking; either way the reason is kept."""
    _need(call, Stage.NOTICE)
    found = next((o for o in call.objections if o.id == objection_id), None)
    if found is None:
        raise Refused(f"没有编号为 {objection_id} 的异议", f"no objection {objection_id}")
    if found.decision is not None:
        raise Refused("该异议已处理", "this objection is decided")
    decided = replace(found, decision="upheld" if upheld else "dismissed", reason=reason)
    objections = tuple(decided if o.id == objection_id else o for o in call.objections)
    proposals = call.proposals
    if upheld:
        proposals = tuple(replace(p, disqualified=reason) if p.id == found.proposal else p for p in proposals)
    event = _event("decide_objection", at, by, objection=objection_id, upheld=upheld, reason=reason)
    return replace(call, objections=objections, proposals=proposals), event


@dataclass(frozen=True, slots=True)
class Award:
    call: str
    proposal: str
    lead: str
    amount: Decimal
    recognitions: tuple[str, ...]
    title: str
    """The winning proposal's title: the name its project is entered under."""
    project_kind: str


def award(call: Call, at: datetime, by: str) -> tuple[Call, Award, Event]:
    """After the notice, every objection decided: the first proposal standing wins the budget."""
    _need(call, Stage.NOTICE)
    assert call.notice_ends is not None
    if at < call.notice_ends:
        raise Refused(
            f"公示期至 {call.notice_ends.astimezone(CHINA):%Y-%m-%d %H:%M}（北京时间）结束",
            f"The notice runs until {call.notice_ends.astimezone(CHINA):%Y-%m-%d %H:%M} (Beijing time).",
        )
    pending = [o.id for o in call.objections if o.decision is None]
    if pending:
        raise Refused(f"尚有异议未处理：{'、'.join(pending)}", f"objections not yet decided: {', '.join(pending)}")
    standing = [pid for pid, _ in call.ranking if call.proposal(pid).disqualified is None]
    if not standing:
        raise Refused("没有可授予的方案", "no proposal is left to award")
    winner = call.proposal(standing[0])
    made = Award(
        call.id, winner.id, winner.lead.credit_code, call.budget, call.recognitions, winner.title, call.project_kind
    )
    event = _event("award", at, by, proposal=winner.id, lead=winner.lead.credit_code, amount=str(call.budget))
    return replace(call, stage=Stage.AWARDED, winner=winner.id), made, event


@dataclass
class Journal:
    """A call's history as the steps were taken (an adapter stores it, the audit log too)."""

    call: Call
    events: list[Event] = field(default_factory=list)

    def apply(self, step: tuple[Call, Event]) -> Call:
        self.call, event = step
        self.events.append(event)
        return self.call
