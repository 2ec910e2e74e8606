"""Signed-in browsers: sessions opened at sign-in, checked on every page, closed at sign-out.

The cookie holds 256 random bits; only their SHA-256 is stored, as with API tokens. A session
ends after IDLE of no use or at most LIFETIME after sign-in, and with its user's deactivation.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update

from huiqi.ledger import tables as t
from huiqi.ledger.actors import Actor, token_hash
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.users import actor_of

IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most this often


def open_session(uow: UnitOfWork, actor: Actor) -> str:
    """A new session for a user who has just signed in; returns the cookie's token (shown once)."""
    token = secrets.token_urlsafe(32)
    uow.action = "session.open"
    uow.session.add(
        t.WebSession(
            token_hash=token_hash(token),
            user_id=actor.user_id,
            created_at=uow.now,
            last_seen_at=uow.now,
            expires_at=uow.now + LIFETIME,
        )
    )
    # Old sessions of anyone expire away here rather than in a job.
    uow.session.execute(delete(t.WebSession).where(t.WebSession.expires_at < uow.now))
    return token


@dataclass(frozen=True, slots=True)
class LiveSession:
    actor: Actor
    stale: bool
    """Last seen more than TOUCH_EVERY ago: worth a `touch` (read-only pages stay read-only)."""


def session_actor(uow: UnitOfWork, token: str | None) -> LiveSession | None:
    """The user of a live session, else None (expired, idle too long, closed, or user disabled)."""
    if not token:
        return None
    row = uow.session.execute(select(t.WebSession).where(t.WebSession.token_hash == token_hash(token))).scalar()
    if row is None or row.expires_at <= uow.now or row.last_seen_at + IDLE <= uow.now:
        return None
    user = uow.session.get(t.User, row.user_id)
    if user is None or not user.active:
        return None
    return LiveSession(actor_of(user), uow.now - row.last_seen_at >= TOUCH_EVERY)


def touch(uow: UnitOfWork, token: str) -> None:
    """The session was used now (its idle time starts again)."""
    uow.session.execute(
        update(t.WebSession).where(t.WebSession.token_hash == token_hash(token)).values(last_seen_at=uow.now)
    )


def close_session(uow: UnitOfWork, token: str | None) -> None:
    if token:
        uow.action = "session.close"
        uow.session.execute(delete(t.WebSession).where(t.WebSession.token_hash == token_hash(token)))
