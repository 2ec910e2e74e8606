"""What every route needs: the ledger, the caller, paging, If-Match, and idempotent POSTs."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from huiqi.ledger import tables as t
from huiqi.ledger.actors import Actor, token_hash
from huiqi.ledger.errors import Conflict, FieldError, Invalid, PreconditionFailed
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.ledger.users import authenticate
from huiqi.ledger.workflow import Role
from huiqi.rules.library import Library

AUTH_CACHE_SECONDS = 30.0
ANONYMOUS = Actor(0, "anonymous", Role.ENTERPRISE)  # sees nothing: no enterprise
MAX_PAGE = 500


PathId = Annotated[int, Path(ge=1, le=2**53)]
PathYear = Annotated[int, Path(ge=1990, le=2100)]
QueryYear = Annotated[int | None, Query(ge=1990, le=2100)]


def ledger_of(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def library_of(request: Request) -> Library:
    library: Library = request.app.state.library
    return library


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def current_actor(
    request: Request,
    authorization: Annotated[str | None, Header(description="Bearer <API token>")] = None,
) -> Actor:
    """The caller, from its bearer token. Looked up at most every 30 s per token (then cached)."""
    token = _bearer(authorization)
    cache: dict[str, tuple[float, Actor]] = request.app.state.auth_cache
    key = token_hash(token) if token else ""
    hit = cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < AUTH_CACHE_SECONDS:
        return hit[1]
    actor = ledger_of(request).read(ANONYMOUS, lambda uow: authenticate(uow, token))
    if len(cache) > 10_000:
        cache.clear()
    cache[key] = (now, actor)
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


class Page:
    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page")] = 50,
        cursor: Annotated[str | None, Query(description="The `next` value of the previous page")] = None,
    ):
        self.limit = limit
        self.after: int | None = None
        if cursor is not None:
            if not cursor.isdigit():
                raise Invalid("bad cursor", errors=[FieldError("query.cursor", "use the `next` value of a page")])
            self.after = int(cursor)

    def of(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """A page; `next` is the cursor of the following page, null on the last one."""
        following = str(items[-1]["id"]) if len(items) == self.limit else None
        return {"items": items, "next": following}


def if_match(if_match: Annotated[str | None, Header(alias="If-Match")] = None) -> int | None:
    """The version the client last saw (the resource's ETag); None when not sent."""
    if if_match is None or if_match.strip() == "*":
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise PreconditionFailed(f'If-Match must be an ETag this API sent, such as "3"; got {if_match!r}')
    return int(raw)


IfMatch = Annotated[int | None, Depends(if_match)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="Repeat a POST safely: the same key replays"),
]


def tagged(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


def run_post(
    request: Request,
    actor: Actor,
    key: str | None,
    payload: Any,
    work: Callable[[UnitOfWork], tuple[int, dict[str, Any]]],
) -> JSONResponse:
    """Run a POST in one unit of work; with an Idempotency-Key, store its response in the same transaction.

    A retry with the same key and body gets the stored response (and the header
    Idempotent-Replayed: true); the same key with another body is refused.
    """
    ledger = ledger_of(request)
    if key is None:
        status, body = ledger.run(actor, work)
        return _json(status, body)
    fingerprint = hashlib.sha256(
        f"{request.method} {request.url.path}\n".encode() + json.dumps(payload, sort_keys=True, default=str).encode()
    ).hexdigest()

    def stored(uow: UnitOfWork) -> t.IdempotentRequest | None:
        query = select(t.IdempotentRequest).where(
            t.IdempotentRequest.user_id == actor.user_id, t.IdempotentRequest.key == key
        )
        return uow.session.execute(query).scalar()

    def replay(row: t.IdempotentRequest) -> JSONResponse:
        if row.fingerprint != fingerprint:
            raise Conflict("this Idempotency-Key was used for another request", code="idempotency_key_reused")
        return _json(row.status, row.body, replayed=True)

    def once(uow: UnitOfWork) -> JSONResponse:
        earlier = stored(uow)
        if earlier is not None:
            return replay(earlier)
        status, body = work(uow)
        uow.session.add(
            t.IdempotentRequest(
                user_id=actor.user_id, key=key, fingerprint=fingerprint, status=status, body=body, created_at=uow.now
            )
        )
        return _json(status, body)

    try:
        return ledger.run(actor, once)
    except IntegrityError:
        # The same key raced in from another request and won; answer as it did.
        earlier = ledger.read(actor, stored)
        if earlier is None:
            raise
        return replay(earlier)


def _json(status: int, body: dict[str, Any], *, replayed: bool = False) -> JSONResponse:
    headers = {}
    if "version" in body:
        headers["ETag"] = f'"{body["version"]}"'
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=status, headers=headers)
