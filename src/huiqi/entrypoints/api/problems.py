"""Errors as RFC 9457 problem details (application/problem+json), each naming the field at fault."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from huiqi.diagnostics import Bilingual, InputError
from huiqi.ledger.errors import LedgerError

PROBLEM = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid request",
    500: "Internal error",
}


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    reasons: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{code}" if code else "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    if reasons:
        body["reasons"] = reasons
    extra = dict(headers or {})
    if status == 401:
        extra.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=extra)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        where, rest = parts[0], parts[1:]
        return ".".join(rest) if where == "body" and rest else ".".join([where, *rest]) if rest else where
    return ".".join(parts)


def _page(request: Request, status: int, detail: str) -> Response | None:
    """Outside the API (/v1), a browser gets an error page in its language, not problem JSON."""
    render = getattr(request.app.state, "error_page", None)
    if render is None or request.url.path.startswith("/v1/") or request.url.path == "/openapi.json":
        return None
    response: Response = render(request, status, TITLES.get(status, "Error"), detail)
    return response


def install(app: FastAPI) -> None:
    @app.exception_handler(LedgerError)
    async def _ledger(request: Request, error: LedgerError) -> Response:
        refused = getattr(request.app.state, "refusal_page", None)
        if refused is not None and not request.url.path.startswith("/v1/"):
            response: Response = refused(request, error)
            return response
        errors = [
            {"field": e.field, "message": e.message}
            | ({"message_zh": e.zh} if e.zh else {})  # as the validation errors carry it
            | ({"row": e.row} if e.row else {})
            for e in error.errors
        ]
        return problem(
            error.status,
            error.detail,
            code=error.code,
            instance=request.url.path,
            errors=errors,
            reasons=list(error.reasons),
        )

    @app.exception_handler(InputError)
    async def _input(request: Request, error: InputError) -> JSONResponse:
        errors = [
            {"field": d.field or d.file, "message": d.message} | ({"message_zh": d.zh} if d.zh else {})
            for d in error.diagnostics
        ]
        detail = "; ".join(str(d) for d in error.diagnostics)
        return problem(422, detail, code="invalid", instance=request.url.path, errors=errors)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        items = error.errors()
        page = _page(request, 400, "; ".join(f"{_field(tuple(i['loc']))}: {i['msg']}" for i in items))
        if page is not None:
            return page
        if any(item.get("type") == "json_invalid" for item in items):
            return problem(400, "the body is not valid JSON", code="malformed_json", instance=request.url.path)
        errors = [
            {"field": _field(tuple(item["loc"])), "message": str(item["msg"]).removeprefix("Value error, ")}
            # the same in Chinese where the validator said it (huiqi.diagnostics.Bilingual)
            | ({"message_zh": cause.zh} if isinstance(cause := item.get("ctx", {}).get("error"), Bilingual) else {})
            for item in items
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, detail, code="invalid", instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        # Starlette's detail is often the status's English phrase: the page's translated title says it
        plain = str(error.detail) in ("", HTTPStatus(error.status_code).phrase) or error.status_code == 404
        page = _page(request, error.status_code, "" if plain else str(error.detail))
        if page is not None:
            return page
        return problem(
            error.status_code, str(error.detail), instance=request.url.path, headers=dict(error.headers or {})
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, error: Exception) -> Response:
        # Never a traceback to the client; the server log has it.
        request.app.state.log.exception("unhandled error on %s", request.url.path)
        page = _page(request, 500, "")
        if page is not None:
            return page
        return problem(500, "internal error; it has been logged", code="internal", instance=request.url.path)
