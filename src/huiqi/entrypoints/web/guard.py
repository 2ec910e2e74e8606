"""What every page request passes through: its language, its CSRF token, and the security headers.

One ASGI middleware, so no route can forget it:
* the language: `?lang=zh|en` (remembered in a cookie), else the cookie, else Chinese;
* CSRF (double submit): every browser gets a random token in an HttpOnly, SameSite=Strict
  cookie; pages carry it in their forms (`csrf_token`) and in a <meta> element that the page
  script sends as `X-CSRF-Token` on HTMX requests; a POST, PUT, PATCH or DELETE outside the
  token-authenticated API (/v1) without the same token is refused with 403 before any route runs;
* headers: a Content-Security-Policy with no inline script, nosniff, no framing, same-origin
  referrers, and no caching of pages that may hold personal data.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huiqi.entrypoints.web.i18n import DEFAULT_LANG, Lang, as_lang

CSRF_COOKIE = "huiqi_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LANG_COOKIE = "huiqi_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
API_PREFIX = "/v1/"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc insert <style> elements at run time (ReDoc's styled-components, Swagger's
# inline SVG styles) and ReDoc starts a worker from a blob: URL; still no inline script.
CSP_API_DOCS = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
API_DOCS = ("/docs", "/redoc")

Refusal = Callable[[Request, Lang], Awaitable[Response]]


def _cookies(scope: Scope) -> dict[str, str]:
    raw = Headers(scope=scope).get("cookie")
    if not raw:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header: treat as none
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def _is_form(content_type: str) -> bool:
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


async def _form_token(scope: Scope, body: bytes) -> str | None:
    """The csrf_token field of a form body (url-encoded or multipart)."""
    content_type = Headers(scope=scope).get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
        return values[0] if values else None
    sent = False

    async def once() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.request", "body": b"", "more_body": False}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request(scope, receive=once)
    try:
        form = await request.form()
    except Exception:  # an unreadable multipart body carries no token
        return None
    try:
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


class WebGuard:
    def __init__(self, app: ASGIApp, refuse: Refusal, *, secure_cookies: bool = False):
        self.app = app
        self.refuse = refuse
        self.secure = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        query_lang = as_lang(parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [""])[0])
        lang = query_lang or as_lang(cookies.get(LANG_COOKIE)) or DEFAULT_LANG
        token = cookies.get(CSRF_COOKIE) or ""
        new_token = None
        if len(token) < 32:
            token = new_token = secrets.token_urlsafe(32)
        state = scope.setdefault("state", {})
        state["lang"] = lang
        state["csrf"] = token
        https = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", CSP_API_DOCS if scope["path"] in API_DOCS else CSP)
                headers.setdefault("x-content-type-options", "nosniff")
                headers.setdefault("x-frame-options", "DENY")
                headers.setdefault("referrer-policy", "same-origin")
                if not scope["path"].startswith("/static/"):
                    headers.setdefault("cache-control", "no-store")
                secure = "; Secure" if (self.secure or https) else ""
                if new_token is not None and "huiqi_csrf=" not in headers.get("set-cookie", ""):
                    headers.append(
                        "set-cookie", f"{CSRF_COOKIE}={new_token}; Path=/; HttpOnly; SameSite=Strict{secure}"
                    )
                if query_lang is not None:
                    headers.append(
                        "set-cookie", f"{LANG_COOKIE}={query_lang}; Path=/; Max-Age=31536000; SameSite=Lax{secure}"
                    )
            await send(message)

        if scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, with_headers)
            return
        # A state-changing request: the token must come back, in a header or in the form.
        headers = Headers(scope=scope)
        sent = headers.get(CSRF_HEADER)
        body = b""
        replay: Receive = receive
        if sent is None and _is_form(headers.get("content-type", "")):
            chunks = []
            more = True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
            sent = await _form_token(scope, body)
            replayed = False

            async def replay_body() -> Message:
                nonlocal replayed
                if replayed:
                    return await receive()  # the client's disconnect, whenever it comes
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            replay = replay_body
        if new_token is not None or not sent or not secrets.compare_digest(sent.encode(), token.encode()):
            response = await self.refuse(Request(scope), lang)
            await response(scope, receive, with_headers)
            return
        await self.app(scope, replay, with_headers)
