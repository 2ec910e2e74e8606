"""Which database the ledger is: one setting for every command and the service.

    --db URL_OR_PATH  >  $HUIQI_DATABASE_URL  >  the default

The default is `var/huiqi.db` in the project checkout huiqi runs from (the folder holding
pyproject.toml and src/huiqi), wherever the command is started; an installed huiqi (a wheel,
no checkout) uses `$XDG_DATA_HOME/huiqi/huiqi.db` (~/.local/share/huiqi/huiqi.db). A plain path
means an SQLite file, relative to the current folder. No SQLAlchemy here: the CLI names the
default in its help without importing the ledger.
"""

from __future__ import annotations

import os
from pathlib import Path

URL_ENV = "HUIQI_DATABASE_URL"


def project_root() -> Path | None:
    """The checkout this huiqi runs from, or None for an installed copy."""
    root = Path(__file__).resolve().parents[3]  # src/huiqi/ledger/location.py -> the checkout
    return root if (root / "pyproject.toml").is_file() and (root / "src" / "huiqi").is_dir() else None


def default_database() -> Path:
    root = project_root()
    if root is not None:
        return root / "var" / "huiqi.db"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "huiqi" / "huiqi.db"


def configured(explicit: str | None = None) -> str:
    """The raw setting: the --db value, else $HUIQI_DATABASE_URL, else the default file's path."""
    return explicit or os.environ.get(URL_ENV) or str(default_database())
