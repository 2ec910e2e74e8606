"""Who is acting: users, their roles, and the tokens they authenticate with."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from huiqi.ledger.errors import Forbidden
from huiqi.ledger.workflow import Role

TOKEN_PREFIX = "hq_"
OFFICERS = frozenset({Role.REVIEWER, Role.APPROVER, Role.FINANCE, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    name: str
    role: Role
    enterprise_id: int | None = None  # set for enterprise users: the only enterprise they see

    @property
    def is_officer(self) -> bool:
        return self.role in OFFICERS

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(sorted(r.value for r in roles))
            raise Forbidden(f"this needs the role {allowed}; you are {self.role.value}")

    def may_see(self, enterprise_id: int) -> bool:
        return self.is_officer or self.enterprise_id == enterprise_id


SYSTEM = Actor(0, "system", Role.ADMIN)


def new_token() -> str:
    """A bearer token: 256 random bits. Shown once; only its hash is stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    # The token is random and long, so a plain SHA-256 is enough (no dictionary to guess from).
    return hashlib.sha256(token.encode()).hexdigest()
