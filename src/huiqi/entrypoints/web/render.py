"""One page = one function returning a dict; this module serves that dict as HTML or as JSON.

The same URL answers `Accept: application/json` with the dict itself (datasette's way), so
everything a page shows can be read by a program, and the HTML is only a view of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from huiqi import __version__
from huiqi.entrypoints.web.i18n import LANGS, Lang, environment, gettext_for
from huiqi.entrypoints.web.static_files import asset_url, vendor_url


def N_(message: str) -> str:
    """Marks a message for extraction (pybabel) where it is translated later, by value."""
    return message


# The titles of error pages (api/problems.py's TITLES), translated by value in error_page.
ERROR_TITLES = (
    N_("Bad request"),
    N_("Unauthenticated"),
    N_("Forbidden"),
    N_("Not found"),
    N_("Method not allowed"),
    N_("Conflict"),
    N_("Precondition failed"),
    N_("Request body too large"),
    N_("Unsupported media type"),
    N_("Invalid request"),
    N_("Too many requests"),
    N_("Internal error"),
    N_("Error"),
)


def lang_of(request: Request) -> Lang:
    lang: Lang = getattr(request.state, "lang", "zh")
    return lang


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _switch_url(request: Request, lang: Lang) -> str:
    """This page in the other language; for a page answering a form (a refusal), the page the form
    was on, since the form's own address takes no GET."""
    path, params = request.url.path, request.query_params.multi_items()
    if request.method != "GET":
        referer = urlsplit(request.headers.get("referer", ""))
        same_site = referer.netloc == request.url.netloc
        path, params = (referer.path or "/", parse_qsl(referer.query)) if same_site else ("/", [])
    query = [(k, v) for k, v in params if k not in ("lang", "done")]
    query.append(("lang", lang))
    return f"{path}?{urlencode(query)}"


def _user(request: Request) -> Any:
    """The signed-in user, if any (resolved by auth_pages.current_user, installed on the app)."""
    resolve = getattr(request.app.state, "current_user", None)
    if resolve is None:
        return None
    try:
        return resolve(request)
    except Exception:  # an error page must render even when the session store is unreachable
        request.app.state.log.exception("could not read the session")
        return None


def context(request: Request) -> dict[str, Any]:
    """What every template may use besides its page's data."""
    lang = lang_of(request)
    return {
        "request_path": request.url.path,
        "csrf_token": getattr(request.state, "csrf", ""),
        "user": _user(request),
        "switch": {other: _switch_url(request, other) for other in LANGS if other != lang},
        "asset": asset_url,
        "vendor": vendor_url,
        "version": __version__,
    }


def html(request: Request, template: str, data: Mapping[str, Any], status: int = 200, **extra: Any) -> HTMLResponse:
    env = environment(lang_of(request))
    body = env.get_template(template).render(**context(request), page=data, **extra)
    return HTMLResponse(body, status_code=status)


def respond(request: Request, template: str, data: Mapping[str, Any], status: int = 200, **extra: Any) -> Response:
    """The page's data as JSON when asked for, else rendered with its template."""
    if wants_json(request):
        return JSONResponse(dict(data), status_code=status)
    return html(request, template, data, status, **extra)


def error_page(request: Request, status: int, title: str, detail: str = "", reasons: Sequence[str] = ()) -> Response:
    """An error as a page in the reader's language (or problem JSON to a program), never a traceback."""
    _ = gettext_for(lang_of(request))
    data = {"status": status, "title": _(title), "detail": detail, "reasons": list(reasons)}
    if wants_json(request):
        extra = {"reasons": list(reasons)} if reasons else {}
        return JSONResponse(
            {"type": "about:blank", "title": data["title"], "status": status, "detail": detail, **extra},
            status_code=status,
            media_type="application/problem+json",
        )
    return html(request, "error.html", data, status)
