from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from huiqi.ledger.database import make_engine, upgrade
from huiqi.ledger.uow import Ledger
from huiqi.policy_files import load_library
from huiqi.rules.library import Library
from tests import postgres


def pytest_configure(config: pytest.Config) -> None:
    """A plan cache of the session's own (huiqi.batch.plan_cache): the CLI tests share it, and
    nothing is written to the user's ~/.cache. The default ledger ($HUIQI_DATABASE_URL) is a file
    that does not exist, so that no test acts on the checkout's var/huiqi.db by leaving out --db."""
    os.environ["HUIQI_CACHE_DIR"] = tempfile.mkdtemp(prefix="huiqi-test-cache-")
    os.environ["HUIQI_DATABASE_URL"] = str(Path(os.environ["HUIQI_CACHE_DIR"]) / "no-ledger-here" / "huiqi.db")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.pop("HUIQI_CACHE_DIR", ""), ignore_errors=True)
    os.environ.pop("HUIQI_DATABASE_URL", None)


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    with postgres.server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of each kind: every ledger test runs on both."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        admin = request.getfixturevalue("postgres_server")
        if admin is None:
            if os.environ.get("HUIQI_REQUIRE_POSTGRES") == "1":
                pytest.fail("PostgreSQL is required here (HUIQI_REQUIRE_POSTGRES=1) but not installed")
            pytest.skip("PostgreSQL is not installed (CI installs it; see .ci/run)")
        url = postgres.fresh_database(admin)
    upgrade(url)
    return url


@pytest.fixture
def ledger(database_url: str, library: Library) -> Iterator[Ledger]:
    led = Ledger(make_engine(database_url), library, clock=FakeClock())
    yield led
    led.engine.dispose()


class FakeClock:
    """A clock the tests move by hand (the ledger's dates decide which tranches are due)."""

    def __init__(self, start: datetime = datetime(2020, 6, 1, 9, 0, tzinfo=UTC)):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    """pytest-playwright launches Debian's Chromium (Playwright's own download is out of reach)."""
    from tests.browser import CHROMIUM_ARGS, require_chromium

    return {**browser_type_launch_args, "executable_path": require_chromium(), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, object]) -> dict[str, object]:
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1280, "height": 900}}
