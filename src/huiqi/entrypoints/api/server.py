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


def app_from_env() -> FastAPI:
    policies = os.environ.get(POLICIES_ENV)
    library = load_library(Path(policies) if policies else None)
    return create_app(Ledger(make_engine(database_url()), library))
