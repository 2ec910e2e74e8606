"""Signing in and out of the pages, and who is signed in.

Passwords are checked by the ledger's one service (`users.sign_in`: argon2 hashes, lockout after
repeated failures); this adapter adds a per-address rate limit, opens a server-side session
whose random token goes in an HttpOnly cookie, and rotates the CSRF token at sign-in.
"""

from __future__ import annotations

import math
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from huiqi.entrypoints.api.deps import ANONYMOUS
from huiqi.entrypoints.web.guard import CSRF_COOKIE
from huiqi.entrypoints.web.i18n import gettext_for
from huiqi.entrypoints.web.render import error_page, lang_of, respond
from huiqi.entrypoints.web.throttle import Throttle
from huiqi.ledger.actors import Actor
from huiqi.ledger.catalogue import own_enterprise
from huiqi.ledger.errors import LedgerError, Locked
from huiqi.ledger.sessions import IDLE, close_session, open_session, session_actor, touch
from huiqi.ledger.uow import Ledger
from huiqi.ledger.users import sign_in

router = APIRouter(include_in_schema=False)
SESSION_COOKIE = "huiqi_session"
# Failed sign-ins per client address, per process: 10 in 5 minutes, then wait. Successes do not
# count, so a district office behind one NAT address is not shut out at nine in the morning.
SIGN_IN_ATTEMPTS = Throttle(limit=10, window_seconds=300.0)


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def _secure(request: Request) -> bool:
    return bool(getattr(request.app.state, "secure_cookies", False)) or request.url.scheme == "https"


def current_user(request: Request) -> Actor | None:
    """The signed-in user of this request (looked up once per request), else None."""
    if hasattr(request.state, "user"):
        user: Actor | None = request.state.user
        return user
    token = request.cookies.get(SESSION_COOKIE)
    live = _ledger(request).read(ANONYMOUS, lambda uow: session_actor(uow, token)) if token else None
    if live is not None and live.stale and token:
        _ledger(request).run(live.actor, lambda uow: touch(uow, token))
    user = live.actor if live else None
    request.state.user = user
    return user


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def signin_data(request: Request, name: str = "", error: str | None = None) -> dict[str, Any]:
    return {"name": name, "error": error, "next": safe_next(request.query_params.get("next"))}


@router.get("/signin")
def signin_page(request: Request) -> Response:
    current_user(request)
    return respond(request, "signin.html", signin_data(request))


@router.post("/signin")
async def signin(request: Request) -> Response:
    _ = gettext_for(lang_of(request))
    form = await request.form()
    name = str(form.get("name") or "").strip()
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or "/"))
    request.state.user = None
    client = request.client.host if request.client else "unknown"
    if SIGN_IN_ATTEMPTS.blocked(client):
        wait = SIGN_IN_ATTEMPTS.retry_after(client)
        response = error_page(
            request,
            429,
            "Too many requests",
            _("Too many sign-in attempts from this address. Try again in %(minutes)s minutes.")
            % {"minutes": max(1, round(wait / 60))},
        )
        response.headers["retry-after"] = str(int(wait) + 1)
        return response
    if not name or not password:
        SIGN_IN_ATTEMPTS.record(client)
        data = {**signin_data(request, name, _("Enter your user name and password.")), "next": target}
        return respond(request, "signin.html", data, 422)
    try:
        actor = _ledger(request).run(ANONYMOUS, lambda uow: sign_in(uow, name, password))
    except LedgerError as error:
        SIGN_IN_ATTEMPTS.record(client)
        if isinstance(error, Locked):
            wait = max(1, math.ceil((error.until - _ledger(request).clock()).total_seconds() / 60))
            message = _("Too many wrong passwords: this account is locked. Try again in %(minutes)s minutes.") % {
                "minutes": wait
            }
        elif error.code == "locked":
            message = _("Too many wrong passwords: this account is locked for a while. Try again later.")
        elif error.code == "disabled":
            message = _("This account is disabled. Ask an administrator.")
        else:
            message = _("Wrong user name or password.")
        return respond(request, "signin.html", {**signin_data(request, name, message), "next": target}, 401)
    token = _ledger(request).run(actor, lambda uow: open_session(uow, actor))
    response = RedirectResponse(target, status_code=303)
    secure = _secure(request)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/", max_age=12 * 3600
    )
    # A new CSRF token with the new session: one planted before sign-in is worth nothing after it.
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), httponly=True, samesite="strict", secure=secure)
    return response


@router.post("/signout")
def signout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    _ledger(request).run(ANONYMOUS, lambda uow: close_session(uow, token))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/account")
def account(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return RedirectResponse("/signin?next=/account", status_code=303)
    enterprise = None
    if user.enterprise_id is not None:
        row = _ledger(request).read(user, own_enterprise)
        enterprise = {"name": row.name, "credit_code": row.credit_code}
    data = {
        "name": user.name,
        "role": user.role.value,
        "enterprise": enterprise,
        "officer": user.is_officer,
        "idle_minutes": int(IDLE.total_seconds() // 60),
    }
    return respond(request, "account.html", data)
