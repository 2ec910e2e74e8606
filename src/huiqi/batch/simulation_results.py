"""`huiqi simulate --out` folders read back: the summary tables it wrote, for the officers' browser.

Only the small files are read: the comparison tables (total.csv, by_measure.csv, by_district.csv,
by_year.csv: a line per measure, district or year) and, for who gains and who loses, the
enterprises at either end of firms.parquet (sorted by the rise of the maximum, so the largest
gains are first and the largest losses last). Nothing is recomputed. The CSV files are for
people (Chinese headers, huiqi.batch.sheets), so they are read back through the same headings.
simulate writes the reform's title and date only into report.html; they are taken from its first
few kilobytes (the <title> and the 评估日 line), never from the inlined ECharts after them.

Where the folders are: `$HUIQI_SIMULATIONS_DIR`, else `var/simulations` beside the default
ledger (huiqi.ledger.location).
"""

from __future__ import annotations

import csv
import html
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from huiqi.batch.sheets import COMPARISON_HEADINGS
from huiqi.ledger.location import default_database

DIR_ENV = "HUIQI_SIMULATIONS_DIR"
TABLES = ("total", "by_measure", "by_district", "by_year")
FIRMS_SHOWN = 20
_KEYS = {heading: key for key, heading in COMPARISON_HEADINGS.items()}
_HEAD_BYTES = 8192
_TITLE = re.compile(r"<title>\s*政策调整测算:\s*(.*?)\s*</title>", re.S)
_AS_OF = re.compile(r"评估日\s*(\d{4}-\d{2}-\d{2})")
# A folder's own name: letters (Chinese too), digits, '.', '_' and '-', not starting with '.'.
_PLAIN_NAME = re.compile(r"[^\W_][\w.\-]{0,99}")
COUNTS = ("base_count", "reform_count", "firms", "firms_gain", "firms_loss", "firms_mixed", "firms_unchanged")


class NotASimulation(Exception):
    """The name is not a plain folder name, or no simulate output folder has it."""


def simulations_dir() -> Path:
    configured = os.environ.get(DIR_ENV)
    return Path(configured) if configured else default_database().parent / "simulations"


def is_plain_name(name: str) -> bool:
    return bool(_PLAIN_NAME.fullmatch(name)) and name not in (".", "..")


@dataclass(frozen=True)
class Simulation:
    name: str
    title: str  # the reform's title ("" when report.html is missing)
    as_of: str
    written: datetime  # when total.csv was written (UTC)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # money as Decimal, counts as int
    gains: list[dict[str, Any]] = field(default_factory=list)
    losses: list[dict[str, Any]] = field(default_factory=list)


def _value(key: str, text: str) -> Any:
    if key in COUNTS:
        return int(text or 0)
    if key.endswith(("_min", "_max")):
        try:
            return Decimal(text or "0")
        except InvalidOperation as exc:
            raise NotASimulation(f"not an amount in a simulate table: {text!r}") from exc
    return text


def _read_table(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    # safe_cell quoted text that began like a formula; its leading ' is not part of the name
    return [{_KEYS.get(h, h): _value(_KEYS.get(h, h), v.removeprefix("'")) for h, v in row.items()} for row in rows]


def _head(folder: Path) -> tuple[str, str]:
    report = folder / "report.html"
    if not report.is_file():
        return "", ""
    with report.open("rb") as file:
        head = file.read(_HEAD_BYTES).decode("utf-8", errors="replace")
    title, as_of = _TITLE.search(head), _AS_OF.search(head)
    return (html.unescape(title[1]) if title else "", as_of[1] if as_of else "")


def _folder(root: Path, name: str) -> Path:
    if not is_plain_name(name):
        raise NotASimulation(f"not a folder name: {name!r}")
    folder = root / name
    if not (folder / "total.csv").is_file():
        raise NotASimulation(f"no simulation {name!r}")
    return folder


def _summary(folder: Path) -> Simulation:
    title, as_of = _head(folder)
    written = datetime.fromtimestamp((folder / "total.csv").stat().st_mtime, UTC)
    return Simulation(folder.name, title, as_of, written, {"total": _read_table(folder / "total.csv")})


def list_simulations(root: Path) -> list[Simulation]:
    """Every simulate output folder directly under `root` (its total and title), newest first."""
    if not root.is_dir():
        return []
    found = [_summary(p) for p in root.iterdir() if is_plain_name(p.name) and (p / "total.csv").is_file()]
    return sorted(found, key=lambda s: (s.written, s.name), reverse=True)


def _firms(folder: Path, shown: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The `shown` largest gains (rise of the maximum) and losses (fall of the maximum)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = folder / "firms.parquet"
    if not path.is_file():
        return [], []
    firms = pq.read_table(path)
    gains = firms.filter(pc.greater(firms["delta_max"], 0)).slice(0, shown).to_pylist()
    falling = firms.filter(pc.less(firms["delta_max"], 0))
    losses = falling.slice(max(0, falling.num_rows - shown)).to_pylist()[::-1]
    return gains, losses


def read_simulation(root: Path, name: str, shown: int = FIRMS_SHOWN) -> Simulation:
    folder = _folder(root, name)
    title, as_of = _head(folder)
    tables = {table: _read_table(folder / f"{table}.csv") for table in TABLES if (folder / f"{table}.csv").is_file()}
    gains, losses = _firms(folder, shown)
    written = datetime.fromtimestamp((folder / "total.csv").stat().st_mtime, UTC)
    return Simulation(name, title, as_of, written, tables, gains, losses)
