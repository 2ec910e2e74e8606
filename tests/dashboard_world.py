"""Many ledger rows at once, for the dashboards' query tests (SQLite and PostgreSQL) and benchmark.

A shortcut: the rows are bulk-inserted with SQLAlchemy straight into the tables — enterprises,
applications in every state, awards for the approved ones with a tranche each (half of them
paid), and the budgets that agree with them — without the services, the workflow's checks or the
audit chain. Filing 10,000 applications through the services would take minutes; the dashboards
only read the tables. Returns what was inserted, so a test can sum it by itself.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from huiqi.ledger import tables as t

POLICIES = {"minhang-2018": ("minhang-2018.demo", "minhang-2018.rent"), "lingang-2024": ("lingang-2024.rd",)}
DISTRICTS = ("minhang", "lingang", "pudong")
STATES = ("draft", "submitted", "under_review", "returned", "approved", "accepted", "closed", "rejected", "withdrawn")
AWARDED = {"approved", "accepted", "closed"}
YEARS = (2024, 2025)
# 30 June 2025 at 17:00 UTC is 1 July in Shanghai: the first award is approved then, so the
# months are tested across that boundary.
BOUNDARY = datetime(2025, 6, 30, 17, 0, tzinfo=UTC)


@dataclass
class Inserted:
    applications: list[dict[str, object]] = field(default_factory=list)
    awards: list[dict[str, object]] = field(default_factory=list)  # with "district"
    payments: list[dict[str, object]] = field(default_factory=list)  # with "policy", "year" of the award
    budgets: list[dict[str, object]] = field(default_factory=list)


def fill(engine: Engine, applications: int, *, seed: int = 21, enterprises: int | None = None) -> Inserted:
    rng = random.Random(seed)
    now = datetime(2025, 7, 1, tzinfo=UTC)
    firms = enterprises or max(1, applications // 4)
    made = Inserted()
    with Session(engine) as session:
        session.execute(
            insert(t.Enterprise),
            [
                {"id": i + 1, "credit_code": f"9131{i:014d}", "name": f"企业{i}", "district": DISTRICTS[i % 3]}
                | {"facts": {}, "created_at": now, "updated_at": now, "version": 1}
                for i in range(firms)
            ],
        )
        awards, tranches = [], []
        for i in range(applications):
            policy = rng.choice(tuple(POLICIES))
            row = {
                "id": i + 1,
                "enterprise_id": i % firms + 1,
                "measure": rng.choice(POLICIES[policy]),
                "policy": policy,
                "year": rng.choice(YEARS),
                "state": STATES[i % len(STATES)],
                "requested": Decimal(rng.randint(1, 500_000_00)) / 100 if i % 5 else None,
                "submitted_on": date(2025, 1, 1) + timedelta(days=i % 180),
            }
            made.applications.append(row)
            if row["state"] in AWARDED:
                approved = BOUNDARY if not awards else BOUNDARY - timedelta(hours=rng.randint(0, 24 * 500))
                award = {"id": len(awards) + 1, "application_id": i + 1, "enterprise_id": row["enterprise_id"]}
                award |= {"measure": row["measure"], "policy": policy, "subject": "enterprise", "year": row["year"]}
                award |= {"amount": Decimal(rng.randint(1, 2_000_000_00)) / 100, "approved_by": "bulk"}
                award |= {"approved_at": approved}
                awards.append(award)
                made.awards.append(award | {"district": DISTRICTS[(i % firms) % 3]})
                paid = len(awards) % 2 == 0
                tranches.append(
                    {"id": len(tranches) + 1, "award_id": award["id"], "seq": 1, "trigger": "approval"}
                    | {"share": "100%", "title": None, "policy": policy, "year": row["year"]}
                    | {"amount": award["amount"], "paid": paid, "version": 1}
                )
        extra = {"note": "", "created_by": None, "created_at": now, "updated_at": now, "version": 1}
        session.execute(insert(t.Application), [{"project_id": None, **a, **extra} for a in made.applications])
        if awards:
            session.execute(insert(t.Award), [{"project_id": None, **a} for a in awards])
            session.execute(insert(t.Tranche), tranches)
        payments = []
        for tranche in tranches:
            if tranche["paid"]:
                award = awards[int(str(tranche["award_id"])) - 1]
                on = (award["approved_at"] + timedelta(days=14)).date()  # type: ignore[operator]
                payment = {"id": len(payments) + 1, "tranche_id": tranche["id"], "award_id": award["id"]}
                payment |= {"enterprise_id": award["enterprise_id"], "amount": tranche["amount"], "paid_on": on}
                payment |= {"reference": "", "paid_by": "bulk", "at": now}
                payments.append(payment)
                made.payments.append(payment | {"policy": award["policy"], "year": award["year"]})
        if payments:
            session.execute(insert(t.Payment), payments)
        for policy in POLICIES:
            for year in YEARS:
                mine = [tr for tr in tranches if tr["policy"] == policy and tr["year"] == year]
                committed = sum((tr["amount"] for tr in mine), Decimal(0))  # type: ignore[misc]
                paid_sum = sum((tr["amount"] for tr in mine if tr["paid"]), Decimal(0))  # type: ignore[misc]
                budget = {"policy": policy, "year": year, "allocated": committed + Decimal("1000000.00")}
                budget |= {"committed": committed, "paid": paid_sum, "version": 1}
                made.budgets.append(budget)
        session.execute(insert(t.Budget), made.budgets)
        session.commit()
    return made
