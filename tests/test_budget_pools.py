"""A budget pool declared in a policy is the budget its measures draw on in the ledger: seeded from
the pool's yearly amount at the first approval, refusing beyond it, paid from it (SQLite and
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from huiqi.ledger import applications, catalogue, payments, users
from huiqi.ledger.actors import SYSTEM, Actor
from huiqi.ledger.database import make_engine
from huiqi.ledger.errors import Conflict
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.ledger.workflow import Action
from huiqi.money import parse_amount
from huiqi.policy_files import load_library
from tests.conftest import FakeClock

LIBRARY = load_library(Path(__file__).parent / "assets" / "voucher-library")
CODE = "91110108MA01ABCD1E"


@pytest.fixture
def pooled(database_url: str) -> Iterator[tuple[Ledger, dict[str, Actor], dict[str, int]]]:
    ledger = Ledger(make_engine(database_url), LIBRARY, clock=FakeClock(datetime(2024, 6, 1, 9, 0, tzinfo=UTC)))
    actors: dict[str, Actor] = {}
    subjects: dict[str, int] = {}

    def setup(uow: UnitOfWork) -> None:
        facts = {
            "name": "北京某智能科技有限公司",
            "credit_code": CODE,
            "business_district": "北京市海淀区",
            "tax_district": "北京市海淀区",
            "severe_credit_record": False,
            "founded": "2010-01-01",
        }
        catalogue.add_enterprise(uow, facts)
        for ref, amount in (("C1", "300万"), ("C2", "300万"), ("C3", "600万")):
            contract = {
                "id": ref,
                "kind": "compute",
                "signed": "2024-03-01",
                "service_start": "2024-03-01",
                "service_end": "2024-12-31",
                "amount": amount,
            }
            subjects[ref] = catalogue.add_project(uow, CODE, "contract", contract).id
        for name, role, code in [("firm", "enterprise", CODE), ("reviewer", "reviewer", None)]:
            user, _ = users.add_user(uow, name, role, code)
            actors[name] = users.actor_of(user)
        user, _ = users.add_user(uow, "approver", "approver", None)
        actors["approver"] = users.actor_of(user)

    ledger.run(SYSTEM, setup)
    yield ledger, actors, subjects
    ledger.engine.dispose()


def _to_approval(ledger: Ledger, actors: dict[str, Actor], subject: int, decided: str) -> int:
    app = ledger.run(
        actors["firm"],
        lambda uow: (
            applications.file_application(
                uow, enterprise=CODE, project=subject, measure="scratch-voucher.compute", year=2024
            ).id
        ),
    )
    ledger.run(actors["firm"], lambda uow: applications.act(uow, app, Action.SUBMIT))
    ledger.run(actors["reviewer"], lambda uow: applications.act(uow, app, Action.START_REVIEW))
    review = {"conflict_of_interest": False, "decided": parse_amount(decided), "scores": []}
    ledger.run(actors["reviewer"], lambda uow: applications.add_review(uow, app, review))
    return app


def test_a_pool_is_seeded_drawn_on_and_refuses_beyond_its_amount(
    pooled: tuple[Ledger, dict[str, Actor], dict[str, int]],
) -> None:
    ledger, actors, subjects = pooled
    # the pool: 100万 a year over scratch-voucher.compute; each contract 300万 × [10%, 20%] = 30万–60万
    first = _to_approval(ledger, actors, subjects["C1"], "60万")
    ledger.run(actors["approver"], lambda uow: applications.act(uow, first, Action.APPROVE))
    budget = ledger.read(SYSTEM, lambda uow: payments.budget_of(uow, "scratch-voucher/compute-pool", 2024))
    assert (budget.allocated, budget.committed) == (Decimal("1000000.00"), Decimal("600000.00"))
    second = _to_approval(ledger, actors, subjects["C2"], "50万")
    with pytest.raises(Conflict) as refused:  # 40万 left in the pool, 50万 asked
        ledger.run(actors["approver"], lambda uow: applications.act(uow, second, Action.APPROVE))
    assert any("scratch-voucher/compute-pool 2024" in r and "不足" in r for r in refused.value.reasons)
    ledger.run(
        actors["approver"], lambda uow: applications.act(uow, second, Action.APPROVE, amount=parse_amount("40万"))
    )
    budget = ledger.read(SYSTEM, lambda uow: payments.budget_of(uow, "scratch-voucher/compute-pool", 2024))
    assert budget.committed == budget.allocated == Decimal("1000000.00")
    # the policy's own filter finds its pool's budget
    listed = ledger.read(SYSTEM, lambda uow: [b.policy for b in payments.list_budgets(uow, policy="scratch-voucher")])
    assert listed == ["scratch-voucher/compute-pool"]


def test_a_pool_over_the_term_is_one_budget_for_every_year(database_url: str, tmp_path: Path) -> None:
    """The same pool declared `per: term`: one row (year 0, "政策期内") that the approvals of every
    year draw on, refusing beyond it, and paid from."""
    import shutil

    folder = tmp_path / "library"
    shutil.copytree(Path(__file__).parent / "assets" / "voucher-library", folder)
    policy = folder / "scratch" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("    per: year\n", "    per: term\n", 1), "utf-8")
    library = load_library(folder)
    clock = FakeClock(datetime(2025, 6, 1, 9, 0, tzinfo=UTC))
    ledger = Ledger(make_engine(database_url), library, clock=clock)
    try:
        actors: dict[str, Actor] = {}
        subjects: dict[str, int] = {}

        def setup(uow: UnitOfWork) -> None:
            facts = {"name": "北京某智能科技有限公司", "credit_code": CODE, "business_district": "北京市海淀区"}
            catalogue.add_enterprise(uow, facts | {"tax_district": "北京市海淀区", "severe_credit_record": False})
            for ref, signed in (("C1", "2024-03-01"), ("C2", "2025-03-01"), ("C3", "2025-04-01")):
                contract = {"id": ref, "kind": "compute", "signed": signed, "amount": "300万"}
                contract |= {"service_start": signed, "service_end": signed[:4] + "-12-31"}
                subjects[ref] = catalogue.add_project(uow, CODE, "contract", contract).id
            for name, role, code in [("firm", "enterprise", CODE), ("reviewer", "reviewer", None)]:
                user, _ = users.add_user(uow, name, role, code)
                actors[name] = users.actor_of(user)
            for name, role in (("approver", "approver"), ("finance", "finance")):
                user, _ = users.add_user(uow, name, role, None)
                actors[name] = users.actor_of(user)

        ledger.run(SYSTEM, setup)

        def approve(ref: str, year: int, decided: str) -> int:
            app = ledger.run(
                actors["firm"],
                lambda uow: (
                    applications.file_application(
                        uow, enterprise=CODE, project=subjects[ref], measure="scratch-voucher.compute", year=year
                    ).id
                ),
            )
            ledger.run(actors["firm"], lambda uow: applications.act(uow, app, Action.SUBMIT))
            ledger.run(actors["reviewer"], lambda uow: applications.act(uow, app, Action.START_REVIEW))
            review = {"conflict_of_interest": False, "decided": parse_amount(decided), "scores": []}
            ledger.run(actors["reviewer"], lambda uow: applications.add_review(uow, app, review))
            ledger.run(actors["approver"], lambda uow: applications.act(uow, app, Action.APPROVE))
            return app

        approve("C1", 2024, "60万")  # 2024's contract
        approve("C2", 2025, "30万")  # 2025's: the same row, 90万 of 100万 committed
        term = ledger.read(SYSTEM, lambda uow: payments.budget_of(uow, "scratch-voucher/compute-pool", 0))
        assert (term.allocated, term.committed) == (parse_amount("100万"), parse_amount("90万"))
        with pytest.raises(Conflict) as refused:  # 10万 left for the whole term, 30万 asked
            approve("C3", 2025, "30万")
        assert any("政策期内预算余额" in r and "不足" in r for r in refused.value.reasons)
        yearly = ledger.read(SYSTEM, lambda uow: [b.year for b in payments.list_budgets(uow, policy="scratch-voucher")])
        assert yearly == [0]  # no row per year
        tranche, amount = ledger.read(
            SYSTEM, lambda uow: (lambda tr: (tr.id, tr.amount))(payments.list_awards(uow)[0].tranches[0])
        )
        ledger.run(actors["finance"], lambda uow: payments.pay(uow, tranche, paid_on=None, reference="", expected=None))
        term = ledger.read(SYSTEM, lambda uow: payments.budget_of(uow, "scratch-voucher/compute-pool", 0))
        assert term.paid == amount  # paid from the term's row, whatever year the tranche is charged to
    finally:
        ledger.engine.dispose()
