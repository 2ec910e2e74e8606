"""A web app over a fresh SQLite ledger, for the page tests (TestClient and the browser)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from huiqi.entrypoints.api.app import create_app
from huiqi.ledger.actors import SYSTEM
from huiqi.ledger.database import make_engine, upgrade
from huiqi.ledger.uow import Ledger
from huiqi.ledger.users import add_user, set_password
from huiqi.rules.library import Library

PASSWORD = "correct-horse-9"


def web_app(folder: Path, library: Library) -> tuple[FastAPI, Ledger]:
    url = f"sqlite:///{folder / 'web.db'}"
    upgrade(url)
    ledger = Ledger(make_engine(url), library)
    return create_app(ledger), ledger


def add_officer(ledger: Ledger, name: str = "li.hua", role: str = "reviewer", password: str = PASSWORD) -> None:
    def work(uow):  # type: ignore[no-untyped-def]
        add_user(uow, name, role)
        set_password(uow, name, password)

    ledger.run(SYSTEM, work)
