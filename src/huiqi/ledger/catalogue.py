"""The enterprise catalogue and its projects: the facts the engine is fed with.

An enterprise's `facts` is the calculator's Enterprise model; a project's is the model of its
kind (project, lease, institution, platform), so what the ledger holds is exactly what
`huiqi calc` reads from a facts file — validated by the same models, with the same errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from huiqi.facts.models import Enterprise as EnterpriseFacts
from huiqi.facts.models import Facts
from huiqi.facts.subjects import MODELS, PLURALS
from huiqi.ledger import tables as t
from huiqi.ledger.actors import OFFICERS
from huiqi.ledger.errors import Conflict, FieldError, Forbidden, Invalid, NotFound, PreconditionFailed
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.workflow import Role

KINDS: dict[str, type[BaseModel]] = MODELS
FACTS_LIST = PLURALS


def field_errors(error: ValidationError, prefix: str = "", row: int | None = None) -> list[FieldError]:
    out = []
    for item in error.errors():
        path = ".".join(str(p) for p in (prefix, *item["loc"]) if p != "")
        message = item["msg"].removeprefix("Value error, ")
        out.append(FieldError(path or prefix or "body", message, row))
    return out


def validated(model: type[BaseModel], data: Any, prefix: str = "", row: int | None = None) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise Invalid(f"invalid {prefix or model.__name__}", errors=field_errors(error, prefix, row)) from error


def check_version(row: Any, expected: int | None) -> None:
    if expected is not None and row.version != expected:
        raise PreconditionFailed(
            f"{row.__tablename__} {row.id} has changed (version {row.version}, you sent {expected}); reload it"
        )


# ----- enterprises


def enterprise_by_code(uow: UnitOfWork, code: str, *, lock: bool = False) -> t.Enterprise:
    query = select(t.Enterprise).where(t.Enterprise.credit_code == code)
    row = uow.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if row is None or not uow.actor.may_see(row.id):
        raise NotFound(f"no enterprise {code}")
    return row


def add_enterprise(uow: UnitOfWork, data: Any) -> t.Enterprise:
    uow.actor.require(Role.ADMIN, Role.REVIEWER, Role.APPROVER)
    uow.action = "enterprise.create"
    facts = validated(EnterpriseFacts, data, "enterprise")
    assert isinstance(facts, EnterpriseFacts)
    exists = uow.session.execute(select(t.Enterprise.id).where(t.Enterprise.credit_code == facts.credit_code))
    if exists.first() is not None:
        raise Conflict(f"enterprise {facts.credit_code} is already in the catalogue", code="exists")
    row = t.Enterprise(
        credit_code=facts.credit_code,
        name=facts.name,
        district=facts.business_district,
        facts=facts.model_dump(mode="json"),
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def update_enterprise(uow: UnitOfWork, code: str, changes: dict[str, Any], expected: int | None) -> t.Enterprise:
    row = enterprise_by_code(uow, code, lock=True)
    if not (uow.actor.is_officer or uow.actor.enterprise_id == row.id):
        raise Forbidden("you may not change this enterprise")
    check_version(row, expected)
    if "credit_code" in changes and changes["credit_code"] != row.credit_code:
        raise Invalid("the credit code identifies the enterprise", errors=[FieldError("credit_code", "cannot change")])
    uow.action = "enterprise.update"
    facts = validated(EnterpriseFacts, {**row.facts, **changes}, "enterprise")
    assert isinstance(facts, EnterpriseFacts)
    row.facts = facts.model_dump(mode="json")
    row.name, row.district, row.updated_at = facts.name, facts.business_district, uow.now
    uow.session.flush()
    return row


def list_enterprises(
    uow: UnitOfWork, *, district: str | None, q: str | None, after: int | None, limit: int
) -> Sequence[t.Enterprise]:
    query = select(t.Enterprise).order_by(t.Enterprise.id)
    if not uow.actor.is_officer:
        query = query.where(t.Enterprise.id == uow.actor.enterprise_id)
    if district:
        query = query.where(t.Enterprise.district == district)
    if q:
        query = query.where(t.Enterprise.name.contains(q) | (t.Enterprise.credit_code == q))
    if after is not None:
        query = query.where(t.Enterprise.id > after)
    return uow.session.execute(query.limit(limit)).scalars().all()


# ----- projects (any subject of a measure)


def project_by_id(uow: UnitOfWork, project_id: int, *, lock: bool = False) -> t.Project:
    query = select(t.Project).where(t.Project.id == project_id)
    row = uow.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if row is None or not uow.actor.may_see(row.enterprise_id):
        raise NotFound(f"no project {project_id}")
    return row


def _subject(kind: str, data: Any) -> tuple[str, str, dict[str, Any]]:
    if kind not in KINDS:
        raise Invalid("unknown type", errors=[FieldError("type", f"must be one of {', '.join(KINDS)}")])
    model = validated(KINDS[kind], data, "facts")
    ref = str(getattr(model, "id"))  # noqa: B009 - every subject model has an id
    name = str(getattr(model, "name", None) or ref)
    return ref, name, model.model_dump(mode="json")


def add_project(uow: UnitOfWork, enterprise_code: str, kind: str, data: Any) -> t.Project:
    enterprise = enterprise_by_code(uow, enterprise_code)
    if not (uow.actor.is_officer or uow.actor.enterprise_id == enterprise.id):
        raise Forbidden("you may not add projects to this enterprise")
    uow.action = "project.create"
    ref, name, facts = _subject(kind, data)
    taken = select(t.Project.id).where(t.Project.enterprise_id == enterprise.id, t.Project.ref == ref)
    if uow.session.execute(taken).first() is not None:
        raise Invalid("id taken", errors=[FieldError("facts.id", f"{enterprise_code} already has a subject {ref!r}")])
    row = t.Project(
        enterprise_id=enterprise.id,
        ref=ref,
        kind=kind,
        name=name,
        facts=facts,
        created_at=uow.now,
        updated_at=uow.now,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def update_project(uow: UnitOfWork, project_id: int, changes: dict[str, Any], expected: int | None) -> t.Project:
    row = project_by_id(uow, project_id, lock=True)
    check_version(row, expected)
    uow.action = "project.update"
    ref, name, facts = _subject(row.kind, {**row.facts, **changes})
    if ref != row.ref:
        raise Invalid("id is fixed", errors=[FieldError("facts.id", "a subject's id cannot change")])
    row.name, row.facts, row.updated_at = name, facts, uow.now
    uow.session.flush()
    return row


def districts_in_use(uow: UnitOfWork) -> list[str]:
    """The regions the ledger's enterprises are registered in, as stored (a filter's choices)."""
    uow.actor.require(*OFFICERS)
    found = uow.session.execute(select(t.Enterprise.district).distinct().order_by(t.Enterprise.district))
    return [str(code) for code in found.scalars()]


def list_projects(
    uow: UnitOfWork, *, enterprise: str | None, kind: str | None, after: int | None, limit: int
) -> Sequence[t.Project]:
    query = select(t.Project).order_by(t.Project.id)
    if not uow.actor.is_officer:
        query = query.where(t.Project.enterprise_id == uow.actor.enterprise_id)
    if enterprise:
        query = query.join(t.Enterprise).where(t.Enterprise.credit_code == enterprise)
    if kind:
        query = query.where(t.Project.kind == kind)
    if after is not None:
        query = query.where(t.Project.id > after)
    return uow.session.execute(query.limit(limit)).scalars().all()


def facts_of(uow: UnitOfWork, enterprise: t.Enterprise) -> Facts:
    """The calculator's facts for an enterprise: its catalogue entry and all its subjects."""
    subjects = uow.session.execute(select(t.Project).where(t.Project.enterprise_id == enterprise.id)).scalars()
    lists: dict[str, list[dict[str, Any]]] = {name: [] for name in FACTS_LIST.values()}
    for subject in subjects:
        lists[FACTS_LIST[subject.kind]].append(subject.facts)
    return Facts.model_validate({"enterprise": enterprise.facts, **lists})


def own_enterprise(uow: UnitOfWork) -> t.Enterprise:
    """The signed-in enterprise user's enterprise (its users see only that one)."""
    uow.actor.require(Role.ENTERPRISE)
    row = uow.session.get(t.Enterprise, uow.actor.enterprise_id)
    if row is None:
        raise Forbidden("this user belongs to no enterprise")
    return row
