"""Which ledger database a command acts on, said on stderr, and opening it as the command needs.

    create  serve, db upgrade, demo-data: a new database is made (SQLite) and migrated to head
    write   users, import: an existing ledger, migrated to head if it is behind
    read    audit verify, export, match: an existing ledger at this huiqi's revision

Any other command than the three that create refuses a database that does not exist or holds
no ledger (exit 2, naming it and how to create it), rather than acting on a new empty one.
Passwords in URLs are masked in everything printed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape

from huiqi.diagnostics import Diagnostic, InputError
from huiqi.ledger.location import URL_ENV, default_database
from huiqi.redact import redact

if TYPE_CHECKING:
    from huiqi.ledger.errors import LedgerError
    from huiqi.ledger.uow import Ledger

Mode = Literal["create", "write", "read"]

# Piped output (files, CI logs) is not 80 columns wide by nature; keep tables readable there.
out = Console(emoji=False, highlight=False, width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True, emoji=False, highlight=False)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help=f"Database URL or SQLite file (default: ${URL_ENV}, else {default_database()}).",
        show_default=False,
    ),
]


def fail(messages: list[str], code: int = 2) -> typer.Exit:
    for message in messages:
        err.print(f"[red]error[/red] {escape(redact(message))}", soft_wrap=True)
    return typer.Exit(code)


def said(diagnostic: Diagnostic) -> str:
    """A diagnostic as the CLI prints it: where and what, then the same in Chinese where known."""
    return str(diagnostic) + (f"\n      {diagnostic.zh}" if diagnostic.zh else "")


def ledger_error(error: LedgerError) -> typer.Exit:
    lines = [error.detail, *(f"{e.field}: {e.message}" for e in error.errors), *error.reasons]
    return fail(lines)


def _again(db: str | None) -> str:
    """How to name this database again in a suggested command."""
    return f" --db {db}" if db else ""


def resolve(db: str | None, mode: Mode, *, quiet: bool = False) -> str:
    """The database URL for the --db value, ready for `mode`; says which on stderr. Refusals are exit 2."""
    from sqlalchemy.exc import SQLAlchemyError

    from huiqi.ledger.database import LedgerState, database_url, head_revision, ledger_state, shown, upgrade

    try:
        url = database_url(db)
    except InputError as error:
        raise fail([said(d) for d in error.diagnostics]) from None
    where = shown(url)
    if not quiet:
        err.print(f"ledger database: {escape(where)}", soft_wrap=True)
    shown_db = _again(shown(db) if db and "://" in db else db)
    try:
        state, revision = ledger_state(url)
        if state is LedgerState.FOREIGN:
            raise fail([f"{where} holds tables but no huiqi ledger (no alembic_version table); give another --db"])
        if state is LedgerState.UNKNOWN:
            raise fail([f"the ledger at {where} is at revision {revision}, which this huiqi does not know (newer?)"])
        if mode != "create" and state in (LedgerState.MISSING, LedgerState.EMPTY):
            what = "no ledger database at" if state is LedgerState.MISSING else "no huiqi ledger (no tables) in"
            raise fail(
                [
                    f"{what} {where}; this command does not create one. Create it with "
                    f"`huiqi db upgrade{shown_db}` (empty) or `huiqi demo-data{shown_db}` (the demo set), "
                    f"or give the ledger with --db or ${URL_ENV}"
                ]
            )
        if mode == "read" and state is LedgerState.BEHIND:
            raise fail(
                [
                    f"the ledger at {where} is at revision {revision}; this huiqi needs {head_revision()}: "
                    f"run `huiqi db upgrade{shown_db}` first"
                ]
            )
        if mode == "create" or state is LedgerState.BEHIND:
            upgrade(url)
    except SQLAlchemyError as error:
        raise fail(
            [
                f"{where}: 无法打开数据库 (could not open the database): "
                f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"
            ]
        ) from None
    return url


def open_ledger(db: str | None, mode: Mode) -> Ledger:
    from sqlalchemy.exc import SQLAlchemyError

    from huiqi.ledger.database import make_engine, shown
    from huiqi.ledger.uow import Ledger
    from huiqi.policy_files import load_library

    url = resolve(db, mode)
    try:
        return Ledger(make_engine(url), load_library())
    except SQLAlchemyError as error:
        said = f"无法打开数据库 (could not open the database): {str(error).splitlines()[0]}"
        raise fail([f"{shown(url)}: {said}"]) from None
