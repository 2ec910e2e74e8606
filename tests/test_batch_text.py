"""The batch reads a text cell as the calculator reads the same text in a facts file: huiqi.facts.chinese
and huiqi.money.parse_amount in Python, huiqi.batch.text_values in SQL, compared value by value on
DuckDB and PostgreSQL (the engine tests run Spark over the same forms: test_batch_engines.TRICKY)."""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from huiqi.batch import text_values
from huiqi.batch.engines import DuckDB, Postgres, plain_url
from huiqi.batch.load import _text
from huiqi.batch.text_values import TextKind
from huiqi.diagnostics import Bilingual
from huiqi.facts.chinese import parse_bool, parse_date, parse_year
from huiqi.facts.models import Project
from huiqi.money import parse_amount
from tests import postgres

AMOUNTS = [
    "1234.56",
    "0.005",
    "0.004",
    "0.0049999999999",  # 13 decimals: more than either reads
    "300万元",
    "300万",
    "1.5亿",
    "2,000万",
    "2，000万",
    "1亿2000万",
    "1亿2000万500.5元整",
    "¥1,234.56",
    "￥80万元整",
    "人民币300万元",
    "RMB 1,000",
    "1,000 CNY",
    "１２３４．５",
    "３００万元",
    "12.3456万",
    "0.00000000005亿",
    "0.00000000004亿0.004",  # below the fen in two parts: the sum rounds up, each alone would not
    "1.00000000004亿0.004",
    "5千",
    "3百",
    "1万1千1百1",
    "8千万",
    "5百万元",
    "1千亿",
    "2百亿3千万",
    "1亿5千万",
    "3千元",
    "1千2百万",  # out of order: refused
    "-5万",
    "-0.005",
    "0012",
    "12.",
    ".5",
    "1e3",
    "三百万",
    "万",
    "元",
    "¥",
    "300万万",
    "2000万1亿",
    "1千1万",
    "12.3.4",
    "0.004999999999",  # 12 decimals, below half a fen
    "9999999999亿",  # above the batch limit
    "99999999999999999999",
    "10000亿",  # the batch limit itself
    "10000.01亿",
]
DATES = [
    "2025-06-30",
    "2025-6-30",
    "2025/6/30",
    "2025.6.30",
    "2025年6月30日",
    "２０２５/０６/３０",
    "2024-02-29",
    "2023-02-29",
    "2025年6月30",
    "2025/06-30",
    "30/6/2025",
    "2025-13-01",
    "20250630",
]
WHOLES = ["2024", "+2024", "2024.0", "2024.00", "２０２４", "2024.5", "0x10", "1.5", "2024年", "２０２４年", "-3", "12"]
COUNTS = ["3", "1000亿", "1.5万", "2024.0", "1.5", "1.001", "-0.5", "三"]
BOOLS = ["是", "否", "有", "无", "true", "FALSE", "Yes", "no", "1", "0", "１", "ＴＲＵＥ", "对", "maybe", "2"]


def _random_amounts(count: int, seed: int = 19) -> list[str]:
    """Texts from the amount grammar and around it: parts by unit, separators, full-width digits,
    currency words, and now and then a character out of place."""
    rng = random.Random(seed)
    digits = "0123456789"
    found = []
    for _ in range(count):
        parts = []
        for unit in ("千亿", "百亿", "亿", "千万", "百万", "万", "千", "百", ""):
            if rng.random() < 0.4:
                number = "".join(rng.choice(digits) for _ in range(rng.randint(1, 6)))
                if rng.random() < 0.5:
                    number += "." + "".join(rng.choice(digits) for _ in range(rng.randint(1, 12)))
                parts.append(number + unit)
        if rng.random() < 0.2:
            rng.shuffle(parts)
        text = "".join(parts)
        if rng.random() < 0.3:
            text = rng.choice(["¥", "￥", "人民币", "RMB"]) + text
        if rng.random() < 0.3:
            text += rng.choice(["元", "元整", "CNY"])
        if rng.random() < 0.2:
            text = text.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
        if rng.random() < 0.1 and text:
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice([",", " ", "x", "-", ".."]) + text[at:]
        found.append(text or "0")
    return found


def _python(read: Callable[[str], Any], text: str) -> Any:
    try:
        return read(text)
    except Bilingual:
        return None


def _python_fen(text: str) -> int | str | None:
    try:
        value = parse_amount(text)
    except Bilingual as error:
        return "too large" if "10^16" in str(error) else None
    if abs(value) > text_values.MAX_FEN // 100:
        return "too large"
    return int(value * 100)


def _python_count(text: str) -> int | None:
    try:
        return Project.model_validate({"id": "p", "name": "p", "kind": "other", "year": 2024, "parameters": text})
    except ValueError:
        try:  # a negative count is read, then refused by the model: the batch's check refuses it too
            value = parse_amount(text)
        except Bilingual:
            return None
        return int(value) if value == int(value) else None


def _sql(engine: Any, texts: list[str], kind: TextKind) -> list[Any]:
    """The batch's reading of each text as a column of `kind` (trimmed as the loader trims)."""
    data = pa.table({"n": pa.array(range(len(texts)), pa.int64()), "text": pa.array(texts, pa.string())})
    table = engine.con.create_table("huiqi_texts", data, temp=True, overwrite=True)
    staged, values, _ = text_values.read_text(table, {"text": (kind, _text(table.text))})
    expr = staged.select("n", value=values["text"]).order_by("n")
    return [row["value"] for row in engine.rows(expr)]


@pytest.fixture(params=["duckdb", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "duckdb":
        found: Any = DuckDB()
    else:
        server = request.getfixturevalue("postgres_server")
        if server is None:
            if os.environ.get("HUIQI_REQUIRE_POSTGRES") == "1":
                pytest.fail("PostgreSQL is required here (HUIQI_REQUIRE_POSTGRES=1) but not installed")
            pytest.skip("PostgreSQL is not installed (CI installs it; see .ci/run)")
        found = Postgres(plain_url(postgres.fresh_database(server)))
    yield found
    found.close()


def test_amounts_read_alike(engine: Any) -> None:
    texts = AMOUNTS + _random_amounts(400)
    got = _sql(engine, texts, "money")
    for text, fen in zip(texts, got, strict=True):
        expected = _python_fen(text)
        if expected == "too large":
            assert fen is not None, text
            assert abs(fen) > text_values.MAX_FEN, text
        else:
            assert fen == expected, text
    read = dict(zip(texts, got, strict=True))
    assert read["0.00000000004亿0.004"] == 1  # 0.004 + 0.004: rounded once, on the sum
    assert read["1亿2000万500.5元整"] == 12_000_050_050
    assert sum(1 for fen in got if fen is not None) > 150  # the random texts are mostly readable


def test_areas_read_plain_numbers_only(engine: Any) -> None:
    texts = ["500", "1,200", "１２００．５", "500万", "¥500", "-1"]
    assert _sql(engine, texts, "area") == [
        50000,
        120000,
        120050,
        None,
        None,
        -100,
    ]


def test_dates_read_alike(engine: Any) -> None:
    got = _sql(engine, DATES, "date")
    assert got == [_python(parse_date, text) for text in DATES]
    assert got.count(date(2025, 6, 30)) == 6


def test_whole_numbers_and_years_read_alike(engine: Any) -> None:
    assert _sql(engine, WHOLES, "year") == [_python(parse_year, t) for t in WHOLES]


def test_counts_read_alike(engine: Any) -> None:
    got = _sql(engine, COUNTS, "count")
    expected = []
    for text in COUNTS:
        found = _python_count(text)
        expected.append(found.parameters if isinstance(found, Project) else found)
    assert got == expected
    assert got[1] == 100_000_000_000


def test_yes_and_no_read_alike(engine: Any) -> None:
    assert _sql(engine, BOOLS, "bool") == [_python(parse_bool, t) for t in BOOLS]


def test_a_year_of_2024_point_5_is_no_year_in_either() -> None:
    assert _python(parse_year, "2024.5") is None
    assert _python_fen("3000万") == 3_000_000_000
    assert parse_amount("3000万") == Decimal("30000000.00")
