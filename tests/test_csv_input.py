"""CSV files as Chinese offices save them: GBK/GB18030 (Chinese Excel), UTF-8 with or without BOM, and
pandas' `2024.0`, read alike by the ledger's import; an encoding that cannot be told is refused
with a message saying how to convert the file."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from sqlalchemy import func, select

from huiqi.ledger import tables as t
from huiqi.ledger.actors import SYSTEM
from huiqi.ledger.database import make_engine, upgrade
from huiqi.ledger.importing import import_rows
from huiqi.ledger.uow import Ledger
from huiqi.policy_files import load_library
from huiqi.tabular import TableError, read_table
from huiqi.text_encoding import EncodingProblem, decode, detect, file_encoding

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
