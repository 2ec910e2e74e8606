"""The unit of work: one transaction, its actor and clock, and the audit events of its changes.

Every insert, update and delete of an audited row is captured after each flush (with the
row's values before and after) and appended to the hash chain at commit, in the same
transaction — so a change and its audit event are stored together or not at all. The
chain head row is locked last, just before the commit, so writers queue only briefly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, event, inspect, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from huiqi.ledger.actors import SYSTEM, Actor
from huiqi.ledger.audit import Entry, chain_hash, plain
from huiqi.ledger.tables import AUDITED, AuditEvent, AuditHead
from huiqi.rules.library import Library

T = TypeVar("T")
Clock = Callable[[], datetime]
REDACTED = {"token_hash"}


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    def __init__(self, session: Session, actor: Actor, clock: Clock, library: Library):
        self.session = session
        self.library = library
        self.actor = actor
        self.clock = clock
        self.now = clock()
        self.action = "change"
        self.pending: list[tuple[str, str, str, dict[str, Any] | None, dict[str, Any] | None]] = []
        session.info["uow"] = self

    @property
    def today(self) -> date:
        return self.now.date()

    def commit(self) -> None:
        self.session.flush()
        if self.pending:
            self._append_audit()
        self.session.commit()

    def _append_audit(self) -> None:
        head = self.session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
        seq, prev = head.seq, head.hash
        at = self.now.astimezone(UTC).isoformat()
        for action, entity, entity_id, before, after in self.pending:
            seq += 1
            entry = Entry(seq, at, self.actor.name, action, entity, entity_id, before, after)
            digest = chain_hash(prev, entry)
            self.session.add(
                AuditEvent(
                    seq=seq,
                    at=self.now,
                    actor=entry.actor,
                    action=action,
                    entity=entity,
                    entity_id=entity_id,
                    before=before,
                    after=after,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
        head.seq, head.hash = seq, prev
        self.pending.clear()
        self.session.flush()


def _row(obj: Any, old: bool) -> dict[str, Any]:
    state = inspect(obj)
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in REDACTED:
            values[key] = "(redacted)"
            continue
        value = getattr(obj, key)
        if old:
            history = state.attrs[key].history
            if history.deleted:
                value = history.deleted[0]
        values[key] = plain(value)
    return values


def _capture(session: Session, _context: Any) -> None:
    uow: UnitOfWork | None = session.info.get("uow")
    if uow is None:
        return
    for obj in session.new:
        if isinstance(obj, AUDITED):
            after = _row(obj, old=False)
            uow.pending.append((uow.action, obj.__tablename__, str(after.get("id")), None, after))
    for obj in session.dirty:
        if isinstance(obj, AUDITED) and session.is_modified(obj, include_collections=False):
            before, after = _row(obj, old=True), _row(obj, old=False)
            if before != after:
                uow.pending.append((uow.action, obj.__tablename__, str(after.get("id")), before, after))
    for obj in session.deleted:
        if isinstance(obj, AUDITED):
            before = _row(obj, old=True)
            uow.pending.append((uow.action, obj.__tablename__, str(before.get("id")), before, None))


class Ledger:
    """The ledger's entry point for adapters: opens units of work on one engine."""

    def __init__(self, engine: Engine, library: Library, clock: Clock = utc_now):
        self.engine = engine
        self.library = library
        self.clock = clock
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.readers = sessionmaker(engine.execution_options(huiqi_write=False), expire_on_commit=False)
        event.listen(self.sessions, "after_flush", _capture)

    @contextmanager
    def unit(self, actor: Actor = SYSTEM, *, write: bool = True) -> Iterator[UnitOfWork]:
        session = (self.sessions if write else self.readers)()
        try:
            yield UnitOfWork(session, actor, self.clock, self.library)
        finally:
            session.close()  # rolls back anything left uncommitted; loaded objects stay readable

    def run(self, actor: Actor, work: Callable[[UnitOfWork], T], *, attempts: int = 4) -> T:
        """Run `work` in a write unit and commit; retry when the database reports a deadlock."""
        for attempt in range(attempts):
            try:
                with self.unit(actor) as uow:
                    result = work(uow)
                    uow.commit()
                    return result
            except (DBAPIError, StaleDataError) as error:
                # A deadlock, or a row changed under us between read and write: run the work again.
                if attempt == attempts - 1 or not _retryable(error):
                    raise
                time.sleep(0.01 * 2**attempt)
        raise AssertionError("unreachable")

    def read(self, actor: Actor, work: Callable[[UnitOfWork], T]) -> T:
        with self.unit(actor, write=False) as uow:
            return work(uow)


def _retryable(error: DBAPIError | StaleDataError) -> bool:
    if isinstance(error, StaleDataError):
        return True
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return code in {"40001", "40P01"}  # serialization failure, deadlock detected
