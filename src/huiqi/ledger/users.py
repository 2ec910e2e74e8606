"""Users: API tokens (only their hash is stored), passwords (argon2id), sign-in and administration.

Every function takes a unit of work and checks its actor's role here, for the CLI, the API and
the web pages alike: administration is for admins; a user may set its own password and rotate
its own token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from huiqi.ledger import passwords
from huiqi.ledger import tables as t
from huiqi.ledger.actors import Actor, new_token, token_hash
from huiqi.ledger.catalogue import enterprise_by_code
from huiqi.ledger.errors import Conflict, FieldError, Forbidden, Invalid, Locked, NotFound, Unauthenticated
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.workflow import Role

WRONG_NAME_OR_PASSWORD = "wrong user name or password"


def add_user(
    uow: UnitOfWork, name: str, role: str, enterprise: str | None = None, *, password: str | None = None
) -> tuple[t.User, str]:
    """A new user and its token, which is returned once and never stored in clear; with a password if given."""
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
    if password is not None and (bad := passwords.problems(password, name)):
        raise Invalid("the password is not acceptable", errors=bad)
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
        failed_sign_ins=0,
    )
    if password is not None:
        user.password_hash, user.password_changed_at = passwords.hash_password(password), uow.now
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


# ----- administration


def _may_manage(uow: UnitOfWork, name: str, *, self_allowed: bool) -> None:
    if uow.actor.role is Role.ADMIN or (self_allowed and uow.actor.name == name and uow.actor.user_id):
        return
    raise Forbidden("this needs the role admin" + (" (or to be that user)" if self_allowed else ""))


def user_by_name(uow: UnitOfWork, name: str, *, lock: bool = False) -> t.User:
    query = select(t.User).where(t.User.name == name)
    user = uow.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {name!r}")
    return user


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    role: str
    enterprise: str | None  # credit code, for enterprise users
    active: bool
    has_password: bool
    failed_sign_ins: int
    locked_until: datetime | None
    password_changed_at: datetime | None
    created_at: datetime

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def list_users(uow: UnitOfWork) -> list[UserInfo]:
    """Every user, by name (admin)."""
    uow.actor.require(Role.ADMIN)
    query = select(t.User, t.Enterprise.credit_code).outerjoin(t.Enterprise, t.User.enterprise_id == t.Enterprise.id)
    return [
        UserInfo(
            user.name,
            user.role,
            code,
            user.active,
            user.password_hash is not None,
            user.failed_sign_ins,
            user.locked_until,
            user.password_changed_at,
            user.created_at,
        )
        for user, code in uow.session.execute(query.order_by(t.User.name))
    ]


def set_active(uow: UnitOfWork, name: str, active: bool) -> t.User:
    """Disable a user (its token and password stop working), or enable it again (which also lifts a lockout)."""
    _may_manage(uow, name, self_allowed=False)
    user = user_by_name(uow, name, lock=True)
    if not active and user.active and user.role == Role.ADMIN.value:
        others = select(func.count()).select_from(t.User)
        others = others.where(t.User.role == Role.ADMIN.value, t.User.active.is_(True), t.User.id != user.id)
        if not uow.session.execute(others).scalar():
            raise Conflict(f"{name} is the last active admin; enable another admin first", code="last_admin")
    uow.action = "user.enable" if active else "user.disable"
    user.active = active
    if active:
        user.failed_sign_ins, user.locked_until = 0, None
    uow.session.flush()
    return user


def rotate_token(uow: UnitOfWork, name: str) -> str:
    """A new API token for the user (the old one stops working); returned once."""
    _may_manage(uow, name, self_allowed=True)
    user = user_by_name(uow, name, lock=True)
    uow.action = "user.rotate_token"
    token = new_token()
    user.token_hash = token_hash(token)
    uow.session.flush()
    return token


def set_password(uow: UnitOfWork, name: str, password: str) -> None:
    """Set the user's password (an admin, or the user itself); checked against the policy, stored as argon2id.

    It also clears the count of wrong passwords and any lockout.
    """
    _may_manage(uow, name, self_allowed=True)
    user = user_by_name(uow, name, lock=True)
    if bad := passwords.problems(password, name):
        raise Invalid("the password is not acceptable", errors=bad)
    uow.action = "user.set_password"
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at, user.failed_sign_ins, user.locked_until = uow.now, 0, None
    uow.session.flush()


# ----- signing in


def sign_in(uow: UnitOfWork, name: str, password: str) -> Actor:
    """The user, if `password` is theirs; Unauthenticated otherwise. Call it in a write unit (Ledger.run).

    A wrong name and a wrong password get the same error (code `unauthenticated`) after about the
    same time (an unknown name is checked against a dummy hash). Wrong passwords in a row are
    counted; the MAX_FAILED_SIGN_INS-th locks the account for LOCKOUT (huiqi.ledger.passwords), during
    which every sign-in is refused with code `locked` and the time it ends — even with the right
    password, so that the lock tells nothing about the password. A failure is committed here, before
    the error is raised (the caller's unit would roll it back). A disabled user is refused (code
    `disabled`) once its password is right. Success clears the count and redoes the hash if its
    argon2 parameters are no longer the current ones.
    """
    user = uow.session.execute(select(t.User).where(t.User.name == name).with_for_update()).scalar_one_or_none()
    if user is None or user.password_hash is None:
        passwords.waste_time(password)
        raise Unauthenticated(WRONG_NAME_OR_PASSWORD)
    if user.locked_until is not None and user.locked_until > uow.now:
        passwords.waste_time(password)
        raise Locked(user.locked_until)
    if not passwords.verify(user.password_hash, password):
        uow.action = "user.sign_in_failed"
        user.failed_sign_ins += 1
        locked = user.failed_sign_ins >= passwords.MAX_FAILED_SIGN_INS
        if locked:
            user.failed_sign_ins, user.locked_until = 0, uow.now + passwords.LOCKOUT
        until = user.locked_until
        uow.commit()
        raise Locked(until) if locked and until is not None else Unauthenticated(WRONG_NAME_OR_PASSWORD)
    if not user.active:
        raise Unauthenticated("this account is disabled; ask an administrator", code="disabled")
    uow.action = "user.sign_in"
    if user.failed_sign_ins or user.locked_until is not None:
        user.failed_sign_ins, user.locked_until = 0, None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    uow.session.flush()
    return actor_of(user)
