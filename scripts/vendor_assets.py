"""Vendor the web's scripts and stylesheets from their npm packages at pinned versions.

huiqi's pages must work on an office intranet with no internet: every script and stylesheet
is served by the app itself, never a CDN. This script fetches each package's tarball from
the npm registry (`npm pack`), copies the files the app needs and the package's licence
into the destination folder, and records each file's SHA-256 in `manifest.json`, which
tests/test_vendored.py checks. Run it only to change a version:

    python3 scripts/vendor_assets.py            # needs node and npm
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "src/huiqi/entrypoints/web/static/vendor"
TEST_ASSETS = ROOT / "tests/assets/vendor"  # axe-core: run in the pages by the browser tests only

# (package, version, files inside the package, destination folder)
PACKAGES: list[tuple[str, str, list[str], Path]] = [
    ("htmx.org", "2.0.11", ["dist/htmx.min.js", "LICENSE"], STATIC),
    ("echarts", "6.1.0", ["dist/echarts.min.js", "LICENSE", "NOTICE"], STATIC),
    ("swagger-ui-dist", "5.35.0", ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"], STATIC),
    ("redoc", "2.5.4", ["bundles/redoc.standalone.js", "LICENSE"], STATIC),  # 3.x: an ES module linking to AI hosts
    ("axe-core", "4.14.1", ["axe.min.js", "LICENSE"], TEST_ASSETS),
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    manifests: dict[Path, dict[str, dict[str, object]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, version, files, dest in PACKAGES:
            spec = f"{name}@{version}"
            print(f"npm pack {spec}")
            tarball = (
                subprocess.run(["npm", "pack", "--silent", spec], cwd=tmp, check=True, capture_output=True, text=True)
                .stdout.strip()
                .splitlines()[-1]
            )
            folder = dest / f"{name}-{version}"
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            with tarfile.open(Path(tmp) / tarball) as archive:
                for file in files:
                    member = archive.extractfile(f"package/{file}")
                    if member is None:
                        raise SystemExit(f"{spec}: no file {file}")
                    (folder / Path(file).name).write_bytes(member.read())
            entry = manifests.setdefault(dest, {})
            entry[f"{name}-{version}"] = {
                "package": name,
                "version": version,
                "files": {Path(f).name: sha256(folder / Path(f).name) for f in files},
            }
    for dest, manifest in manifests.items():
        (dest / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
