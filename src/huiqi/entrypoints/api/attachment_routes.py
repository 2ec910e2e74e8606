"""Documents attached to applications: upload, list, download (huiqi.ledger.attachments).

    POST /v1/applications/{id}/attachments   multipart/form-data, the file in the field `file`
    GET  /v1/applications/{id}/attachments   the list
    GET  /v1/attachments/{id}                the file itself, as a download

The rules (who, which states, which kinds, how large) are the service's; the pages call the same
functions. A download is always `Content-Disposition: attachment` with the type the content was
found to be and `nosniff`, so a browser never renders an uploaded file as a page of this site.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from huiqi.entrypoints.api.deps import CurrentActor, IdempotencyKey, PathId, ledger_of, run_post
from huiqi.ledger import attachments, tables
from huiqi.ledger.applications import application_by_id
from huiqi.ledger.uow import UnitOfWork

router = APIRouter(tags=["attachments"])


def attachment_json(row: tables.Attachment) -> dict[str, Any]:
    return attachments.attachment_view(row) | {"download": f"/v1/attachments/{row.id}"}


@router.get("/v1/applications/{application_id}/attachments")
def list_attachments(request: Request, actor: CurrentActor, application_id: PathId) -> dict[str, Any]:
    def read(uow: UnitOfWork) -> dict[str, Any]:
        application = application_by_id(uow, application_id)
        return {"items": [attachment_json(r) for r in attachments.attachments_of(uow, application)]}

    return ledger_of(request).read(actor, read)


@router.post("/v1/applications/{application_id}/attachments", status_code=201)
def add_attachment(
    request: Request,
    actor: CurrentActor,
    application_id: PathId,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, GIF, WebP, Word, Excel or PowerPoint")],
    key: IdempotencyKey = None,
) -> JSONResponse:
    # A retry with the same Idempotency-Key is recognised by the file's name and content.
    payload = {"filename": file.filename, "sha256": _sha256(file)} if key is not None else None

    def work(uow: UnitOfWork) -> tuple[int, dict[str, Any]]:
        file.file.seek(0)  # a retried unit of work reads the upload again
        row = attachments.attach(uow, application_id, file.filename, file.file)
        return 201, attachment_json(row)

    return run_post(request, actor, key, payload, work)


def _sha256(upload: UploadFile) -> str:
    digest = hashlib.sha256()
    upload.file.seek(0)
    while chunk := upload.file.read(1 << 16):
        digest.update(chunk)
    return digest.hexdigest()


@router.get("/v1/attachments/{attachment_id}", response_class=FileResponse)
def download_attachment(request: Request, actor: CurrentActor, attachment_id: PathId) -> FileResponse:
    row, path = ledger_of(request).read(actor, lambda uow: attachments.attachment_for_download(uow, attachment_id))
    return download_response(row, path)


def download_response(row: tables.Attachment | tables.ProposalAttachment, path: Path) -> FileResponse:
    """The file as a download: its detected type, its name for the reader (RFC 6266/5987), no sniffing."""
    return FileResponse(
        path,
        media_type=row.media_type,
        headers={
            "Content-Disposition": content_disposition(attachments.download_name(row)),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the real one as UTF-8 (`filename*`, RFC 5987),
    which every current browser prefers: Chinese names survive."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;%' else "_" for c in name) or "attachment"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
