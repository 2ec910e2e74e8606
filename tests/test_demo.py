"""The demo data (`huiqi demo-data`): every role and state, paid and due tranches, exact budgets, an intact chain;
its data files (src/huiqi/data/demo) read clean, and a broken one is named by file and line with nothing written."""

from __future__ import annotations

import shutil
import stat
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from huiqi.demo import load_demo
from huiqi.demo_data import DEMO_DIR, read_demo
from huiqi.diagnostics import InputError
from huiqi.ledger import tables as t
from huiqi.ledger.actors import SYSTEM
from huiqi.ledger.applications import list_applications
from huiqi.ledger.audit_log import verify_chain
from huiqi.ledger.database import make_engine, upgrade
from huiqi.ledger.payments import list_budgets
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.ledger.users import authenticate, sign_in
from huiqi.ledger.workflow import Role, State
from huiqi.money import ZERO
from huiqi.rules.library import Library
from tests.test_cli import run


def test_demo_set_is_complete_and_consistent(ledger: Ledger, database_url: str) -> None:
    # One load per database, checked from every side: loading takes seconds.
    tokens = load_demo(ledger, database_url)
    assert_users_of_every_role(ledger, tokens)
    assert_applications_in_every_state(ledger)
    assert_tranches_and_budgets_agree(ledger)
    verdict = ledger.read(SYSTEM, lambda uow: verify_chain(uow.session))
    assert verdict.ok, verdict.problem
    assert verdict.checked > 100

    before = ledger.read(SYSTEM, row_counts)
    assert load_demo(ledger, database_url) == {}  # a second load finds enterprises and adds nothing
    assert ledger.read(SYSTEM, row_counts) == before


def assert_users_of_every_role(ledger: Ledger, tokens: dict[str, str]) -> None:
    def roles(uow: UnitOfWork) -> Counter[Role]:
        return Counter(authenticate(uow, token).role for token in tokens.values())

    by_role = ledger.read(SYSTEM, roles)
    assert set(by_role) == set(Role)
    enterprises = ledger.read(SYSTEM, lambda uow: uow.session.scalar(select(func.count()).select_from(t.Enterprise)))
    assert by_role[Role.ENTERPRISE] == enterprises >= 8  # one user for each enterprise


def assert_applications_in_every_state(ledger: Ledger) -> None:
    filed = ledger.read(SYSTEM, lambda uow: list(list_applications(uow, limit=10**6)))
    assert {a.state for a in filed} == {s.value for s in State}
    measures = {ref.measure.id for ref in ledger.library.measures()}
    assert {a.measure for a in filed} <= measures
    assert {a.policy for a in filed} == {"minhang-2018", "lingang-2024"}


def assert_tranches_and_budgets_agree(ledger: Ledger) -> None:
    def check(uow: UnitOfWork) -> None:
        tranches = uow.session.execute(select(t.Tranche)).scalars().all()
        assert any(tr.paid for tr in tranches)
        assert any(not tr.paid for tr in tranches)
        budgets = list_budgets(uow)
        assert {b.policy for b in budgets} == {"minhang-2018", "lingang-2024"}
        for budget in budgets:
            charged = [tr for tr in tranches if (tr.policy, tr.year) == (budget.policy, budget.year)]
            assert budget.committed == sum((tr.amount for tr in charged), ZERO), (budget.policy, budget.year)
            assert budget.paid == sum((tr.amount for tr in charged if tr.paid), ZERO), (budget.policy, budget.year)
            assert budget.committed <= budget.allocated
        paid = sum((p.amount for p in uow.session.execute(select(t.Payment)).scalars()), ZERO)
        assert paid == sum((tr.amount for tr in tranches if tr.paid), ZERO) > ZERO

    ledger.read(SYSTEM, check)


def row_counts(uow: UnitOfWork) -> tuple[int | None, ...]:
    tables = (t.Enterprise, t.Project, t.User, t.Application, t.Award, t.Payment, t.Budget, t.AuditEvent)
    return tuple(uow.session.scalar(select(func.count()).select_from(table)) for table in tables)


def test_cli_loads_the_demo_and_keeps_the_tokens_private(tmp_path: Path, library: Library) -> None:
    database = tmp_path / "demo.db"
    printed = run("demo-data", "--db", str(database)).stdout
    tokens = Path(f"{database}.tokens.txt")
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    lines = tokens.read_text(encoding="utf-8").splitlines()
    assert lines[1] == "# user\trole\ttoken\tpassword"  # the token stays third, as before passwords
    users = [line.split("\t") for line in lines if not line.startswith("#")]
    assert {role for _, role, _, _ in users} == {r.value for r in Role}
    assert all(token.startswith("hq_") for _, _, token, _ in users)
    assert len({password for *_, password in users}) == len(users)  # each user its own random password
    for _, _, token, password in users:  # printed, as ./run shows them
        assert password in printed
        assert token in printed
    # every demo user signs in with the password printed for it
    ledger = Ledger(make_engine(f"sqlite:///{database}"), library)
    for name, role, _, password in users:
        actor = ledger.run(SYSTEM, lambda uow, n=name, p=password: sign_in(uow, n, p))
        assert (actor.name, actor.role.value) == (name, role)
    ledger.engine.dispose()


def test_the_data_files_read_clean(library: Library) -> None:
    data = read_demo(measures={ref.measure.id for ref in library.measures()})
    assert len(data.enterprises) == 10
    # 闵行区 and 临港新片区, as region codes
    assert {e.facts.enterprise.business_district for e in data.enterprises} == {"310112", "310000-lingang"}
    assert {a.ends for a in data.plan.applications} == set(State)
    assert {o.role for o in data.users.officers} == set(Role) - {Role.ENTERPRISE}
    lingang = next(b for b in data.budgets.budgets if (b.policy, b.year) == ("lingang-2024", 2025))
    assert lingang.allocated == Decimal("110000000")  # 1.1亿, near its limit by the end


@pytest.mark.parametrize(
    ("name", "good", "bad", "said"),
    [
        ("enterprises.yaml", "business_district: 闵行区", "business_district: 闵行县", "闵行县"),  # the facts models
        ("applications.yaml", "ends: draft", "ends: drafted", "draft"),  # the file's own model
        ("applications.yaml", "subject: P5", "subject: P9", "'P9'"),  # a cross reference
        ("applications.yaml", "measure: lingang-2024.rd", "measure: lingang-2024.r&d", "r&d"),  # the library
    ],
)
def test_a_broken_data_file_is_named_by_file_and_line_and_nothing_is_written(
    tmp_path: Path, library: Library, name: str, good: str, bad: str, said: str
) -> None:
    folder = tmp_path / "demo"
    shutil.copytree(DEMO_DIR, folder)
    broken = folder / name
    lines = broken.read_text(encoding="utf-8").splitlines(keepends=True)
    line = next(n for n, text in enumerate(lines, 1) if text.strip() == good)
    lines[line - 1] = lines[line - 1].replace(good, bad)
    broken.write_text("".join(lines), encoding="utf-8")
    database = tmp_path / "demo.db"
    url = f"sqlite:///{database}"
    upgrade(url)
    ledger = Ledger(make_engine(url), library)

    with pytest.raises(InputError) as raised:
        load_demo(ledger, url, folder)
    assert [f"{d.file}:{d.line}" for d in raised.value.diagnostics] == [f"{broken}:{line}"]
    assert said in str(raised.value)
    assert ledger.read(SYSTEM, row_counts) == (0,) * 8  # not a user, not an audit event
    assert not Path(f"{database}.tokens.txt").exists()
    ledger.engine.dispose()
