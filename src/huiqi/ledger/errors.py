"""Refusals of the ledger's services. The API turns each into a problem response (RFC 9457)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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
    message: str
    row: int | None = None


class Invalid(LedgerError):
    status, code = 422, "invalid"


class NotFound(LedgerError):
    """Also what another tenant's resource looks like: its existence is not revealed."""

    status, code = 404, "not_found"


class Forbidden(LedgerError):
    status, code = 403, "forbidden"


class Unauthenticated(LedgerError):
    status, code = 401, "unauthenticated"


class Conflict(LedgerError):
    """The request is well-formed but the ledger's state or rules refuse it."""

    status, code = 409, "conflict"

    def __init__(self, detail: str, *, code: str = "conflict", reasons: Sequence[str] = ()):
        super().__init__(detail, reasons=reasons)
        self.code = code


class PreconditionFailed(LedgerError):
    status, code = 412, "precondition_failed"
