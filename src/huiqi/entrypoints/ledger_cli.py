"""CLI commands of the ledger service: serve, db, demo-data, audit, import, export (users: users_cli.py).

Which database each acts on, and whether it may create one: ledger_open.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from huiqi.diagnostics import InputError
from huiqi.entrypoints.ledger_open import DbOption, err, fail, ledger_error, open_ledger, out, resolve, said
from huiqi.entrypoints.users_cli import users_app
from huiqi.ledger.location import URL_ENV

# SQLAlchemy, FastAPI and openpyxl take seconds to import; every other command (calc, batch)
# would pay for them at start-up. So the ledger is imported inside the commands that use it.
if TYPE_CHECKING:
    from huiqi.demo import DemoUser
    from huiqi.ledger.uow import Ledger

KINDS = ("enterprises", "projects", "applications")  # = huiqi.ledger.importing.KINDS (a test checks they agree)

db_app = typer.Typer(help="The ledger's database.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the ledger's tables or migrate them to this huiqi's revision (safe to repeat)."""
    from huiqi.ledger.database import shown

    url = resolve(db, "create")
    out.print(f"database at head: {shown(url)}")


@audit_app.command("verify")
def audit_verify(db: DbOption = None) -> None:
    """Check the audit chain and the ledger's rows against it: exit 0 if intact, 1 naming what is not."""
    from huiqi.ledger.actors import SYSTEM
    from huiqi.ledger.audit_log import verify_chain

    ledger = open_ledger(db, "read")
    verdict = ledger.read(SYSTEM, lambda uow: verify_chain(uow.session))
    ledger.engine.dispose()
    if verdict.ok:
        out.print(f"audit chain intact: {verdict.checked} events; {verdict.rows} ledger rows match it")
        return
    chain_broken = verdict.problem and not (verdict.findings and verdict.problem == str(verdict.findings[0]))
    if chain_broken:
        err.print(f"[red]audit chain broken[/red] after {verdict.checked} good events: {escape(verdict.problem)}")
    else:
        err.print(f"audit chain intact: {verdict.checked} events")
    if verdict.findings:
        err.print(f"[red]{len(verdict.findings)} of {verdict.rows} ledger rows differ from the audit chain:[/red]")
        for finding in verdict.findings:
            err.print(f"  {escape(str(finding))}", soft_wrap=True)
    raise typer.Exit(1)


def import_file(
    kind: Annotated[str, typer.Argument(help="enterprises | projects | applications")],
    file: Annotated[Path, typer.Argument(help=".xlsx or .csv with a header row")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row, write nothing.")] = False,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Update enterprises (by credit code) and projects (by enterprise and id) already there; "
            "each change is printed as field: before → after.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Import rows all or nothing; every bad row is reported as FILE:ROW: field: message."""
    from huiqi.ledger.actors import SYSTEM
    from huiqi.ledger.errors import LedgerError
    from huiqi.ledger.importing import UPDATABLE, import_rows
    from huiqi.limits import UPLOADS, read_limited
    from huiqi.tabular import TableError, read_table

    if kind not in KINDS:
        raise fail([f"{kind}: import one of {', '.join(KINDS)}"])
    if update and kind not in UPDATABLE:
        raise fail([f"--update: updates {' and '.join(UPDATABLE)}; applications change through their workflow"])
    try:
        rows = read_table(read_limited(file, UPLOADS), file.name)
    except (TableError, OSError) as error:
        raise fail([str(error)]) from None
    except InputError as error:  # larger than $HUIQI_MAX_UPLOAD_BYTES, or a bad setting of it
        raise fail([said(d) for d in error.diagnostics]) from None
    ledger = open_ledger(db, "write")
    try:
        with ledger.unit(SYSTEM) as uow:
            report = import_rows(uow, kind, rows, dry_run=dry_run, update=update)
            if report.written:
                uow.commit()
    except LedgerError as error:
        raise ledger_error(error) from None
    finally:
        ledger.engine.dispose()
    for problem in report.errors:
        err.print(f"{file}:{problem.row}: {problem.field}: {problem.message}", soft_wrap=True, markup=False)
    if report.errors:
        bad = len({e.row for e in report.errors})
        err.print(f"{bad} of {report.rows} rows are bad; nothing was written")
        raise typer.Exit(2)
    shown_record = ""
    for change in report.changes:
        if change.record != shown_record:
            out.print(f"{file}:{change.row}: {change.record}", markup=False)
            shown_record = change.record
        out.print(f"    {change.field}: {_value(change.before)} → {_value(change.after)}", markup=False)
    if update:
        verbs = "would import {} and update {}" if dry_run else "imported {} and updated {}"
        done = f"{verbs.format(report.created, report.updated)} {kind} ({report.unchanged} unchanged)"
    else:
        done = f"{'would import' if dry_run else 'imported'} {report.created} {kind}"
    out.print(f"{done} from {file}", markup=False)


def _value(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "(empty)"
    return str(value)


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
        raise fail([f"{what}: export awards or payments"])
    ledger = open_ledger(db, "read")
    if what == "awards":
        rows = ledger.read(SYSTEM, lambda uow: [award_view(a) for a in list_awards(uow, limit=10**9)])
    else:
        rows = ledger.read(SYSTEM, lambda uow: [payment_view(p) for p in list_payments(uow, limit=10**9)])
    ledger.engine.dispose()
    try:
        output.write_bytes(workbook_bytes(what, rows))
    except OSError as error:
        raise fail([f"{output}: {error.strerror or error}"]) from None
    out.print(f"wrote {len(rows)} {what} to {output}", markup=False)


def banner(host: str, port: int, url: str) -> str:
    """What `serve` prints as it starts: where it listens and which database it serves (password masked)."""
    from huiqi.ledger.database import shown

    base = f"http://{host}:{port}"
    return (
        f"huiqi serving on {base}/  惠企网页 (pages: catalogue {base}/policies, calculator {base}/calculator, "
        f"sign-in {base}/signin; API docs: {base}/docs; database {shown(url)})"
    )


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo data first if the database is empty.")] = False,
    db: DbOption = None,
) -> None:
    """Serve the HTTP API (docs at /docs), creating the database or applying migrations first."""
    import uvicorn

    from huiqi.limits import FACTS, UPLOADS

    url = resolve(db, "create")
    if demo:
        from huiqi.demo import load_demo_users, tokens_path

        ledger = _ledger_at(url)
        try:
            users = load_demo_users(ledger, url)
        except InputError as error:  # a broken demo data file: named by file and line, nothing written
            raise fail([said(d) for d in error.diagnostics]) from None
        finally:
            ledger.engine.dispose()
        if users:
            _print_users(users, tokens_path(url))
        else:
            kept = tokens_path(url)
            where = f"; the demo users' tokens and passwords are in {kept}" if kept and kept.exists() else ""
            out.print(f"the database already holds data: demo data not loaded again{where}", markup=False)
    try:  # a bad size setting is refused here, not in each worker as it starts
        FACTS.current(), UPLOADS.current()
    except InputError as error:
        raise fail([said(d) for d in error.diagnostics]) from None
    os.environ[URL_ENV] = url  # for the workers (huiqi.entrypoints.api.server); never printed
    out.print(banner(host, port, url), markup=False)
    uvicorn.run(
        "huiqi.entrypoints.api.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def _ledger_at(url: str) -> Ledger:
    from huiqi.ledger.database import make_engine
    from huiqi.ledger.uow import Ledger
    from huiqi.policy_files import load_library

    return Ledger(make_engine(url), load_library())


def demo_data(db: DbOption = None) -> None:
    """Load a realistic demo set built from the seed policies' figures (into an empty database)."""
    from huiqi.demo import load_demo_users, tokens_path

    url = resolve(db, "create")
    ledger = _ledger_at(url)
    try:
        users = load_demo_users(ledger, url)
    except InputError as error:
        raise fail([said(d) for d in error.diagnostics]) from None
    finally:
        ledger.engine.dispose()
    if not users:
        raise fail(["the database already holds enterprises; demo data goes into an empty database"])
    _print_users(users, tokens_path(url))


def _print_users(users: list[DemoUser], kept: Path | None) -> None:
    title = "demo users, their passwords and API tokens" + (f" (also in {kept})" if kept else "")
    table = Table(title=escape(title))
    for column in ("user", "role", "password", "token"):
        table.add_column(column, no_wrap=True)
    for user in users:
        table.add_row(user.name, user.role.value, user.password, user.token)
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command("demo-data")(demo_data)
    app.command("import")(import_file)
    app.command("export")(export_file)
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
