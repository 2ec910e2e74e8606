"""The ledger as a batch population (huiqi match --db): every enterprise's facts, and what it has filed.

The facts are what an approval feeds the engine (applications.py): the catalogue entry, its
subjects in the order they were entered (catalogue.facts_of), and every committed award as a
prior award, so caps are net of what the ledger has already granted. Three queries for the
whole ledger, not one per enterprise.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from huiqi.facts.models import Facts
from huiqi.ledger import tables as t
from huiqi.ledger.approval import Award, with_awards
from huiqi.ledger.catalogue import FACTS_LIST
from huiqi.ledger.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Filed:
    """An application or award of the ledger, keyed as the batch's results are."""

    kind: str  # "application" | "award"
    id: int
    credit_code: str
    measure: str
    subject: str  # the subject's id (project ref); the credit code for measures of the enterprise
    year: int
    state: str  # the application's state; "awarded" for an award


def population(uow: UnitOfWork, enterprise_id: int | None = None) -> list[Facts]:
    """Every enterprise of the catalogue (by id), or the one given, with its subjects and committed awards."""
    enterprises_q = select(t.Enterprise).order_by(t.Enterprise.id)
    projects_q = select(t.Project).order_by(t.Project.id)
    awards_q = select(t.Award).order_by(t.Award.id)
    if enterprise_id is not None:
        enterprises_q = enterprises_q.where(t.Enterprise.id == enterprise_id)
        projects_q = projects_q.where(t.Project.enterprise_id == enterprise_id)
        awards_q = awards_q.where(t.Award.enterprise_id == enterprise_id)
    enterprises = uow.session.execute(enterprises_q).scalars().all()
    subjects: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: {k: [] for k in FACTS_LIST.values()})
    for project in uow.session.execute(projects_q).scalars():
        subjects[project.enterprise_id][FACTS_LIST[project.kind]].append(project.facts)
    codes = {e.id: e.credit_code for e in enterprises}
    awards: dict[int, list[Award]] = defaultdict(list)
    for award in uow.session.execute(awards_q).scalars():
        code = codes[award.enterprise_id]
        awards[award.enterprise_id].append(
            Award(str(award.application_id), code, award.measure, award.subject, award.year, award.amount)
        )
    return [
        with_awards(Facts.model_validate({"enterprise": e.facts, **subjects[e.id]}), awards[e.id]) for e in enterprises
    ]


def filed(uow: UnitOfWork, enterprise_id: int | None = None) -> list[Filed]:
    """Every application (any state) and every award of the ledger, or of the enterprise given."""
    applications = select(t.Application, t.Enterprise.credit_code, t.Project.ref).join(
        t.Enterprise, t.Application.enterprise_id == t.Enterprise.id
    )
    applications = applications.outerjoin(t.Project, t.Application.project_id == t.Project.id)
    awards = select(t.Award, t.Enterprise.credit_code).join(t.Enterprise, t.Award.enterprise_id == t.Enterprise.id)
    if enterprise_id is not None:
        applications = applications.where(t.Application.enterprise_id == enterprise_id)
        awards = awards.where(t.Award.enterprise_id == enterprise_id)
    found = [
        Filed("application", a.id, code, a.measure, ref or code, a.year, a.state)
        for a, code, ref in uow.session.execute(applications.order_by(t.Application.id))
    ]
    found += [
        Filed("award", a.id, code, a.measure, a.subject, a.year, "awarded")
        for a, code in uow.session.execute(awards.order_by(t.Award.id))
    ]
    return found
