"""Spreadsheets in and out: enterprises, projects and applications from .xlsx or .csv; award and
payment lists to .xlsx.

Columns are the facts' field names or their Chinese terms (统一社会信用代码, 申报年度 …); a
by-year field takes one column per year ("revenue.2024" or "年主营业务收入.2024"), a project's
cost one column per kind ("costs.rd"). Lists (recognitions) are separated by commas or 、.
Numbers typed into Excel arrive as binary floats; they are read back through their shortest
decimal form (1234.56, not 1234.5599…), which is what was typed for any amount of up to 15
digits. Values are read by the facts models, as people write them (huiqi.facts.chinese: 是/否,
2025/6/30, 300万元, 闵行 …). A CSV file may be UTF-8 (with or without BOM) or GBK/GB18030, as
Chinese Excel saves it (huiqi.text_encoding).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from huiqi.cells import safe_cell, safe_xlsx_text
from huiqi.facts.models import Enterprise as EnterpriseFacts
from huiqi.facts.subjects import MODELS
from huiqi.ledger.errors import FieldError
from huiqi.text_encoding import EncodingProblem, decode

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_KEYS = {"amount", "requested", "allocated", "committed", "paid", "remaining"}
LIST_FIELDS = {"recognitions"}


class TableError(Exception):
    """The file itself cannot be read as a table (not the rows in it); said in English and Chinese."""

    def __init__(self, en: str, zh: str | None = None):
        super().__init__(f"{en} / {zh}" if zh else en)
        self.en, self.zh = en, zh


@dataclass
class Row:
    number: int  # the spreadsheet's row number (the header is row 1)
    values: dict[str, Any]


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    errors: list[FieldError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.errors and self.created > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "valid_rows": self.rows - len({e.row for e in self.errors}),
            "created": self.created if self.written else 0,
            "dry_run": self.dry_run,
            "written": self.written,
            "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in self.errors],
        }


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def read_table(content: bytes, filename: str) -> list[Row]:
    """Rows of the first sheet (xlsx) or of a CSV file (UTF-8 with or without BOM, or GBK/GB18030)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise TableError(
                f"{filename}: not a readable .xlsx file ({type(error).__name__})",
                f"{filename}: 不是可读的 .xlsx 文件 ({type(error).__name__})",
            ) from None
        sheet = book.worksheets[0]
        lines: Iterable[tuple[Any, ...]] = sheet.iter_rows(values_only=True)
    elif suffix == ".csv":
        try:
            text = decode(content, filename)
        except EncodingProblem as problem:
            raise TableError(problem.en, problem.zh) from None
        lines = (tuple(line) for line in csv.reader(io.StringIO(text)))
    else:
        raise TableError(f"{filename}: use a .xlsx or .csv file", f"{filename}: 请使用 .xlsx 或 .csv 文件")
    iterator = iter(lines)
    header = next(iterator, None)
    if header is None:
        raise TableError(f"{filename}: the file is empty", f"{filename}: 文件是空的")
    names = [str(h).strip() if h is not None else "" for h in header]
    rows = []
    for number, line in enumerate(iterator, start=2):
        values = {name: _cell(v) for name, v in zip(names, line, strict=False) if name}
        if any(v is not None for v in values.values()):
            rows.append(Row(number, values))
    return rows


def _aliases(model: type[BaseModel]) -> dict[str, str]:
    out = {}
    for name, info in model.model_fields.items():
        out[name] = name
        if info.title:
            out[info.title] = name
    return out


def nest(values: Mapping[str, Any], model: type[BaseModel], extra: Iterable[str] = ()) -> dict[str, Any]:
    """A flat row as the nested facts a model reads: 'revenue.2024' → {'revenue': {2024: …}}."""
    aliases = _aliases(model) | {name: name for name in extra}
    out: dict[str, Any] = {}
    for column, value in values.items():
        if value is None:
            continue
        head, _, rest = column.partition(".")
        name = aliases.get(head, head)  # unknown columns stay, so the model names them as errors
        if rest:
            key: Any = int(rest) if rest.isdigit() else rest
            out.setdefault(name, {})[key] = value
        elif name in LIST_FIELDS and isinstance(value, str):
            out[name] = [p.strip() for p in value.replace("、", ",").split(",") if p.strip()]
        else:
            out[name] = value
    return out


SUBJECT_MODELS: dict[str, type[BaseModel]] = MODELS
ENTERPRISE_MODEL = EnterpriseFacts


EXCEL_ROWS = 1_048_576  # an Excel sheet's rows, the header's included


def _workbook(
    sheet: str,
    rows: Iterable[Mapping[str, Any]],
    money: Collection[str],
    columns: Sequence[str],
    headings: Mapping[str, str] | None = None,
) -> Any:
    """A streamed (write-only) workbook of flat rows: money as numbers with two decimals, nested lists
    summarised, every text cell safe to open (huiqi.cells), the header in `headings`' words."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append([safe_xlsx_text((headings or {}).get(c, c)) for c in columns])
    written = 1
    for row in rows:
        written += 1
        if written > EXCEL_ROWS:
            ws.close()  # the rows written so far go to a temporary file, removed with the workbook
            raise TableError(
                f"more than {EXCEL_ROWS - 1:,} rows, more than an Excel sheet holds; write .csv or .parquet",
                f"超过 {EXCEL_ROWS - 1:,} 行, Excel 工作表放不下; 请写 .csv 或 .parquet",
            )
        cells: list[Any] = []
        for key in columns:
            value = safe_xlsx_text(_out(key, row.get(key)))
            if key in money and isinstance(value, Decimal | int) and not isinstance(value, bool):
                cell = WriteOnlyCell(ws, value=value)  # type: ignore[arg-type]  # Decimal: openpyxl writes it exactly
                cell.number_format = "#,##0.00"
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)
    return book


def workbook_bytes(
    sheet: str,
    rows: list[dict[str, Any]],
    money: Collection[str] = MONEY_KEYS,
    columns: Sequence[str] = (),
    headings: Mapping[str, str] | None = None,
) -> bytes:
    """An .xlsx of flat rows: money as numbers with two decimals, nested lists summarised, text that
    a spreadsheet would run as a formula quoted (huiqi.cells.safe_cell)."""
    columns = list(columns) or (list(rows[0].keys()) if rows else ["(no rows)"])
    buffer = io.BytesIO()
    _workbook(sheet, rows, money, columns, headings).save(buffer)
    return buffer.getvalue()


def _out(key: str, value: Any) -> Any:
    if key in MONEY_KEYS and isinstance(value, str):
        return Decimal(value)
    if isinstance(value, list):
        return "; ".join(_summary(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def _summary(item: Any) -> str:
    if isinstance(item, dict) and "trigger" in item:
        state = "已拨付" if item.get("paid") else "未拨付"
        return f"{item.get('title') or item['trigger']} {item.get('year')} {item.get('amount')} {state}"
    return str(item)


ROW_FILES = (".xlsx", ".csv", ".parquet")


def write_rows(
    path: Path,
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    money: Collection[str],
    headings: Mapping[str, str] | None = None,
) -> None:
    """Flat rows to .xlsx, .csv (UTF-8 with BOM, so Excel reads the Chinese) or .parquet, by extension.

    Money stays exact: Decimal numbers in the workbook, their decimal text in CSV, DECIMAL(18,2)
    in Parquet. In the workbook and the CSV file, the header is in `headings`' words (Chinese for
    people), and a text cell a spreadsheet would run as a formula is quoted (huiqi.cells); Parquet
    keeps the column names. A workbook of more rows than Excel holds is refused, nothing written.
    """
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        sheet = re.sub(r"[\[\]:*?/\\]", "_", path.stem)[:31] or "rows"  # what Excel allows in a sheet name
        book = _workbook(sheet, rows, money, columns, headings)
        book.save(path)
    elif suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file)
            writer.writerow([safe_cell((headings or {}).get(c, c)) for c in columns])
            for row in rows:
                writer.writerow(["" if row.get(c) is None else _text(safe_cell(row.get(c))) for c in columns])
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        listed = list(rows)
        arrays = {
            c: pa.array([row.get(c) for row in listed], type=pa.decimal128(18, 2) if c in money else None)
            for c in columns
        }
        pq.write_table(pa.table(arrays), path)
    else:
        raise TableError(f"{path}: write a {', '.join(ROW_FILES)} file", f"{path}: 请写 {'、'.join(ROW_FILES)} 文件")


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
