from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.money import (
    Interval,
    MoneyError,
    exact_decimal,
    format_wan,
    parse_amount,
    parse_rate,
    round_fen,
    split_shares,
)


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("300万元", "3000000.00"),
        ("1.5亿", "150000000.00"),
        ("2,000万", "20000000.00"),
        ("1亿2000万", "120000000.00"),
        ("8千万", "80000000.00"),
        ("5百万元", "5000000.00"),
        ("1亿5千万", "150000000.00"),
        ("3千元", "3000.00"),
        ("¥1,234.56", "1234.56"),
        ("1234.5元", "1234.50"),
        ("12.3456万", "123456.00"),
        ("0.005", "0.01"),  # half-up
        ("0.004", "0.00"),
        (" 80万 ", "800000.00"),
        (1000, "1000.00"),
        (Decimal("0.1"), "0.10"),
    ],
)
def test_amounts_parse_exactly(text: object, yuan: str) -> None:
    assert parse_amount(text) == Decimal(yuan)


@pytest.mark.parametrize(
    "bad", ["", "万", "三百万", "300万万", "2000万1亿", "1e5", "12.3.4", "abc", "1千2百万", "8千万千"]
)
def test_unreadable_amounts_are_refused(bad: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(bad)


def test_floats_are_refused() -> None:
    with pytest.raises(MoneyError, match="float"):
        parse_amount(0.1)
    with pytest.raises(MoneyError, match="float"):
        parse_rate(0.1)


@pytest.mark.parametrize(
    ("text", "rate"), [("10%", "0.1"), ("12.5%", "0.125"), ("1:1", "1"), ("1:2", "0.5"), ("0.3", "0.3")]
)
def test_rates(text: str, rate: str) -> None:
    assert parse_rate(text) == Decimal(rate)


def test_rounding_is_half_up_to_the_fen() -> None:
    assert round_fen(Decimal("2.675")) == Decimal("2.68")  # a float would give 2.67
    assert round_fen(Decimal("-2.675")) == Decimal("-2.68")


def test_fractions_round_half_up_exactly() -> None:
    assert round_fen(Fraction(85, 1000)) == Decimal("0.09")  # 0.85 / 3 × 30%: a tie, away from zero
    assert round_fen(Fraction(-85, 1000)) == Decimal("-0.09")
    assert round_fen(Fraction(1, 300)) == Decimal("0.00")
    assert exact_decimal(Fraction(1, 8)) == Decimal("0.125")
    assert exact_decimal(Fraction(1, 3)) == Fraction(1, 3)


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=6, allow_nan=False, allow_infinity=False))
def test_a_fraction_rounds_as_its_decimal_does(value: Decimal) -> None:
    assert round_fen(Fraction(value)) == round_fen(value)
    assert exact_decimal(Fraction(value)) == value


@given(
    st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False),
    st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=6),
)
def test_tranches_always_add_up(total: Decimal, weights: list[int]) -> None:
    shares = [Decimal(w) / sum(weights) for w in weights]
    parts = split_shares(total, shares)
    assert sum(parts) == total
    assert all(p == round_fen(p) for p in parts)


@given(st.integers(min_value=0, max_value=10**14))
def test_wan_text_round_trips(fen: int) -> None:
    value = Decimal(fen) / 100
    assert parse_amount(format_wan(value)) == value


def test_interval_rejects_upside_down_bounds() -> None:
    with pytest.raises(ValueError, match="out of order"):
        Interval(Decimal(2), Decimal(1))


def test_absurd_amounts_are_refused_not_crashed() -> None:
    with pytest.raises(MoneyError, match="below"):
        parse_amount("100000000000000000000000000")
    with pytest.raises(MoneyError, match="below"):
        parse_amount(10**30)
