"""A small, real ledger for the tests: the two example enterprises, officers, budgets."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from huiqi.ledger import catalogue, payments, users
from huiqi.ledger.actors import SYSTEM, Actor
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.money import parse_amount

ROOT = Path(__file__).resolve().parents[1]
MINHANG = "91310112MA1GC3H0XW"
LINGANG = "91310115MA1K4LG0X7"
SUBJECT_LISTS = {"projects": "project", "leases": "lease", "institutions": "institution", "platforms": "platform"}


@dataclass
class World:
    actors: dict[str, Actor] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    subjects: dict[tuple[str, str], int] = field(default_factory=dict)  # (credit code, ref) -> project id

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text(encoding="utf-8"))
    return data


def build_world(ledger: Ledger, *, budget: str = "1000万") -> World:
    world = World()

    def setup(uow: UnitOfWork) -> None:
        for data in (example("minhang-robotics.yaml"), example("lingang-ai-chip.yaml")):
            company = catalogue.add_enterprise(uow, data["enterprise"])
            for key, kind in SUBJECT_LISTS.items():
                for item in data.get(key, []):
                    row = catalogue.add_project(uow, company.credit_code, kind, item)
                    world.subjects[(company.credit_code, row.ref)] = row.id
        for name, role, code in [
            ("minhang-user", "enterprise", MINHANG),
            ("lingang-user", "enterprise", LINGANG),
            ("reviewer", "reviewer", None),
            ("approver", "approver", None),
            ("finance", "finance", None),
            ("admin", "admin", None),
        ]:
            user, token = users.add_user(uow, name, role, code)
            world.actors[name] = users.actor_of(user)
            world.tokens[name] = token
        for year in (2019, 2020, 2021):
            payments.set_budget(uow, "minhang-2018", year, parse_amount(budget), None)
        payments.set_budget(uow, "lingang-2024", 2025, parse_amount("5亿"), None)

    ledger.run(SYSTEM, setup)
    return world
