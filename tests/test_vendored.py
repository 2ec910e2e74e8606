"""The vendored scripts and stylesheets are the npm packages' files, unchanged, with their licences."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = [ROOT / "src/huiqi/entrypoints/web/static/vendor", ROOT / "tests/assets/vendor"]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.parent.name)
def test_vendored_files_match_their_manifest(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest
    for name, entry in manifest.items():
        assert name == f"{entry['package']}-{entry['version']}"
        assert "LICENSE" in entry["files"], f"{name}: no licence"
        for file, digest in entry["files"].items():
            assert hashlib.sha256((folder / name / file).read_bytes()).hexdigest() == digest, f"{name}/{file}"
    on_disk = {p.name for p in folder.iterdir() if p.is_dir()}
    assert on_disk == set(manifest), "a vendored folder is not in the manifest (or the reverse)"
