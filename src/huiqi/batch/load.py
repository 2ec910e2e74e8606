"""Reading the flattened facts table: checks per row, bad rows reported and left out, normalised tables.

A bad row (an unreadable value, a missing required fact, an unknown code, a second enterprise
row, a subject without its enterprise, ...) is reported with its row number (1 = the first data
row) and reason. Its whole enterprise is left out: evaluating the enterprise without one of its
projects would change caps and non-duplication for the others, so it would be a wrong figure.
A bad *file* (unknown column, a float money column, no `record` column) is an InputError naming
the file and the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from huiqi.batch import schema as flat
from huiqi.diagnostics import Diagnostic, InputError
from huiqi.engine.compile import I64, TABLES, Layout, normalised_type
from huiqi.facts.credit_code import ALPHABET, WEIGHTS

MAX_LEASES = 16
MAX_FEN = 10**14  # 1万亿 yuan: integer fen arithmetic stays far inside int64
FIRST_YEAR, LAST_YEAR = 1990, 2100


@dataclass
class Loaded:
    raw: ir.Table
    checked: ir.Table  # raw + _bad (reason or null) + _firm_bad
    layout: Layout


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


def _text(col: ir.Value) -> ir.StringValue:
    return col.cast(dt.string).strip()


def _bool(col: ir.Value) -> tuple[ir.BooleanValue, ir.BooleanValue]:
    """(value, readable)."""
    if col.type().is_boolean():
        return col, ibis.literal(True)
    text = _text(col).lower()
    value = ibis.cases(
        (text.isin(["true", "1", "是"]), True), (text.isin(["false", "0", "否"]), False), else_=ibis.null(dt.boolean)
    )
    return value, col.isnull() | value.notnull()


# Text values in one documented form on every backend: their own casts accept different extras
# (DuckDB reads '1.5' as the integer 2 and '0x10' as 16, Spark '１２' as a decimal, PostgreSQL fails
# the whole query on a bad value instead of giving null).
INTEGER_TEXT = r"^[+-]?[0-9]{1,18}$"
DECIMAL_TEXT = r"^[+-]?([0-9]{1,20}([.][0-9]*)?|[.][0-9]+)$"
DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _parsed(text: ir.StringValue, pattern: str, dtype: dt.DataType) -> ir.Value:
    return ibis.ifelse(text.re_search(pattern).fill_null(False), text.try_cast(dtype), ibis.null(dtype))


def _int(col: ir.Value) -> ir.IntegerValue:
    if col.type().is_integer():
        return col.cast(I64)
    if col.type().is_numeric():  # 2024.0 (a column stored as float for its missing values): whole numbers only
        whole = (col == col.floor()) & (col.abs() < 10**18)
        return ibis.ifelse(whole.fill_null(False), col.cast(I64), ibis.null(I64))
    return _parsed(_text(col), INTEGER_TEXT, I64)


def _fen(col: ir.Value) -> ir.IntegerValue:
    """A decimal amount in fen, rounded half up as the facts reader does (non-negative)."""
    money = dt.Decimal(38, 6)
    decimal = col.cast(money) if col.type().is_numeric() else _parsed(_text(col), DECIMAL_TEXT, money)
    return (decimal * 100).round(0).cast(I64)


def _date(col: ir.Value) -> ir.DateValue:
    if col.type().is_date():
        return col
    if col.type().is_timestamp():
        return col.cast(dt.date)
    return _parsed(_text(col), DATE_TEXT, dt.date)


def _credit_code_ok(code: ir.StringValue) -> ir.BooleanValue:
    alphabet = ibis.literal(ALPHABET)
    shape = code.re_search(f"^[{ALPHABET}]{{18}}$")
    total = sum(((alphabet.find(code.substr(i, 1))) * weight for i, weight in enumerate(WEIGHTS)), ibis.literal(0))
    check = alphabet.substr((31 - total % 31) % 31, 1)
    return shape & (code.substr(17, 1) == check)


def normalise(raw: ir.Table) -> tuple[ir.Table, dict[str, ir.Value]]:
    """Typed columns (money in fen) and, per row, the first problem found (or null)."""
    values: dict[str, ir.Value] = {"_row": raw._row, "record": _text(raw.record).lower()}
    problems: list[tuple[ir.BooleanValue, ir.StringValue | str]] = []
    record = values["record"]
    code = _text(raw.credit_code).upper()
    values["credit_code"] = code
    problems.append(
        (record.isnull() | ~record.isin(list(flat.RECORDS)), "record: must be one of " + ", ".join(flat.RECORDS))
    )
    problems.append((code.isnull(), "credit_code: required"))
    problems.append(
        (~_credit_code_ok(code).fill_null(False), "credit_code: not a valid unified social credit code (GB 32100-2015)")
    )
    for key in ("id", "name"):
        values[key] = _text(raw[key]) if key in raw.columns else ibis.null(dt.string)
    problems.append((record.isin(list(flat.SUBJECT_RECORDS)) & values["id"].isnull(), "id: required for a subject row"))
    needs_name = record.isin(["enterprise", "project", "institution", "platform"])
    problems.append((needs_name & values["name"].isnull(), "name: required for this record"))
    for name in raw.columns:
        found = flat.classify(name)
        col = raw[name]
        if isinstance(found, tuple):
            family, _year = found
            fen = _fen(col)
            values[name] = fen
            mine = record == family.record
            problems.append((col.notnull() & fen.isnull(), f"{name}: not a decimal amount"))
            problems.append((fen < 0, f"{name}: an amount must not be negative"))
            problems.append((fen > MAX_FEN, f"{name}: above the batch limit of 1,000,000,000,000 yuan"))
            problems.append((~mine & col.notnull(), f"{name}: only a {family.record} row has this column"))
        elif isinstance(found, flat.Column):
            mine = record == found.record
            value: ir.Value
            if found.kind == "bool":
                value, readable = _bool(col)
                problems.append((~readable, f"{name}: not true or false"))
            elif found.kind == "int":
                value = _int(col)
                problems.append((col.notnull() & value.isnull(), f"{name}: not a whole number"))
                problems.append((value < 0, f"{name}: must not be negative"))
                if found.field == "year" or found.field.endswith("year"):
                    problems.append(((value < FIRST_YEAR) | (value > LAST_YEAR), f"{name}: a year from 1990 to 2100"))
            elif found.kind in ("money", "area"):
                value = _fen(col)
                problems.append((col.notnull() & value.isnull(), f"{name}: not a decimal number"))
                problems.append((value < 0, f"{name}: must not be negative"))
                problems.append((value > MAX_FEN, f"{name}: above the batch limit"))
                if found.kind == "area":
                    problems.append((mine & (value <= 0), f"{name}: an area must be greater than 0"))
            elif found.kind == "date":
                value = _date(col)
                problems.append((col.notnull() & value.isnull(), f"{name}: not a date YYYY-MM-DD"))
            elif found.kind == "enum":
                text = _text(col)
                if found.labels:
                    text = text.substitute(dict(found.labels))
                if found.default is not None:
                    text = ibis.ifelse(mine, text.fill_null(found.default), text)
                value = text
                problems.append(
                    (text.notnull() & ~text.isin(list(found.codes)), f"{name}: not one of {', '.join(found.codes)}")
                )
            elif found.kind == "set":
                text = _text(col).re_replace(r"\s*;\s*", ";")
                pattern = "(" + "|".join(found.codes) + ")"
                ok = (text == "") | text.re_search(f"^{pattern}(;{pattern})*$")
                problems.append(
                    (
                        text.notnull() & ~ok.fill_null(False),
                        f"{name}: codes separated by ; from {', '.join(found.codes)}",
                    )
                )
                value = ibis.ifelse(text.isnull() | (text == ""), ";", ibis.literal(";") + text + ";")
            else:
                value = _text(col)
            values[name] = value
            problems.append((~mine & col.notnull(), f"{name}: only a {found.record} row has this column"))
            if found.required:
                problems.append((mine & value.isnull(), f"{name}: required for a {found.record} row"))
    if "start_date" in values and "end_date" in values:
        problems.append(((values["end_date"] < values["start_date"]).fill_null(False), "end_date: before start_date"))
    for record_kind, column in (("enterprise", "settled_date"),):
        del record_kind, column
    bad = ibis.cases(
        *[
            (cond.fill_null(False), ibis.literal(reason) if isinstance(reason, str) else reason)
            for cond, reason in problems
        ],
        else_=ibis.null(dt.string),
    )
    return raw.select(**values, _bad=bad), values


def check(raw: ir.Table) -> ir.Table:
    """Per row: the reason it is bad (`_bad`), and `_left_out` for every row of an enterprise with a bad row."""
    table, _ = normalise(raw)
    by_firm = ibis.window(group_by=table.credit_code)
    firsts = ibis.window(group_by=table.credit_code, order_by=table._row)
    is_enterprise = (table.record == "enterprise").cast(I64)
    enterprise_rows = is_enterprise.sum().over(by_firm)
    enterprise_seen = is_enterprise.sum().over(firsts)
    subject = table.record.isin(list(flat.SUBJECT_RECORDS))
    ids = ibis.window(group_by=[table.credit_code, table.id], order_by=table._row)
    id_seen = subject.cast(I64).sum().over(ids)
    is_lease = (table.record == "lease").cast(I64)
    leases = is_lease.sum().over(by_firm)
    table = table.mutate(
        _bad=ibis.cases(
            (table._bad.notnull(), table._bad),
            ((table.record == "enterprise") & (enterprise_seen > 1), "a second enterprise row for this credit_code"),
            (enterprise_rows == 0, "no enterprise row for this credit_code"),
            (
                subject & (id_seen > 1),
                "id: used twice in this enterprise's projects, leases, institutions and platforms",
            ),
            (
                leases > MAX_LEASES,
                f"the enterprise has more than {MAX_LEASES} leases (the batch unrolls at most {MAX_LEASES})",
            ),
            else_=ibis.null(dt.string),
        )
    )
    left_out = table._bad.notnull().cast(I64).max().over(by_firm) > 0
    return table.mutate(_left_out=left_out)


def layout_of(con: Any, checked: ir.Table, as_of: date, rent_years: int) -> Layout:
    """The years of per-year amounts and the lease slots: from the table's year columns and dates."""
    good = checked.filter(~checked._left_out)
    columns = frozenset(c for c in checked.columns if flat.classify(c) is not None)
    years = [flat.classify(c)[1] for c in columns if isinstance(flat.classify(c), tuple)]  # type: ignore[index]
    stats: dict[str, ir.Value] = {"_n": good.count()}
    for name in ("project_year", "platform_year", "recognised_year", "award_year"):
        if name in checked.columns:
            stats[f"{name}_min"] = good[name].min()
            stats[f"{name}_max"] = good[name].max()
    for name in ("settled_date", "start_date", "end_date"):
        if name in checked.columns:
            stats[f"{name}_min"] = good[name].year().min()
            stats[f"{name}_max"] = good[name].year().max()
    leases = good.filter(good.record == "lease").group_by("credit_code").aggregate(n=ibis._.count())
    row = con.execute(good.aggregate(**stats)).iloc[0].to_dict()
    slots = con.execute(leases.n.max())
    found = [int(v) for k, v in row.items() if k != "_n" and v is not None and v == v]
    low = min([*years, *found, as_of.year])
    dated = [int(v) for k, v in row.items() if k.endswith("_date_max") and v is not None and v == v]
    high = max([*years, *found, as_of.year, *(d + rent_years for d in dated)])
    lease_slots = int(slots) if slots is not None and slots == slots else 0
    return Layout(columns, max(int(low), FIRST_YEAR), min(int(high), LAST_YEAR + rent_years), max(lease_slots, 1))


def normalised_tables(checked: ir.Table, layout: Layout) -> dict[str, ir.Table]:
    """The tables the compiled plan reads (huiqi.engine.compile.TABLES), from the good rows."""
    good = checked.filter(~checked._left_out)
    out = {}
    for record in flat.RECORDS:
        rows = good.filter(good.record == record)
        cols: dict[str, ir.Value] = {"credit_code": rows.credit_code, "_row": rows._row}
        if record != "prior_award":
            cols["id"] = rows.id
            cols["name"] = rows.name
        for column in flat.COLUMNS:  # every fact column, unknown (null) where the input lacks it
            if column.record == record:
                present = column.name in rows.columns
                cols[column.name] = rows[column.name] if present else ibis.null(normalised_type(column.name))
        for family in flat.YEAR_FAMILIES:
            if family.record == record:
                for year in layout.years:
                    name = flat.year_column(family, year)
                    if name in rows.columns:
                        cols[name] = rows[name]
        out[TABLES[record]] = rows.select(**cols)
    return out


def csv_text_options(names: list[str]) -> Any:
    """Every CSV column as text; an empty unquoted cell is unknown (null), a quoted "" the empty text."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=False,
    )


def read_input(con: Any, path: Path) -> ir.Table:
    """The input with `_row` (1 = the first data row): Parquet or CSV, or `duckdb:TABLE` in the connection."""
    file = str(path)
    if not path.exists():
        raise InputError([Diagnostic(file, None, "no such file")])
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet" and con.name == "duckdb":
            table = con.read_parquet(path, file_row_number=True)
            table = table.mutate(_row=(table.file_row_number + 1).cast(I64)).drop("file_row_number")
        elif suffix in (".parquet", ".csv"):
            import pyarrow as pa
            import pyarrow.compute as pc
            import pyarrow.csv as pacsv
            import pyarrow.parquet as pq

            if suffix == ".csv":
                names = pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows_after_names=10**9)).column_names
                arrow = pacsv.read_csv(path, convert_options=csv_text_options(names))
            else:
                arrow = pq.read_table(path)
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
