"""Exact money: decimal yuan, Chinese units, one rounding rule, and closed intervals.

The rounding rule (documented in docs/rule-language.md, "Money"):
  * every amount is rounded to the fen (0.01 yuan) with ROUND_HALF_UP (四舍五入);
  * an input amount is rounded once, when parsed;
  * a computed component (base × rate) is rounded once, right after the multiplication;
  * arithmetic inside an expression is exact: a quotient that is not a finite decimal
    (x / 3) is kept as a fraction until that one rounding;
  * sums, caps and comparisons then work on whole fen and are exact;
  * a split into tranches rounds every tranche but the last, which takes the remainder,
    so tranches always add up to the total.
Floats are refused everywhere: they cannot hold 0.1 exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from fractions import Fraction

from huiqi.diagnostics import Bilingual
from huiqi.facts.chinese import AMOUNT_FORMS_EN, AMOUNT_FORMS_ZH, amount_error, read_amount_text

FEN = Decimal("0.01")
# Far above any budget, and small enough that every amount stays exact in Decimal's 28 digits
# and fits a 64-bit integer of fen (9.2 × 10^16 yuan). Products inside an expression use EXACT.
MAX_AMOUNT = Decimal(10) ** 16
ZERO = Decimal("0.00")

_PERCENT_RE = re.compile(r"^(?P<num>-?\d+(?:\.\d+)?)\s*%$")


class MoneyError(Bilingual):
    """An amount that cannot be read exactly (said in Chinese and English; str() is the English)."""


Exact = Decimal | Fraction
"""An exact number: a decimal, or a fraction where a quotient is not a finite decimal (x / 3)."""

EXACT = Context(prec=200)
"""For sums and products inside an expression: the default context's 28 digits would round the
product of two amounts (up to 18 digits each); 200 digits never round what a rule can write."""


def round_fen(value: Exact) -> Decimal:
    """The one rounding rule: half-up to the fen (a tie goes away from zero, as 四舍五入)."""
    if isinstance(value, Fraction):
        fen = abs(value) * 100
        whole = fen.numerator // fen.denominator
        if 2 * (fen.numerator - whole * fen.denominator) >= fen.denominator:
            whole += 1
        return Decimal(-whole if value < 0 else whole).scaleb(-2, context=EXACT)
    return value.quantize(FEN, rounding=ROUND_HALF_UP, context=EXACT)


def exact_decimal(value: Fraction) -> Exact:
    """A fraction as a decimal when it is one (its denominator divides a power of ten)."""
    rest = value.denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    if rest != 1:
        return value
    digits = 0
    while (value * 10**digits).denominator != 1:
        digits += 1
    return Decimal(int(value * 10**digits)).scaleb(-digits, context=EXACT)  # scaleb rounds to the context


def exact_product(a: Exact, b: Exact) -> Exact:
    """a × b with nothing rounded."""
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return EXACT.multiply(a, b)
    return exact_decimal(Fraction(a) * Fraction(b))


def format_exact(value: Exact) -> str:
    """A computed base as the reader should see it: '617,283.945'; a fraction '411,522.6333…'."""
    if isinstance(value, Fraction):
        return f"{Decimal(round(value * 10_000)).scaleb(-4, context=EXACT):,.4f}…"
    if value == value.quantize(FEN):
        return f"{value:,.2f}"
    return f"{value:,f}"


def parse_amount(raw: object) -> Decimal:
    """Read an amount of yuan exactly: ints, Decimals and text as people write it (huiqi.facts.chinese:
    Chinese units, 元/元整, ¥/￥, thousands separators, full-width digits).

    >>> parse_amount("1.5亿")
    Decimal('150000000.00')
    >>> parse_amount("2,000万")
    Decimal('20000000.00')
    """
    if isinstance(raw, bool):
        raise MoneyError(
            f"金额应为数字或文字 (如 {AMOUNT_FORMS_ZH}), 不能是是/否",
            f"an amount must be a number or text such as {AMOUNT_FORMS_EN}, not a boolean",
        )
    if isinstance(raw, float):
        raise MoneyError(
            f"金额不能是二进制浮点数 (不精确); 请写成文字, 如 {AMOUNT_FORMS_ZH}",
            f"amounts must not be floats (they are inexact); write text such as {AMOUNT_FORMS_EN}",
        )
    if isinstance(raw, int | Decimal):
        value = Decimal(raw)
    elif isinstance(raw, str):
        found = read_amount_text(raw)
        if found is None:
            error = amount_error(raw)
            raise MoneyError(error.zh, error.en)
        value = found
    else:
        raise MoneyError(
            f"金额应为数字或文字, 不能是 {type(raw).__name__}",
            f"an amount must be a number or text, not {type(raw).__name__}",
        )
    if not value.is_finite():
        raise MoneyError("金额必须是有限的数", "an amount must be finite")
    if abs(value) >= MAX_AMOUNT:
        raise MoneyError("金额必须小于 10^16 元 (1亿亿)", "an amount must be below 10^16 yuan (1亿亿)")
    return round_fen(value)


def parse_rate(raw: object) -> Decimal:
    """Read a rate: '10%', a decimal fraction (0.1 as Decimal or string), or a ratio '1:1'."""
    if isinstance(raw, bool):
        raise MoneyError("比例应为数字或百分数, 不能是是/否", "a rate must be a number or a percentage, not a boolean")
    if isinstance(raw, float):
        raise MoneyError(
            "比例不能是二进制浮点数; 请写 '10%' 或 '0.1'", "rates must not be floats; write '10%' or '0.1'"
        )
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, str):
        text = raw.strip()
        percent = _PERCENT_RE.match(text)
        if percent:
            return Decimal(percent.group("num")) / 100
        if ":" in text:
            left, _, right = text.partition(":")
            try:
                return Decimal(left.strip()) / Decimal(right.strip())
            except (InvalidOperation, ZeroDivisionError) as exc:
                raise MoneyError(
                    f"无法识别比例 {raw!r}; 可写 '1:1'", f"cannot read {raw!r} as a ratio such as '1:1'"
                ) from exc
        try:
            return Decimal(text)
        except InvalidOperation as exc:
            raise MoneyError(
                f"无法识别比例 {raw!r}; 可写 '10%' 或 '0.1'",
                f"cannot read {raw!r} as a rate; write e.g. '10%' or '0.1'",
            ) from exc
    raise MoneyError(
        f"比例应为数字或文字, 不能是 {type(raw).__name__}",
        f"a rate must be a number or a string, not {type(raw).__name__}",
    )


def format_yuan(value: Decimal) -> str:
    """1234567.8 -> '1,234,567.80'."""
    return f"{round_fen(value):,.2f}"


def format_wan(value: Decimal) -> str:
    """A reader-friendly Chinese figure: 30000000 -> '3000万元', 150000000 -> '1.5亿元' (exact)."""
    value = round_fen(value)
    if value >= 100_000_000:
        return f"{(value / 100_000_000).normalize():f}亿元"
    if value >= 10_000:
        return f"{(value / 10_000).normalize():f}万元"
    return f"{value:,.2f}元"


def format_rate(value: Decimal) -> str:
    pct = (value * 100).normalize()
    return f"{pct:f}%"


@dataclass(frozen=True, slots=True)
class Interval:
    """A closed range of amounts [lo, hi]; exact when lo == hi.

    Ranges arise where a review decides a rate within the policy's range; every bound is
    carried through caps and sums on its own, so lo and hi are each a possible outcome.
    """

    lo: Decimal
    hi: Decimal

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            raise ValueError(f"interval bounds out of order: {self.lo} > {self.hi}")

    @classmethod
    def exact(cls, value: Decimal) -> Interval:
        return cls(value, value)

    @property
    def is_exact(self) -> bool:
        return self.lo == self.hi

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.lo + other.lo, self.hi + other.hi)

    @classmethod
    def of_product(cls, base: Exact, rate: Interval) -> Interval:
        """base × rate for a non-negative base, rounded to the fen (once: the base is exact)."""
        return cls(round_fen(exact_product(base, rate.lo)), round_fen(exact_product(base, rate.hi)))

    def cap(self, limit: Decimal) -> Interval:
        return Interval(min(self.lo, limit), min(self.hi, limit))

    def describe(self) -> str:
        if self.is_exact:
            return format_yuan(self.lo)
        return f"[{format_yuan(self.lo)}, {format_yuan(self.hi)}]"


def split_shares(total: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """Split a total into shares; all but the last are rounded, the last takes the remainder."""
    parts = [round_fen(total * share) for share in shares[:-1]]
    return [*parts, round_fen(total) - sum(parts, ZERO)]
