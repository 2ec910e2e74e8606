"""A hard limit on request bodies, enforced before anything is parsed.

1 MiB for JSON (a facts document of a large group is a few tens of KiB); 16 MiB for
spreadsheet imports. Larger bodies get 413 without being read further.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_LIMIT = 1 << 20
UPLOAD_LIMIT = 16 << 20


class TooLarge(HTTPException):
    """Raised while the body is read; FastAPI passes HTTP exceptions through to the problem handler."""

    def __init__(self, limit: int):
        super().__init__(413, f"the body exceeds the limit of {limit} bytes")
        self.limit = limit


def _limit(path: str) -> int:
    return UPLOAD_LIMIT if path.startswith("/v1/imports") else JSON_LIMIT


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": "/problems/too_large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"the body exceeds the limit of {limit} bytes",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _limit(scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(send, limit)
            return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(limit)
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
                await _send_413(send, limit)
