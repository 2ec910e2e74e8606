"""Documents attached to applications: who may attach, what may be attached, who may read them.

* **Attaching** is the enterprise's (or an admin's on its behalf), as filing is, and only while
  the enterprise is still putting the application together or answering for it: draft,
  submitted, or returned. Once under review the file is what the experts judge, so it is fixed;
  an officer never adds to an enterprise's file.
* **What**: PDF, images (PNG, JPEG, GIF, WebP) and Office files (Word, Excel, PowerPoint; 2007+
  and 97–2003), told by the content (huiqi.ledger.file_types), never by the name; at most
  $HUIQI_MAX_ATTACHMENT_BYTES (10 MiB by default, huiqi.limits). A refusal stores nothing.
* **Reading** (the list and the download) is for whoever may see the application: its
  enterprise's users and the officers. Another enterprise's attachment is NotFound, like its
  application (`application_by_id`), so its existence is not revealed.

The row is audited like every ledger row; the file sits in the attachments folder under a random
name (huiqi.ledger.attachment_store) and is removed again if the row is not committed.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from huiqi.ledger import tables as t
from huiqi.ledger.actors import Actor
from huiqi.ledger.applications import application_by_id
from huiqi.ledger.attachment_store import (
    TooLarge,
    folder_for,
    keep,
    path_of,
    receive,
    stored_until_commit,
)
from huiqi.ledger.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from huiqi.ledger.file_types import kind_by_media_type, kind_of
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.workflow import Role, State
from huiqi.limits import ATTACHMENTS, format_size

ATTACHABLE = frozenset({State.DRAFT, State.SUBMITTED, State.RETURNED})
FIELD = "file"
MAX_NAME = 255
ACCEPTED_EN = "PDF, images (PNG, JPEG, GIF, WebP) and Office files (Word, Excel, PowerPoint)"
ACCEPTED_ZH = "PDF、图片（PNG、JPEG、GIF、WebP）和 Office 文件（Word、Excel、PowerPoint）"


class FileTooLarge(Invalid):
    """The file is over the limit: 413, as the API's other size refusals."""

    status, code = 413, "too_large"


def max_bytes() -> int:
    return ATTACHMENTS.current()


def may_attach(actor: Actor, application: t.Application) -> bool:
    """Whether `actor` may attach to `application` now (the page offers the form only then)."""
    return _may_attach_role(actor, application) and State(application.state) in ATTACHABLE


def _may_attach_role(actor: Actor, application: t.Application) -> bool:
    return actor.role in (Role.ENTERPRISE, Role.ADMIN) and actor.may_see(application.enterprise_id)


def display_name(filename: str | None) -> str:
    """The user's file name made safe to show and to offer back: no folders, no control characters."""
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # a browser on Windows may send C:\\…\\name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".")
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        keep_ext = dot and 0 < len(extension) <= 10
        name = (stem[: MAX_NAME - len(extension) - 1] + "." + extension) if keep_ext else name[:MAX_NAME]
    return name or "attachment"


def attach(uow: UnitOfWork, application_id: int, filename: str | None, content: BinaryIO | bytes) -> t.Attachment:
    """Attach a document to an application; the new row (its file already in place)."""
    uow.action = "attachment.add"
    application = application_by_id(uow, application_id, lock=True)  # another tenant's: NotFound
    if not _may_attach_role(uow.actor, application):
        raise Forbidden("documents are attached by the enterprise (or an admin on its behalf)")
    if State(application.state) not in ATTACHABLE:
        raise Conflict(
            "documents can be attached while the application is draft, submitted or returned; "
            f"it is {application.state}",
            code="wrong_state",
        )
    stored = store_upload(uow, filename, content)
    row = t.Attachment(
        application_id=application.id, **stored.columns(), uploaded_by=uow.actor.name, uploaded_at=uow.now
    )
    uow.session.add(row)
    uow.session.flush()
    return row


@dataclass(frozen=True, slots=True)
class StoredFile:
    """An uploaded file checked and kept in the attachments folder (removed again if the
    transaction does not commit): what its row records."""

    stored_name: str
    filename: str
    media_type: str
    size: int
    sha256: str

    def columns(self) -> dict[str, Any]:
        return {
            "stored_name": self.stored_name,
            "filename": self.filename,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
        }


def store_upload(uow: UnitOfWork, filename: str | None, content: BinaryIO | bytes) -> StoredFile:
    """An upload received within the size limit, its kind told by its content, and kept; an empty,
    oversized or unaccepted file refused (nothing kept)."""
    stream = io.BytesIO(content) if isinstance(content, bytes) else content
    folder = folder_for(uow.session.get_bind().engine.url)
    limit = max_bytes()
    try:
        written = receive(folder, stream, limit)
    except TooLarge:
        raise _too_large(limit) from None
    if written.size == 0:
        written.temporary.unlink(missing_ok=True)
        raise Invalid("empty file", errors=[FieldError(FIELD, "the file is empty", zh="文件是空的")])
    kind = kind_of(written.temporary)
    if kind is None:
        written.temporary.unlink(missing_ok=True)
        raise Invalid(
            "file type not accepted",
            errors=[
                FieldError(
                    FIELD,
                    f"this file is not one of the accepted kinds ({ACCEPTED_EN}), judged by its content",
                    zh=f"文件内容不是允许的类型。只接受 {ACCEPTED_ZH}；类型按文件内容判断，与文件名无关。",
                )
            ],
        )
    stored_name = keep(written)
    stored_until_commit(uow.session, folder / stored_name)
    return StoredFile(stored_name, display_name(filename), kind.media_type, written.size, written.sha256)


def _too_large(limit: int) -> FileTooLarge:
    return FileTooLarge(
        "file too large",
        errors=[
            FieldError(
                FIELD,
                f"the file is larger than the limit of {format_size(limit)}",
                zh=f"文件过大：每个附件不得超过 {format_size(limit)}",
            )
        ],
    )


def download_name(row: t.Attachment | t.ProposalAttachment) -> str:
    """The name offered on download: the user's, ending as its content is (a PDF sent as `scan.txt`
    comes back as `scan.txt.pdf`, so the reader's computer opens it with the right program)."""
    kind = kind_by_media_type(row.media_type)
    if kind is None or row.filename.lower().endswith(kind.suffixes):
        return row.filename
    return f"{row.filename}.{kind.extension}"


def attachments_of(uow: UnitOfWork, application: t.Application) -> list[t.Attachment]:
    """The application's attachments, oldest first. `application` comes from `application_by_id`,
    which has already refused a reader who may not see it."""
    query = select(t.Attachment).where(t.Attachment.application_id == application.id).order_by(t.Attachment.id)
    return list(uow.session.execute(query).scalars())


def attachment_for_download(uow: UnitOfWork, attachment_id: int) -> tuple[t.Attachment, Path]:
    """The attachment and its file, for whoever may see its application (else NotFound)."""
    row = uow.session.get(t.Attachment, attachment_id)
    try:
        if row is None:
            raise NotFound("no such attachment")
        application_by_id(uow, row.application_id)
    except NotFound:
        raise NotFound(f"no attachment {attachment_id}") from None
    path = path_of(folder_for(uow.session.get_bind().engine.url), row.stored_name)
    if not path.is_file():
        # The row says the file exists: it was removed outside huiqi. Say so rather than serve nothing.
        raise Conflict(
            f"the file of attachment {attachment_id} is missing from the attachments folder", code="file_missing"
        )
    return row, path


def attachment_view(row: t.Attachment) -> dict[str, Any]:
    """An attachment as the API and the pages show it (the stored name stays inside)."""
    kind = kind_by_media_type(row.media_type)
    return {
        "id": row.id,
        "application": row.application_id,
        "filename": row.filename,
        "media_type": row.media_type,
        "kind": {"en": kind.en, "zh": kind.zh} if kind else {"en": row.media_type, "zh": row.media_type},
        "size": row.size,
        "sha256": row.sha256,
        "uploaded_by": row.uploaded_by,
        "uploaded_at": row.uploaded_at.isoformat(),
    }
