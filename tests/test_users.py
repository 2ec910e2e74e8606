"""Users: passwords (policy, argon2id, sign-in, lockout, rehash) and administration, on SQLite and
PostgreSQL; and `huiqi users …` as a user runs it."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from huiqi.ledger import passwords, users
from huiqi.ledger import tables as t
from huiqi.ledger.actors import SYSTEM
from huiqi.ledger.audit_log import verify_chain
from huiqi.ledger.errors import Conflict, Forbidden, Invalid, Locked, NotFound, Unauthenticated
from huiqi.ledger.uow import Ledger
from tests.ledger_world import World, build_world
from tests.test_cli import HUIQI, ROOT, run

GOOD = "correct horse battery"


@pytest.fixture
def world(ledger: Ledger) -> World:
    world = build_world(ledger)
    ledger.run(SYSTEM, lambda uow: users.set_password(uow, "reviewer", GOOD))
    return world


def sign_in(ledger: Ledger, name: str, password: str) -> str:
    return ledger.run(SYSTEM, lambda uow: users.sign_in(uow, name, password)).name


def stored(ledger: Ledger, name: str) -> t.User:
    return ledger.read(SYSTEM, lambda uow: users.user_by_name(uow, name))


def test_sign_in_with_the_right_password(ledger: Ledger, world: World) -> None:
    assert sign_in(ledger, "reviewer", GOOD) == "reviewer"
    row = stored(ledger, "reviewer")
    assert row.password_hash is not None
    assert row.password_hash.startswith("$argon2id$")
    assert GOOD not in row.password_hash
    assert row.password_changed_at == ledger.clock()


def test_a_wrong_name_and_a_wrong_password_look_the_same(
    ledger: Ledger, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = passwords.HASHER

    class Counting:
        def verify(self, password_hash: str, password: str) -> bool:
            checked.append(password)
            return real.verify(password_hash, password)

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    monkeypatch.setattr(passwords, "HASHER", Counting())
    errors = []
    for name, password in [("reviewer", "wrong password!"), ("nobody", GOOD), ("approver", GOOD)]:
        with pytest.raises(Unauthenticated) as refused:
            sign_in(ledger, name, password)
        errors.append((type(refused.value), refused.value.code, refused.value.detail))
    assert len(set(errors)) == 1  # approver has no password: also the same
    assert errors[0] == (Unauthenticated, "unauthenticated", "wrong user name or password")
    assert len(checked) == 3  # an argon2 check every time, also for a name that does not exist


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(ledger: Ledger, world: World) -> None:
    assert passwords.MAX_FAILED_SIGN_INS == 5
    assert passwords.LOCKOUT.total_seconds() == 15 * 60
    for attempt in range(1, 5):
        with pytest.raises(Unauthenticated) as refused:
            sign_in(ledger, "reviewer", f"wrong password {attempt}")
        assert refused.value.code == "unauthenticated"
        assert stored(ledger, "reviewer").failed_sign_ins == attempt  # kept, though the unit raised
    with pytest.raises(Locked) as locked:
        sign_in(ledger, "reviewer", "wrong password 5")
    until = ledger.clock() + timedelta(minutes=15)
    assert (locked.value.code, locked.value.until) == ("locked", until)
    assert until.isoformat(timespec="seconds") in locked.value.detail
    with pytest.raises(Locked):  # the right password does not open a locked account
        sign_in(ledger, "reviewer", GOOD)
    ledger.clock.now += timedelta(minutes=14, seconds=59)  # type: ignore[attr-defined]
    with pytest.raises(Locked):
        sign_in(ledger, "reviewer", GOOD)
    ledger.clock.now += timedelta(seconds=1)  # type: ignore[attr-defined]
    assert sign_in(ledger, "reviewer", GOOD) == "reviewer"
    row = stored(ledger, "reviewer")
    assert (row.failed_sign_ins, row.locked_until) == (0, None)
    verdict = ledger.read(SYSTEM, lambda uow: verify_chain(uow.session))
    assert verdict.ok, verdict.problem  # each failure is an audited change of the user


def test_a_success_resets_the_count(ledger: Ledger, world: World) -> None:
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            sign_in(ledger, "reviewer", "wrong password!")
    sign_in(ledger, "reviewer", GOOD)
    assert stored(ledger, "reviewer").failed_sign_ins == 0
    with pytest.raises(Unauthenticated) as refused:  # four more, and one: not locked
        sign_in(ledger, "reviewer", "wrong password!")
    assert refused.value.code == "unauthenticated"


def test_a_disabled_user_is_refused_and_enable_lifts_a_lockout(ledger: Ledger, world: World) -> None:
    ledger.run(SYSTEM, lambda uow: users.set_active(uow, "reviewer", False))
    with pytest.raises(Unauthenticated) as refused:
        sign_in(ledger, "reviewer", GOOD)
    assert refused.value.code == "disabled"
    with pytest.raises(Unauthenticated) as wrong:  # a wrong password tells nothing about it
        sign_in(ledger, "reviewer", "wrong password!")
    assert wrong.value.code == "unauthenticated"
    token = world.tokens["reviewer"]
    with pytest.raises(Unauthenticated):
        ledger.read(SYSTEM, lambda uow: users.authenticate(uow, token))
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            sign_in(ledger, "reviewer", "wrong password!")
    ledger.run(SYSTEM, lambda uow: users.set_active(uow, "reviewer", True))
    assert sign_in(ledger, "reviewer", GOOD) == "reviewer"
    assert ledger.read(SYSTEM, lambda uow: users.authenticate(uow, token)).name == "reviewer"


def test_an_old_hash_is_redone_at_sign_in(ledger: Ledger, world: World) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(GOOD)

    def plant(uow: object) -> None:
        users.user_by_name(uow, "reviewer").password_hash = weak  # type: ignore[arg-type]

    ledger.run(SYSTEM, plant)  # type: ignore[arg-type]
    assert passwords.needs_rehash(weak)
    sign_in(ledger, "reviewer", GOOD)
    redone = stored(ledger, "reviewer").password_hash
    assert redone is not None
    assert redone != weak
    assert not passwords.needs_rehash(redone)
    assert sign_in(ledger, "reviewer", GOOD) == "reviewer"


def test_the_password_policy(ledger: Ledger, world: World) -> None:
    for password, english in [("short", "at least 10 characters"), ("Reviewer", "at least 10"), (" " * 12, "spaces")]:
        with pytest.raises(Invalid) as refused:
            ledger.run(SYSTEM, lambda uow, p=password: users.set_password(uow, "reviewer", p))
        assert [e.field for e in refused.value.errors] == ["password"] * len(refused.value.errors)
        assert any(english in e.message for e in refused.value.errors)
        assert all(e.zh for e in refused.value.errors)  # and in Chinese
    with pytest.raises(Invalid, match="password") as named:
        ledger.run(SYSTEM, lambda uow: users.add_user(uow, "zhang.wei.1", "admin", password="zhang.wei.1"))
    assert "user name" in named.value.errors[0].message
    assert sign_in(ledger, "reviewer", GOOD) == "reviewer"  # nothing changed


def test_who_may_set_a_password(ledger: Ledger, world: World) -> None:
    reviewer, approver = world.actors["reviewer"], world.actors["approver"]
    ledger.run(reviewer, lambda uow: users.set_password(uow, "reviewer", "my own new password"))
    assert sign_in(ledger, "reviewer", "my own new password") == "reviewer"
    with pytest.raises(Forbidden):
        ledger.run(approver, lambda uow: users.set_password(uow, "reviewer", "taken over, I think"))
    ledger.run(world.actors["admin"], lambda uow: users.set_password(uow, "approver", "set by the admin"))
    assert sign_in(ledger, "approver", "set by the admin") == "approver"
    with pytest.raises(NotFound):
        ledger.run(SYSTEM, lambda uow: users.set_password(uow, "nobody", "a fine password"))


def test_administration(ledger: Ledger, world: World) -> None:
    listed = ledger.read(SYSTEM, users.list_users)
    assert [u.name for u in listed] == sorted(world.actors)
    by_name = {u.name: u for u in listed}
    assert by_name["reviewer"].has_password
    assert not by_name["approver"].has_password
    assert by_name["minhang-user"].enterprise == "91310112MA1GC3H0XW"
    with pytest.raises(Forbidden):
        ledger.read(world.actors["reviewer"], users.list_users)
    with pytest.raises(Forbidden):
        ledger.run(world.actors["reviewer"], lambda uow: users.set_active(uow, "approver", False))
    with pytest.raises(Conflict) as last:
        ledger.run(SYSTEM, lambda uow: users.set_active(uow, "admin", False))
    assert last.value.code == "last_admin"
    old = world.tokens["finance"]
    new = ledger.run(SYSTEM, lambda uow: users.rotate_token(uow, "finance"))
    with pytest.raises(Unauthenticated):
        ledger.read(SYSTEM, lambda uow: users.authenticate(uow, old))
    assert ledger.read(SYSTEM, lambda uow: users.authenticate(uow, new)).name == "finance"
    mine = ledger.run(world.actors["finance"], lambda uow: users.rotate_token(uow, "finance"))
    assert ledger.read(SYSTEM, lambda uow: users.authenticate(uow, mine)).name == "finance"


# ----- the CLI


def test_users_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "ledger.db")
    run("db", "upgrade", "--db", db)
    generated = run("users", "add", "ops", "--role", "admin", "--generate-password", "--db", db).stdout
    password = generated.split("it is not shown again): ")[1].split()[0]
    assert len(password) >= passwords.MIN_LENGTH
    added = _huiqi("users", "add", "li.hua", "--role", "approver", "--password-stdin", "--db", db, stdin=GOOD + "\n")
    assert added.returncode == 0, added.stderr
    assert "password set" in added.stdout
    listed = run("users", "list", "--db", db).stdout
    assert "li.hua" in listed
    assert "approver" in listed
    assert GOOD not in listed
    assert "user li.hua disabled" in run("users", "disable", "li.hua", "--db", db).stdout
    assert "disabled" in run("users", "list", "--db", db).stdout
    assert "enabled" in run("users", "enable", "li.hua", "--db", db).stdout
    rotated = run("users", "rotate-token", "li.hua", "--db", db).stdout.strip().splitlines()[-1]
    assert rotated.startswith("hq_")
    changed = _huiqi("users", "set-password", "li.hua", "--password-stdin", "--db", db, stdin="another password\n")
    assert changed.returncode == 0, changed.stderr
    short = _huiqi("users", "set-password", "li.hua", "--password-stdin", "--db", db, stdin="short\n")
    assert short.returncode == 2
    assert "password: must be at least 10 characters" in short.stderr
    no_terminal = _huiqi("users", "set-password", "li.hua", "--db", db, stdin="")
    assert no_terminal.returncode == 2
    assert "--password-stdin" in no_terminal.stderr
    missing = _huiqi("users", "set-password", "nobody", "--password-stdin", "--db", db, stdin=GOOD + "\n")
    assert missing.returncode == 2
    assert "no user 'nobody'" in missing.stderr
    assert "ledger rows match it" in run("audit", "verify", "--db", db).stdout


def test_no_command_takes_a_password_as_an_argument() -> None:
    """What is on the command line shows in `ps` and in the shell's history."""
    for command in (["users", "add"], ["users", "set-password"]):
        help_text = run(*command, "--help").stdout
        assert "--password-stdin" in help_text
        assert "--password " not in help_text
        assert "--password=" not in help_text


def _huiqi(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([HUIQI, *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Traceback" not in done.stderr
    return done
