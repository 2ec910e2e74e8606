"""A hard limit on request bodies, enforced before anything is parsed.

POST /v1/assess takes a facts document up to the facts limit ($HUIQI_MAX_FACTS_BYTES, default
8 MiB); /v1/imports a spreadsheet up to the upload limit ($HUIQI_MAX_UPLOAD_BYTES, default
16 MiB); a document attached to an application (/v1/applications/{id}/attachments and the
page's form at /applications/{id}/attachments) up to the attachment limit
($HUIQI_MAX_ATTACHMENT_BYTES, default 10 MiB) plus room for the form around it; every other body
1 MiB. The settings are read once, when the app is made
(huiqi.limits). A body larger than its limit gets 413 - from its Content-Length before it is
read, else at the first chunk beyond the limit - with a detail in English and Chinese naming
the limit and the setting that raises it.
"""

from __future__ import annotations

import json
import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huiqi.limits import ATTACHMENTS, FACTS, UPLOADS, SizeLimit, format_size

JSON_LIMIT = 1 << 20
OTHER_JSON = SizeLimit("", JSON_LIMIT, "请求体", "request bodies")  # fixed: not a setting
# A multipart form carries the file with its headers, the CSRF token and a redirect target: a file
# just over the limit still reaches the service, which refuses it beside the form's field.
FORM_ROOM = 64 << 10
ATTACHING = re.compile(r"^(/v1)?/applications/\d+/attachments/?$")


def _detail(setting: SizeLimit, limit: int, size: int | None) -> str:
    if setting is ATTACHMENTS:
        limit -= FORM_ROOM  # name the limit on the file, as the setting says it
    if not setting.env:
        return (
            f"the body ({format_size(size) if size is not None else 'more than the limit'}) exceeds the limit "
            f"of {format_size(limit)} — 请求体超过上限 {format_size(limit)}"
        )
    return setting.refusal("body", size, limit).message


class TooLarge(HTTPException):
    """Raised while the body is read; FastAPI passes HTTP exceptions through to the problem handler."""

    def __init__(self, setting: SizeLimit, limit: int):
        super().__init__(413, _detail(setting, limit, None))
        self.setting = setting
        self.limit = limit


async def _send_413(scope: Scope, send: Send, detail: str) -> None:
    render = getattr(getattr(scope.get("app"), "state", None), "error_page", None)
    if render is not None and not scope["path"].startswith("/v1/"):
        # A browser's form: an error page in Chinese (the reader's language is not known yet), not JSON.
        from huiqi.entrypoints.web.guard import CSP  # here: the web package imports the API's modules

        page = render(Request(scope), 413, "Request body too large", detail)
        # This runs outside the pages' guard, so the guard's headers are set here.
        page.headers["content-security-policy"] = CSP
        page.headers["x-content-type-options"] = "nosniff"
        page.headers["x-frame-options"] = "DENY"
        page.headers["cache-control"] = "no-store"
        await page(scope, _no_body, send)
        return
    body = json.dumps(
        {
            "type": "/problems/too_large",
            "title": "Request body too large",
            "status": 413,
            "detail": detail,
        },
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


class BodyLimit:
    def __init__(self, app: ASGIApp):
        self.app = app
        # read once: a bad setting stops the app from starting (huiqi.limits.SizeLimit.current)
        self.limits = {
            FACTS: FACTS.current(),
            UPLOADS: UPLOADS.current(),
            ATTACHMENTS: ATTACHMENTS.current() + FORM_ROOM,
            OTHER_JSON: JSON_LIMIT,
        }

    def _setting(self, path: str) -> SizeLimit:
        if ATTACHING.match(path):
            return ATTACHMENTS
        if path.startswith(("/v1/imports", "/v1/monitor/catalogue")):
            return UPLOADS
        return FACTS if path.rstrip("/") == "/v1/assess" else OTHER_JSON

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        setting = self._setting(scope["path"])
        limit = self.limits[setting]
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(scope, send, _detail(setting, limit, int(declared)))
            return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(setting, limit)
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited, tracking)
        except TooLarge:
            if not started:  # raised outside FastAPI's body parsing
                await _send_413(scope, send, _detail(setting, limit, None))
