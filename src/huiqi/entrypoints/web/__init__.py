"""The web application: server-rendered pages (Jinja2 + HTMX) on the same FastAPI app as the API.

Each page's data is one function returning a dict, rendered as HTML or, at the same URL, as
JSON; pages call the same service functions as /v1. Every script and stylesheet is served from
static/ (vendored from npm, see scripts/vendor_assets.py): no page needs the internet.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from huiqi.entrypoints.web import (
    application_pages,
    attachment_pages,
    auth_pages,
    calculator_pages,
    call_forms,
    call_pages,
    catalogue_pages,
    dashboard_pages,
    portal_pages,
    workspace_pages,
)
from huiqi.entrypoints.web.access import SignInNeeded, to_sign_in
from huiqi.entrypoints.web.guard import WebGuard
from huiqi.entrypoints.web.i18n import Lang, environment
from huiqi.entrypoints.web.refusals import refusal_text
from huiqi.entrypoints.web.render import error_page, lang_of
from huiqi.entrypoints.web.static_files import STATIC, asset_url, vendor_url
from huiqi.ledger.errors import LedgerError

ROUTERS = (
    catalogue_pages.router,
    calculator_pages.router,
    auth_pages.router,
    portal_pages.router,
    application_pages.router,
    workspace_pages.router,
    attachment_pages.router,
    dashboard_pages.router,
    call_pages.router,
    call_forms.router,
)


class CachedStatic(StaticFiles):
    """Static files cached for a year: vendored ones sit in versioned folders, ours carry a digest."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["cache-control"] = "public, max-age=31536000, immutable"
        return response


def _api_docs(kind: str, openapi_url: str) -> HTMLResponse:
    body = (
        environment("en")
        .get_template("api_docs.html")
        .render(kind=kind, openapi_url=openapi_url, vendor=vendor_url, asset=asset_url)
    )
    return HTMLResponse(body)


async def _refuse_csrf(request: Request, lang: Lang) -> Response:
    request.state.lang = lang
    return error_page(
        request,
        403,
        "Forbidden",
        {
            "zh": "表单已过期或不是从本站提交的(缺少CSRF令牌)。请返回、刷新页面后重试。",
            "en": "The form has expired or was not sent from this site (no CSRF token). Go back, reload and try again.",
        }[lang],
    )


def refusal_page(request: Request, error: LedgerError) -> Response:
    """A refusal of the ledger on a page: an error page in the reader's language, reasons listed."""
    title = _TITLES.get(error.status, "Error")
    return error_page(request, error.status, title, refusal_text(error, lang_of(request)), error.reasons)


_TITLES = {400: "Bad request", 401: "Unauthenticated", 403: "Forbidden", 404: "Not found", 409: "Conflict"}
_TITLES |= {412: "Precondition failed", 422: "Invalid request"}


def install(app: FastAPI, *, secure_cookies: bool = False) -> None:
    """Add the pages, the static files, the API's offline docs and the guard to the app."""
    app.state.error_page = error_page
    app.state.refusal_page = refusal_page
    app.state.current_user = auth_pages.current_user
    app.state.secure_cookies = secure_cookies
    app.mount("/static", CachedStatic(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return _api_docs("swagger", app.openapi_url or "/openapi.json")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse(asset_url("img/favicon.svg"), status_code=301)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _api_docs("redoc", app.openapi_url or "/openapi.json")

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, error: SignInNeeded) -> Response:
        return to_sign_in(request, error)

    app.add_middleware(WebGuard, refuse=_refuse_csrf, secure_cookies=secure_cookies)
