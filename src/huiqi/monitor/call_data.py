"""A scenario call as plain data (JSON types) and back, for storage: the scores apart from the rest,
so an adapter can keep them sealed until the panel closes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from huiqi.monitor.calls import Applicant, Call, Criterion, Eligibility, Expert, Objection, Proposal, Stage

Scores = list[list[Any]]


def _applicant(a: Applicant) -> dict[str, Any]:
    return {"credit_code": a.credit_code, "name": a.name, "legal_entity": a.legal_entity}


def _applicant_of(d: dict[str, Any]) -> Applicant:
    return Applicant(d["credit_code"], d["name"], d.get("legal_entity", True))


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def to_data(call: Call) -> tuple[dict[str, Any], Scores]:
    """(everything but the scores, the scores)."""
    data = {
        "id": call.id,
        "title": call.title,
        "owner": call.owner,
        "requirements": call.requirements,
        "budget": str(call.budget),
        "deadline": call.deadline.isoformat(),
        "criteria": [{"id": c.id, "title": c.title, "weight": c.weight} for c in call.criteria],
        "eligibility": {
            "legal_entity": call.eligibility.legal_entity,
            "max_partners": call.eligibility.max_partners,
            "exclude_past_winners": call.eligibility.exclude_past_winners,
            "past_winners": sorted(call.eligibility.past_winners),
        },
        "notice_days": call.notice_days,
        "min_experts": call.min_experts,
        "recognitions": list(call.recognitions),
        "project_kind": call.project_kind,
        "stage": call.stage.value,
        "proposals": [
            {
                "id": p.id,
                "lead": _applicant(p.lead),
                "partners": [_applicant(a) for a in p.partners],
                "title": p.title,
                "submitted_at": p.submitted_at.isoformat(),
                "attachments": list(p.attachments),
                "disqualified": p.disqualified,
            }
            for p in call.proposals
        ],
        "experts": [
            {"id": e.id, "name": e.name, "employer": e.employer, "relations": sorted(e.relations)} for e in call.experts
        ],
        "declared": sorted([e, p] for e, p in call.declared),
        "ranking": [[p, str(s)] for p, s in call.ranking],
        "notice_ends": _when(call.notice_ends),
        "objections": [
            {
                "id": o.id,
                "proposal": o.proposal,
                "by": o.by,
                "text": o.text,
                "at": o.at.isoformat(),
                "decision": o.decision,
                "reason": o.reason,
            }
            for o in call.objections
        ],
        "winner": call.winner,
    }
    scores = [[e, p, [[c, m] for c, m in marks]] for e, p, marks in call.scores]
    return data, scores


def from_data(data: dict[str, Any], scores: Scores) -> Call:
    rules = data["eligibility"]
    return Call(
        id=data["id"],
        title=data["title"],
        owner=data["owner"],
        requirements=data["requirements"],
        budget=Decimal(data["budget"]),
        deadline=datetime.fromisoformat(data["deadline"]),
        criteria=tuple(Criterion(c["id"], c["title"], c["weight"]) for c in data["criteria"]),
        eligibility=Eligibility(
            rules["legal_entity"],
            rules["max_partners"],
            rules["exclude_past_winners"],
            frozenset(rules["past_winners"]),
        ),
        notice_days=data["notice_days"],
        min_experts=data["min_experts"],
        recognitions=tuple(data["recognitions"]),
        project_kind=data.get("project_kind", "application_demo"),  # stored before the field existed
        stage=Stage(data["stage"]),
        proposals=tuple(
            Proposal(
                p["id"],
                _applicant_of(p["lead"]),
                tuple(_applicant_of(a) for a in p["partners"]),
                p["title"],
                datetime.fromisoformat(p["submitted_at"]),
                tuple(p["attachments"]),
                p["disqualified"],
            )
            for p in data["proposals"]
        ),
        experts=tuple(Expert(e["id"], e["name"], e["employer"], frozenset(e["relations"])) for e in data["experts"]),
        declared=frozenset((e, p) for e, p in data["declared"]),
        scores=tuple((e, p, tuple((c, int(m)) for c, m in marks)) for e, p, marks in scores),
        ranking=tuple((p, Decimal(s)) for p, s in data["ranking"]),
        notice_ends=datetime.fromisoformat(data["notice_ends"]) if data["notice_ends"] else None,
        objections=tuple(
            Objection(
                o["id"], o["proposal"], o["by"], o["text"], datetime.fromisoformat(o["at"]), o["decision"], o["reason"]
            )
            for o in data["objections"]
        ),
        winner=data["winner"],
    )
