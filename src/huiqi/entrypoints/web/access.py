"""Who may open a signed-in page: the session's user, or a redirect to sign in.

The role and tenant checks themselves are the ledger's (`Actor.require`, `Actor.may_see` and the
services that call them, as on /v1): a page asks for its user here and then calls the same
service functions the API calls, so a refusal is the same on both.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from huiqi.entrypoints.web.auth_pages import current_user
from huiqi.entrypoints.web.render import wants_json
from huiqi.ledger.actors import OFFICERS, Actor
from huiqi.ledger.workflow import Role


class SignInNeeded(Exception):
    """A signed-in page opened without a session: the reader is sent to /signin and back."""

    def __init__(self, target: str):
        super().__init__(target)
        self.target = target


def page_user(request: Request, *roles: Role) -> Actor:
    """The signed-in user, who must hold one of `roles` when any are given (else Forbidden)."""
    user = current_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(target)
    if roles:
        user.require(*roles)
    return user


def officer(request: Request) -> Actor:
    return page_user(request, *sorted(OFFICERS))


def to_sign_in(request: Request, error: SignInNeeded) -> Response:
    if wants_json(request):
        return JSONResponse(
            {"type": "about:blank", "title": "Unauthenticated", "status": 401, "detail": "sign in first"},
            status_code=401,
            media_type="application/problem+json",
        )
    # HTMX follows a redirect inside the swapped fragment; HX-Redirect makes it load the whole page.
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": f"/signin?next={quote(error.target, safe='')}"})
    return RedirectResponse(f"/signin?next={quote(error.target, safe='')}", status_code=303)
