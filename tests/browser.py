"""Pages in a real browser: huiqi served by uvicorn on loopback, Debian's Chromium driven by Playwright.

The browser Playwright would download is out of reach here; the tests use the system's
Chromium (`chromium` from Debian; .ci/run installs it with fonts-noto-cjk). Each test saves
screenshots of the pages it visits in test-artifacts/ (gitignored).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "tests/assets/vendor/axe-core-4.14.1/axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium() -> str | None:
    """The system Chromium, or None (then the browser tests skip, except where CI requires them)."""
    for candidate in (os.environ.get("HUIQI_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def require_chromium() -> str:
    path = chromium()
    if path is None:
        if os.environ.get("HUIQI_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required here (HUIQI_REQUIRE_BROWSER=1) but not installed")
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; CI installs it)")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """The app on a free loopback port, in a thread; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(10)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


class Requests:
    """Every URL a page asked for; `foreign()` lists those of another host than the test server."""

    def __init__(self, page: Any, base: str):
        self.host = urlsplit(base).netloc
        self.urls: list[str] = []
        self.failed: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("requestfailed", lambda request: self.failed.append(request.url))

    def foreign(self) -> list[str]:
        return [
            u
            for u in self.urls
            if urlsplit(u).scheme in ("http", "https", "ws", "wss") and urlsplit(u).netloc != self.host
        ]


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """axe-core (vendored from its npm package) run in the page: the violations of these impacts.

    Injected through the DevTools protocol (page.evaluate), which the page's CSP does not govern.
    """
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "async () => JSON.stringify((await axe.run(document, {resultTypes: ['violations']})).violations)"
    )
    violations: list[dict[str, Any]] = json.loads(result)
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in violations
        if v["impact"] in impacts
    ]


def sign_in(page: Any, base: str, name: str, password: str) -> None:
    """Sign in through the form, as a person would; waits for the page it leads to."""
    page.goto(f"{base}/signin")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.signin button[type=submit]")
