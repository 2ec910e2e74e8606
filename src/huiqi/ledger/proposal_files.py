"""Documents a proposal to a scenario call comes with: attached by its lead enterprise (or an
administrator on its behalf) while the call is open and before its deadline; read by the officers
and by the enterprises in the proposal, no one else (another's is NotFound, so its existence is not
revealed). The file is kept as an application's attachment is (huiqi.ledger.attachments); the row is
audited and the upload is a step of the call's history.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from huiqi.diagnostics import Bilingual
from huiqi.ledger import tables as t
from huiqi.ledger.actors import OFFICERS
from huiqi.ledger.attachment_store import folder_for, path_of
from huiqi.ledger.attachments import store_upload
from huiqi.ledger.errors import Conflict, Forbidden, NotFound
from huiqi.ledger.scenarios import load
from huiqi.ledger.uow import UnitOfWork
from huiqi.ledger.workflow import Role
from huiqi.monitor import calls as rules


def _own_code(uow: UnitOfWork) -> str | None:
    own = uow.session.get(t.Enterprise, uow.actor.enterprise_id) if uow.actor.enterprise_id else None
    return own.credit_code if own is not None else None


def attach_to_proposal(
    uow: UnitOfWork, call_id: str, proposal_id: str, filename: str | None, content: BinaryIO | bytes
) -> t.ProposalAttachment:
    uow.action = "proposal_attachment.add"
    call = load(uow, call_id, lock=True)
    try:
        proposal = rules.attachable(call, proposal_id, uow.now)
    except Bilingual as refused:
        raise Conflict(refused.en, reasons=(refused.zh,)) from None
    lead = uow.actor.role is Role.ENTERPRISE and _own_code(uow) == proposal.lead.credit_code
    if not (lead or uow.actor.role is Role.ADMIN):
        raise Forbidden(
            "a proposal's documents are attached by its lead enterprise (企业只能为本企业牵头的方案上传附件)"
        )
    stored = store_upload(uow, filename, content)
    row = t.ProposalAttachment(
        call_id=call_id, proposal=proposal_id, **stored.columns(), uploaded_by=uow.actor.name, uploaded_at=uow.now
    )
    uow.session.add(row)
    detail = {"proposal": proposal_id, "filename": stored.filename}
    uow.session.add(t.ScenarioEvent(call_id=call_id, action="attach", actor=uow.actor.name, at=uow.now, detail=detail))
    uow.session.flush()
    return row


def _readable(uow: UnitOfWork, call: rules.Call) -> set[str]:
    """The proposals whose documents this reader may see."""
    if uow.actor.role in OFFICERS:
        return {p.id for p in call.proposals}
    code = _own_code(uow)
    return {p.id for p in call.proposals if code is not None and code in p.members}


def files_by_proposal(uow: UnitOfWork, call_id: str) -> dict[str, list[dict[str, Any]]]:
    """Each proposal's documents this reader may see, oldest first."""
    seen = _readable(uow, load(uow, call_id))
    rows = uow.session.execute(
        select(t.ProposalAttachment).where(t.ProposalAttachment.call_id == call_id).order_by(t.ProposalAttachment.id)
    ).scalars()
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.proposal in seen:
            found.setdefault(row.proposal, []).append(proposal_file_view(row))
    return found


def proposal_file_for_download(uow: UnitOfWork, call_id: str, file_id: int) -> tuple[t.ProposalAttachment, Path]:
    row = uow.session.get(t.ProposalAttachment, file_id)
    if row is None or row.call_id != call_id or row.proposal not in _readable(uow, load(uow, call_id)):
        raise NotFound(f"no document {file_id}")
    path = path_of(folder_for(uow.session.get_bind().engine.url), row.stored_name)
    if not path.is_file():
        raise Conflict(f"the file of document {file_id} is missing from the attachments folder", code="file_missing")
    return row, path


def proposal_file_view(row: t.ProposalAttachment) -> dict[str, Any]:
    return {
        "id": row.id,
        "proposal": row.proposal,
        "filename": row.filename,
        "media_type": row.media_type,
        "size": row.size,
        "sha256": row.sha256,
        "uploaded_by": row.uploaded_by,
        "uploaded_at": row.uploaded_at.isoformat(),
    }
