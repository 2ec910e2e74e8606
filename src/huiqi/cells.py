"""Cells of the spreadsheets and CSV files huiqi writes, safe to open (OWASP's CSV injection guidance).

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is taken by Excel,
LibreOffice and others for a formula (`=HYPERLINK(…)`, `=cmd|' /C calc'!A0`, `@SUM(…)`), and an
enterprise's own user can type such text into its name. Such a cell is written with a leading
single quote, which the spreadsheet shows and never evaluates. Numbers stay numbers: a negative
amount (Decimal, int) is a number, not text, and is written as one. Every writer of the project
(huiqi.tabular: the ledger's exports, match's push list, simulate's tables; the batch's results
and rejected rows) passes each cell through `safe_cell`, and `safe_xlsx_text` for a workbook.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# What an .xlsx file cannot hold at all (openpyxl refuses it): control characters but tab, LF, CR.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, quoted ("'=1+2"); anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_xlsx_text(value: Any) -> Any:
    """`safe_cell`, and control characters an .xlsx file cannot hold shown as U+FFFD."""
    value = safe_cell(value)
    if isinstance(value, str):
        return _NOT_IN_XLSX.sub("\ufffd", value)
    return value
