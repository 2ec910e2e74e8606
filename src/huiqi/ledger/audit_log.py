"""Reading the stored audit chain back and checking it (`huiqi audit verify`)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.ledger.audit import Entry, Verdict, verify
from huiqi.ledger.tables import AuditEvent, AuditHead


def _stored(session: Session) -> Iterator[tuple[Entry, str, str]]:
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000))
    for row in rows.scalars():
        entry = Entry(
            row.seq, row.at.isoformat(), row.actor, row.action, row.entity, row.entity_id, row.before, row.after
        )
        yield entry, row.prev_hash, row.hash


def verify_chain(session: Session) -> Verdict:
    head = session.get(AuditHead, 1)
    return verify(_stored(session), (head.seq, head.hash) if head is not None else None)
