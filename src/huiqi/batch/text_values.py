"""The batch's reading of text cells, in SQL: the forms of huiqi.facts.chinese, to the same values.

A CSV's columns are all text, and a Parquet file or a database table may hold text too; each cell
is read here as the calculator reads the same text in a facts file (huiqi.facts.chinese and
huiqi.money.parse_amount): full-width digits, 是/否 and 有/无, 2025/6/30 and 2025年6月30日,
2024.0 and 2024年, 300万元, 1.5亿, ¥1,234.56, 80万元整. The patterns are chinese's own, in the
subset of regular expressions DuckDB (RE2), PostgreSQL and Spark (Java) read alike; tests
compare the two readings cell by cell (tests/test_batch_text.py).

Amounts are read exactly, in integers, on every engine: each part's digits are shifted to fen as
text, and the one rounding (half up, to the fen) looks at the sum of what is left below the fen,
kept as a 10-digit integer per part (at most 12 decimals are accepted, so nothing below is lost).
Each typed cell first tries the plain form (`1234.56`, `2024`, `2025-06-30`) and reads the others
only when that fails, so a clean file pays little for them. The reading is staged (`read_text`): the
trimmed text, then the cleaned word of a cell not in the plain form, then an amount's parts, each
a column of its own projection, since Ibis inlines an expression at every use and SQL has no
common subexpressions (unstaged, an amount was 60 KB of SQL and 13-34 s per million cells).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Literal

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from huiqi.facts.chinese import (
    AMOUNT,
    AMOUNT_PARTS,
    DATE_FORMS,
    DATE_PARTS,
    FALSE_WORDS,
    FULL_WIDTH,
    HALF_WIDTH,
    NUMBER,
    TRUE_WORDS,
    WHOLE,
    YEAR_SUFFIX,
)

I64 = dt.int64
MAX_FEN = 10**14  # the batch's limit (huiqi.batch.load): 1万亿 yuan
TOO_LARGE = MAX_FEN + 1  # what an amount of more digits than BIGINT holds reads as: above the limit

# The documented plain forms, each engine's cast given only text of that form (their own casts
# accept different extras: DuckDB reads '1.5' as the integer 2, Spark '１２' as a decimal, and
# PostgreSQL fails the whole query on a bad value instead of giving null).
INTEGER_TEXT = r"^[+-]?[0-9]{1,18}$"
DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
PLAIN_YUAN = r"^[0-9]{1,15}([.][0-9]{1,2})?$"  # read by a cast: at most two decimals, exact
NUMBER_ONLY = f"^-?{NUMBER}$"  # an area: a plain number (amount_text's cleaning)
FRACTION_DIGITS = 12  # chinese.NUMBER's most decimals
REST_DIGITS = FRACTION_DIGITS - 2  # what is below the fen, per part, as an integer of this many digits


TextKind = Literal["money", "area", "year", "count", "date", "bool"]


def parsed(text: ir.StringValue, pattern: str, dtype: dt.DataType) -> ir.Value:
    """Text of a documented form cast to its type; null for any other text."""
    return ibis.ifelse(text.re_search(pattern).fill_null(False), text.try_cast(dtype), ibis.null(dtype))


def _halfwidth(text: ir.StringValue) -> ir.StringValue:
    """Full-width digits and signs as ASCII, trimmed (chinese.halfwidth); asked first, since
    TRANSLATE costs ten times the question (0.67 against 0.06 s per million cells in DuckDB)."""
    return ibis.ifelse(text.re_search(f"[{FULL_WIDTH}]"), text.translate(FULL_WIDTH, HALF_WIDTH).strip(), text)


def _group(text: ir.StringValue, pattern: str, index: int) -> ir.StringValue:
    """A group of a match, '' where it took no part (DuckDB and Spark give '', PostgreSQL null)."""
    return text.re_extract(pattern, index).fill_null("")


# the plain form of each kind: a cell in it is cast as it is, and its word (below) is null
_PLAIN = {"money": PLAIN_YUAN, "area": PLAIN_YUAN, "count": INTEGER_TEXT, "year": INTEGER_TEXT, "date": DATE_TEXT}


def _word(kind: TextKind, text: ir.StringValue) -> ir.StringValue:
    """What the other forms are read from: half-width and trimmed; for amounts also without spaces
    and thousands separators (chinese.amount_text). Null for a cell in the plain form."""
    word = _halfwidth(text)
    if kind in ("money", "area", "count"):
        word = word.re_replace("[ ,]", "")
    if kind == "bool":
        return word.lower()
    return ibis.ifelse(text.re_search(_PLAIN[kind]).fill_null(False), ibis.null(dt.string), word)


def _parts(kind: TextKind) -> tuple[str, tuple[tuple[str, int], ...]]:
    """An amount's whole pattern, and each part's pattern with its power of ten."""
    return (NUMBER_ONLY, ((f"({NUMBER})$", 0),)) if kind == "area" else (AMOUNT, AMOUNT_PARTS)


def _fenced(table: ir.Table) -> ir.Table:
    """A stage kept a subquery of its own: `OFFSET 0`, which the PostgreSQL engine's compiler writes
    out (huiqi.batch.engines) and the others drop. PostgreSQL pulls a plain subquery up into its
    reader and repeats its expressions at every use: the check's query with ~100 amounts read this
    way grew until the server was killed. DuckDB and Spark keep the projections apart as they are."""
    return table.limit(None, offset=0)


AMOUNT_KINDS = ("money", "area", "count")


def read_text(
    table: ir.Table, columns: Mapping[str, tuple[TextKind, ir.StringValue]], plain: Collection[str] = frozenset()
) -> tuple[ir.Table, dict[str, ir.Value], dict[str, ir.StringValue]]:
    """Text columns read to their types, as the facts models read the same text.

    `columns`: name -> (kind, the cell's trimmed text, empty as null, an expression over `table`).
    `plain` names amount columns known to hold the plain form only (`plain_query`): they are read
    by a cast alone; the other forms of an amount are some 70 nodes of Ibis expression per column,
    and compiling a hundred of them took seconds.
    Returns `table` with the staged helper columns (`__t_*`, `__w_*`, `__n<i>_*`) in place of the
    text columns, each column's typed value over it (an amount in fen), and each column's trimmed
    text over it."""
    if not columns:
        return table, {}, {}
    # the text columns are replaced by their trimmed text: a table may have hundreds of them, and
    # PostgreSQL allows at most 1664 columns in a query
    kept = [name for name in table.columns if name not in columns]
    full = {name: kind for name, (kind, _) in columns.items() if not (kind in AMOUNT_KINDS and name in plain)}
    firsts: dict[str, ir.Value] = {}
    for name, (kind, text) in columns.items():
        firsts[f"__t_{name}"] = text
        if name in full:
            firsts[f"__w_{name}"] = _word(kind, text)
    staged = _fenced(table.select(*kept, **firsts))
    # each part's number: null for a cell in the plain form (its word is null), so they cost little there
    numbers: dict[str, ir.Value] = {}
    for name, kind in full.items():
        if kind in AMOUNT_KINDS:
            for index, (part, _exponent) in enumerate(_parts(kind)[1]):
                numbers[f"__n{index}_{name}"] = staged[f"__w_{name}"].re_extract(part, 1)
    if numbers:
        staged = _fenced(staged.mutate(**numbers))
    values: dict[str, ir.Value] = {}
    for name, (kind, _) in columns.items():
        text = staged[f"__t_{name}"]
        if name not in full:
            values[name] = parsed(text, INTEGER_TEXT, I64) if kind == "count" else _plain_fen(text)
            continue
        word = staged[f"__w_{name}"]
        if kind == "bool":
            values[name] = _boolean(word)
        elif kind == "year":
            values[name] = _whole(text, word, year=True)
        elif kind == "date":
            values[name] = _day(text, word)
        else:
            found = [staged[f"__n{i}_{name}"] for i in range(len(_parts(kind)[1]))]
            fen = _fen(text, word, found, kind)
            values[name] = _count(text, fen) if kind == "count" else fen
    return staged, values, {name: staged[f"__t_{name}"] for name in columns}


def _plain_fen(text: ir.StringValue) -> ir.IntegerValue:
    """An amount in the plain form (at most two decimals), in fen, by a cast."""
    return (parsed(text, PLAIN_YUAN, dt.Decimal(18, 2)) * 100).cast(I64)


def plain_query(table: ir.Table, columns: Mapping[str, tuple[TextKind, ir.StringValue]]) -> ir.Table | None:
    """One row: per amount column of `columns`, how many of its cells are not in the plain form
    (`1234.56`; a count: `12`). Columns with none are read by a cast alone (`read_text`'s `plain`)."""
    counts = {}
    for name, (kind, text) in columns.items():
        if kind in AMOUNT_KINDS:
            form = INTEGER_TEXT if kind == "count" else PLAIN_YUAN
            other = text.notnull() & ~text.re_search(form).fill_null(False)
            counts[name] = other.cast(I64).sum()
    return table.aggregate(**counts) if counts else None


def _boolean(word: ir.StringValue) -> ir.BooleanValue:
    """Yes or no (chinese.parse_bool): `word` half-width, trimmed, lower case."""
    return ibis.cases(
        (word.isin(list(TRUE_WORDS)), True), (word.isin(list(FALSE_WORDS)), False), else_=ibis.null(dt.boolean)
    )


def _whole(text: ir.StringValue, word: ir.StringValue, *, year: bool) -> ir.IntegerValue:
    """A whole number (chinese.parse_whole): 2024, +2024, 2024.0, full-width digits; a year also
    2024年. 2024.5 is null (unreadable), never rounded."""
    if year:
        word = ibis.ifelse(word.endswith(YEAR_SUFFIX), word.re_replace(f" *{YEAR_SUFFIX}$", ""), word)
    formed = word.re_search(WHOLE).fill_null(False)
    digits = ibis.ifelse(formed, word.re_extract("^([+-]?[0-9]+)", 1), ibis.null(dt.string))
    return ibis.ifelse(word.isnull(), parsed(text, INTEGER_TEXT, I64), parsed(digits, INTEGER_TEXT, I64))


def _count(text: ir.StringValue, fen: ir.IntegerValue) -> ir.IntegerValue:
    """A count (a project's parameters): a whole number, or an amount's text that is whole
    ('1000亿'), as huiqi.facts.models reads a count; null for anything else."""
    plain = parsed(text, INTEGER_TEXT, I64)
    units = ibis.ifelse((fen % 100 == 0).fill_null(False), (fen - fen % 100) // 100, ibis.null(I64))
    return ibis.ifelse(plain.notnull(), plain, units)


def _day(text: ir.StringValue, word: ir.StringValue) -> ir.DateValue:
    """A date (chinese.parse_date): 2025-06-30, 2025-6-30, 2025/6/30, 2025.6.30, 2025年6月30日;
    null for any other text and for no such day (2023-02-29)."""
    canonical = (
        _group(word, DATE_PARTS, 1)
        + "-"
        + _group(word, DATE_PARTS, 2).lpad(2, "0")
        + "-"
        + _group(word, DATE_PARTS, 3).lpad(2, "0")
    )
    formed = ibis.ifelse(word.re_search(DATE_FORMS).fill_null(False), canonical, ibis.null(dt.string))
    return parsed(ibis.ifelse(word.isnull(), text, formed), DATE_TEXT, dt.date)


def _too_large(parts: tuple[tuple[str, int], ...]) -> str:
    """A pattern for a part whose whole digits, in fen, reach 10^16 (the limit is 10^14): its run of
    significant digits before the unit (or the end) is long; what precedes the run is no digit or
    dot, so a run of decimals is not taken for one."""
    runs = []
    for pattern, exponent in parts:
        unit = pattern[len(f"({NUMBER})") :]  # the unit, or the plain number's end
        runs.append(f"(^|[^0-9.])0*[1-9][0-9]{{{16 - exponent - 2},}}([.][0-9]+)?{unit}")
    return "|".join(runs)


def _fen(text: ir.StringValue, word: ir.StringValue, numbers: list[ir.StringValue], kind: TextKind) -> ir.IntegerValue:
    """An amount in fen, rounded half up as huiqi.money.parse_amount rounds (an area: a plain
    number, read the same way). Null when the text is in no accepted form; TOO_LARGE (above the
    batch limit) when a part has more digits than fen in BIGINT can hold. Negative amounts are read
    (the check refuses them, naming the column).

    The plain form is a cast. Otherwise each part's number (`numbers`, by part) is cut into its
    digits in fen (read as BIGINT) and what is left below the fen (an integer of REST_DIGITS
    digits); the sum of the latter rounds half up once."""
    pattern, parts = _parts(kind)
    whole_fen: ir.IntegerValue = ibis.literal(0, I64)
    rest: ir.IntegerValue = ibis.literal(0, I64)
    for number, (_, exponent) in zip(numbers, parts, strict=True):
        # a part that is not there, or a number without decimals, is null or '' (engines differ)
        integer = number.re_extract("^([0-9]*)", 1).fill_null("")
        shift = exponent + 2  # the number's digits to fen
        decimals = number.re_extract("[.]([0-9]+)$", 1).fill_null("") + "0" * max(FRACTION_DIGITS, shift)
        whole_fen = whole_fen + ("0" + integer + decimals.substr(0, shift)).try_cast(I64)
        if shift < FRACTION_DIGITS:  # (千亿's and 百亿's every decimal is a whole fen)
            below = decimals.substr(shift, FRACTION_DIGITS - shift).try_cast(I64)
            rest = rest + below * 10 ** (REST_DIGITS - (FRACTION_DIGITS - shift))
    # below the fen, half up: the sum is below 5 × 10^REST_DIGITS < 2^53, so even an engine that
    # divides through a double gives the exact floor
    carry = (rest + 10**REST_DIGITS // 2) // 10**REST_DIGITS
    sign = ibis.ifelse(word.startswith("-"), -1, 1)
    slow = ibis.cases(
        (~(word.re_search(pattern) & word.re_search("[0-9]")).fill_null(False), ibis.null(I64)),
        (word.re_search(_too_large(parts)), TOO_LARGE),
        else_=(whole_fen + carry) * sign,
    )
    return ibis.ifelse(word.isnull(), _plain_fen(text), slow)
