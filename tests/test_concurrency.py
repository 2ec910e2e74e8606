"""Twenty approvals at the same moment, racing for one budget, in real concurrent transactions."""

from __future__ import annotations

import threading
from decimal import Decimal

from huiqi.ledger import applications, catalogue, payments
from huiqi.ledger.actors import SYSTEM
from huiqi.ledger.errors import Conflict
from huiqi.ledger.uow import Ledger
from huiqi.ledger.workflow import Action
from huiqi.money import parse_amount
from tests.ledger_world import MINHANG, build_world, example

RACERS = 20


def test_twenty_concurrent_approvals_never_overspend_the_budget(ledger: Ledger) -> None:
    world = build_world(ledger, budget="1000万")  # room for four awards of 250万
    template = example("minhang-robotics.yaml")["projects"][0]
    enterprise, reviewer, approver = (world.actors[n] for n in ("minhang-user", "reviewer", "approver"))
    ids = []
    for n in range(RACERS):
        project = {**template, "id": f"R{n}", "name": f"{template['name']} {n}"}
        pid = ledger.run(SYSTEM, lambda uow, p=project: catalogue.add_project(uow, MINHANG, "project", p).id)
        app = ledger.run(
            enterprise,
            lambda uow, pid=pid: (
                applications.file_application(
                    uow, enterprise=MINHANG, project=pid, measure="minhang-2018.demo", year=2020
                ).id
            ),
        )
        ledger.run(enterprise, lambda uow, a=app: applications.act(uow, a, Action.SUBMIT))
        ledger.run(reviewer, lambda uow, a=app: applications.act(uow, a, Action.START_REVIEW))
        ids.append(app)

    start = threading.Barrier(RACERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(app: int) -> None:
        start.wait()
        try:
            ledger.run(approver, lambda uow: applications.act(uow, app, Action.APPROVE, amount=parse_amount("250万")))
            result = "approved"
        except Conflict as refused:
            result = "refused: " + " ".join(refused.reasons)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=race, args=(app,)) for app in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == RACERS
    approved = [o for o in outcomes if o == "approved"]
    assert len(approved) == 4, outcomes
    assert all("预算" in o for o in outcomes if o != "approved")
    awards = ledger.read(SYSTEM, lambda uow: payments.list_awards(uow, limit=1000))
    assert sum((a.amount for a in awards), Decimal(0)) == parse_amount("1000万")
    budget = ledger.read(SYSTEM, lambda uow: payments.budget_of(uow, "minhang-2018", 2020))
    assert budget.committed == parse_amount("1000万")
