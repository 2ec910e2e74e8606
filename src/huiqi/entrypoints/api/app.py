"""The HTTP API: FastAPI over the ledger's services (OpenAPI 3.1 at /openapi.json, docs at /docs).

Every route is a thin adapter: parse the request, call one service function in a unit of
work, return the view dict. Errors leave as RFC 9457 problem JSON (see problems.py).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI

from huiqi import __version__
from huiqi.entrypoints import web
from huiqi.entrypoints.api import (
    admin_routes,
    application_routes,
    attachment_routes,
    calculator_routes,
    call_routes,
    catalogue_routes,
    money_routes,
    monitor_routes,
    problems,
)
from huiqi.entrypoints.api.limits import BodyLimit
from huiqi.ledger.uow import Ledger
from huiqi.policy_files import load_terms
from huiqi.rules.catalogue import Terms

DESCRIPTION = """
huiqi (惠企): industrial-subsidy policies as explainable rules, and the ledger of applications,
reviews, awards and payments.

* Authentication: `Authorization: Bearer <token>` (tokens from `huiqi users add`). Roles:
  enterprise (its own enterprise only), reviewer, approver, finance, admin.
* Money: strings of yuan with two decimals ("2500000.00"); inputs also take "300万元", "1.5亿".
* Lists: `?limit=` (≤ 500) and `?cursor=` (the previous page's `next`).
* Concurrency: single resources carry an `ETag`; send it back as `If-Match` to change them.
* Retries: send an `Idempotency-Key` with a POST to make it safe to repeat.
* Errors: `application/problem+json` (RFC 9457) with `errors[].field`.
* Bodies: by default /v1/assess at most 8 MiB (`HUIQI_MAX_FACTS_BYTES`), /v1/imports 16 MiB
  (`HUIQI_MAX_UPLOAD_BYTES`), an attachment 10 MiB (`HUIQI_MAX_ATTACHMENT_BYTES`), any other
  1 MiB; larger ones get 413 unread.
"""


def create_app(ledger: Ledger, terms: Terms | None = None, *, secure_cookies: bool = False) -> FastAPI:
    # /docs and /redoc are served by the web package from vendored files (FastAPI's own use a CDN).
    app = FastAPI(title="huiqi", version=__version__, description=DESCRIPTION, docs_url=None, redoc_url=None)
    app.state.ledger = ledger
    app.state.library = ledger.library
    app.state.terms = terms or load_terms()
    app.state.auth_cache = {}
    app.state.log = logging.getLogger("huiqi.api")
    problems.install(app)
    for module in (
        calculator_routes,
        catalogue_routes,
        application_routes,
        money_routes,
        admin_routes,
        monitor_routes,
        call_routes,
    ):
        app.include_router(module.router)
    app.include_router(attachment_routes.router)
    web.install(app, secure_cookies=secure_cookies)
    # Added last, so outermost: a body is limited before anything reads it, the pages' CSRF guard included.
    app.add_middleware(BodyLimit)

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, Any]:
        return {"ok": True, "version": __version__}

    return app
