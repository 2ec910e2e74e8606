"""Users and their API tokens (only the token's hash is stored)."""

from __future__ import annotations

from sqlalchemy import select

from huiqi.ledger import tables as t
from huiqi.ledger.actors import Actor, new_token, token_hash
from huiqi.ledger.catalogue import enterprise_by_code
from huiqi.ledger.errors import Conflict, FieldError, Invalid, Unauthenticated
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.workflow import Role


def add_user(uow: UnitOfWork, name: str, role: str, enterprise: str | None = None) -> tuple[t.User, str]:
    """A new user and its token, which is returned once and never stored in clear."""
    uow.actor.require(Role.ADMIN)
    uow.action = "user.create"
    try:
        chosen = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise Invalid("unknown role", errors=[FieldError("role", f"must be one of {allowed}")]) from None
    if (chosen is Role.ENTERPRISE) != (enterprise is not None):
        raise Invalid("enterprise", errors=[FieldError("enterprise", "needed for (and only for) enterprise users")])
    if not name.strip():
        raise Invalid("name", errors=[FieldError("name", "must not be empty")])
    if uow.session.execute(select(t.User.id).where(t.User.name == name)).first():
        raise Conflict(f"user {name!r} exists", code="exists")
    company = enterprise_by_code(uow, enterprise) if enterprise else None
    token = new_token()
    user = t.User(
        name=name,
        role=chosen.value,
        enterprise_id=company.id if company else None,
        token_hash=token_hash(token),
        active=True,
        created_at=uow.now,
    )
    uow.session.add(user)
    uow.session.flush()
    return user, token


def actor_of(user: t.User) -> Actor:
    return Actor(user.id, user.name, Role(user.role), user.enterprise_id)


def authenticate(uow: UnitOfWork, token: str | None) -> Actor:
    if not token:
        raise Unauthenticated("an API token is needed: Authorization: Bearer <token>")
    user = uow.session.execute(select(t.User).where(t.User.token_hash == token_hash(token))).scalar()
    if user is None or not user.active:
        raise Unauthenticated("the API token is not valid")
    return actor_of(user)
