"""The national size classification (国统字〔2017〕213号): the table as data, and classify()."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from huiqi.diagnostics import Bilingual, InputError
from huiqi.facts.size_class import (
    DATA_DIR,
    classification,
    classify,
    industries,
    is_small_or_micro,
    is_sme,
    is_startup,
    load_classification,
    missing_indicators,
    normalise,
    read_industry,
    read_size,
)

WAN = Decimal(10000)

# The table typed again by hand from 附表 (万元 for money, 人 for employees): (大型, 中型, 小型) lower bounds.
EXPECTED: dict[str, dict[str, tuple[int, int, int]]] = {
    "agriculture": {"revenue": (20000, 500, 50)},
    "industry": {"employees": (1000, 300, 20), "revenue": (40000, 2000, 300)},
    "construction": {"revenue": (80000, 6000, 300), "assets": (80000, 5000, 300)},
    "wholesale": {"employees": (200, 20, 5), "revenue": (40000, 5000, 1000)},
    "retail": {"employees": (300, 50, 10), "revenue": (20000, 500, 100)},
    "transport": {"employees": (1000, 300, 20), "revenue": (30000, 3000, 200)},
    "warehousing": {"employees": (200, 100, 20), "revenue": (30000, 1000, 100)},
    "postal": {"employees": (1000, 300, 20), "revenue": (30000, 2000, 100)},
    "accommodation": {"employees": (300, 100, 10), "revenue": (10000, 2000, 100)},
    "catering": {"employees": (300, 100, 10), "revenue": (10000, 2000, 100)},
    "information_transmission": {"employees": (2000, 100, 10), "revenue": (100000, 1000, 100)},
    "software_it": {"employees": (300, 100, 10), "revenue": (10000, 1000, 50)},
    "real_estate_development": {"revenue": (200000, 1000, 100), "assets": (10000, 5000, 2000)},
    "property_management": {"employees": (1000, 300, 100), "revenue": (5000, 1000, 500)},
    "leasing_business": {"employees": (300, 100, 10), "assets": (120000, 8000, 100)},
    "other": {"employees": (300, 100, 10)},
}

HUGE: dict[str, int | Decimal] = {"employees": 10**6, "revenue": Decimal(10) ** 13, "assets": Decimal(10) ** 13}
"""Far above every 大型 bound: an indicator set to this never lowers the class."""


def in_units(indicator: str, table_value: int) -> int | Decimal:
    return table_value if indicator == "employees" else Decimal(table_value) * WAN


def one_below(indicator: str, value: int | Decimal) -> int | Decimal:
    """One person fewer, or one fen (0.01 元) less."""
    return value - 1 if indicator == "employees" else value - Decimal("0.01")


def run(industry: str, **values: int | Decimal) -> str | None:
    reading = classify(industry, values.get("employees"), values.get("revenue"), values.get("assets"))  # type: ignore[arg-type]
    return None if reading is None else reading.size


def test_every_row_of_the_table_is_encoded() -> None:
    assert [i.code for i in industries()] == list(EXPECTED)
    for industry in industries():
        assert list(industry.indicators) == list(EXPECTED[industry.code]), industry.code
        for t in industry.thresholds:
            large, medium, small = EXPECTED[industry.code][t.indicator]
            # revenue and assets are stored in exact yuan: the table's 万元 × 10000
            assert (t.large, t.medium, t.small) == tuple(in_units(t.indicator, v) for v in (large, medium, small))
            assert isinstance(t.large, Decimal)


CASES = [
    (code, indicator, size, bound)
    for code, row in EXPECTED.items()
    for indicator, bounds in row.items()
    for size, bound in zip(("large", "medium", "small"), bounds, strict=True)
]
NEXT_DOWN = {"large": "medium", "medium": "small", "small": "micro"}


@pytest.mark.parametrize(("code", "indicator", "size", "bound"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_each_lower_bound_and_one_below(code: str, indicator: str, size: str, bound: int) -> None:
    # The other indicators of the row far above 大型, so this one alone decides the class.
    others = {name: HUGE[name] for name in EXPECTED[code] if name != indicator}
    at = in_units(indicator, bound)
    assert run(code, **others, **{indicator: at}) == size  # exactly at the lower bound: ≥ includes it
    assert run(code, **others, **{indicator: one_below(indicator, at)}) == NEXT_DOWN[size]  # < excludes it


def test_one_fen_decides() -> None:
    # 工业 小型 needs 营业收入 ≥ 300万元 = 3,000,000.00 元; 2,999,999.99 元 is 微型 (Y<300)
    assert run("industry", employees=50, revenue=Decimal("3000000.00")) == "small"
    assert run("industry", employees=50, revenue=Decimal("2999999.99")) == "micro"


def test_every_indicator_must_reach_the_bound_else_one_class_down() -> None:
    # 工业: 350 人 is 中型 (300≤X<1000), 1000万元 is 小型 (300≤Y<2000) → 小型
    reading = classify("工业", 350, Decimal(10_000_000))
    assert reading is not None
    assert reading.size == "small"
    assert "须同时满足所列指标的下限，否则下划一档" in reading.reason_zh
    assert reading.rule_quote == "大型、中型和小型企业须同时满足所列指标的下限，否则下划一档"
    # 1000 人 is 大型, 300万元 小型: down 「直至完全满足为止」, to 小型, not just one class to 中型
    assert run("industry", employees=1000, revenue=Decimal(3_000_000)) == "small"
    # both 大型 → 大型 (1000 ≥ 1000, 4亿 ≥ 40000万)
    assert run("industry", employees=1000, revenue=Decimal(400_000_000)) == "large"


def test_the_reason_quotes_the_thresholds() -> None:
    reading = classify("制造业", 250, Decimal(120_000_000))
    assert reading is not None
    # 250 人: 20 ≤ 250 < 300 → 小型; 1.2亿元: 2000万 ≤ 1.2亿 < 4亿 → 中型; the lower → 小型
    assert reading.size == "small"
    assert reading.reason_zh == (
        "工业：从业人员 250 人（≥20 且 <300，小型）、营业收入 1.2亿元（≥2000万元 且 <4亿元，中型）"
        " → 小型（须同时满足所列指标的下限，否则下划一档）"
    )
    assert "employees 250 (≥20 and <300, small)" in reading.reason_en
    assert "revenue 120,000,000 yuan (≥20,000,000 yuan and <400,000,000 yuan, medium)" in reading.reason_en
    assert reading.quote == (
        "从业人员(X) 人 X≥1000 300≤X<1000 20≤X<300 X<20；营业收入(Y) 万元 Y≥40000 2000≤Y<40000 300≤Y<2000 Y<300"
    )
    assert reading.is_sme


def test_micro_by_one_indicator() -> None:
    # 软件和信息技术服务业: 9 人 < 10 → 微型, whatever the revenue (5亿 ≥ 10000万 would be 大型)
    reading = classify("软件和信息技术服务业", 9, Decimal(500_000_000))
    assert reading is not None
    assert reading.size == "micro"
    assert [r.indicator for r in reading.readings] == ["employees"]
    assert reading.rule_quote == "微型企业只须满足所列指标中的一项即可"
    # ... and so even without the revenue: the one indicator decides
    assert run("software_it", employees=9) == "micro"
    assert missing_indicators("software_it", 9, None) == ()
    # 49.99万元 < 50万元 → 微型 without the employees
    assert run("software_it", revenue=Decimal("499999.99")) == "micro"


def test_missing_indicators_give_none() -> None:
    # 10 人 is 小型 for 工业, but whether 小型 holds depends on the revenue
    assert classify("工业", 100, None) is None
    assert missing_indicators("工业", 100, None) == ("revenue",)
    assert missing_indicators("工业", None, None) == ("employees", "revenue")
    # 建筑业 uses 营业收入 and 资产总额, not 从业人员
    assert classify("建筑业", 5000, Decimal(10**9)) is None
    assert missing_indicators("建筑业", 5000, Decimal(10**9)) == ("assets",)
    assert run("construction", revenue=Decimal(10**9), assets=Decimal(10**9)) == "large"
    # 其他未列明行业 needs only 从业人员; an indicator the row does not use is ignored
    assert run("other", employees=300, revenue=Decimal(1)) == "large"


def test_reading_industries() -> None:
    assert read_industry("制造业").code == "industry"
    assert read_industry(" 采矿业 ").code == "industry"
    assert read_industry("C").code == "industry"
    assert read_industry("工业*").code == "industry"
    assert read_industry("software_it").zh == "软件和信息技术服务业"
    assert read_industry("65").code == "software_it"
    assert read_industry("互联网和相关服务").code == "information_transmission"
    assert read_industry("装卸搬运").code == "transport"
    assert read_industry("租赁和商务服务业").code == "leasing_business"
    # 说明 2: 其他未列明行业包括科学研究和技术服务业, …
    assert read_industry("科学研究和技术服务业").code == "other"
    assert read_industry("M").code == "other"


@pytest.mark.parametrize("text", ["金融业", "铁路运输业", "教育", "软件", "", "finance"])
def test_an_unknown_industry_is_refused_in_chinese(text: str) -> None:
    with pytest.raises(Bilingual) as caught:
        read_industry(text)
    assert caught.value.zh.startswith(f"无法识别行业 {text!r}")
    assert "可填：" in caught.value.zh
    assert "工业 (industry, 采矿业, 制造业, 电力、热力、燃气及水生产和供应业, B, C, D)" in caught.value.zh
    assert "其他未列明行业 (other, 科学研究和技术服务业" in caught.value.zh
    assert "is not an industry" in caught.value.en
    with pytest.raises(ValueError, match="is not an industry"):
        classify(text, 10, Decimal(1))


@pytest.mark.parametrize(
    ("employees", "revenue"),
    [(-1, Decimal(1)), (True, Decimal(1)), (10, -Decimal("0.01")), (10, 1.5), (10, Decimal("NaN"))],
)
def test_bad_values_are_refused(employees: object, revenue: object) -> None:
    with pytest.raises(Bilingual):
        classify("工业", employees, revenue)  # type: ignore[arg-type]


def test_sme_and_size_labels() -> None:
    # 中小企业促进法 第二条: 中小企业 = 中型、小型和微型企业
    assert [is_sme(s) for s in ("large", "medium", "small", "micro")] == [False, True, True, True]
    assert [is_small_or_micro(s) for s in ("large", "medium", "small", "micro")] == [False, False, True, True]
    assert read_size("中型企业") == "medium"
    assert read_size("微型") == "micro"
    assert read_size("Large") == "large"
    with pytest.raises(Bilingual, match="not a size class"):
        read_size("中小型")


def test_startup_reading() -> None:
    founded = date(2020, 3, 15)
    # 不超过5年: 2025-03-15 is exactly five years → still 初创; the next day is not
    assert is_startup(founded, date(2025, 3, 15))
    assert not is_startup(founded, date(2025, 3, 16))
    assert is_startup(founded, founded)
    # overridable: a policy saying 成立未满3年
    assert not is_startup(founded, date(2023, 3, 16), years=3)
    # founded on 29 February: the anniversary in a common year is 28 February
    assert is_startup(date(2020, 2, 29), date(2025, 2, 28))
    assert not is_startup(date(2020, 2, 29), date(2025, 3, 1))
    with pytest.raises(Bilingual, match="before the founding"):
        is_startup(founded, date(2020, 3, 14))


# ---- the data file -------------------------------------------------------------------------------------

YAML = (DATA_DIR / "classification.yaml").read_text(encoding="utf-8")
SOURCE = (DATA_DIR / "source.txt").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing needle."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def problems(text: str) -> list[tuple[str, int | None, str, str | None]]:
    with pytest.raises(InputError) as caught:
        load_classification(text, "classification.yaml", SOURCE)
    return [(d.file, d.line, d.message, d.zh) for d in caught.value.diagnostics]


def test_the_package_data_is_checked_and_cached() -> None:
    table = classification()
    assert table is classification()
    assert table.number == "国统字〔2017〕213号"
    for industry in table.industries:
        for t in industry.thresholds:
            assert normalise(t.quote) in normalise(SOURCE)
    assert normalise("下划一档，直至完全满足为止") in normalise(SOURCE)


def test_an_unknown_key_names_file_and_line() -> None:
    broken = YAML.replace('    table_name: "仓储业"\n', '    table_name: "仓储业"\n    colour: red\n')
    assert broken != YAML
    [(file, line, message, _)] = problems(broken)
    assert file == "classification.yaml"
    assert line == line_of(broken, "colour: red")
    assert "unknown key" in message


def test_a_quote_not_in_the_source_names_its_line() -> None:
    # 20≤X<300 → 21≤X<300 in 工业's employees row: no longer verbatim, and no longer what is stored
    wrong = '"从业人员(X) 人 X≥1000 300≤X<1000 21≤X<300 X<20"'
    broken = YAML.replace('"从业人员(X) 人 X≥1000 300≤X<1000 20≤X<300 X<20"', wrong, 1)
    found = problems(broken)
    lines = {line for _, line, _, _ in found}
    assert lines == {line_of(broken, wrong)}
    messages = " | ".join(m for _, _, m, _ in found)
    assert "quote is not verbatim in source.txt under 工业*" in messages
    assert "the row's bounds do not join up" in messages  # 21 (小型 lower) ≠ 20 (微型 upper)
    assert any(zh and "原文不符" in zh for _, _, _, zh in found)


def test_a_quote_from_another_industry_is_refused() -> None:
    # 仓储业's employees row replaced by 工业's (verbatim in the table, but not under 仓储业)
    lines = YAML.splitlines(keepends=True)
    start = line_of(YAML, 'table_name: "仓储业"')
    at = next(n for n in range(start, len(lines)) if "从业人员(X) 人 X≥200 100≤X<200" in lines[n])
    lines[at] = lines[at].replace("X≥200 100≤X<200 20≤X<100 X<20", "X≥1000 300≤X<1000 20≤X<300 X<20")
    found = problems("".join(lines))
    assert {line for _, line, _, _ in found} == {at + 1}
    assert any("not verbatim in source.txt under 仓储业" in m for _, _, m, _ in found)
    # and its numbers (200, 100, 20 stored) are not the row's (1000, 300, 20)
    assert any(m == "large is 200, but the row quoted says 1000 人" for _, _, m, _ in found)


def test_stored_yuan_must_be_the_tables_wan() -> None:
    # 工业 中型 revenue: 2000万元 = 20,000,000 元; store one yuan more
    broken = YAML.replace("        medium: 20000000\n", "        medium: 20000001\n", 1)
    [(_, line, message, zh)] = problems(broken)
    assert line == line_of(broken, "300≤Y<2000")  # the quote of that threshold
    assert message == "medium is 20000001, but the row quoted says 20000000 元 (万元 × 10000)"
    assert zh is not None
    assert zh.startswith("中型下限为 20000001")


def test_unordered_thresholds_are_refused() -> None:
    broken = YAML.replace("        large: 1000\n        medium: 300\n", "        large: 300\n        medium: 1000\n", 1)
    found = problems(broken)
    start = line_of(broken, "        large: 300")
    assert any(
        "thresholds not ordered" in message and line == start - 1  # the item's `- indicator:` line
        for _, line, message, _ in found
    )


def test_a_yaml_syntax_error_names_its_line() -> None:
    broken = YAML.replace("  - code: retail\n", "  - code: [retail\n", 1)
    [(file, line, message, zh)] = problems(broken)
    assert file == "classification.yaml"
    assert line is not None
    assert line >= line_of(broken, "code: [retail")
    assert "not valid YAML" in message
    assert zh is not None


def test_a_rule_quote_must_be_verbatim() -> None:
    broken = YAML.replace("微型企业只须满足所列指标中的一项即可", "微型企业只须满足所列指标中的任一项即可", 1)
    [(_, line, message, _)] = problems(broken)
    assert line == line_of(broken, "micro_by_one:")
    assert message == "quote is not verbatim in source.txt"
