"""CLI commands of the ledger service: serve, db, demo-data, users, audit, import, export."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from huiqi.diagnostics import InputError

# SQLAlchemy, FastAPI and openpyxl take seconds to import; every other command (calc, batch)
# would pay for them at start-up. So the ledger is imported inside the commands that use it.
if TYPE_CHECKING:
    from huiqi.ledger.errors import LedgerError
    from huiqi.ledger.uow import Ledger

URL_ENV = "HUIQI_DATABASE_URL"  # = huiqi.ledger.database.URL_ENV (a test checks they agree)
KINDS = ("enterprises", "projects", "applications")  # = huiqi.ledger.importing.KINDS (likewise)

out = Console(emoji=False, highlight=False)
err = Console(stderr=True, emoji=False, highlight=False)

DbOption = Annotated[
    str | None, typer.Option("--db", help=f"Database URL or SQLite file (default: ${URL_ENV}, else ./huiqi.db).")
]
db_app = typer.Typer(help="The ledger's database.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


def _fail(messages: list[str]) -> typer.Exit:
    for message in messages:
        err.print(f"[red]error[/red] {message}", soft_wrap=True)
    return typer.Exit(2)


def _url(db: str | None, *, migrate: bool = True) -> str:
    """The database URL, migrated to head; a URL that cannot be used is exit 2 with the reason."""
    from sqlalchemy.exc import SQLAlchemyError

    from huiqi.ledger.database import database_url, upgrade

    try:
        url = database_url(db)
        if migrate:
            upgrade(url)
        return url
    except InputError as error:
        raise _fail([str(d) for d in error.diagnostics]) from None
    except SQLAlchemyError as error:
        raise _fail([f"--db {db or url}: {type(error).__name__}: {str(error).splitlines()[0]}"]) from None


def _ledger(db: str | None, *, migrate: bool = True) -> Ledger:
    from sqlalchemy.exc import SQLAlchemyError

    from huiqi.ledger.database import make_engine
    from huiqi.ledger.uow import Ledger
    from huiqi.policy_files import load_library

    url = _url(db, migrate=migrate)
    try:
        return Ledger(make_engine(url), load_library())
    except SQLAlchemyError as error:
        raise _fail([f"--db {url}: {str(error).splitlines()[0]}"]) from None


def _ledger_error(error: LedgerError) -> typer.Exit:
    lines = [error.detail, *(f"{e.field}: {e.message}" for e in error.errors), *error.reasons]
    return _fail(lines)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Apply the migrations (safe to repeat)."""
    url = _url(db)
    out.print(f"database at head: {url}")


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="A unique user name.")],
    role: Annotated[str, typer.Option("--role", help="enterprise | reviewer | approver | finance | admin")],
    enterprise: Annotated[str | None, typer.Option("--enterprise", help="Credit code (for enterprise users).")] = None,
    db: DbOption = None,
) -> None:
    """Add a user and print its API token (shown once; only its hash is stored)."""
    from huiqi.ledger.actors import SYSTEM
    from huiqi.ledger.errors import LedgerError
    from huiqi.ledger.users import add_user

    ledger = _ledger(db)
    try:
        token = ledger.run(SYSTEM, lambda uow: add_user(uow, name, role, enterprise)[1])
    except LedgerError as error:
        raise _ledger_error(error) from None
    out.print(f"user {name} ({role}) added. API token (keep it; it is not shown again):")
    out.print(token)


@audit_app.command("verify")
def audit_verify(db: DbOption = None) -> None:
    """Check the audit chain: exit 0 if intact, 1 with the first broken event otherwise."""
    from huiqi.ledger.actors import SYSTEM
    from huiqi.ledger.audit_log import verify_chain

    ledger = _ledger(db, migrate=False)
    verdict = ledger.read(SYSTEM, lambda uow: verify_chain(uow.session))
    if verdict.ok:
        out.print(f"audit chain intact: {verdict.checked} events")
        return
    err.print(f"[red]audit chain broken[/red] after {verdict.checked} good events: {verdict.problem}")
    raise typer.Exit(1)


def import_file(
    kind: Annotated[str, typer.Argument(help="enterprises | projects | applications")],
    file: Annotated[Path, typer.Argument(help=".xlsx or .csv with a header row")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row, write nothing.")] = False,
    db: DbOption = None,
) -> None:
    """Import rows all or nothing; every bad row is reported as FILE:ROW: field: message."""
    from huiqi.ledger.actors import SYSTEM
    from huiqi.ledger.importing import import_rows
    from huiqi.limits import UPLOADS, read_limited
    from huiqi.tabular import TableError, read_table

    if kind not in KINDS:
        raise _fail([f"{kind}: import one of {', '.join(KINDS)}"])
    try:
        rows = read_table(read_limited(file, UPLOADS), file.name)
    except (TableError, OSError) as error:
        raise _fail([str(error)]) from None
    except InputError as error:  # larger than $HUIQI_MAX_UPLOAD_BYTES, or a bad setting of it
        raise _fail([str(d) for d in error.diagnostics]) from None
    ledger = _ledger(db)
    with ledger.unit(SYSTEM) as uow:
        report = import_rows(uow, kind, rows, dry_run=dry_run)
        if report.written:
            uow.commit()
    for problem in report.errors:
        err.print(f"{file}:{problem.row}: {problem.field}: {problem.message}", soft_wrap=True)
    if report.errors:
        bad = len({e.row for e in report.errors})
        err.print(f"{bad} of {report.rows} rows are bad; nothing was written")
        raise typer.Exit(2)
    verb = "would import" if dry_run else "imported"
    out.print(f"{verb} {report.created} {kind} from {file}")


def export_file(
    what: Annotated[str, typer.Argument(help="awards | payments")],
    output: Annotated[Path, typer.Option("--out", help="The .xlsx file to write.")],
    db: DbOption = None,
) -> None:
    """Write the award or payment list to Excel."""
    from huiqi.ledger.actors import SYSTEM
    from huiqi.ledger.payments import list_awards, list_payments
    from huiqi.ledger.views import award_view, payment_view
    from huiqi.tabular import workbook_bytes

    if what not in ("awards", "payments"):
        raise _fail([f"{what}: export awards or payments"])
    ledger = _ledger(db, migrate=False)
    if what == "awards":
        rows = ledger.read(SYSTEM, lambda uow: [award_view(a) for a in list_awards(uow, limit=10**9)])
    else:
        rows = ledger.read(SYSTEM, lambda uow: [payment_view(p) for p in list_payments(uow, limit=10**9)])
    output.write_bytes(workbook_bytes(what, rows))
    out.print(f"wrote {len(rows)} {what} to {output}")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo data first if the database is empty.")] = False,
    db: DbOption = None,
) -> None:
    """Serve the HTTP API (docs at /docs), applying migrations first."""
    import uvicorn

    from huiqi.ledger.database import make_engine
    from huiqi.ledger.uow import Ledger
    from huiqi.limits import FACTS, UPLOADS
    from huiqi.policy_files import load_library

    url = _url(db)
    if demo:
        from huiqi.demo import load_demo, tokens_path

        ledger = Ledger(make_engine(url), load_library())
        tokens = load_demo(ledger, url)
        if tokens:
            _print_tokens(tokens)
        else:
            kept = tokens_path(url)
            where = f"; the demo users' tokens are in {kept}" if kept and kept.exists() else ""
            out.print(f"the database already holds data: demo data not loaded again{where}")
        ledger.engine.dispose()
    try:  # a bad size setting is refused here, not in each worker as it starts
        FACTS.current(), UPLOADS.current()
    except InputError as error:
        raise _fail([str(d) for d in error.diagnostics]) from None
    os.environ[URL_ENV] = url
    out.print(f"huiqi serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs, database {url})")
    uvicorn.run(
        "huiqi.entrypoints.api.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def demo_data(db: DbOption = None) -> None:
    """Load a realistic demo set built from the seed policies' figures (into an empty database)."""
    from huiqi.demo import load_demo

    url = _url(db)
    ledger = _ledger(url, migrate=False)
    tokens = load_demo(ledger, url)
    if not tokens:
        raise _fail(["the database already holds enterprises; demo data goes into an empty database"])
    _print_tokens(tokens)


def _print_tokens(tokens: dict[str, str]) -> None:
    table = Table(title="demo users and their API tokens")
    table.add_column("user")
    table.add_column("token")
    for name, token in tokens.items():
        table.add_row(name, token)
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command("demo-data")(demo_data)
    app.command("import")(import_file)
    app.command("export")(export_file)
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
