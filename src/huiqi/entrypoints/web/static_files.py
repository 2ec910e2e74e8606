"""The app's own scripts and stylesheets and the vendored ones, served from the package (no CDN).

Vendored files sit in versioned folders (static/vendor/htmx.org-2.0.11/…), listed with their
checksums in static/vendor/manifest.json; our own carry a content digest in their URL, so a
browser may cache everything for a year and still never runs a stale script.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"
VENDOR = STATIC / "vendor"


@cache
def _manifest() -> dict[str, dict[str, object]]:
    manifest: dict[str, dict[str, object]] = json.loads((VENDOR / "manifest.json").read_text())
    return manifest


def vendored_path(package: str, file: str) -> Path:
    """The path of a vendored file, e.g. vendored_path("echarts", "echarts.min.js")."""
    for folder, entry in _manifest().items():
        files = entry["files"]
        if entry["package"] == package and isinstance(files, dict) and file in files:
            return VENDOR / folder / file
    raise KeyError(f"{package}/{file} is not vendored (see scripts/vendor_assets.py)")


def vendor_url(package: str, file: str) -> str:
    path = vendored_path(package, file)
    return "/static/" + path.relative_to(STATIC).as_posix()


@cache
def asset_url(path: str) -> str:
    """/static/css/huiqi.css?v=<digest of its content>."""
    digest = hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"
