"""`audit verify` checks the ledger's rows, not only the chain of events: a change made in SQL,
outside huiqi, to any ledger table is caught and named (table and row), on SQLite and PostgreSQL."""

from __future__ import annotations

import tempfile
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text

from huiqi.ledger import attachments, audit_log, payments, scenarios
from huiqi.ledger import tables as t
from huiqi.ledger.actors import SYSTEM
from huiqi.ledger.attachment_store import FOLDER_ENV
from huiqi.ledger.audit import Verdict
from huiqi.ledger.audit_log import SEAL, verify_chain
from huiqi.ledger.database import alembic_config, head_revision, upgrade
from huiqi.ledger.monitoring import import_catalogue
from huiqi.ledger.proposal_files import attach_to_proposal
from huiqi.ledger.uow import Ledger
from huiqi.monitor.calls import Applicant, Proposal
from huiqi.target_files import load_call_lists
from tests.ledger_world import MINHANG, World, build_world
from tests.test_ledger_services import approve, file, to_review

# For each audited table: a column changed in SQL and how (numbers times ten, text with a suffix).
TAMPER = {
    "users": ("role", "'admin'"),
    "enterprises": ("name", "name || '(改)'"),
    "projects": ("name", "name || '(改)'"),
    "applications": ("state", "'closed'"),
    "application_events": ("reason", "reason || '(改)'"),
    "reviews": ("decided_fen", "decided_fen * 10"),
    "awards": ("amount_fen", "amount_fen * 10"),
    "tranches": ("paid", "NOT paid"),
    "payments": ("amount_fen", "amount_fen * 10"),
    "budgets": ("allocated_fen", "allocated_fen * 10"),
    "attachments": ("size", "size * 10"),
    "monitor_entries": ("ai_talents", "ai_talents * 10"),
    "scenario_calls": ("title", "title || '(改)'"),
    "scenario_events": ("action", "action || '(改)'"),
    "proposal_attachments": ("size", "size * 10"),
}


def test_every_ledger_table_is_audited_here() -> None:
    assert set(TAMPER) == {model.__tablename__ for model in t.AUDITED}


def verdict(ledger: Ledger) -> Verdict:
    return ledger.read(SYSTEM, lambda uow: verify_chain(uow.session))


@pytest.fixture
def busy(ledger: Ledger, database_url: str) -> tuple[Ledger, World]:
    return fill(ledger, database_url)


def fill(ledger: Ledger, database_url: str, *, attach: bool = True) -> tuple[Ledger, World]:
    """A ledger with a row in every table: an application filed, a document attached, reviewed, approved,
    its first tranche paid. `attach=False` for a ledger to be taken back to a revision before attachments."""
    if database_url.startswith("postgresql"):
        # A server set up in China answers in its own time zone; the chain and the digests must not care.
        name = database_url.rsplit("/", 1)[1]
        with ledger.engine.begin() as connection:
            connection.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO 'Asia/Shanghai'"))
        ledger.engine.dispose()
    world = build_world(ledger)
    app = file(ledger, world, "minhang-2018.demo", "M1")
    if attach:
        with pytest.MonkeyPatch.context() as env:
            env.setenv(FOLDER_ENV, tempfile.mkdtemp(prefix="huiqi-attachments-"))  # never the checkout's var/
            ledger.run(
                world.actors["minhang-user"], lambda uow: attachments.attach(uow, app, "报告.pdf", b"%PDF-1.4\n")
            )
    to_review(ledger, world, app, "250万")
    approve(ledger, world, app)
    tranche = ledger.read(SYSTEM, lambda uow: payments.list_awards(uow)[0].tranches[0].id)
    finance = world.actors["finance"]
    ledger.run(finance, lambda uow: payments.pay(uow, tranche, paid_on=None, reference="", expected=None))
    if attach:  # monitoring's tables (revisions 0006, 0007): a catalogue entry, a scenario call and its event
        entry = {"credit_code": MINHANG, "name": "闵行智能机器人", "year": 2019, "region": "闵行", "ai_talents": 12}
        ledger.run(SYSTEM, lambda uow: import_catalogue(uow, [(2, entry)], "catalogue.csv"))
        call = load_call_lists()[0]
        ledger.run(SYSTEM, lambda uow: scenarios.open_call(uow, call))
        ledger.run(SYSTEM, lambda uow: scenarios.publish(uow, call.id))
        firm = world.actors["minhang-user"]
        proposal = Proposal("P1", Applicant(MINHANG, "闵行智能机器人"), (), "方案", ledger.clock())
        ledger.run(firm, lambda uow: scenarios.submit(uow, call.id, proposal))
        with pytest.MonkeyPatch.context() as env:
            env.setenv(FOLDER_ENV, tempfile.mkdtemp(prefix="huiqi-attachments-"))
            ledger.run(firm, lambda uow: attach_to_proposal(uow, call.id, "P1", "方案.pdf", b"%PDF-1.4\n"))
    return ledger, world


def test_an_untouched_ledger_verifies(busy: tuple[Ledger, World]) -> None:
    ledger, _ = busy
    result = verdict(ledger)
    assert result.ok, result.problem
    counted = ledger.read(SYSTEM, lambda uow: sum(len(uow.session.scalars(select(m)).all()) for m in t.AUDITED))
    assert result.rows == counted
    for model in t.AUDITED:  # the fixture put a row in every table
        assert ledger.read(SYSTEM, lambda uow, m=model: uow.session.scalars(select(m)).first()) is not None


def test_an_update_in_sql_to_any_ledger_table_is_named(busy: tuple[Ledger, World]) -> None:
    ledger, _ = busy
    for table, (column, change) in TAMPER.items():
        with ledger.engine.begin() as connection:
            row_id, original = connection.execute(text(f"SELECT id, {column} FROM {table} ORDER BY id LIMIT 1")).one()
            connection.execute(text(f"UPDATE {table} SET {column} = {change} WHERE id = :id"), {"id": row_id})
        found = verdict(ledger)
        assert not found.ok, table
        assert [(f.table, f.row_id) for f in found.findings] == [(table, str(row_id))], found.findings
        assert "changed outside huiqi" in found.problem
        assert found.problem.startswith(f"{table} row {row_id}:")
        with ledger.engine.begin() as connection:  # put it back: the ledger verifies again
            connection.execute(text(f"UPDATE {table} SET {column} = :v WHERE id = :id"), {"v": original, "id": row_id})
        assert verdict(ledger).ok, (table, verdict(ledger).problem)


def test_the_finding_shows_the_column_before_and_after(busy: tuple[Ledger, World]) -> None:
    ledger, _ = busy
    with ledger.engine.begin() as connection:
        connection.execute(text("UPDATE awards SET amount_fen = amount_fen * 10"))
    (finding,) = verdict(ledger).findings
    assert "amount: 2500000.00 → 25000000.00" in finding.message


def test_a_changed_token_hash_is_caught_though_the_log_never_shows_it(busy: tuple[Ledger, World]) -> None:
    ledger, _ = busy
    with ledger.engine.begin() as connection:
        connection.execute(text("UPDATE users SET token_hash = 'a known token' WHERE name = 'admin'"))
    (finding,) = verdict(ledger).findings
    assert finding.table == "users"
    assert "token_hash" in finding.message


def test_rows_inserted_or_deleted_in_sql_are_named(busy: tuple[Ledger, World]) -> None:
    ledger, _ = busy
    with ledger.engine.begin() as connection:
        payment = connection.execute(text("SELECT id FROM payments")).scalar_one()
        connection.execute(text("DELETE FROM payments WHERE id = :id"), {"id": payment})
        connection.execute(
            text(
                "INSERT INTO budgets (id, policy, year, allocated_fen, committed_fen, paid_fen, version) "
                "VALUES (900, 'minhang-2018', 2030, 100, 0, 0, 1)"
            )
        )
    found = {(f.table, f.row_id): f.message for f in verdict(ledger).findings}
    assert set(found) == {("payments", str(payment)), ("budgets", "900")}
    assert "deleted outside huiqi" in found[("payments", str(payment))]
    assert "not in the audit log" in found[("budgets", "900")]


def _downgrade(url: str, revision: str) -> None:
    """Alembic's downgrade on a plain connection (SQLite without foreign keys, so tables can be rebuilt)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
    engine.dispose()


def test_a_ledger_from_before_row_digests_is_sealed_when_upgraded(
    ledger: Ledger, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revision 0001 had no digests: upgrading seals each row that still is what its events say;
    one changed while at 0001 is not sealed (that would hide it) and stays reported."""
    monkeypatch.setattr(audit_log, "row_digest", lambda values, columns: None)  # events as 0001 recorded them
    fill(ledger, database_url, attach=False)  # 0001 has no attachments table
    monkeypatch.undo()
    ledger.engine.dispose()
    _downgrade(database_url, "0001")
    with ledger.engine.begin() as connection:
        rename = text("UPDATE enterprises SET name = 'renamed at 0001' WHERE credit_code = :c")
        connection.execute(rename, {"c": MINHANG})
    before, after = upgrade(database_url)
    assert (before, after) == ("0001", head_revision())
    found = verdict(ledger)
    assert found.problem.startswith("enterprises row"), found.problem
    assert [f.table for f in found.findings] == ["enterprises"]
    assert "name: " in found.findings[0].message
    sealed = ledger.read(
        SYSTEM, lambda uow: uow.session.scalars(select(t.AuditEvent).where(t.AuditEvent.action == SEAL)).all()
    )
    assert len(sealed) == found.rows - 1  # every row but the changed one
    assert all(event.row_digest for event in sealed)
    # sealed rows are covered from now on, new columns included
    with ledger.engine.begin() as connection:
        connection.execute(text("UPDATE users SET failed_sign_ins = 3 WHERE name = 'reviewer'"))
    assert {f.table for f in verdict(ledger).findings} == {"enterprises", "users"}
    assert upgrade(database_url) == (head_revision(), head_revision())  # nothing to migrate: nothing sealed
    count: Any = ledger.read(SYSTEM, lambda uow: len(uow.session.scalars(select(t.AuditEvent)).all()))
    assert count == found.checked
