"""Reading the flattened facts table: checks per row, bad rows reported and left out, normalised tables.

A bad row (an unreadable value, a missing required fact, an unknown code, a second enterprise
row, a subject without its enterprise, ...) is reported with its row number (1 = the first data
row) and reason. Its whole enterprise is left out: evaluating the enterprise without one of its
projects would change caps and non-duplication for the others, so it would be a wrong figure.
A bad *file* (unknown column, a float money column, no `record` column) is an InputError naming
the file and the column.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.schema as sch
import ibis.expr.types as ir

from huiqi.batch import schema as flat
from huiqi.batch import text_values
from huiqi.batch.reasons import reason
from huiqi.diagnostics import Diagnostic, InputError
from huiqi.engine.compile import I64, Layout, normalised_type
from huiqi.facts.credit_code import ALPHABET, WEIGHTS

MAX_LEASES = 16
MAX_FEN = text_values.MAX_FEN  # 1万亿 yuan: integer fen arithmetic stays far inside int64
FIRST_YEAR, LAST_YEAR = 1990, 2100


def columns_of(table: ir.Table, file: str) -> None:
    """Refuse a table whose columns are not the schema's (a typo must not be silently unknown)."""
    problems = []
    names = [c for c in table.columns if c != "_row"]
    for name in names:
        found = flat.classify(name)
        if found is None:
            problems.append(Diagnostic(file, None, "not a column of the facts table (see docs/batch.md)", name))
            continue
        dtype = table[name].type()
        if dtype.is_floating() and (
            isinstance(found, tuple) or (isinstance(found, flat.Column) and found.kind in ("money", "area"))
        ):
            problems.append(
                Diagnostic(file, None, f"a {dtype} column; amounts must be decimal or text, never binary floats", name)
            )
    for required in ("record", "credit_code"):
        if required not in names:
            problems.append(Diagnostic(file, None, "the table has no such column; it is required", required))
    if problems:
        raise InputError(problems)


# A value with white space at either end: the characters strip() removes (Python's
# string.whitespace), as escapes every backend's regular expressions read alike (the characters
# themselves do not survive Spark SQL's string literals: it reads '\v' as the letter v).
_SPACE_AT_AN_END = r"^[ \t\n\r\x0B\x0C]|[ \t\n\r\x0B\x0C]$"


def _text(col: ir.Value) -> ir.StringValue:
    """Trimmed text; an empty cell is unknown (CSV has no other way to say so).

    Only a value with white space at an end is trimmed: trimming copies every value, and most
    have nothing to trim (DuckDB: 0.27 → 0.12 s of CPU for a million credit codes)."""
    text = col.cast(dt.string)
    return ibis.ifelse(text.re_search(_SPACE_AT_AN_END), text.strip(), text).nullif("")


def _needs_parsing(col: ir.Value, kind: str) -> bool:
    """Whether reading the column can fail: text read as a number, date or boolean can; typed input cannot."""
    dtype = col.type()
    if kind in ("money", "area"):
        return not (dtype.is_integer() or dtype.is_decimal())
    if kind == "int":
        return not dtype.is_integer()
    if kind == "bool":
        return not dtype.is_boolean()
    if kind == "date":
        return not (dtype.is_date() or dtype.is_timestamp())
    return False


def _bool(col: ir.Value) -> ir.BooleanValue:
    """A typed column as a boolean (text is read by text_values.read_text)."""
    return col if col.type().is_boolean() else ibis.null(dt.boolean)


def _int(col: ir.Value) -> ir.IntegerValue:
    """A typed number column as a whole number (text is read by text_values.read_text)."""
    if col.type().is_integer():
        return col.cast(I64)
    # 2024.0 (a column stored as float for its missing values): whole numbers only, never rounded
    whole = (col == col.floor()) & (col.abs() < 10**18)
    return ibis.ifelse(whole.fill_null(False), col.cast(I64), ibis.null(I64))


def _exact_yuan(col: ir.Value) -> bool:
    """Whether the column's fen are exactly 100 × its value (whole yuan, or at most two decimals)."""
    dtype = col.type()
    return dtype.is_integer() or (
        dtype.is_decimal() and dtype.scale is not None and dtype.scale <= 2 and (dtype.precision or 38) <= 18
    )


def _fen(col: ir.Value) -> ir.IntegerValue:
    """A typed decimal amount in fen, rounded half up as the facts reader does (text is read by
    text_values.read_text)."""
    dtype = col.type()
    if dtype.is_integer():
        return col.cast(I64) * 100
    if dtype.is_decimal() and dtype.scale is not None and dtype.scale <= 2 and (dtype.precision or 38) <= 18:
        # exact: a multiple of 0.01 times 100 is whole (the common case: DECIMAL(18,2) kept in int64)
        return (col * 100).cast(I64)
    return (col.cast(dt.Decimal(38, 6)) * 100).round(0).cast(I64)


def _date(col: ir.Value) -> ir.DateValue:
    """A typed date or timestamp column as a date (text is read by text_values.read_text)."""
    return col if col.type().is_date() else col.cast(dt.date)


def _text_kind(name: str, col: ir.Value) -> text_values.TextKind | None:
    """How a column is read when it holds text (a CSV's columns all do): None for columns typed
    already, codes and plain text."""
    found = flat.classify(name)
    kind = "money" if isinstance(found, tuple) else found.kind if isinstance(found, flat.Column) else None
    if kind is None or kind in ("enum", "set", "str") or not _needs_parsing(col, kind):
        return None
    if col.type().is_numeric() and kind in ("money", "area", "int"):
        return None  # a float column: read as a number (2024.0), or refused for money by columns_of
    if kind == "int":
        assert isinstance(found, flat.Column)
        return "year" if _is_year(found) else "count"
    return kind  # type: ignore[return-value]


def _credit_code_ok(code: ir.StringValue) -> ir.BooleanValue:
    alphabet = ibis.literal(ALPHABET)
    shape = code.re_search(f"^[{ALPHABET}]{{18}}$")
    total = sum(((alphabet.find(code.substr(i, 1))) * weight for i, weight in enumerate(WEIGHTS)), ibis.literal(0))
    # the check character's place in the alphabet, compared with the one the others give: taking
    # the character out of the alphabet at a computed place compiled to a CASE that repeated the
    # sum three times (Ibis guards a negative start), the check's costliest part
    return shape & (alphabet.find(code.substr(17, 1)) == (31 - total % 31) % 31)


def _coded(name: str, col: ir.Value) -> ir.StringValue:
    """A column of codes as the check reads it: `record` in lower case, an enum's Chinese label
    read as its code, a set's codes separated by a bare `;` (huiqi.batch.schema)."""
    if name == "record":
        return _text(col).lower()
    found = flat.classify(name)
    assert isinstance(found, flat.Column)
    text = _text(col)
    if found.kind == "set":
        # the same `\s` asked first: most values have no white space, and a replacement copies each one
        return ibis.ifelse(text.re_search(r"\s"), text.re_replace(r"\s*;\s*", ";"), text)
    return text.substitute(dict(found.labels)) if found.labels else text


def _not_a_code(name: str, value: ir.StringValue) -> tuple[ir.BooleanValue, str]:
    """The problem of a value of a column of codes (`value`: read by `_coded`): the condition, the reason.
    A function of the value alone, so it can be judged on each distinct value (`vocabulary_query`)."""
    if name == "record":
        return value.isnull() | ~value.isin(list(flat.RECORDS)), reason("record", codes=", ".join(flat.RECORDS))
    found = flat.classify(name)
    assert isinstance(found, flat.Column)
    if found.kind == "set":
        pattern = "(" + "|".join(found.codes) + ")"
        ok = (value == "") | value.re_search(f"^{pattern}(;{pattern})*$")
        return value.notnull() & ~ok.fill_null(False), reason("codes", name=name, codes=", ".join(found.codes))
    # an empty cell is not judged here: the enum's default (one of its codes) fills it, or it is missing
    if found.region:
        return value.notnull() & ~value.isin(list(found.codes)), reason("region", name=name)
    return value.notnull() & ~value.isin(list(found.codes)), reason("code", name=name, codes=", ".join(found.codes))


def text_specs(raw: ir.Table) -> dict[str, tuple[text_values.TextKind, ir.StringValue]]:
    """The columns read from text (a CSV's columns all are), with their kind and trimmed text."""
    return {name: (how, _text(raw[name])) for name in raw.columns if (how := _text_kind(name, raw[name]))}


def plain_query(raw: ir.Table) -> ir.Table | None:
    """One row: per amount column read from text, how many cells are not in the plain form
    (text_values.plain_query); None when there is no such column."""
    return text_values.plain_query(raw, text_specs(raw))


def as_plain(found: Mapping[str, Any]) -> frozenset[str]:
    """The amount columns of `plain_query`'s row with no cell in another form: read by a cast alone."""
    return frozenset(name for name, count in found.items() if not count)


def _typed(
    raw: ir.Table, in_yuan: bool = False, verbatim: Collection[str] = frozenset()
) -> tuple[ir.Table, dict[str, str], set[str]]:
    """Level one: every column read once to its type (money in fen), plus `_n_<col>` (the cell was
    not empty) for columns whose reading can fail or be defaulted; problems are judged on these in
    level two, so no reading is repeated per problem (it was: one CASE branch per problem).

    With `in_yuan`, an amount whose fen are exactly 100 × its value is left in yuan (the set
    returned names them): the check asks only its sign and size, and converting ~100 decimal
    columns to fen was a third of its cost. `verbatim` names columns of codes whose every value
    reads as itself (see `as_given`): they are taken as they are, with no trimming or labels; and
    amount columns of text whose every value is in the plain form (`as_plain`): read by a cast."""

    source = raw
    raw, read, texts = text_values.read_text(raw, text_specs(raw), verbatim)  # text columns replaced by their reading

    def coded(name: str) -> ir.Value:
        return raw[name] if name in verbatim else _coded(name, raw[name])

    def given(name: str) -> ir.BooleanValue:
        if name in texts:
            return texts[name].notnull()
        col = raw[name]
        return _text(col).notnull() if col.type().is_string() and name not in verbatim else col.notnull()

    values: dict[str, ir.Value] = {"_row": raw._row, "record": coded("record")}
    code = _text(raw.credit_code).upper()
    values["credit_code"] = code
    for key in ("id", "name"):
        values[key] = _text(raw[key]) if key in raw.columns else ibis.null(dt.string)
    kinds: dict[str, str] = {}
    yuan: set[str] = set()

    def amount(name: str, col: ir.Value) -> ir.Value:
        if in_yuan and _exact_yuan(col):
            yuan.add(name)
            return col
        return _fen(col)

    for name in source.columns:
        found = flat.classify(name)
        if found is None:
            continue
        col = source[name] if name in read else raw[name]  # a column read from text: its type as given
        if name in read:
            values[name] = read[name]
            kind = found.kind if isinstance(found, flat.Column) else "money"
        elif isinstance(found, tuple):
            kind = "money"
            values[name] = amount(name, col)
        elif isinstance(found, flat.Column):
            kind = found.kind
            if kind == "bool":
                values[name] = _bool(col)
            elif kind == "int":
                values[name] = _int(col)
            elif kind in ("money", "area"):
                values[name] = amount(name, col)
            elif kind == "date":
                values[name] = _date(col)
            elif kind in ("enum", "set"):
                values[name] = coded(name)
            else:
                values[name] = _text(col)
        else:
            continue
        kinds[name] = kind
        if _needs_parsing(col, kind) or kind in ("enum", "set"):
            values[f"_n_{name}"] = given(name)
    return raw.select(**values), kinds, yuan


def normalise(
    raw: ir.Table, in_yuan: bool = False, passed: Collection[str] = frozenset(), verbatim: Collection[str] = frozenset()
) -> tuple[ir.Table, ir.Table, list[tuple[ir.BooleanValue, str]]]:
    """Typed columns (money in fen) and `_flag`, whether the row has a problem; the table read once
    (level one) and the problems in order, as conditions on it. With `in_yuan` (for the check
    only), some amounts stay in yuan, as `_typed` says; every problem is judged the same.
    `passed` names columns whose every value is known to pass the checks of the value alone: the
    range checks of a number (sign, size, year; see `in_range`) or the code checks of a column of
    codes (see `in_vocabulary`). `_flag` leaves those checks out; the problems still list them.
    `verbatim`: see `_typed`."""
    typed, kinds, yuan = _typed(raw, in_yuan, verbatim)
    t = typed
    record = t.record
    values: dict[str, ir.Value] = {
        "_row": t._row,
        "record": record,
        "credit_code": t.credit_code,
        "id": t.id,
        "name": t.name,
    }
    problems: list[tuple[ir.BooleanValue, str]] = [
        _not_a_code("record", record),
        (t.credit_code.isnull(), reason("required", name="credit_code")),
        (record.isin(list(flat.SUBJECT_RECORDS)) & t.id.isnull(), reason("id_required")),
        (
            record.isin(["enterprise", "project", "institution", "platform"]) & t.name.isnull(),
            reason("name_required"),
        ),
    ]

    def given(name: str) -> ir.BooleanValue:
        flag = f"_n_{name}"
        return t[flag] if flag in t.columns else t[name].notnull()

    def unreadable(name: str) -> ir.BooleanValue | None:
        flag = f"_n_{name}"
        return t[flag] & t[name].isnull() if flag in t.columns else None

    # Whether a row has any problem is an OR of all of them, evaluated for every row; grouped here
    # into one LEAST / GREATEST / OR per kind of check (exactly equivalent: LEAST and GREATEST skip
    # nulls), so the per-row cost does not grow with the ~130 columns three times over.
    # grouped by type: LEAST over mixed types would widen every value to a common one
    negatives: dict[str, list[ir.NumericValue]] = {}
    too_large: dict[tuple[int, str], list[ir.NumericValue]] = {}  # (limit, type) -> values
    foreign: dict[str, list[ir.BooleanValue]] = {}
    singles: list[ir.BooleanValue] = [cond for cond, _ in problems[1 if "record" in passed else 0 :]]

    def add(condition: ir.BooleanValue | None, reason: str) -> None:
        if condition is not None:
            problems.append((condition, reason))
            singles.append(condition)

    def add_negative(name: str, value: ir.NumericValue, reason: str) -> None:
        problems.append((value < 0, reason))
        if name not in passed:
            negatives.setdefault(str(value.type()), []).append(value)

    def add_too_large(name: str, value: ir.NumericValue, reason: str) -> None:
        limit = MAX_FEN // 100 if name in yuan else MAX_FEN
        problems.append((value > limit, reason))
        if name not in passed:
            too_large.setdefault((limit, str(value.type())), []).append(value)

    def add_foreign(owner: str, name: str) -> None:
        problems.append(((record != owner) & given(name), reason("foreign", name=name, record=owner)))
        foreign.setdefault(owner, []).append(given(name))

    for name, kind in kinds.items():
        found = flat.classify(name)
        value: ir.Value = t[name]
        if isinstance(found, tuple):
            family, _year = found
            add(unreadable(name), reason("amount", name=name))
            add_negative(name, value, reason("negative_amount", name=name))
            add_too_large(name, value, reason("too_large", name=name))
            add_foreign(family.record, name)
            values[name] = value
            continue
        assert isinstance(found, flat.Column)
        mine = record == found.record
        if kind == "bool":
            add(unreadable(name), reason("bool", name=name))
        elif kind == "int":
            add(unreadable(name), reason("year" if _is_year(found) else "count", name=name))
            add_negative(name, value, reason("negative", name=name))
            if _is_year(found):
                year_range = ((value < FIRST_YEAR) | (value > LAST_YEAR), reason("year_range", name=name))
                if name in passed:
                    problems.append(year_range)
                else:
                    add(*year_range)
        elif kind in ("money", "area"):
            add(unreadable(name), reason("amount" if kind == "money" else "number", name=name))
            add_negative(name, value, reason("negative", name=name))
            add_too_large(name, value, reason("too_large", name=name))
            if kind == "area":
                add(mine & (value <= 0), reason("area", name=name))
        elif kind == "date":
            add(unreadable(name), reason("date", name=name))
        elif kind in ("enum", "set"):
            code_problem = _not_a_code(name, value)
            if name in passed:
                problems.append(code_problem)
            else:
                add(*code_problem)
        values[name] = final = _fact_value(t, name, kind)
        add_foreign(found.record, name)
        if found.required:
            # a code is missing when its cell is (reading a label keeps a null null): asked of the
            # cell, the check need not read the label at all when every value is known a code
            missing = ~given(name) if kind == "enum" and found.default is None else final.isnull()
            add(mine & missing, reason("required_for", name=name, record=found.record))
    if "start_date" in values and "end_date" in values:
        add((values["end_date"] < values["start_date"]).fill_null(False), reason("end_date"))
    if "service_start" in values and "service_end" in values:
        add((values["service_end"] < values["service_start"]).fill_null(False), reason("service_end"))
    grouped = list(singles)
    for same in negatives.values():
        grouped.append(ibis.least(*same) < 0 if len(same) > 1 else same[0] < 0)
    for (limit, _), same in too_large.items():
        grouped.append(ibis.greatest(*same) > limit if len(same) > 1 else same[0] > limit)
    for owner, given_cells in foreign.items():
        grouped.append((record != owner) & ibis.or_(*given_cells))
    any_problem = ibis.or_(*[g.fill_null(False) for g in grouped])
    return t.select(**values, _flag=any_problem), t, problems


def _fact_value(typed: ir.Table, name: str, kind: str) -> ir.Value:
    """A column's value as the plan reads it, from `_typed`'s: a set as ;code;code; (";" for
    none), an empty enum cell of its own record as the model's default."""
    value: ir.Value = typed[name]
    found = flat.classify(name)
    if not isinstance(found, flat.Column):
        return value
    if kind == "set":
        return ibis.ifelse(value.isnull() | (value == ""), ";", ibis.literal(";") + value + ";")
    if kind == "enum" and found.default is not None:
        return ibis.ifelse(typed.record == found.record, value.fill_null(found.default), value)
    return value


def fact_values(raw: ir.Table, verbatim: Collection[str] = frozenset()) -> ir.Table:
    """The rows' typed values as `normalise` gives them, without judging them: what the normalised
    tables read of rows already checked (the problems' conditions are not even built, so no
    backend has to prune them). `verbatim`: see `_typed`."""
    typed, kinds, _ = _typed(raw, verbatim=verbatim)
    base = {key: typed[key] for key in ("_row", "record", "credit_code", "id", "name")}
    return typed.select(**base, **{name: _fact_value(typed, name, kind) for name, kind in kinds.items()})


def _is_year(column: flat.Column) -> bool:
    return column.field == "year" or column.field.endswith("year")


def range_columns(raw: ir.Table) -> dict[str, str]:
    """The typed columns (nothing to parse) whose least and greatest values are read first, with
    their kind: the numbers whose range the check judges, and the dates the layout spans."""
    out: dict[str, str] = {}
    for name in raw.columns:
        found = flat.classify(name)
        kind = "money" if isinstance(found, tuple) else found.kind if isinstance(found, flat.Column) else None
        if kind in ("money", "area", "int") and not _needs_parsing(raw[name], kind):
            out[name] = "year" if isinstance(found, flat.Column) and _is_year(found) else kind
        elif kind == "date" and name in _DATE_STATS and not _needs_parsing(raw[name], kind):
            out[name] = kind
    return out


def range_query(raw: ir.Table) -> ir.Table:
    """One row: the least and greatest value of each of `range_columns` (`<name>__min`,
    `<name>__max`; there must be one: a CSV's columns are all text). DuckDB answers it from a
    Parquet file's statistics without reading the values (0.03 s for a million rows)."""
    stats: dict[str, ir.Value] = {}
    for name in range_columns(raw):
        stats[f"{name}__min"], stats[f"{name}__max"] = raw[name].min(), raw[name].max()
    return raw.aggregate(**stats)


def in_range(raw: ir.Table, found: Mapping[str, Any]) -> frozenset[str]:
    """The columns whose least and greatest values (`found`: range_query's row) pass every range
    check, so no row can fail one: not negative, at most the batch limit, a year from FIRST_YEAR
    to LAST_YEAR. Judged on the values as given, which is sound for amounts in fen too: a value
    of at least 0 has at least 0 fen, and one of at most MAX_FEN / 100 yuan at most MAX_FEN fen.
    The check then leaves these columns' range conditions out of its per-row flag (they were a
    third of its cost); an empty column (no least value) has nothing to fail."""
    ok: set[str] = set()
    for name, kind in range_columns(raw).items():
        if kind == "date":
            continue
        low, high = found.get(f"{name}__min"), found.get(f"{name}__max")
        least, most = (FIRST_YEAR, LAST_YEAR) if kind == "year" else (0, MAX_FEN // 100)
        if low is None or high is None or (low >= least and high <= most):
            ok.add(name)
    return frozenset(ok)


def vocabulary_columns(raw: ir.Table) -> list[str]:
    """The input's columns of codes: `record`, and every enum and set column."""
    return [
        name
        for name in raw.columns
        if name == "record" or (isinstance(c := flat.classify(name), flat.Column) and c.kind in ("enum", "set"))
    ]


def vocabulary_query(raw: ir.Table) -> ir.Table:
    """Per column of codes (`vocabulary_columns`; there must be one), a row (column, bad, changed):
    how many of its distinct values fail its check, and how many the reading changes (trims,
    takes from a label to its code, empties). A column's values are a handful of codes, so
    judging each distinct value once costs a hash of the column (0.01-0.02 s per million rows in
    DuckDB), where judging every row cost 0.1-0.2 s per column (reading a label, a join for IN).
    The distinct values of all the columns are gathered in one pass (a SELECT DISTINCT per column
    read the input once per column: 0.38 against 0.2 s per million rows); an empty cell is not
    among them, and is neither bad nor changed."""
    names = vocabulary_columns(raw)
    distinct = raw.aggregate(**{name: raw[name].collect(distinct=True) for name in names})
    parts = []
    for name in names:
        values = distinct.select(value=distinct[name].unnest())
        read = _coded(name, values.value)
        failing, _ = _not_a_code(name, read)
        bad = failing.fill_null(False).cast(I64).sum()
        if values.value.type().is_string():
            differs = values.value.notnull() & (read != values.value).fill_null(True)
            count = values.aggregate(bad=bad, changed=differs.fill_null(False).cast(I64).sum())
            changed = count.changed
        else:
            # read as text (an all-empty Parquet column comes as INTEGER): never taken as given,
            # even with no value at all
            count = values.aggregate(bad=bad)
            changed = ibis.literal(1, I64)
        parts.append(count.select(column=ibis.literal(name), bad=count.bad, changed=changed))
    return parts[0] if len(parts) == 1 else ibis.union(*parts)


def in_vocabulary(found: Collection[Mapping[str, Any]]) -> frozenset[str]:
    """The columns of codes none of whose values fails its check (`found`: vocabulary_query's rows;
    over no rows a count is null: nothing failed)."""
    return frozenset(row["column"] for row in found if not row["bad"])


def as_given(found: Collection[Mapping[str, Any]]) -> frozenset[str]:
    """The columns of codes whose every value reads as itself (`found`: vocabulary_query's rows):
    no white space to trim, no label, no empty text. The check and the normalised tables take
    them as they are: testing each value for white space, and the CASE of labels, cost 0.05-0.1 s
    of CPU per column and million rows in every query that reads them.

    `record` is left out: the check compares it with a record kind some twenty times a row, and
    DuckDB did that slower on the column as read from Parquet than on one it had computed (0.3-0.5 s
    more CPU per million rows, measured)."""
    return frozenset(row["column"] for row in found if not row["changed"] and row["column"] != "record")


def reasons(raw: ir.Table) -> ir.Table:
    """(_rrow, _reason): the first problem of each row, for rows known to have one.

    A CASE of ~500 branches is evaluated in full for every row it sees (DuckDB does not skip it
    under an IF), which tripled the cost of the check; so it runs only over the flagged rows.
    """
    _, typed, problems = normalise(raw, in_yuan=True)
    first = ibis.cases(
        *[(cond.fill_null(False), ibis.literal(why) if isinstance(why, str) else why) for cond, why in problems],
        else_=ibis.null(dt.string),
    )
    return typed.select(_rrow=typed._row, _reason=first)


def row_flags(
    raw: ir.Table, passed: Collection[str] = frozenset(), verbatim: Collection[str] = frozenset()
) -> ir.Table:
    """Level one of the check, narrow: (_row, record, credit_code, id, _flag), `_flag` whether the row
    has a problem of its own. The backend materialises this before anything filters on `_flag`:
    a filter pushed below the projection inlines every typed column into the OR once per use, which
    cost 8 s per million rows in DuckDB instead of under one. `passed`, `verbatim`: see `normalise`."""
    table, _, _ = normalise(raw, in_yuan=True, passed=passed, verbatim=verbatim)
    return table.select("_row", "record", "credit_code", "id", "_flag")


def _firms(table: ir.Table) -> tuple[ir.Table, ir.Table]:
    """The checks across rows, per enterprise: (credit_code, _enterprises, _first_enterprise,
    _leases, _any_flag, _code_ok, _twice, _firm_bad) and per subject (credit_code, id, _first_id,
    _uses); `table` is the row flags."""
    is_enterprise = table.record == "enterprise"
    subject = table.record.isin(list(flat.SUBJECT_RECORDS))
    firms = table.group_by("credit_code").aggregate(
        _enterprises=is_enterprise.cast(I64).sum(),
        _first_enterprise=table._row.min(where=is_enterprise),
        _leases=(table.record == "lease").cast(I64).sum(),
        _any_flag=table._flag.cast(I64).max(),
    )
    subjects = (
        table.filter(subject)
        .group_by(["credit_code", "id"])
        .aggregate(_first_id=table._row.min(), _uses=table._row.count())
    )
    twice = subjects.filter(subjects._uses > 1).group_by("credit_code").aggregate(_twice=subjects._uses.count())
    twice = twice.rename(_tcode="credit_code")
    # the check digit once per enterprise, not once per row
    firms = firms.mutate(_code_ok=_credit_code_ok(firms.credit_code).fill_null(False))
    firms = firms.left_join(twice, firms.credit_code == twice._tcode).drop("_tcode")
    # Whether the enterprise is left out is known from its aggregates: some row flagged, a bad
    # code, not exactly one enterprise row, an id used twice, too many leases — the same rows
    # `check`'s per-row reasons name, without reading the joined table a second time.
    firms = firms.mutate(
        _firm_bad=(firms._any_flag > 0)
        | ~firms._code_ok
        | (firms._enterprises != 1)
        | firms._twice.notnull()
        | (firms._leases > MAX_LEASES)
    )
    return firms, subjects


def firms_at_fault(rows: ir.Table) -> ir.Table:
    """One row (bad, flagged): how many enterprises `check` would leave out, and how many have a
    row flagged; `rows` is `row_flags(raw)`, materialised. With none left out, every row is
    evaluated and none is bad: `all_clear` gives the checked rows without `check`'s joins back
    (0.4-0.6 s per million rows)."""
    firms, _ = _firms(rows)
    return firms.aggregate(bad=firms._firm_bad.cast(I64).sum(), flagged=(firms._any_flag > 0).cast(I64).sum())


def all_clear(rows: ir.Table) -> ir.Table:
    """The checked rows when `firms_at_fault` finds no enterprise left out: `check`'s columns,
    with no reason and nothing left out."""
    return rows.select("_row", "record", "credit_code", _bad=ibis.null(dt.string), _left_out=ibis.literal(False))


def check(raw: ir.Table, rows: ir.Table, any_flagged: bool = True) -> ir.Table:
    """Per row: the reason it is bad (`_bad`), and `_left_out` for every row of an enterprise with a bad row.

    `rows` is `row_flags(raw)`, materialised; the result is narrow too (_row, record, credit_code,
    _bad, _left_out): the typed values are read again, per record kind, by `normalised_tables`,
    which is cheaper than writing and reading a table of ~130 columns. With `any_flagged` false
    (no row flagged: the common case) the reasons' query is not even built.

    Checks across rows use group-bys joined back, not windows: a window carries every column
    through a sort; a join carries three.
    """
    table = rows
    if any_flagged:
        flagged = table.filter(table._flag).select(_frow=table._row)
        detailed = reasons(raw.semi_join(flagged, raw._row == flagged._frow))
        table = table.left_join(detailed, table._row == detailed._rrow).drop("_rrow")
    else:
        table = table.mutate(_reason=ibis.null(dt.string))
    firms, subjects = _firms(table)
    firms = firms.rename(_code="credit_code")
    subjects = subjects.rename(_scode="credit_code", _sid="id")
    t = table.left_join(firms, table.credit_code == firms._code)
    t = t.left_join(subjects, (t.credit_code == subjects._scode) & (t.id == subjects._sid))
    bad = ibis.cases(
        (t._flag, t._reason),
        (
            t.credit_code.notnull() & ~t._code_ok,
            reason("credit_code"),
        ),
        (
            (t.record == "enterprise") & (t._row != t._first_enterprise),
            reason("second_enterprise"),
        ),
        (t._enterprises.fill_null(0) == 0, reason("no_enterprise")),
        (
            t.record.isin(list(flat.SUBJECT_RECORDS)) & (t._row != t._first_id).fill_null(False),
            reason("id_twice"),
        ),
        (
            t._leases > MAX_LEASES,
            reason("leases", count=MAX_LEASES),
        ),
        else_=ibis.null(dt.string),
    )
    return t.select("_row", "record", "credit_code", _bad=bad, _left_out=t._flag | t._firm_bad.fill_null(False))


# The columns whose years decide the layout's span (their record kind is the schema's).
_YEAR_STATS = ("project_year", "platform_year", "recognised_year", "award_year")
_DATE_STATS = ("settled_date", "start_date", "end_date", "signed")


# What layout_of reads of the normalised tables.
LAYOUT_COLUMNS = frozenset((*_YEAR_STATS, *_DATE_STATS))


def layout_queries(columns: list[str], tables: dict[str, ir.Table]) -> dict[str, ir.Table]:
    """The one-row aggregates layout_from reads: per record kind the least and greatest of its year
    and date columns, and the most leases of one enterprise (`tables`: the normalised tables, by
    record kind, with at least LAYOUT_COLUMNS)."""
    known = frozenset(c for c in columns if flat.classify(c) is not None)
    by_record: dict[str, dict[str, ir.Value]] = {}
    for name in (*_YEAR_STATS, *_DATE_STATS):
        if name not in known:
            continue
        column = flat.classify(name)
        assert isinstance(column, flat.Column)
        table = tables[column.record]
        value = table[name].year() if name in _DATE_STATS else table[name]
        by_record.setdefault(column.record, {}).update({f"{name}_min": value.min(), f"{name}_max": value.max()})
    queries = {record: tables[record].aggregate(**stats) for record, stats in by_record.items()}
    leases = tables["lease"]
    per_firm = leases.group_by("credit_code").aggregate(n=ibis._.count())
    queries["lease_slots"] = per_firm.aggregate(slots=per_firm.n.max())
    return queries


def layout_rows_from_ranges(
    raw: ir.Table, ranges: Mapping[str, Any], lease_slots: Any
) -> dict[str, dict[str, Any]] | None:
    """What layout_queries would find, from range_query's row (`ranges`) and the most leases of
    one enterprise: None unless every year and date column of the layout is typed, so is in it.

    Only for an input none of whose rows is left out: then every row is evaluated, and a column
    holds values in its own record kind's rows only (any other row with one would be bad), so its
    least and greatest values over the whole table are those of the evaluated rows of its kind."""
    typed = range_columns(raw)
    found: dict[str, dict[str, Any]] = {}
    for name in (*_YEAR_STATS, *_DATE_STATS):
        if name not in raw.columns:
            continue
        if name not in typed:
            return None
        column = flat.classify(name)
        assert isinstance(column, flat.Column)
        low, high = ranges[f"{name}__min"], ranges[f"{name}__max"]
        if name in _DATE_STATS:
            low, high = (None if d is None else d.year for d in (low, high))
        found.setdefault(column.record, {}).update({f"{name}_min": low, f"{name}_max": high})
    found["lease_slots"] = {"slots": lease_slots}
    return found


def slots_and_left_out(checked: ir.Table) -> ir.Table:
    """One row: the most leases of one enterprise not left out (`slots`), and whether any row is left
    out (`left_out`), from the checked rows."""
    leases = checked.filter((checked.record == "lease") & ~checked._left_out)
    per_firm = leases.group_by("credit_code").aggregate(n=ibis._.count())
    slots = per_firm.aggregate(slots=per_firm.n.max())
    left_out = checked.aggregate(left_out=checked._left_out.any())
    return slots.cross_join(left_out)


def layout_from(columns: list[str], found: Mapping[str, Mapping[str, Any]], as_of: date, rent_years: int) -> Layout:
    """The years of per-year amounts and the lease slots: from the input's year columns and the
    dates and years of the evaluated rows (`found`: the row of each of layout_queries)."""
    known = frozenset(c for c in columns if flat.classify(c) is not None)
    years = [flat.classify(c)[1] for c in known if isinstance(flat.classify(c), tuple)]  # type: ignore[index]
    seen: list[int] = []
    dated: list[int] = []
    for label, row in found.items():
        if label == "lease_slots":
            continue
        for key, value in row.items():
            if value is not None and value == value:
                seen.append(int(value))
                if key.endswith("_date_max"):
                    dated.append(int(value))
    slots = found["lease_slots"]["slots"]
    low = min([*years, *seen, as_of.year])
    high = max([*years, *seen, as_of.year, *(d + rent_years for d in dated)])
    lease_slots = int(slots) if slots is not None and slots == slots else 0
    return Layout(known, max(int(low), FIRST_YEAR), min(int(high), LAST_YEAR + rent_years), max(lease_slots, 1))


def layout_of(con: Any, columns: list[str], tables: dict[str, ir.Table], as_of: date, rent_years: int) -> Layout:
    """layout_from over layout_queries, run on the Ibis backend `con`."""
    queries = layout_queries(columns, tables)
    found = {label: con.execute(query).iloc[0].to_dict() for label, query in queries.items()}
    return layout_from(columns, found, as_of, rent_years)


_BASE_COLUMNS = frozenset({"_row", "record", "credit_code", "id", "name"})


def _record_of(name: str) -> str | None:
    found = flat.classify(name)
    if isinstance(found, tuple):
        return found[0].record
    return found.record if isinstance(found, flat.Column) else None


def normalised_tables(
    raw: ir.Table,
    checked: ir.Table,
    keep: Mapping[str, Collection[str]] | None = None,
    verbatim: Collection[str] = frozenset(),
) -> dict[str, ir.Table]:
    """The tables the compiled plan reads, by record kind (their names: huiqi.engine.compile.TABLES):
    the typed values of the rows not left out, each table reading only its own columns.

    With `keep` (record kind -> column names), only those tables, and only those columns besides
    credit_code and _row, are read, typed and given: what a plan reads
    (huiqi.engine.prune.columns_read).
    `verbatim`: columns of codes taken as they are (see `as_given`)."""
    out: dict[str, ir.Table] = {}
    for record in flat.RECORDS:
        if keep is not None and record not in keep:
            continue
        wanted = None if keep is None else {"credit_code", "_row", *keep[record]}

        def kept(name: str, wanted: set[str] | None = wanted) -> bool:
            return wanted is None or name in wanted

        # only this record's columns are read and typed (the backend does not prune the others
        # through the enum lookups)
        own = [c for c in raw.columns if c in _BASE_COLUMNS or (_record_of(c) == record and kept(c))]
        # the rows are picked by the record kind the check read (reading it again from the text,
        # for every row and every table, was a third of each table's cost), then typed
        evaluated = checked.filter((checked.record == record) & ~checked._left_out).select(_krow=checked._row)
        source = raw.select(*own)
        rows = fact_values(source.semi_join(evaluated, source._row == evaluated._krow), verbatim)
        cols: dict[str, ir.Value] = {"credit_code": rows.credit_code, "_row": rows._row}
        if record != "prior_award":
            cols.update({key: rows[key] for key in ("id", "name") if kept(key)})
        for column in flat.COLUMNS:  # every fact column; where the input lacks it, the model's
            if column.record == record and kept(column.name):  # default (entity_type), else unknown
                if column.name in rows.columns:
                    cols[column.name] = rows[column.name]
                elif column.default is not None:
                    cols[column.name] = ibis.literal(column.default, normalised_type(column.name))
                else:
                    cols[column.name] = ibis.null(normalised_type(column.name))
        for name in rows.columns:  # every year column of the input (the layout spans their years)
            found = flat.classify(name)
            if isinstance(found, tuple) and found[0].record == record and kept(name):
                cols[name] = rows[name]
        out[record] = rows.select(**cols)
    return out


def duckdb_table(con: Any, name: str) -> ir.Table:
    """A table or view of the Ibis DuckDB backend `con`, its schema read as Ibis reads it (DESCRIBE,
    each type through the backend's type mapper) but as Python rows: Ibis's own `table` fetches
    DESCRIBE as Arrow, and importing pyarrow was 0.2 s of every run that needed no Arrow at all."""
    described = con.raw_sql(f'DESCRIBE "{name.replace(chr(34), chr(34) * 2)}"').fetchall()
    mapper = con.compiler.type_mapper
    schema = sch.Schema({row[0]: mapper.from_string(row[1], nullable=row[2] == "YES") for row in described})
    return ops.DatabaseTable(name, schema, source=con).to_expr()


def read_input(con: Any, path: Path) -> ir.Table:
    """The input with `_row` (1 = the first data row): Parquet or CSV, or `duckdb:TABLE` in the connection."""
    file = str(path)
    if not path.exists():
        raise InputError([Diagnostic(file, None, "no such file")])
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet" and con.name == "duckdb":
            view = f"huiqi_parquet_{abs(hash(file))}"
            literal = file.replace("'", "''")
            reader = f"read_parquet('{literal}', file_row_number = true)"
            con.raw_sql(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {reader}")
            table = duckdb_table(con, view)
            table = table.mutate(_row=(table.file_row_number + 1).cast(I64)).drop("file_row_number")
        elif suffix in (".parquet", ".csv"):
            import pyarrow as pa
            import pyarrow.compute as pc
            import pyarrow.parquet as pq

            from huiqi.batch.csv_input import read_csv

            arrow = read_csv(path, file) if suffix == ".csv" else pq.read_table(path)
            arrow = arrow.append_column("_row", pc.add(pa.array(range(arrow.num_rows), pa.int64()), 1))
            table = con.create_table(f"huiqi_input_{abs(hash(file))}", arrow, temp=True, overwrite=True)
        else:
            raise InputError([Diagnostic(file, None, "the input must be a .parquet or .csv file")])
    except InputError:
        raise
    except Exception as exc:  # the reader's own message names what is wrong with the file
        raise InputError([Diagnostic(file, None, f"cannot read the table: {exc}")]) from exc
    columns_of(table, file)
    return table
