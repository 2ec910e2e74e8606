"""What huiqi writes for people: spreadsheets and CSV files safe to open (OWASP's CSV injection
guidance: every prefix on every export), Chinese headers and labels, simulate's one-page report.

The exports tested: the ledger's award and payment lists (`huiqi export`, the API's through the same
huiqi.tabular.workbook_bytes), match's push list, batch's results, enterprise totals and rejected
rows, simulate's tables and report."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from huiqi.batch import schema as flat
from huiqi.batch.match import COLUMNS, MONEY_COLUMNS, facts_table
from huiqi.batch.report_html import ECHARTS
from huiqi.batch.sheets import PUSH_HEADINGS
from huiqi.batch.synth import population
from huiqi.cells import FORMULA_STARTS, safe_cell
from huiqi.entrypoints.cli import app
from huiqi.ledger.database import make_engine, upgrade
from huiqi.ledger.uow import Ledger
from huiqi.rules.library import Library
from huiqi.tabular import workbook_bytes, write_rows
from tests.test_match import demo_facts

# one payload per dangerous first character (OWASP): each would run as a formula if written bare
PAYLOADS = (
    '=HYPERLINK("http://evil.example","点我")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
)
AS_OF = "2025-06-30"
BAD_CELLS = ("\t=1+2", "\r@SUM(1)")
NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def test_every_prefix_is_neutralised_and_numbers_stay_numbers() -> None:
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}
    for payload in PAYLOADS:
        assert safe_cell(payload) == "'" + payload
    assert safe_cell("闵行智能机器人") == "闵行智能机器人"
    assert safe_cell(Decimal("-1234.50")) == Decimal("-1234.50")  # a negative amount is a number
    assert safe_cell(-3) == -3
    assert safe_cell(None) is None


# ---- checking a written file ---------------------------------------------------------------------


def _xlsx_cells(path: Path) -> Iterator[Any]:
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path, cell.coordinate, cell.value)  # never a formula
                yield cell.value


def _csv_cells(path: Path) -> Iterator[Any]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), path  # UTF-8 with BOM: Excel reads the Chinese
    with path.open(encoding="utf-8-sig", newline="") as file:
        for row in csv.reader(file):
            yield from row


def assert_safe(path: Path, payloads: tuple[str, ...] = PAYLOADS) -> list[Any]:
    """No text cell of the file starts a formula (a number may be negative), and each payload is
    there, quoted."""
    cells = list(_xlsx_cells(path) if path.suffix == ".xlsx" else _csv_cells(path))
    texts = [c for c in cells if isinstance(c, str)]
    for text in texts:
        assert not text.startswith(FORMULA_STARTS) or NUMBER.match(text), (path, text)
    for payload in payloads:
        # XML keeps a carriage return as a line feed unless escaped: Excel reads the cell alike
        written = payload.replace("\r", "\n") if path.suffix == ".xlsx" else payload
        assert "'" + written in texts, (path, payload)
    return cells


# ---- the ledger's exports -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory, library: Library) -> Path:
    from huiqi.demo import load_demo

    path = tmp_path_factory.mktemp("exports") / "huiqi.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    ledger = Ledger(make_engine(url), library)
    load_demo(ledger, url)
    ledger.engine.dispose()
    return path


@pytest.mark.parametrize("what", ["awards", "payments"])
def test_ledger_exports_neutralise_every_prefix(demo_db: Path, tmp_path: Path, what: str) -> None:
    """An enterprise's name is what its own user may edit: each payload as every enterprise's name."""
    for number, payload in enumerate(PAYLOADS):
        with sqlite3.connect(demo_db) as connection:
            connection.execute("UPDATE enterprises SET name = ?", (payload,))
        out = tmp_path / f"{what}-{number}.xlsx"
        done = CliRunner().invoke(app, ["export", what, "--out", str(out), "--db", str(demo_db)])
        assert done.exit_code == 0, done.output
        sheet = load_workbook(out).active
        assert sheet is not None
        header, *rows = list(sheet.iter_rows())
        names = [cell.value for cell in header]
        assert rows
        for row in rows:
            name = row[names.index("enterprise_name")]
            assert (name.value, name.data_type) == ("'" + payload.replace("\r", "\n"), "s")
            assert isinstance(row[names.index("amount")].value, int | float | Decimal)  # amounts stay numbers


def test_a_workbook_keeps_negative_amounts_as_numbers() -> None:
    from io import BytesIO

    book = workbook_bytes("t", [{"amount": Decimal("-12.50"), "note": "-12.50", "x": "=1"}], {"amount"})
    sheet = load_workbook(BytesIO(book)).active
    assert sheet is not None
    (_, row) = list(sheet.iter_rows(values_only=True))
    assert row == (Decimal("-12.5"), "'-12.50", "'=1") or row == (-12.5, "'-12.50", "'=1")


# ---- the batch ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dangerous_population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic population whose enterprise names and project ids are the payloads, and one bad
    amount cell holding a formula in each of two enterprises (written back in the rejected rows as given)."""
    rows = [{k: (None if v is None else str(v)) for k, v in r.items()} for r in population(16, seed=3).to_pylist()]
    firms = [r for r in rows if r["record"] == "enterprise"]
    projects = [r for r in rows if r["record"] == "project"]
    for payload, firm, project in zip(PAYLOADS, firms, projects, strict=False):
        firm["name"] = payload
        project["id"] = payload
    marked = {f["credit_code"] for f in firms[: len(PAYLOADS)]} | {p["credit_code"] for p in projects[: len(PAYLOADS)]}
    # the loader trims a cell, so a tab or CR before a name is gone; in a bad cell it is written back as given
    bad = list({p["credit_code"]: p for p in projects if p["credit_code"] not in marked}.values())
    bad[0]["new_investment_2024"] = BAD_CELLS[0]
    bad[1]["new_investment_2024"] = BAD_CELLS[1]
    path = tmp_path_factory.mktemp("outputs") / "facts.csv"
    names = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=names)
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
    return path


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_batch_results_for_people(dangerous_population: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"results{suffix}"
    argv = ["batch", str(dangerous_population), "--out", str(out), "--as-of", AS_OF, "--all-rows"]
    done = CliRunner().invoke(app, argv)
    assert done.exit_code == 3, done.output  # a bad row: finished, and not clean
    # every enterprise is in the results (--all-rows): every name, trimmed as the loader reads it
    results = assert_safe(out, tuple(p.strip() for p in PAYLOADS))
    assert "统一社会信用代码" in results
    assert "措施名称" in results
    assert "可享受" in results  # the status by its Chinese label
    assert any(isinstance(c, str) and c.startswith("2025年最高") for c in results)
    firms = assert_safe(out.with_suffix(f".firms{suffix}"), ())
    assert "可享受合计最高(元)" in firms
    rejected = assert_safe(out.with_suffix(f".rejected{suffix}"), BAD_CELLS)
    assert (
        "new_investment_2024: 无法识别金额; 可写 1234.56、2,000万、300万元、1.5亿、¥1,234.56、80万元整、1亿2000万"
        in rejected
    )
    if suffix == ".xlsx":  # amounts are numbers in the workbook
        sheet = load_workbook(out).active
        assert sheet is not None
        header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        column = header.index("最高金额(元)") + 1
        amounts = [c.value for (c,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column) if c.value]
        assert amounts
        assert all(isinstance(v, int | float) for v in amounts)


def test_batch_parquet_keeps_names_and_codes(dangerous_population: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.parquet"
    done = CliRunner().invoke(app, ["batch", str(dangerous_population), "--out", str(out), "--as-of", AS_OF])
    assert done.exit_code == 3, done.output
    table = pq.read_table(out)
    assert "status" in table.column_names
    assert set(table["status"].to_pylist()) <= {"eligible", "ineligible", "superseded", "needs_decision"}
    assert_safe(out.with_suffix(".rejected.csv"), BAD_CELLS)


def test_an_xlsx_of_more_rows_than_excel_holds_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huiqi import tabular

    monkeypatch.setattr(tabular, "EXCEL_ROWS", 11)  # Excel's 1,048,576, for a test of ten rows
    out = tmp_path / "big.xlsx"
    with pytest.raises(tabular.TableError, match="more than 10 rows"):
        tabular.write_rows(out, ["a"], ({"a": i} for i in range(11)), ())
    assert not out.exists()
    tabular.write_rows(out, ["a"], ({"a": i} for i in range(10)), ())
    assert out.exists()


# ---- match and simulate ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dangerous_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's enterprises with the payloads as their names and their projects' ids, in turn."""
    rows = facts_table(demo_facts()).drop(["_row"]).to_pylist()
    firms = [r for r in rows if r["record"] == "enterprise"]
    subjects = [r for r in rows if r["record"] in flat.SUBJECT_RECORDS]
    for number, row in enumerate(firms):
        row["name"] = PAYLOADS[number % len(PAYLOADS)]
    for number, row in enumerate(subjects):
        row["id"] = PAYLOADS[number % len(PAYLOADS)] + f" #{number}"
    path = tmp_path_factory.mktemp("outputs") / "demo.parquet"
    pq.write_table(flat.rows_table(rows), path)
    return path


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_match_push_list_for_people(dangerous_demo: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"push{suffix}"
    done = CliRunner().invoke(app, ["match", str(dangerous_demo), "--as-of", "2020-06-30", "--out", str(out)])
    assert done.exit_code == 0, done.output
    pushed = [c for c in assert_safe(out, ()) if isinstance(c, str)]
    # the loader trims a cell: a tab or CR before a name or id is gone, and what follows is quoted
    seen = {p for p in {q.strip() for q in PAYLOADS} if any(c.startswith("'" + p) for c in pushed)}
    assert seen == {q.strip() for q in PAYLOADS}
    # the push list's writer with the untrimmed payloads (from a ledger, an API or a later reader)
    direct = tmp_path / f"direct{suffix}"
    rows = [{**dict.fromkeys(COLUMNS), "enterprise": payload, "max": Decimal("-1.00")} for payload in PAYLOADS]
    write_rows(direct, COLUMNS, rows, MONEY_COLUMNS, PUSH_HEADINGS)
    assert_safe(direct)
    assert "企业名称" in pushed
    assert "政策原文" in pushed


def test_simulate_writes_safe_tables_and_one_offline_page(dangerous_demo: Path, tmp_path: Path) -> None:
    reform = tmp_path / "reform.yaml"
    renamed = ("procurement", "dataset", "testing", "fixed-investment", "future-industry", "foundation-model")
    titles = "".join(
        f"  lingang-2024.{measure}:\n    title: {json.dumps(payload)}\n"
        for measure, payload in zip(renamed, PAYLOADS, strict=True)
    )
    reform.write_text(
        "title: '</script><script>alert(1)</script>示范应用调整'\n"
        "set:\n  lingang-2024.demo:\n    benefits.retrofit.rate: [10%, 40%]\n" + titles + "remove: [lingang-2024.rd]\n",
        encoding="utf-8",
    )
    out = tmp_path / "sim"
    done = CliRunner().invoke(
        app, ["simulate", str(dangerous_demo), "--reform", str(reform), "--as-of", AS_OF, "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    listed = [c for c in _csv_cells(out / "by_measure.csv") if c.startswith("lingang-2024.")]
    shown = tuple(
        payload for measure, payload in zip(renamed, PAYLOADS, strict=True) if f"lingang-2024.{measure}" in listed
    )
    assert len(shown) >= 4
    by_measure = assert_safe(out / "by_measure.csv", shown)  # the reform's titles, each prefix
    assert "措施名称" in by_measure
    assert any(NUMBER.match(c) and c.startswith("-") for c in by_measure)  # a fall: a negative number, bare
    for name in ("total.csv", "by_district.csv", "by_year.csv", "firms.csv"):
        assert_safe(out / name, ())
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;示范应用调整" in page
    assert "<script>alert(1)" not in page
    assert page.count("</script>") == 3  # ECharts, the data, the drawing: nothing closes one early
    echarts = ECHARTS.read_text(encoding="utf-8")
    assert echarts in page  # the vendored ECharts, inlined whole
    ours = page.replace(echarts, "")
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", ours)  # nothing fetched: works offline
    data = re.search(r'<script type="application/json" id="huiqi-data">(.*?)</script>', page, re.S)
    assert data is not None
    figures = json.loads(data.group(1))
    assert set(figures) == {"measure", "year", "district"}
    assert any("人工智能技术示范应用" in key for key in figures["measure"]["keys"])  # measures by title
    assert "按措施" in page
    assert "合计变化的企业" in page


def test_the_report_escapes_what_it_inlines() -> None:
    """A value that could end the data's element is written with \\u escapes."""
    from huiqi.batch.compare import Comparison, Line
    from huiqi.batch.report_html import render

    line = Line("x</script><b>", Decimal(1), Decimal(2), Decimal(3), Decimal(4), 1, 1)

    comparison = Comparison(
        as_of=date(2025, 6, 30),
        firms=1,
        total=line,
        by_measure=(line,),
        by_district=(),
        by_year=(),
        changes={"gain": 1, "loss": 0, "mixed": 0, "unchanged": 0},
        firm_deltas=pa.table({"credit_code": pa.array([], pa.string())}),
    )
    page = render(comparison, "t", "f.yaml", [], {"x</script><b>": "<i>名</i>"})
    assert "x</script><b>" not in page
    assert "\\u003c/script\\u003e" in page
    assert "&lt;i&gt;名&lt;/i&gt;" in page
