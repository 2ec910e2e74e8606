"""Connecting to the ledger's database and migrating it (SQLite embedded, PostgreSQL in production).

SQLite is set up for a service: WAL (readers never block the writer), synchronous=FULL
(an acknowledged commit survives a crash of the process or the machine), foreign keys on,
a busy timeout, and write transactions that start with BEGIN IMMEDIATE so two writers
queue instead of failing half-way. PostgreSQL runs at READ COMMITTED; services take row
locks (SELECT … FOR UPDATE) on what they check, so checks and writes cannot interleave.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from huiqi.diagnostics import Diagnostic, InputError

if TYPE_CHECKING:  # Alembic (0.2 s to import) only when migrating: a command that reads the ledger never does
    from alembic.config import Config

DEFAULT_URL = "sqlite:///huiqi.db"
URL_ENV = "HUIQI_DATABASE_URL"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(explicit: str | None = None) -> str:
    """The --db option, else $HUIQI_DATABASE_URL, else huiqi.db in the working folder.

    A plain path (huiqi.db, /var/lib/huiqi/ledger.db) means an SQLite file.
    """
    raw = explicit or os.environ.get(URL_ENV) or DEFAULT_URL
    if "://" not in raw:
        raw = f"sqlite:///{raw}"
    if raw.startswith(("postgresql://", "postgres://")):
        raw = "postgresql+psycopg://" + raw.split("://", 1)[1]
    try:
        make_url(raw)
    except ArgumentError as exc:
        raise InputError([Diagnostic("--db", None, f"not a database URL: {exc}")]) from exc
    return raw


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


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the migrations up to `revision` (idempotent)."""
    from alembic import command

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()
