"""An application's documents on the pages: the list, the upload form, the download.

    GET  /applications/{id}/attachments   the list and, for its enterprise, the form (a page of its own;
                                          the application's page includes partials/attachments.html
                                          with `attachments_data` under `page.attachments`)
    POST /applications/{id}/attachments   a form upload (CSRF checked by web/guard.py before this runs)
    GET  /attachments/{id}                the download

Every rule is huiqi.ledger.attachments' (the API's too): who may attach, in which states, which
kinds, how large; who may see. A refusal of the file is shown beside the file field in the
reader's language, nothing stored; any other refusal is the ledger's error page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from huiqi.entrypoints.api.attachment_routes import download_response
from huiqi.entrypoints.api.deps import PathId
from huiqi.entrypoints.web.access import page_user
from huiqi.entrypoints.web.auth_pages import safe_next
from huiqi.entrypoints.web.i18n import Lang, day, gettext_for
from huiqi.entrypoints.web.render import is_htmx, lang_of, respond
from huiqi.ledger import attachments
from huiqi.ledger import tables as t
from huiqi.ledger.actors import Actor
from huiqi.ledger.applications import application_by_id
from huiqi.ledger.errors import Invalid
from huiqi.ledger.file_types import ACCEPTED_EXTENSIONS, kind_by_media_type
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.limits import format_size

router = APIRouter(include_in_schema=False)


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def attachments_data(
    uow: UnitOfWork,
    application: t.Application,
    actor: Actor,
    lang: Lang = "zh",
    *,
    error: str | None = None,
    next_path: str | None = None,
) -> dict[str, Any]:
    """What the attachments partial shows: the documents, and whether (and how) this reader may add one.

    `application` comes from `application_by_id`, which has refused a reader who may not see it."""
    items = []
    for row in attachments.attachments_of(uow, application):
        kind = kind_by_media_type(row.media_type)
        items.append(
            {
                "id": row.id,
                "name": row.filename,
                "type": (kind.zh if lang == "zh" else kind.en) if kind else row.media_type,
                "media_type": row.media_type,
                "size": size_text(row.size, lang),
                "bytes": row.size,
                "uploaded_at": day(row.uploaded_at.date(), lang),
                "uploaded_by": row.uploaded_by,
                "download": f"/attachments/{row.id}",
            }
        )
    return {
        "application": application.id,
        "items": items,
        "may_attach": attachments.may_attach(actor, application),
        "action": f"/applications/{application.id}/attachments",
        "accept": ",".join(ACCEPTED_EXTENSIONS),
        "max_size": format_size(attachments.max_bytes()),
        "error": error,
        "next": next_path,
    }


def size_text(size: int, lang: Lang) -> str:
    """77 字节 / 77 bytes; larger sizes in KiB and MiB, which read the same in both languages."""
    return f"{size} 字节" if lang == "zh" and size < 1024 else format_size(size)


def _page_data(
    uow: UnitOfWork, application_id: int, actor: Actor, lang: Lang, **partial: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the standalone page's data, the partial's) for one application."""
    application = application_by_id(uow, application_id)  # another tenant's: NotFound, a page in Chinese
    shown = attachments_data(uow, application, actor, lang, **partial)
    try:
        measure = uow.library.measure(application.measure).measure
        title = measure.title if lang == "zh" else measure.title_en
    except KeyError:  # a measure no longer in the library: its id still names it
        title = application.measure
    page = {
        "application": {
            "id": application.id,
            "measure": application.measure,
            "measure_title": title,
            "year": application.year,
            "state": application.state,
            "enterprise": application.enterprise.name,
        },
        "attachments": shown,
    }
    return page, shown


@router.get("/applications/{application_id}/attachments")
def attachments_page(request: Request, application_id: PathId) -> Response:
    actor = page_user(request)
    lang = lang_of(request)
    page, _shown = _ledger(request).read(actor, lambda uow: _page_data(uow, application_id, actor, lang))
    return respond(request, "attachments.html", page)


@router.post("/applications/{application_id}/attachments")
async def upload(request: Request, application_id: PathId) -> Response:
    actor = page_user(request)
    lang = lang_of(request)
    _ = gettext_for(lang)
    async with request.form(max_files=1, max_fields=20) as form:
        upload = form.get("file")
        target = safe_next(str(form.get("next") or ""), f"/applications/{application_id}")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await _refused(request, application_id, actor, str(_("Choose a file to attach.")), target, 422)
        chosen: UploadFile = upload
        try:
            await run_in_threadpool(
                _ledger(request).run,
                actor,
                lambda uow: attachments.attach(uow, application_id, chosen.filename, chosen.file),
            )
        except Invalid as refusal:  # the file itself: said beside its field, nothing stored
            message = "; ".join(e.text(lang) for e in refusal.errors) or refusal.detail
            return await _refused(request, application_id, actor, message, target, refusal.status)
    if is_htmx(request):
        return await _partial(request, application_id, actor, None, target, 200)
    return RedirectResponse(target, status_code=303)


async def _refused(
    request: Request, application_id: int, actor: Actor, message: str, target: str, status: int
) -> Response:
    template = "partials/attachments.html" if is_htmx(request) else "attachments.html"
    return await _render(request, template, application_id, actor, message, target, status)


async def _partial(
    request: Request, application_id: int, actor: Actor, message: str | None, target: str, status: int
) -> Response:
    return await _render(request, "partials/attachments.html", application_id, actor, message, target, status)


async def _render(
    request: Request,
    template: str,
    application_id: int,
    actor: Actor,
    message: str | None,
    target: str,
    status: int,
) -> Response:
    """The attachments (with the refusal beside the file field, if any) as the page or its partial."""
    lang = lang_of(request)
    page, _shown = await run_in_threadpool(
        _ledger(request).read,
        actor,
        lambda uow: _page_data(uow, application_id, actor, lang, error=message, next_path=target),
    )
    return respond(request, template, page, status)


@router.get("/attachments/{attachment_id}")
def download(request: Request, attachment_id: PathId) -> FileResponse:
    actor = page_user(request)
    row, path = _ledger(request).read(actor, lambda uow: attachments.attachment_for_download(uow, attachment_id))
    return download_response(row, path)
