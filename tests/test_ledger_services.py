"""The ledger's services on a real database (every test runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from huiqi.ledger import applications, catalogue, payments
from huiqi.ledger import tables as t
from huiqi.ledger.actors import SYSTEM
from huiqi.ledger.audit_log import verify_chain
from huiqi.ledger.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from huiqi.ledger.uow import Ledger
from huiqi.ledger.views import award_view
from huiqi.ledger.workflow import Action
from huiqi.money import parse_amount
from tests.ledger_world import LINGANG, MINHANG, World, build_world


@pytest.fixture
def world(ledger: Ledger) -> World:
    return build_world(ledger)


def file(ledger: Ledger, world: World, measure: str, ref: str | None, year: int = 2020, code: str = MINHANG) -> int:
    user = "minhang-user" if code == MINHANG else "lingang-user"
    project = world.subjects[(code, ref)] if ref else None
    return ledger.run(
        world.actors[user],
        lambda uow: applications.file_application(uow, enterprise=code, project=project, measure=measure, year=year).id,
    )


def to_review(ledger: Ledger, world: World, app: int, decided: str, user: str = "minhang-user") -> None:
    ledger.run(world.actors[user], lambda uow: applications.act(uow, app, Action.SUBMIT))
    ledger.run(world.actors["reviewer"], lambda uow: applications.act(uow, app, Action.START_REVIEW))
    review = {"conflict_of_interest": False, "decided": parse_amount(decided), "scores": []}
    ledger.run(world.actors["reviewer"], lambda uow: applications.add_review(uow, app, review))


def approve(ledger: Ledger, world: World, app: int, amount: str | None = None) -> None:
    chosen = parse_amount(amount) if amount else None
    ledger.run(world.actors["approver"], lambda uow: applications.act(uow, app, Action.APPROVE, amount=chosen))


def budget(ledger: Ledger, year: int = 2020) -> t.Budget:
    return ledger.read(SYSTEM, lambda uow: payments.budget_of(uow, "minhang-2018", year))


def test_an_application_from_filing_to_closing(ledger: Ledger, world: World) -> None:
    app = file(ledger, world, "minhang-2018.demo", "M1")
    to_review(ledger, world, app, "250万")
    approve(ledger, world, app)
    award = ledger.read(SYSTEM, lambda uow: award_view(payments.list_awards(uow)[0]))
    assert award["amount"] == "2500000.00"
    assert [(tr["trigger"], tr["amount"]) for tr in award["tranches"]] == [
        ("approval", "1250000.00"),
        ("acceptance", "1250000.00"),
    ]
    assert budget(ledger).committed == parse_amount("250万")
    first, second = (tr["id"] for tr in award["tranches"])
    finance = world.actors["finance"]
    ledger.run(finance, lambda uow: payments.pay(uow, first, paid_on=None, reference="ZF-1", expected=None))
    with pytest.raises(Conflict, match="acceptance"):
        ledger.run(finance, lambda uow: payments.pay(uow, second, paid_on=None, reference="ZF-2", expected=None))
    ledger.run(world.actors["reviewer"], lambda uow: applications.act(uow, app, Action.ACCEPT))
    with pytest.raises(Conflict, match="unpaid"):
        ledger.run(finance, lambda uow: applications.act(uow, app, Action.CLOSE))
    ledger.run(finance, lambda uow: payments.pay(uow, second, paid_on=None, reference="ZF-2", expected=None))
    with pytest.raises(Conflict, match="already paid"):
        ledger.run(finance, lambda uow: payments.pay(uow, second, paid_on=None, reference="ZF-3", expected=None))
    ledger.run(finance, lambda uow: applications.act(uow, app, Action.CLOSE))
    state = ledger.read(SYSTEM, lambda uow: applications.application_by_id(uow, app).state)
    assert state == "closed"
    assert budget(ledger).paid == parse_amount("250万")
    history = ledger.read(
        SYSTEM, lambda uow: [e.action for e in applications.events_of(uow, applications.application_by_id(uow, app))]
    )
    assert history == ["submit", "start_review", "approve", "accept", "close"]


def test_the_engine_refuses_an_amount_above_the_range(ledger: Ledger, world: World) -> None:
    app = file(ledger, world, "minhang-2018.demo", "M1")
    to_review(ledger, world, app, "250万")
    with pytest.raises(Conflict) as refused:
        approve(ledger, world, app, "350万")
    assert "不在可给予范围" in refused.value.reasons[0]
    assert ledger.read(SYSTEM, lambda uow: payments.list_awards(uow)) == []
    assert budget(ledger).committed == 0


def test_a_review_outside_the_range_is_invalid(ledger: Ledger, world: World) -> None:
    app = file(ledger, world, "minhang-2018.demo", "M1")
    with pytest.raises(Invalid) as invalid:
        to_review(ledger, world, app, "1亿")
    assert invalid.value.errors[0].field == "decided"


def test_one_project_cannot_hold_two_measures_of_one_group(ledger: Ledger, world: World) -> None:
    first = file(ledger, world, "minhang-2018.demo", "M1")
    to_review(ledger, world, first, "250万")
    approve(ledger, world, first)
    second = file(ledger, world, "minhang-2018.city-demo-match", "M1")
    ledger.run(world.actors["minhang-user"], lambda uow: applications.act(uow, second, Action.SUBMIT))
    ledger.run(world.actors["reviewer"], lambda uow: applications.act(uow, second, Action.START_REVIEW))
    with pytest.raises(Conflict) as refused:
        approve(ledger, world, second, "100万")
    assert any("就高不重复" in reason for reason in refused.value.reasons)


def test_the_budget_cannot_be_overcommitted(ledger: Ledger) -> None:
    world = build_world(ledger, budget="300万")
    first = file(ledger, world, "minhang-2018.demo", "M1")
    to_review(ledger, world, first, "250万")
    approve(ledger, world, first)
    rent = file(ledger, world, "minhang-2018.rent", None)  # the enterprise's rent support for 2020
    ledger.run(world.actors["minhang-user"], lambda uow: applications.act(uow, rent, Action.SUBMIT))
    ledger.run(world.actors["reviewer"], lambda uow: applications.act(uow, rent, Action.START_REVIEW))
    allowed = ledger.read(SYSTEM, lambda uow: applications.allowed_now(uow, applications.application_by_id(uow, rent)))
    assert allowed is not None
    assert allowed.hi > parse_amount("50万")  # more than the 50万 the budget has left
    with pytest.raises(Conflict) as refused:
        approve(ledger, world, rent, str(allowed.hi))
    assert any("预算" in reason for reason in refused.value.reasons)
    assert budget(ledger).committed == parse_amount("250万")
    enough = parse_amount("250万") + allowed.hi
    ledger.run(SYSTEM, lambda uow: payments.set_budget(uow, "minhang-2018", 2020, enough, None))
    approve(ledger, world, rent, str(allowed.hi))
    assert budget(ledger).committed == budget(ledger).allocated == enough


def test_roles_and_tenants(ledger: Ledger, world: World) -> None:
    app = file(ledger, world, "minhang-2018.demo", "M1")
    with pytest.raises(NotFound):
        ledger.read(world.actors["lingang-user"], lambda uow: applications.application_by_id(uow, app))
    with pytest.raises(NotFound):
        ledger.run(world.actors["lingang-user"], lambda uow: applications.act(uow, app, Action.SUBMIT))
    with pytest.raises(Forbidden):
        ledger.run(world.actors["reviewer"], lambda uow: applications.act(uow, app, Action.SUBMIT))
    with pytest.raises(Forbidden):
        ledger.run(
            world.actors["minhang-user"],
            lambda uow: payments.set_budget(uow, "minhang-2018", 2020, Decimal("1.00"), None),
        )
    mine = ledger.read(world.actors["lingang-user"], lambda uow: applications.list_applications(uow))
    assert mine == []


def test_a_filing_is_checked_against_the_measure(ledger: Ledger, world: World) -> None:
    with pytest.raises(Invalid, match="unknown measure"):
        file(ledger, world, "minhang-2018.nonexistent", "M1")
    with pytest.raises(Invalid) as wrong_kind:
        file(ledger, world, "minhang-2018.rent", "M1")  # rent is for the enterprise, not a project
    assert wrong_kind.value.errors[0].field == "project"
    file(ledger, world, "minhang-2018.demo", "M1")
    with pytest.raises(Conflict, match="already asks"):
        file(ledger, world, "minhang-2018.demo", "M1")


def test_a_stale_version_is_refused(ledger: Ledger, world: World) -> None:
    app = file(ledger, world, "minhang-2018.demo", "M1")
    with pytest.raises(PreconditionFailed):
        ledger.run(world.actors["minhang-user"], lambda uow: applications.act(uow, app, Action.SUBMIT, expected=7))
    ledger.run(world.actors["minhang-user"], lambda uow: applications.act(uow, app, Action.SUBMIT, expected=1))


def test_annual_tranches_are_paid_in_their_year(ledger: Ledger, world: World) -> None:
    # A public platform's support is paid 20% a year over five years (an interpretation of 资助周期).
    clock = ledger.clock
    clock.now = clock.now.replace(year=2025, month=3)  # type: ignore[attr-defined]
    platform = {"id": "PF1", "name": "临港AI公共算力服务平台", "kind": "public_tech_service", "year": 2025}
    platform["approved_investment"] = "5000万"
    project = ledger.run(SYSTEM, lambda uow: catalogue.add_project(uow, LINGANG, "platform", platform).id)
    world.subjects[(LINGANG, "PF1")] = project
    app = file(ledger, world, "lingang-2024.public-platform", "PF1", year=2025, code=LINGANG)
    to_review(ledger, world, app, "1000万", user="lingang-user")
    approve(ledger, world, app)
    award = ledger.read(SYSTEM, lambda uow: award_view(payments.list_awards(uow)[0]))
    assert [(tr["trigger"], tr["year"], tr["amount"]) for tr in award["tranches"]] == [
        ("annual", year, "2000000.00") for year in range(2025, 2030)
    ]
    lingang = ledger.read(SYSTEM, lambda uow: payments.budget_of(uow, "lingang-2024", 2025))
    assert lingang.committed == parse_amount("200万")  # only 2025's share is charged to 2025
    finance = world.actors["finance"]
    first, second = award["tranches"][0]["id"], award["tranches"][1]["id"]
    ledger.run(finance, lambda uow: payments.pay(uow, first, paid_on=None, reference="", expected=None))
    with pytest.raises(Conflict, match="2026"):
        ledger.run(finance, lambda uow: payments.pay(uow, second, paid_on=None, reference="", expected=None))
    clock.now = clock.now.replace(year=2026, month=1, day=5)  # type: ignore[attr-defined]
    ledger.run(finance, lambda uow: payments.pay(uow, second, paid_on=None, reference="", expected=None))


def test_every_change_is_in_the_audit_chain_and_tampering_shows(ledger: Ledger, world: World) -> None:
    app = file(ledger, world, "minhang-2018.demo", "M1")
    to_review(ledger, world, app, "250万")
    approve(ledger, world, app)
    verdict = ledger.read(SYSTEM, lambda uow: verify_chain(uow.session))
    assert verdict.ok, verdict.problem
    events = ledger.read(SYSTEM, lambda uow: uow.session.execute(select(t.AuditEvent)).scalars().all())
    approvals = [e for e in events if e.action == "application.approve"]
    assert {e.entity for e in approvals} >= {"applications", "awards", "tranches", "budgets", "application_events"}
    changed = next(e for e in approvals if e.entity == "applications")
    assert changed.before is not None
    assert changed.after is not None
    assert (changed.before["state"], changed.after["state"]) == ("under_review", "approved")
    assert all(e.after is None or e.after.get("token_hash") in (None, "(redacted)") for e in events)
    with ledger.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = :seq"), {"seq": changed.seq})
    broken = ledger.read(SYSTEM, lambda uow: verify_chain(uow.session))
    assert not broken.ok
    assert f"event {changed.seq}" in broken.problem


def test_a_deleted_audit_event_shows(ledger: Ledger, world: World) -> None:
    with ledger.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    verdict = ledger.read(SYSTEM, lambda uow: verify_chain(uow.session))
    assert not verdict.ok
    assert "event 3 is missing" in verdict.problem


def test_budgets_cannot_shrink_below_commitments(ledger: Ledger, world: World) -> None:
    app = file(ledger, world, "minhang-2018.demo", "M1")
    to_review(ledger, world, app, "250万")
    approve(ledger, world, app)
    with pytest.raises(Conflict, match="committed"):
        ledger.run(SYSTEM, lambda uow: payments.set_budget(uow, "minhang-2018", 2020, parse_amount("100万"), None))
    assert budget(ledger).allocated == parse_amount("1000万")


def test_a_payment_cannot_be_dated_in_the_future(ledger: Ledger, world: World) -> None:
    app = file(ledger, world, "minhang-2018.demo", "M1")
    to_review(ledger, world, app, "250万")
    approve(ledger, world, app)
    tranche = ledger.read(SYSTEM, lambda uow: payments.list_awards(uow)[0].tranches[0].id)
    tomorrow = ledger.clock().date() + timedelta(days=1)
    with pytest.raises(Invalid):
        ledger.run(
            world.actors["finance"],
            lambda uow: payments.pay(uow, tranche, paid_on=tomorrow, reference="", expected=None),
        )


def test_catalogue_updates_are_validated(ledger: Ledger, world: World) -> None:
    user = world.actors["minhang-user"]
    with pytest.raises(Invalid) as invalid:
        ledger.run(user, lambda uow: catalogue.update_enterprise(uow, MINHANG, {"business_district": "火星"}, None))
    assert invalid.value.errors[0].field.startswith("enterprise.business_district")
    with pytest.raises(NotFound):
        ledger.run(user, lambda uow: catalogue.update_enterprise(uow, LINGANG, {"name": "x"}, None))
