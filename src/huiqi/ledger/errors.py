"""Refusals of the ledger's services. The API turns each into a problem response (RFC 9457)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


class LedgerError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, detail: str, *, errors: Sequence[FieldError] = (), reasons: Sequence[str] = ()):
        super().__init__(detail)
        self.detail = detail
        self.errors = tuple(errors)
        self.reasons = tuple(reasons)


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str  # English
    row: int | None = None
    zh: str | None = None  # the message in Chinese, where the service gives one

    def text(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" and self.zh else self.message


class Invalid(LedgerError):
    status, code = 422, "invalid"


class NotFound(LedgerError):
    """Also what another tenant's resource looks like: its existence is not revealed."""

    status, code = 404, "not_found"


class Forbidden(LedgerError):
    status, code = 403, "forbidden"


class Unauthenticated(LedgerError):
    """No valid token, or a wrong user name or password (the same message for both), or a disabled user."""

    status, code = 401, "unauthenticated"

    def __init__(self, detail: str, *, code: str = "unauthenticated"):
        super().__init__(detail)
        self.code = code


class Locked(Unauthenticated):
    """Too many wrong passwords in a row: no sign-in, even with the right password, until `until`."""

    def __init__(self, until: datetime):
        moment = until.isoformat(timespec="seconds")
        super().__init__(f"too many wrong passwords: this account is locked until {moment}", code="locked")
        self.until = until


class Conflict(LedgerError):
    """The request is well-formed but the ledger's state or rules refuse it."""

    status, code = 409, "conflict"

    def __init__(self, detail: str, *, code: str = "conflict", reasons: Sequence[str] = ()):
        super().__init__(detail, reasons=reasons)
        self.code = code


class PreconditionFailed(LedgerError):
    status, code = 412, "precondition_failed"
