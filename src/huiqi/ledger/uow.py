"""The unit of work: one transaction, its actor and clock, and the audit events of its changes.

Every insert, update and delete of an audited row is captured after each flush (with the
row's values before and after, and the digest of its full content after) and appended to the
hash chain at commit, in the same transaction — so a change and its audit event are stored
together or not at all. The chain head row is locked last, just before the commit, so writers
queue only briefly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from huiqi.ledger.actors import SYSTEM, Actor
from huiqi.ledger.audit_log import Pending, append_events, deleted, inserted, updated
from huiqi.ledger.tables import AUDITED
from huiqi.rules.library import Library

T = TypeVar("T")
Clock = Callable[[], datetime]


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
        self.pending: list[Pending] = []
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
        append_events(self.session, self.actor.name, self.now, self.pending)
        self.pending.clear()


def _capture(session: Session, _context: Any) -> None:
    uow: UnitOfWork | None = session.info.get("uow")
    if uow is None:
        return
    for obj in session.new:
        if isinstance(obj, AUDITED):
            uow.pending.append(inserted(uow.action, obj))
    for obj in session.dirty:
        if isinstance(obj, AUDITED) and session.is_modified(obj, include_collections=False):
            change = updated(uow.action, obj)
            if change is not None:
                uow.pending.append(change)
    for obj in session.deleted:
        if isinstance(obj, AUDITED):
            uow.pending.append(deleted(uow.action, obj))


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
