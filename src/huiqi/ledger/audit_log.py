"""The audit chain in the database: rows as events, appending them, checking the chain and the rows.

`huiqi audit verify` (verify_chain) checks two things: the chain of events (each hash covers
the one before it) and the ledger's state (each row of an audited table holds what its latest
event's digest says; a row with no event, or deleted behind the chain's back, shows too).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, inspect, select
from sqlalchemy.orm import Session

from huiqi.ledger.audit import (
    Entry,
    Latest,
    RowFinding,
    Verdict,
    chain_hash,
    check_row,
    deleted_finding,
    plain,
    row_digest,
    verify,
)
from huiqi.ledger.tables import AUDITED, AuditEvent, AuditHead

REDACTED = frozenset({"token_hash", "password_hash", "scores"})  # in the digest, never in the event's readable `after`
SHOWN_AS = "(redacted)"
SEAL = "audit.seal"


@dataclass(frozen=True, slots=True)
class Pending:
    """A change captured at flush, to be appended to the chain at commit."""

    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    digest: str | None


def row_values(obj: Any, *, old: bool = False) -> dict[str, Any]:
    """A mapped row's full content as plain values by attribute; `old`: as it was before this flush."""
    state = inspect(obj)
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        value = getattr(obj, attr.key)
        if old:
            history = state.attrs[attr.key].history
            if history.deleted:
                value = history.deleted[0]
        values[attr.key] = plain(value)
    return values


def readable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (SHOWN_AS if k in REDACTED else v) for k, v in values.items()}


def inserted(action: str, obj: Any) -> Pending:
    after = row_values(obj)
    return Pending(action, obj.__tablename__, str(after.get("id")), None, readable(after), row_digest(after, after))


def updated(action: str, obj: Any) -> Pending | None:
    before, after = row_values(obj, old=True), row_values(obj)
    if before == after:
        return None
    return Pending(
        action, obj.__tablename__, str(after.get("id")), readable(before), readable(after), row_digest(after, after)
    )


def deleted(action: str, obj: Any) -> Pending:
    before = row_values(obj, old=True)
    return Pending(action, obj.__tablename__, str(before.get("id")), readable(before), None, None)


def append_events(session: Session, actor: str, now: datetime, pending: Iterable[Pending]) -> None:
    """Append events to the chain, locking its head row (so the chain stays one line)."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    seq, prev = head.seq, head.hash
    at = now.astimezone(UTC).isoformat()
    for event in pending:
        seq += 1
        entry = Entry(
            seq, at, actor, event.action, event.entity, event.entity_id, event.before, event.after, event.digest
        )
        digest = chain_hash(prev, entry)
        session.add(
            AuditEvent(
                seq=seq,
                at=now,
                actor=actor,
                action=event.action,
                entity=event.entity,
                entity_id=event.entity_id,
                before=event.before,
                after=event.after,
                row_digest=event.digest,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    head.seq, head.hash = seq, prev
    session.flush()


# ----- reading and checking


def _stored(session: Session, latest: dict[tuple[str, str], Latest]) -> Iterator[tuple[Entry, str, str]]:
    """The stored events in order; on the way, the latest event of each row goes into `latest`."""
    columns: dict[frozenset[str], frozenset[str]] = {}  # one set of column names per shape, not per row
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000))
    for row in rows.scalars():
        entry = Entry(
            row.seq,
            row.at.isoformat(),
            row.actor,
            row.action,
            row.entity,
            row.entity_id,
            row.before,
            row.after,
            row.row_digest,
        )
        keys = frozenset(row.after or ())
        latest[(row.entity, row.entity_id)] = Latest(
            row.seq, row.after is None, row.row_digest, columns.setdefault(keys, keys)
        )
        yield entry, row.prev_hash, row.hash


def _recorded(session: Session) -> Any:
    def after(seq: int) -> Mapping[str, Any] | None:
        event = session.get(AuditEvent, seq)
        return event.after if event is not None else None

    return after


def check_rows(session: Session, latest: dict[tuple[str, str], Latest]) -> tuple[int, list[RowFinding]]:
    """Every row of every audited table against its latest event; (rows checked, findings)."""
    findings: list[RowFinding] = []
    remaining = dict(latest)
    recorded = _recorded(session)
    rows = 0
    for model in AUDITED:
        table = model.__tablename__
        query = select(model).order_by(model.id).execution_options(yield_per=2000)
        for obj in session.execute(query).scalars():
            rows += 1
            values = row_values(obj)
            row_id = str(values.get("id"))
            found = check_row(table, row_id, values, remaining.pop((table, row_id), None), recorded, REDACTED)
            if found is not None:
                findings.append(found)
            session.expunge(obj)
    tables = {model.__tablename__ for model in AUDITED}
    for (table, row_id), last in sorted(remaining.items(), key=lambda item: item[1].seq):
        if table in tables and not last.deleted:
            findings.append(deleted_finding(table, row_id, last))
    return rows, findings


def verify_chain(session: Session) -> Verdict:
    """The chain (hashes, order, head) and the ledger's rows against it."""
    head = session.get(AuditHead, 1)
    latest: dict[tuple[str, str], Latest] = {}
    stream = _stored(session, latest)
    chain = verify(stream, (head.seq, head.hash) if head is not None else None)
    for _ in stream:  # a broken chain stops `verify` early; the rows' latest events are still wanted
        pass
    rows, findings = check_rows(session, latest)
    problem = chain.problem or (str(findings[0]) if findings else "")
    return Verdict(chain.ok and not findings, chain.checked, problem, rows, tuple(findings))


# ----- sealing after a migration


def seal(connection: Connection, now: datetime | None = None) -> int:
    """Record every row whose latest event does not cover its content in full; the number sealed.

    Run by huiqi.ledger.database.upgrade after migrating an existing ledger: rows recorded before
    row digests existed (revision 0001), and rows a migration gave new columns. A row that is no
    longer what its event recorded is not sealed (that would hide a change made outside huiqi):
    `audit verify` keeps reporting it. Rows with no event at all are likewise left to verify.
    """
    session = Session(bind=connection)
    try:
        latest: dict[tuple[str, str], Latest] = {}
        for _ in _stored(session, latest):
            pass
        recorded = _recorded(session)
        pending: list[Pending] = []
        for model in AUDITED:
            for obj in session.execute(select(model).order_by(model.id)).scalars():
                values = row_values(obj)
                key = (model.__tablename__, str(values.get("id")))
                last = latest.get(key)
                if last is None or last.deleted or (last.digest is not None and last.columns == frozenset(values)):
                    continue
                if check_row(key[0], key[1], values, last, recorded, REDACTED) is not None:
                    continue
                pending.append(Pending(SEAL, key[0], key[1], None, readable(values), row_digest(values, values)))
        if pending:
            append_events(session, "system", now or datetime.now(UTC), pending)
        return len(pending)
    finally:
        session.close()
