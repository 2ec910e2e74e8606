"""Connecting to the ledger's database and migrating it (SQLite embedded, PostgreSQL in production).

SQLite is set up for a service: WAL (readers never block the writer), synchronous=FULL
(an acknowledged commit survives a crash of the process or the machine), foreign keys on,
a busy timeout, and write transactions that start with BEGIN IMMEDIATE so two writers
queue instead of failing half-way. PostgreSQL runs at READ COMMITTED; services take row
locks (SELECT … FOR UPDATE) on what they check, so checks and writes cannot interleave.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from huiqi.diagnostics import Diagnostic, InputError
from huiqi.ledger.location import URL_ENV as URL_ENV  # re-exported: the ledger's one name for the setting
from huiqi.ledger.location import configured
from huiqi.redact import redact

if TYPE_CHECKING:  # Alembic (0.2 s to import) only when migrating: a command that reads the ledger never does
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(explicit: str | None = None) -> str:
    """The --db option, else $HUIQI_DATABASE_URL, else the default (huiqi.ledger.location).

    A plain path (huiqi.db, /var/lib/huiqi/ledger.db) means an SQLite file; a relative one, in
    the current folder. SQLite files come back as absolute URLs, so every process and every
    message names the same file.
    """
    raw = configured(explicit)
    if "://" not in raw:
        raw = f"sqlite:///{raw}"
    if raw.startswith(("postgresql://", "postgres://")):
        raw = "postgresql+psycopg://" + raw.split("://", 1)[1]
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise InputError([Diagnostic("--db", None, f"not a database URL: {redact(str(exc))}")]) from exc
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        absolute = Path(str(url.database)).expanduser().absolute()
        return url.set(database=str(absolute)).render_as_string(hide_password=False)
    return raw


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database)).expanduser()


def shown(url: str | URL) -> str:
    """The database as told to people: an SQLite file's path, else the URL with its password masked."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database) if parsed.database not in (None, "") else "(in-memory SQLite)"
    return parsed.render_as_string(hide_password=True)


class LedgerState(Enum):
    MISSING = "missing"  # an SQLite file that does not exist
    EMPTY = "empty"  # a database with no tables at all
    FOREIGN = "foreign"  # tables, but not a huiqi ledger's (no migration history)
    BEHIND = "behind"  # a ledger at an older revision: `huiqi db upgrade` brings it to this huiqi's
    CURRENT = "current"
    UNKNOWN = "unknown"  # a revision this huiqi does not know (made by a newer one)


_REVISION = re.compile(r'^(down_revision|revision)\s*(?::[^=]*)?=\s*["\']?([\w]+|None)["\']?', re.M)


@cache
def revisions() -> dict[str, str | None]:
    """Each migration's revision and the one it follows, read from the files themselves: knowing where
    a ledger stands must not cost Alembic's import (tests/test_ledger_database.py holds this equal to
    Alembic's own reading)."""
    found: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        fields = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" in fields:
            down = fields.get("down_revision")
            found[fields["revision"]] = None if down in (None, "None") else down
    return found


def head_revision() -> str:
    known = revisions()
    (head,) = set(known) - {down for down in known.values() if down is not None}
    return head


def ledger_state(url: str) -> tuple[LedgerState, str | None]:
    """What the database holds, and its revision; looked at without creating or changing anything."""
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        return LedgerState.MISSING, None
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            revision = None
            if "alembic_version" in tables:
                revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    if revision is None:
        return (LedgerState.FOREIGN if tables else LedgerState.EMPTY), None
    if revision == head_revision():
        return LedgerState.CURRENT, revision
    return (LedgerState.BEHIND if revision in revisions() else LedgerState.UNKNOWN), revision


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see below)
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        write = connection.get_execution_options().get("huiqi_write", True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _sqlite_setup(engine)
        return engine
    options: dict[str, Any] = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20, **kwargs}
    return create_engine(url, **options)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Apply the migrations up to `revision` (idempotent); (the revision before, the revision after).

    When an existing ledger was migrated, its rows are sealed in the audit chain in the same
    transaction (huiqi.ledger.audit_log.seal): a migration may add columns to audited rows, and
    the chain then covers them too.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    from huiqi.ledger.audit_log import seal  # the audit needs the tables; the tables need nothing of this

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            before = MigrationContext.configure(connection).get_current_revision()
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            after = MigrationContext.configure(connection).get_current_revision()
            if before is not None and after != before and revision == "head":
                seal(connection)
    finally:
        engine.dispose()
    return before, after
