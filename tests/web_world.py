"""A web app over a fresh SQLite ledger, for the page tests (TestClient and the browser)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

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


def demo_web_app(folder: Path, library: Library) -> tuple[FastAPI, Ledger, dict[str, str]]:
    """A web app over the demo's ledger (`./run`'s data); every demo user's password is PASSWORD.

    Returns the app, its ledger and {user name: role}. The demo's users are named as ./run prints
    them: demo-admin, demo-reviewer, demo-approver, demo-finance, demo-lingang-ai-chip, …
    """
    from huiqi.demo import load_demo_users

    url = f"sqlite:///{folder / 'demo.db'}"
    upgrade(url)
    ledger = Ledger(make_engine(url), library)
    made = load_demo_users(ledger, url)

    def work(uow):  # type: ignore[no-untyped-def]
        for user in made:
            set_password(uow, user.name, PASSWORD)

    ledger.run(SYSTEM, work)
    return create_app(ledger), ledger, {u.name: u.role.value for u in made}


def sign_in_client(client: TestClient, name: str, password: str = PASSWORD) -> TestClient:
    """Sign `client` in as `name` through the sign-in page (CSRF token and all); returns it."""
    page = client.get("/signin")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert token is not None
    done = client.post(
        "/signin", data={"csrf_token": token.group(1), "name": name, "password": password}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    return client


def csrf_of(client: TestClient) -> str:
    """The CSRF token the client holds now (after sign-in: the rotated one)."""
    return str(client.cookies["huiqi_csrf"])
