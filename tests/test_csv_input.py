"""CSV files as Chinese offices save them: GBK/GB18030 (Chinese Excel), UTF-8 with or without BOM, and
pandas' `2024.0`, read alike by the ledger's import; an encoding that cannot be told is refused
with a message saying how to convert the file."""

from __future__ import annotations

import codecs
import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from huiqi.batch import schema as flat
from huiqi.batch.engines import DuckDB
from huiqi.batch.load import read_input
from huiqi.batch.run import prepare
from huiqi.batch.synth import population
from huiqi.diagnostics import InputError
from huiqi.facts.vocabulary import District
from huiqi.ledger import tables as t
from huiqi.ledger.actors import SYSTEM
from huiqi.ledger.database import make_engine, upgrade
from huiqi.ledger.importing import import_rows
from huiqi.ledger.uow import Ledger
from huiqi.policy_files import load_library
from huiqi.tabular import TableError, read_table
from huiqi.text_encoding import EncodingProblem, decode, detect, file_encoding

LIBRARY = load_library()

ENTERPRISES = (
    "统一社会信用代码,企业名称,工商注册地,税务登记地,严重失信记录,落户日期,年主营业务收入.2019\n"
    "91310112MA1GC3H0XW,闵行智能机器人有限公司,闵行,闵行区,否,2019/3/1,1.2亿\n"
    "91310115MA1K4LG0X7,临港智芯科技有限公司,临港,临港新片区,无,2020年5月6日,８６００万元\n"
)
ENCODINGS = {
    "utf-8": ENTERPRISES.encode("utf-8"),
    "utf-8 with BOM": codecs.BOM_UTF8 + ENTERPRISES.encode("utf-8"),
    "gbk": ENTERPRISES.encode("gbk"),
    "gb18030": ENTERPRISES.encode("gb18030"),
    "utf-16 (Excel's Unicode text)": ENTERPRISES.encode("utf-16"),
}


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_every_encoding_reads_to_the_same_rows(encoding: str) -> None:
    rows = read_table(ENCODINGS[encoding], "企业.csv")
    assert [r.values for r in rows] == [r.values for r in read_table(ENCODINGS["utf-8"], "企业.csv")]
    assert rows[0].values["企业名称"] == "闵行智能机器人有限公司"
    assert rows[1].number == 3


def test_short_gbk_text_is_not_taken_for_korean_or_big5() -> None:
    """Left free, the detector reads a few GBK characters as cp949 or Big5."""
    for text in ("name,district\n测试,闵行\n", "record,credit_code,name\nenterprise,x,测试企业\n"):
        assert detect(text.encode("gbk"), "f.csv") == "gb18030"
        assert decode(text.encode("gbk"), "f.csv") == text


def test_an_encoding_that_cannot_be_told_says_how_to_convert() -> None:
    junk = bytes(range(128, 256)) * 4
    with pytest.raises(TableError) as caught:
        read_table(junk, "名录.csv")
    assert "名录.csv: cannot tell its text encoding" in str(caught.value)
    assert "CSV UTF-8" in str(caught.value)
    assert caught.value.zh is not None
    assert "无法识别文字编码" in caught.value.zh
    assert "iconv -f GB18030 -t UTF-8" in caught.value.zh


def test_a_long_file_is_judged_on_its_first_mebibyte(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    line = "91310112MA1GC3H0XW,闵行智能机器人有限公司,闵行区\n"
    path.write_bytes(("a,b,c\n" + line * 40_000).encode("gbk"))  # 1.6 MB: the sample ends mid-character
    assert file_encoding(path) == "gb18030"
    path.write_bytes(("a,b,c\n" + line * 40_000).encode("utf-8"))
    assert file_encoding(path) == "utf-8-sig"
    path.write_bytes(bytes(range(128, 256)) * 5000)
    with pytest.raises(EncodingProblem):
        file_encoding(path)


@pytest.mark.parametrize("encoding", ["gbk", "utf-8 with BOM"])
def test_import_of_a_chinese_excel_csv(tmp_path: Path, encoding: str) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    ledger = Ledger(make_engine(url), load_library())
    try:
        rows = read_table(ENCODINGS[encoding], "企业.csv")
        with ledger.unit(SYSTEM) as uow:
            report = import_rows(uow, "enterprises", rows, dry_run=False)
            assert report.errors == []
            uow.commit()
        with ledger.unit(SYSTEM) as uow:
            assert uow.session.execute(select(func.count()).select_from(t.Enterprise)).scalar() == 2
    finally:
        ledger.engine.dispose()


def test_an_application_year_as_pandas_writes_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    ledger = Ledger(make_engine(url), load_library())
    try:
        with ledger.unit(SYSTEM) as uow:
            import_rows(uow, "enterprises", read_table(ENCODINGS["gbk"], "企业.csv"), dry_run=False)
            uow.commit()
        applications = (
            "enterprise,measure,year,requested\n"
            "91310112MA1GC3H0XW,minhang-2018.rent,2020.0,30万元\n"
            "91310112MA1GC3H0XW,minhang-2018.scale-reward,2020.5,10万\n"
        )
        with ledger.unit(SYSTEM) as uow:
            report = import_rows(uow, "applications", read_table(applications.encode(), "a.csv"), dry_run=True)
        assert [(e.row, e.field) for e in report.errors] == [(3, "year")]
        assert "2024.0" in report.errors[0].message  # the accepted forms; 2020.5 is no year, never rounded
    finally:
        ledger.engine.dispose()


# ---- the batch: the same forms, the same figures --------------------------------------------------

AS_OF = date(2025, 6, 30)
SHORT_DISTRICT = {m.value: aliases[0] for m in District if (aliases := District.aliases().get(m.value))}
FULL_DIGITS = str.maketrans("0123456789.", "０１２３４５６７８９．")


def _as_people_write_it(row: dict[str, Any], n: int) -> dict[str, str | None]:
    """A row of the synthetic population in the forms a person or pandas writes: years as 2024.0
    or 2024年, amounts in 万 or with ¥ and separators, 是/否, dates with / and 年月日, short districts,
    now and then full-width digits."""
    out: dict[str, str | None] = {}
    for name, value in row.items():
        found = flat.classify(name)
        kind = "money" if isinstance(found, tuple) else found.kind if isinstance(found, flat.Column) else None
        if value is None:
            out[name] = None
        elif isinstance(value, bool):
            out[name] = ("是" if value else "否") if n % 2 else ("有" if value else "无")
        elif kind == "int" and name.endswith("year"):
            out[name] = f"{value}.0" if n % 2 else f"{value}年"
        elif kind in ("money", "area") and isinstance(value, Decimal):
            text = f"{(value / 10000).normalize():f}万" if kind == "money" and n % 3 == 0 else f"￥{value:,}"
            out[name] = text if kind == "money" else f"{value:,}"
        elif isinstance(value, date):
            out[name] = (
                f"{value.year}/{value.month}/{value.day}" if n % 2 else f"{value.year}年{value.month}月{value.day}日"
            )
        elif name in ("business_district", "tax_district"):
            out[name] = SHORT_DISTRICT.get(str(value), str(value))
        else:
            out[name] = str(value)
        if n % 7 == 0 and out[name] is not None and kind in ("money", "int"):
            out[name] = str(out[name]).translate(FULL_DIGITS)
    return out


def _write(rows: list[dict[str, Any]], path: Path, encoding: str) -> Path:
    names = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    return path


def _evaluate(path: Path) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]], dict[str, int]]:
    engine = DuckDB()
    try:
        batch = prepare(engine, read_input(engine.con, path), LIBRARY, AS_OF)
        batch.run_stages()
        rows = engine.rows(batch.plan.results(all_rows=True))
        return sorted((tuple(sorted(r.items())) for r in rows), key=repr), engine.rows(batch.rejected()), batch.counts()
    finally:
        engine.close()


@pytest.fixture(scope="module")
def population_rows() -> list[dict[str, Any]]:
    return population(60, seed=23).to_pylist()


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_a_batch_csv_as_people_and_pandas_write_it_gives_the_clean_figures(
    tmp_path: Path, population_rows: list[dict[str, Any]], encoding: str
) -> None:
    clean = tmp_path / "clean.parquet"
    pq.write_table(flat.rows_table(population_rows), clean)
    chinese = _write(
        [_as_people_write_it(row, n) for n, row in enumerate(population_rows)], tmp_path / "人写的.csv", encoding
    )
    text = chinese.read_bytes().decode(encoding)
    assert "万" in text
    assert "年" in text
    expected, expected_rejected, counts = _evaluate(clean)
    got, rejected, got_counts = _evaluate(chinese)
    assert rejected == expected_rejected == []
    assert got_counts == counts
    assert any(("status", "eligible") in r for r in expected)
    assert got == expected


def test_a_batch_csv_in_no_known_encoding_is_refused_with_how_to_convert(tmp_path: Path) -> None:
    path = tmp_path / "facts.csv"
    path.write_bytes(b"record,credit_code\n" + bytes(range(128, 256)) * 20)
    engine = DuckDB()
    try:
        with pytest.raises(InputError) as caught:
            read_input(engine.con, path)
    finally:
        engine.close()
    (found,) = caught.value.diagnostics
    assert "cannot tell its text encoding" in found.message
    assert found.zh is not None
    assert "CSV UTF-8(逗号分隔)" in found.zh
