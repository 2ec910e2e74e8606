"""`huiqi users …`: add, list, disable, enable, rotate-token, set-password.

A password never goes on the command line (where `ps` and the shell's history would show it): it
is typed at a hidden prompt (twice), read from the first line of standard input
(--password-stdin, for scripts), or generated and printed once (--generate-password).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table

from huiqi.entrypoints.ledger_open import DbOption, err, fail, ledger_error, open_ledger, out

if TYPE_CHECKING:
    from huiqi.ledger.uow import Ledger, UnitOfWork

T = TypeVar("T")
users_app = typer.Typer(help="Users: API tokens, passwords, disabling.", no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help="The user's name.")]
StdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
]
GenerateOption = Annotated[
    bool, typer.Option("--generate-password", help="Generate a random password and print it once.")
]


def _run(ledger: Ledger, work: Callable[[UnitOfWork], T], *, write: bool = True) -> T:
    from huiqi.ledger.actors import SYSTEM
    from huiqi.ledger.errors import LedgerError

    try:
        return ledger.run(SYSTEM, work) if write else ledger.read(SYSTEM, work)
    except LedgerError as error:
        raise ledger_error(error) from None
    finally:
        ledger.engine.dispose()


def _password(stdin: bool, generate: bool, *, prompt: bool) -> tuple[str | None, bool]:
    """(the password, whether it was generated); None when none is wanted."""
    from huiqi.ledger import passwords

    if stdin and generate:
        raise fail(["--password-stdin and --generate-password: choose one"])
    if generate:
        return passwords.generate(), True
    if stdin:
        line = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        if not line:
            raise fail(["--password-stdin: standard input holds no password (its first line is empty)"])
        return line, False
    if not prompt:
        return None, False
    if not sys.stdin.isatty():
        raise fail(["no terminal to ask for the password on: use --password-stdin or --generate-password"])
    typed: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    return typed, False


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="A unique user name.")],
    role: Annotated[str, typer.Option("--role", help="enterprise | reviewer | approver | finance | admin")],
    enterprise: Annotated[str | None, typer.Option("--enterprise", help="Credit code (for enterprise users).")] = None,
    ask: Annotated[bool, typer.Option("--password-prompt", help="Ask for a password (hidden, twice).")] = False,
    stdin: StdinOption = False,
    generate: GenerateOption = False,
    db: DbOption = None,
) -> None:
    """Add a user and print its API token (shown once; only its hash is stored); a password if asked for."""
    from huiqi.ledger.users import add_user

    if ask and (stdin or generate):
        raise fail(["--password-prompt, --password-stdin, --generate-password: choose one"])
    ledger = open_ledger(db, "write")  # first: no password is asked for a database that is not there
    password, generated = _password(stdin, generate, prompt=ask)
    token = _run(ledger, lambda uow: add_user(uow, name, role, enterprise, password=password)[1])
    out.print(f"user {name} ({role}) added.")
    if generated:
        out.print(f"password (generated; keep it, it is not shown again): {password}")
    elif password is not None:
        out.print("password set.")
    out.print("API token (keep it; it is not shown again):")
    out.print(token)


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """Every user: role, enterprise, active, password, lockout."""
    from huiqi.ledger.users import list_users

    users = _run(open_ledger(db, "read"), list_users, write=False)
    now = datetime.now(UTC)
    table = Table(title=f"{len(users)} users", title_justify="left")
    for column in ("user", "role", "enterprise", "active", "password", "locked until", "created"):
        table.add_column(column)
    for user in users:
        password = "set" if user.has_password else "—"
        if user.has_password and user.failed_sign_ins:
            password += f" ({user.failed_sign_ins} wrong)"
        table.add_row(
            user.name,
            user.role,
            user.enterprise or "",
            "yes" if user.active else "disabled",
            password,
            _moment(user.locked_until) if user.locked(now) else "",
            _moment(user.created_at),
        )
    out.print(table)


def _moment(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value is not None else ""


@users_app.command("disable")
def users_disable(name: NameArgument, db: DbOption = None) -> None:
    """Disable a user: its token and password stop working (a running service may accept the token for 30 s)."""
    from huiqi.ledger.users import set_active

    _run(open_ledger(db, "write"), lambda uow: set_active(uow, name, False))
    out.print(f"user {name} disabled")


@users_app.command("enable")
def users_enable(name: NameArgument, db: DbOption = None) -> None:
    """Enable a disabled user again; this also lifts a lockout after wrong passwords."""
    from huiqi.ledger.users import set_active

    _run(open_ledger(db, "write"), lambda uow: set_active(uow, name, True))
    out.print(f"user {name} enabled")


@users_app.command("rotate-token")
def users_rotate_token(name: NameArgument, db: DbOption = None) -> None:
    """Give a user a new API token and print it once; the old one stops working."""
    from huiqi.ledger.users import rotate_token

    token = _run(open_ledger(db, "write"), lambda uow: rotate_token(uow, name))
    out.print(f"new API token for {name} (the old one no longer works; keep this one, it is not shown again):")
    out.print(token)


@users_app.command("set-password")
def users_set_password(
    name: NameArgument, stdin: StdinOption = False, generate: GenerateOption = False, db: DbOption = None
) -> None:
    """Set a user's password: asked for (hidden, twice) unless --password-stdin or --generate-password."""
    from huiqi.ledger.users import set_password

    ledger = open_ledger(db, "write")
    password, generated = _password(stdin, generate, prompt=True)
    assert password is not None
    _run(ledger, lambda uow: set_password(uow, name, password))
    if generated:
        out.print(f"password of {name} set (generated; keep it, it is not shown again): {password}")
    else:
        out.print(f"password of {name} set")
    err.print("a lockout after wrong passwords, if any, is lifted", style="dim")
