"""A dashboard's panel: one table of figures, drawn as a chart, shown as a table and sent as CSV.

The chart, the table and the CSV file are three views of the same rows, so they cannot disagree:
the page's JSON carries the rows (money as exact decimal text, "2500000.00"), the template renders
the table from them, static/js/dashboard.js draws the chart from them (floats for drawing only),
and `csv_response` writes exactly the table's columns and rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from fastapi.responses import Response

from huiqi.cells import safe_cell

Kind = Literal["text", "money", "count", "number"]  # number: exact decimal text, any unit
ChartKind = Literal["bar", "hbar", "line", "pivot"]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    kind: Kind = "text"
    csv_only: bool = False
    """The figure behind a column shown as words (577.67亿元, 40.9%): in the CSV file only, as a
    number a spreadsheet can sum."""


@dataclass(frozen=True, slots=True)
class Chart:
    """How dashboard.js draws the rows: `category` columns (joined) along one axis, a bar (or
    point) per `series` column; "pivot" draws `series[0]` by category, one series per `group`."""

    kind: ChartKind
    category: tuple[str, ...]
    series: tuple[str, ...]
    group: str | None = None
    unit: str = ""  # the axis's unit as the reader sees it (万元, yuan, applications)
    scale: int = 1  # the drawn value is the figure divided by this (10000 for 万元)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "category": list(self.category),
            "series": list(self.series),
            "group": self.group,
            "unit": self.unit,
            "scale": self.scale,
        }


@dataclass(frozen=True)
class Panel:
    name: str  # its CSV is <page>/<name>.csv
    title: str
    columns: tuple[Column, ...]
    rows: Sequence[Mapping[str, Any]]  # money as Decimal, counts as int
    chart: Chart | None = None
    note: str = ""
    csv: str = ""  # the URL of its CSV file

    def as_json(self) -> dict[str, Any]:
        kinds = {c.key: c.kind for c in self.columns}
        return {
            "name": self.name,
            "title": self.title,
            "note": self.note,
            "csv": self.csv,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind, "csv_only": c.csv_only} for c in self.columns],
            # every key of a row, the codes too (a policy's id, a state): a program reads those
            "rows": [{k: _json_cell(v, kinds.get(k, "text")) for k, v in row.items()} for row in self.rows],
            "chart": self.chart.as_json() if self.chart else None,
        }


def _json_cell(value: Any, kind: Kind) -> Any:
    if value is None:
        return None
    if kind == "number":
        return format(Decimal(value), "f")
    if kind == "money":
        return f"{Decimal(value):.2f}"  # exact in JSON, where numbers are floats to most readers
    if kind == "count":
        return int(value)
    return str(value)


def _csv_cell(value: Any, kind: Kind) -> Any:
    if value is None:
        return ""
    if kind == "number":
        return format(Decimal(value), "f")  # a number, negative too: never quoted as a formula
    if kind == "money":
        return f"{Decimal(value):.2f}"  # a number, negative too: never quoted as a formula
    if kind == "count":
        return int(value)
    return safe_cell(str(value))


def csv_bytes(columns: Iterable[Column], rows: Iterable[Mapping[str, Any]]) -> bytes:
    """UTF-8 with a BOM (Excel in a Chinese locale reads it right), every text cell made safe."""
    listed = list(columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(c.label) for c in listed])
    for row in rows:
        writer.writerow([_csv_cell(row.get(c.key), c.kind) for c in listed])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_response(panel: Panel, filename: str) -> Response:
    # the panel's JSON rows, not the typed ones: the file holds exactly what the table shows
    shown = panel.as_json()
    body = csv_bytes(panel.columns, shown["rows"])
    disposition = f'attachment; filename="{filename.encode("ascii", "replace").decode()}"; '
    disposition += f"filename*=UTF-8''{quote(filename)}"
    return Response(body, media_type="text/csv; charset=utf-8", headers={"content-disposition": disposition})
