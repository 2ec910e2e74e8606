"""The app as uvicorn starts it in each worker: configured from the environment."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from huiqi.entrypoints.api.app import create_app
from huiqi.ledger.database import database_url, make_engine
from huiqi.ledger.uow import Ledger
from huiqi.policy_files import load_library

POLICIES_ENV = "HUIQI_POLICIES"
SECURE_COOKIES_ENV = "HUIQI_SECURE_COOKIES"  # "1" behind a TLS-terminating proxy: cookies marked Secure


def app_from_env() -> FastAPI:
    policies = os.environ.get(POLICIES_ENV)
    library = load_library(Path(policies) if policies else None)
    secure = os.environ.get(SECURE_COOKIES_ENV) == "1"
    return create_app(Ledger(make_engine(database_url()), library), secure_cookies=secure)
