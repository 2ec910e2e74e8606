"""Where `huiqi batch` runs: DuckDB (embedded, the default), Spark (local mode or a cluster), PostgreSQL.

The compiled plan (huiqi.engine.compile_plan) is plain Ibis over named tables, so an engine only
has to: connect, load the input (with `_row`, 1 = the first data row), materialise each step as a
table later steps read by name, turn an expression into Arrow, write the results, and close. One
small class per engine implements `BatchEngine`.

Inputs and outputs are named the same way (`Location`, see docs/batch.md "Engines"):

    facts.parquet, facts.csv                       a file
    warehouse.duckdb#facts                         a table in a DuckDB database file
    postgresql://user@host:5432/db#schema.facts    a table in a PostgreSQL database

A bad option (an unknown form, a table on an engine that cannot reach it, no database URL, a
Spark that cannot start) is an InputError naming the option; the CLI turns it into exit 2
before anything is written.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir

from huiqi.batch.plan_cache import Query
from huiqi.diagnostics import Diagnostic, InputError

if TYPE_CHECKING:
    import pyarrow as pa

ENGINES = ("duckdb", "spark", "postgres")
DATABASE_URL_ENV = "HUIQI_BATCH_DATABASE_URL"
INPUT_TABLE = "huiqi_input"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


# ---- where the input comes from and the results go ---------------------------------------------


@dataclass(frozen=True)
class Location:
    """A file (`parquet`, `csv`, `xlsx` for results) or a table in a database (`duckdb` file, `postgres` URL)."""

    kind: str
    where: str  # the file path, or the database (a DuckDB file path or a PostgreSQL URL)
    table: str = ""  # [schema.]name for a database table
    text: str = ""  # as written, with any password hidden: for messages

    @property
    def is_table(self) -> bool:
        return self.kind in ("duckdb", "postgres")

    def sibling(self, part: str) -> Location:
        """Where the other outputs go: results.parquet → results.firms.parquet / results.rejected.csv;
        results.xlsx (.csv) → results.firms.xlsx / results.rejected.xlsx (.csv); a table T →
        T_firms / T_rejected."""
        if self.is_table:
            table = f"{self.table}_{part}"
            return Location(self.kind, self.where, table, f"{self.text.rsplit('#', 1)[0]}#{table}")
        path = Path(self.where)
        kind = "csv" if part == "rejected" and self.kind == "parquet" else self.kind
        name = str(path.with_suffix(f".{part}.{kind}"))
        return Location(kind, name, "", name)


def hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _is_postgres_url(text: str) -> bool:
    return text.split("://", 1)[0].lower() in _POSTGRES_SCHEMES and "://" in text


def parse_location(text: str, option: str, *, output: bool) -> Location:
    """INPUT or --out as a Location; an InputError naming the option when it is no known form."""
    shown = hide_password(text) if _is_postgres_url(text) else text
    forms = (
        "a .parquet, .xlsx or .csv file, FILE.duckdb#TABLE or postgresql://…/DB#TABLE"
        if output
        else "a .parquet or .csv file, FILE.duckdb#TABLE or postgresql://…/DB#TABLE"
    )

    def bad(message: str) -> InputError:
        return InputError([Diagnostic(option, None, f"{shown!r}: {message} (expected {forms})")])

    if _is_postgres_url(text):
        url, _, table = text.partition("#")
        if not table:
            raise bad("name the table after '#'")
        if not _IDENT.match(table):
            raise bad(f"{table!r} is not a table name ([schema.]name of letters, digits and _)")
        return Location("postgres", url, table, shown)
    if "://" in text:
        raise bad("not a PostgreSQL URL")
    if "#" in text:
        path, _, table = text.rpartition("#")
        if not path.lower().endswith((".duckdb", ".ddb", ".db")):
            raise bad("a table is named in a DuckDB database file (.duckdb)")
        if not _IDENT.match(table):
            raise bad(f"{table!r} is not a table name ([schema.]name of letters, digits and _)")
        return Location("duckdb", path, table, shown)
    suffix = Path(text).suffix.lower()
    if suffix in (".parquet", ".csv") or (suffix == ".xlsx" and output):
        return Location(suffix[1:], text, "", text)
    raise bad("unknown form")


# ---- the protocol ------------------------------------------------------------------------------


@runtime_checkable
class BatchEngine(Protocol):
    """What huiqi.batch.run and the CLI need of an engine."""

    name: ClassVar[str]
    con: Any  # the Ibis backend the compiled plan runs on
    errors: tuple[type[Exception], ...]  # what the engine raises when a query fails

    def load(self, source: Location) -> ir.Table:
        """The input as a table with `_row` (1 = the first data row); its columns checked."""
        ...

    def materialise(self, name: str, expr: ir.Table) -> ir.Table:
        """Compute `expr` once and keep it as the table `name` (later steps read it by name)."""
        ...

    def defer(self, name: str, expr: Query) -> None:
        """A step exactly one later step reads, once: the name for `expr`, computed by that reader
        (a view: the two run as one pipeline, with nothing written in between). Only DuckDB, which
        runs a plan as SQL text, is asked to (Batch.run_stages)."""
        ...

    def release(self, name: str) -> None:
        """Drop a materialised step no later step reads (memory: a million rows' steps add up to GiBs)."""
        ...

    def to_arrow(self, expr: ir.Table) -> pa.Table: ...

    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        """The rows of a small result (counts, the rejected rows, totals by measure) as Python values."""
        ...

    def write(self, expr: ir.Table, target: Location) -> None:
        """Write `expr` to a file or a table (a table of that name is replaced)."""
        ...

    def close(self) -> None: ...


def _quote(name: str, mark: str = '"') -> str:
    return ".".join(mark + part.replace(mark, mark * 2) + mark for part in name.split("."))


def with_row_numbers(arrow: pa.Table) -> pa.Table:
    import pyarrow as pa

    if "_row" in arrow.column_names:
        arrow = arrow.drop_columns(["_row"])
    return arrow.append_column("_row", pa.array(range(1, arrow.num_rows + 1), pa.int64()))


def read_arrow(source: Location) -> pa.Table:
    """A file or a DuckDB table read on this machine into Arrow, with `_row`."""
    import pyarrow.parquet as pq

    from huiqi.batch.csv_input import read_csv

    file = source.text
    if not Path(source.where).exists():
        raise InputError([Diagnostic(file, None, "no such file")])
    try:
        if source.kind == "csv":
            arrow = read_csv(source.where, file)
        elif source.kind == "parquet":
            arrow = pq.read_table(source.where)
        elif source.kind == "duckdb":
            import duckdb

            table = _quote(source.table)
            with duckdb.connect(source.where, read_only=True) as db:
                columns = [r[0] for r in db.execute(f"DESCRIBE {table}").fetchall()]
                if "_row" in columns:  # the table's own row numbers
                    query = f"SELECT * REPLACE (CAST(_row AS BIGINT) AS _row) FROM {table} ORDER BY _row"
                else:  # insertion order
                    query = f"SELECT *, CAST(rowid + 1 AS BIGINT) AS _row FROM {table} ORDER BY rowid"
                return db.sql(query).fetch_arrow_table()
        else:
            raise InputError([Diagnostic(file, None, f"a {source.kind} table cannot be read here")])
    except InputError:
        raise
    except Exception as exc:  # the reader's own message names what is wrong with the file
        raise InputError([Diagnostic(file, None, f"cannot read the table: {exc}")]) from exc
    return with_row_numbers(arrow)


def _checked(table: ir.Table, source: Location) -> ir.Table:
    from huiqi.batch.load import columns_of

    columns_of(table, source.text)
    return table


class _Engine:
    """What the engines share: writing through Arrow, and output types as the plan declares them."""

    name: ClassVar[str]
    con: Any
    errors: tuple[type[Exception], ...] = ()

    def load(self, source: Location) -> ir.Table:
        raise NotImplementedError

    def materialise(self, name: str, expr: ir.Table) -> ir.Table:
        raise NotImplementedError

    def defer(self, name: str, expr: Query) -> None:
        raise NotImplementedError  # only DuckDB runs a plan as SQL text (Query)

    def release(self, name: str) -> None:
        self.con.raw_sql(f"DROP TABLE IF EXISTS {_quote(name)}")

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        return self._typed(self.con.to_pyarrow(expr), expr)

    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.to_arrow(expr).to_pylist()
        return rows

    @staticmethod
    def _typed(arrow: pa.Table, expr: ir.Table) -> pa.Table:
        """The columns as the plan declares them (e.g. DECIMAL(18,2) yuan, whatever the backend's own
        decimal arithmetic made of it); a cast that would lose a digit fails rather than round."""
        return arrow.cast(expr.schema().to_pyarrow())

    def write(self, expr: ir.Table, target: Location) -> None:
        if target.kind == "parquet":
            self._write_parquet(expr, target.where)
        elif target.kind == "csv":
            import pyarrow.csv as pacsv

            pacsv.write_csv(self.to_arrow(expr), target.where)
        elif target.kind == "duckdb":
            self._write_duckdb(expr, target)
        else:
            self._write_postgres(expr, target)

    def _write_parquet(self, expr: ir.Table, path: str) -> None:
        import pyarrow.parquet as pq

        pq.write_table(self.to_arrow(expr), path)

    def _write_duckdb(self, expr: ir.Table, target: Location) -> None:
        import duckdb

        arrow = self.to_arrow(expr)
        with duckdb.connect(target.where) as db:
            db.register("huiqi_arrow", arrow)
            if "." in target.table:
                db.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(target.table.split('.')[0])}")
            db.execute(f"CREATE OR REPLACE TABLE {_quote(target.table)} AS SELECT * FROM huiqi_arrow")

    def _write_postgres(self, expr: ir.Table, target: Location) -> None:
        raise InputError(
            [Diagnostic("--out", None, f"{target.text}: a PostgreSQL table is written by --engine postgres")]
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.con.disconnect()


# ---- DuckDB ------------------------------------------------------------------------------------


class DuckDB(_Engine):
    """Embedded DuckDB in this process: steps as temp tables; a DuckDB file's tables are attached."""

    name = "duckdb"

    def __init__(self, con: Any = None):
        import duckdb

        self.con = con if con is not None else ibis.duckdb.connect()
        self.errors = (duckdb.Error,)
        self._attached: dict[str, tuple[str, bool]] = {}  # file -> (alias, writable)
        self._views: set[str] = set()  # the deferred steps (temp views), dropped as views

    def _attach(self, file: str, *, write: bool) -> str:
        key = str(Path(file).resolve())
        found = self._attached.get(key)
        if found is not None and (found[1] or not write):
            return found[0]
        alias = found[0] if found else f"huiqi_db{len(self._attached)}"
        if found:
            self.con.raw_sql(f"DETACH {alias}")
        mode = "" if write else " (READ_ONLY)"
        self.con.raw_sql(f"ATTACH '{key.replace(chr(39), chr(39) * 2)}' AS {alias}{mode}")
        self._attached[key] = (alias, write)
        return alias

    def load(self, source: Location) -> ir.Table:
        from huiqi.batch.load import duckdb_table, read_input

        if source.kind in ("parquet", "csv"):
            return read_input(self.con, Path(source.where))
        if source.kind != "duckdb":
            raise InputError(
                [Diagnostic("INPUT", None, f"{source.text}: a PostgreSQL table is read by --engine postgres")]
            )
        if not Path(source.where).exists():
            raise InputError([Diagnostic(source.text, None, "no such file")])
        try:
            alias = self._attach(source.where, write=False)
            name = f"{alias}.{source.table}" if "." in source.table else f"{alias}.main.{source.table}"
            columns = [r[0] for r in self.con.raw_sql(f"DESCRIBE {_quote(name)}").fetchall()]
            if "_row" in columns:
                select = f"SELECT * REPLACE (CAST(_row AS BIGINT) AS _row) FROM {_quote(name)}"
            else:
                select = f"SELECT *, CAST(rowid + 1 AS BIGINT) AS _row FROM {_quote(name)}"
            self.con.raw_sql(f"CREATE OR REPLACE TEMP TABLE {INPUT_TABLE} AS {select}")
        except self.errors as exc:
            raise InputError([Diagnostic(source.text, None, f"cannot read the table: {exc}")]) from exc
        return _checked(duckdb_table(self.con, INPUT_TABLE), source)

    def materialise(self, name: str, expr: ir.Table | Query) -> ir.Table:
        # Plain CREATE TABLE AS over the compiled SQL: Ibis's create_table compiles the
        # expression a second time (its pre-execute hooks), a third of a step's cost.
        if not isinstance(expr, Query):
            expr = self.compile(expr)
        sql = expr.sql
        if name in self._views:  # another plan's deferred step of that name (huiqi simulate)
            self.release(name)
        self.con.raw_sql(f"CREATE OR REPLACE TEMP TABLE {_quote(name)} AS {sql}")
        # the table's types are the declared ones (the SQL casts every column to them): asking
        # DuckDB for them (DESCRIBE, each type parsed by sqlglot) cost 0.02-0.04 s per table
        return ops.DatabaseTable(name, expr.schema, source=self.con).to_expr()

    def defer(self, name: str, expr: Query) -> None:
        # A step read once is a temp view: DuckDB plans it inside its reader's query and streams
        # it (a measure's chain of cap steps runs as one query); 1M rows: 5.1 -> 2.4-3.1 s of steps.
        # CREATE OR REPLACE does not replace a table with a view: a step of that name another
        # plan kept as a table (huiqi simulate runs two plans' steps in one connection) goes first.
        if name not in self._views:
            self.con.raw_sql(f"DROP TABLE IF EXISTS {_quote(name)}")
        self.con.raw_sql(f"CREATE OR REPLACE TEMP VIEW {_quote(name)} AS {expr.sql}")
        self._views.add(name)

    def release(self, name: str) -> None:
        if name in self._views:
            self._views.discard(name)
            self.con.raw_sql(f"DROP VIEW IF EXISTS {_quote(name)}")
        else:
            self.con.raw_sql(f"DROP TABLE IF EXISTS {_quote(name)}")

    def view(self, name: str, query: Query) -> ir.Table:
        """A temp view over compiled SQL, as a table with the query's declared schema."""
        self.con.raw_sql(f"CREATE OR REPLACE TEMP VIEW {_quote(name)} AS {query.sql}")
        return ops.DatabaseTable(name, query.schema, source=self.con).to_expr()

    def fetch(self, query: Query) -> pa.Table:
        return self.con.raw_sql(query.sql).fetch_arrow_table()

    def fetch_rows(self, query: Query) -> list[dict[str, Any]]:
        """A query's rows as Python values (a DECIMAL as a Decimal), with no Arrow: a run on DuckDB
        from Parquet to Parquet then never imports pyarrow (0.2 s)."""
        cursor = self.con.raw_sql(query.sql)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        return self.fetch_rows(self.compile(expr))

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        # DuckDB's own Arrow, not Ibis's to_pyarrow (which imports pandas: 0.5 s of every run)
        return self._typed(self.fetch(self.compile(expr)), expr)

    def compile(self, expr: ir.Table) -> Query:
        """The SQL `materialise` runs for `expr` (plan_cache keeps it), and the tables it reads."""
        names = frozenset(node.name for node in expr.op().find((ops.UnboundTable, ops.DatabaseTable)))
        return Query(self._select_typed(expr), expr.schema(), names)

    def _select_typed(self, expr: ir.Table) -> str:
        """The expression's SQL with every column cast to its declared type (DuckDB widens decimals)."""
        mapper = self.con.compiler.type_mapper
        casts = ", ".join(
            f"CAST({_quote(n)} AS {mapper.from_ibis(t).sql('duckdb')}) AS {_quote(n)}" for n, t in expr.schema().items()
        )
        return f"SELECT {casts} FROM ({self.con.compile(expr)}) AS huiqi_out"

    def _write_parquet(self, expr: ir.Table, path: str) -> None:
        target = path.replace("'", "''")
        self.con.raw_sql(f"COPY ({self._select_typed(expr)}) TO '{target}' (FORMAT parquet)")

    def _write_duckdb(self, expr: ir.Table, target: Location) -> None:
        alias = self._attach(target.where, write=True)
        if "." in target.table:
            self.con.raw_sql(f"CREATE SCHEMA IF NOT EXISTS {alias}.{_quote(target.table.split('.')[0])}")
            name = f"{alias}.{_quote(target.table)}"
        else:
            name = f"{alias}.main.{_quote(target.table)}"
        self.con.raw_sql(f"CREATE OR REPLACE TABLE {name} AS {self._select_typed(expr)}")

    def close(self) -> None:
        for alias, _ in self._attached.values():
            with contextlib.suppress(Exception):
                self.con.raw_sql(f"DETACH {alias}")
        super().close()


# ---- Spark -------------------------------------------------------------------------------------

_QUIET_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
"""


def _spark_compiler() -> Any:
    """Ibis's PySpark compiler with TRIM fixed: it writes Python's whitespace as '\\v\\f' escapes,
    which Spark SQL reads as the letters v and f — so 'foundation_model' lost its f."""
    import sqlglot.expressions as sge
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    class Compiler(PySparkCompiler):  # type: ignore[misc]
        def visit_Strip(self, op: Any, *, arg: Any) -> Any:
            whitespace = self.f.concat(sge.convert(" \t\n\r"), self.f.chr(11), self.f.chr(12))
            return self.f.trim(arg, whitespace)

    return Compiler()


def _memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def local_driver_memory() -> str:
    """Local mode runs everything in the driver: a quarter of the machine's memory, 1–8 GiB."""
    gib = max(1, min(8, _memory_bytes() // (4 << 30)))
    return f"{gib}g"


class Spark(_Engine):
    """Spark through Ibis: local mode (`local[*]`) by default, or a cluster.

    Steps are temp views over `localCheckpoint`ed DataFrames: computed once, kept by the executors
    (memory, spilling to disk), and the lineage cut so a step's plan does not include every
    earlier step's. The input is read on the driver (Arrow) and sent to Spark with its row numbers,
    since the row order is part of the facts (enterprise caps go in facts order).
    """

    name = "spark"

    def __init__(self, con: Any = None, *, session: Any = None, owned: bool = False):
        from pyspark.errors import PySparkException

        if con is None:
            con = ibis.pyspark.connect(session)
        con.compiler = _spark_compiler()
        self.con = con
        self.session = con._session
        self.errors = (PySparkException,)
        self._owned = owned
        self._frames: dict[str, Any] = {}

    @classmethod
    def start(cls, master: str | None = None) -> Spark:
        """A session: Spark Connect when $SPARK_REMOTE is set, the cluster of `master` (or
        $SPARK_MASTER), spark-submit's when run under it, else local mode."""
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise InputError(
                [Diagnostic("--engine", None, "spark needs pyspark: install huiqi with the 'spark' extra")]
            ) from exc
        remote = os.environ.get("SPARK_REMOTE") if master is None else None
        builder = SparkSession.builder.appName("huiqi batch")
        option = "--spark-master" if master else "$SPARK_MASTER"
        if remote:
            option = "$SPARK_REMOTE"
            if importlib.util.find_spec("grpc") is None:  # Spark Connect's client needs pyspark[connect]
                raise InputError(
                    [
                        Diagnostic(
                            option, None, "Spark Connect needs pyspark's connect extra (pip install 'pyspark[connect]')"
                        )
                    ]
                )
            builder = builder.remote(remote)
        else:
            if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
                raise InputError(
                    [Diagnostic("--engine", None, "spark needs Java 17 or later: no java on PATH and JAVA_HOME unset")]
                )
            under_submit = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started us: its master
            master = master or os.environ.get("SPARK_MASTER") or (None if under_submit else "local[*]")
            if master is not None:
                builder = builder.master(master)
            local = master is not None and master.startswith("local")
            settings = {
                "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false",
                "spark.sql.session.timeZone": "UTC",
                "spark.sql.execution.arrow.pyspark.enabled": "true",
            }
            if local:
                settings["spark.sql.shuffle.partitions"] = str(max(2, 2 * (os.cpu_count() or 1)))
                if "SPARK_DRIVER_MEMORY" not in os.environ:
                    settings["spark.driver.memory"] = local_driver_memory()
            if "SPARK_CONF_DIR" not in os.environ:  # Spark's INFO logging would bury the progress
                log4j = Path(tempfile.gettempdir()) / "huiqi-spark-log4j2.properties"
                if not log4j.exists():
                    log4j.write_text(_QUIET_LOG4J)
                settings["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{log4j}"
            for key, value in settings.items():
                builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except Exception as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(
                [Diagnostic(option if remote or master else "--engine", None, f"Spark did not start: {message}")]
            ) from exc
        return cls(session=session, owned=True)

    def load(self, source: Location) -> ir.Table:
        if source.kind == "postgres":
            raise InputError(
                [Diagnostic("INPUT", None, f"{source.text}: a PostgreSQL table is read by --engine postgres")]
            )
        arrow = read_arrow(source)
        frame = self.session.createDataFrame(arrow)
        self._keep(INPUT_TABLE, frame)
        return _checked(self.con.table(INPUT_TABLE), source)

    def _keep(self, name: str, frame: Any) -> None:
        frame = frame.localCheckpoint(eager=True)
        frame.createOrReplaceTempView(_quote(name, "`"))
        old = self._frames.pop(name, None)
        if old is not None:
            old.unpersist()
        self._frames[name] = frame

    def materialise(self, name: str, expr: ir.Table) -> ir.Table:
        self.con._run_pre_execute_hooks(expr)
        self._keep(name, self.session.sql(self.con.compile(expr)))
        return ibis.table(expr.schema(), name=name)

    def release(self, name: str) -> None:
        frame = self._frames.pop(name, None)
        if frame is not None:
            self.session.catalog.dropTempView(_quote(name, "`"))
            frame.unpersist()

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        self.con._run_pre_execute_hooks(expr)
        return self._typed(self.session.sql(self.con.compile(expr)).toArrow(), expr)

    def close(self) -> None:
        for frame in self._frames.values():
            with contextlib.suppress(Exception):
                frame.unpersist()
        self._frames.clear()
        if self._owned:
            self.session.stop()


# ---- PostgreSQL --------------------------------------------------------------------------------

_PG_SESSION = (
    "SET jit = off",  # compiling the long CASE expressions costs more than it saves
    "SET work_mem = '256MB'",
    "SET temp_buffers = '512MB'",  # before the first temp table of the session
)


_PG_SAFE_DATE = """
CASE WHEN huiqi_x ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
  CASE WHEN CAST(SUBSTRING(huiqi_x, 1, 4) AS INT) >= 1 AND CAST(SUBSTRING(huiqi_x, 6, 2) AS INT) BETWEEN 1 AND 12 THEN
    CASE WHEN CAST(SUBSTRING(huiqi_x, 9, 2) AS INT) BETWEEN 1 AND EXTRACT(DAY FROM
      MAKE_DATE(CAST(SUBSTRING(huiqi_x, 1, 4) AS INT), CAST(SUBSTRING(huiqi_x, 6, 2) AS INT), 1)
      + INTERVAL '1 month' - INTERVAL '1 day')
    THEN CAST(huiqi_x AS DATE) END
  END
END"""


def _postgres_compiler() -> Any:
    """Ibis's PostgreSQL compiler where two casts differ from the other backends':

    - boolean → bigint: PostgreSQL casts a boolean to integer only, so through INT;
    - try_cast: PostgreSQL has none (Ibis writes a plain CAST, which fails the whole query on one
      bad value). huiqi.batch.load lets only text of the documented form reach try_cast, so only
      dates need more: 2023-02-30 has the form but is no date, so the day is checked first;
    - `limit(None, offset=0)`, which Ibis drops, is written `OFFSET 0`: a fence that keeps a
      staged reading of text (huiqi.batch.text_values) a subquery of its own.
    """
    import ibis.expr.datatypes as dt
    import sqlglot as sg
    import sqlglot.expressions as sge
    from ibis.backends.sql.compilers.postgres import PostgresCompiler

    template = sg.parse_one(_PG_SAFE_DATE, read="postgres")

    class Compiler(PostgresCompiler):  # type: ignore[misc]
        def visit_Cast(self, op: Any, *, arg: Any, to: Any) -> Any:
            if op.arg.dtype.is_boolean() and to.is_integer():
                return self.cast(self.cast(arg, dt.int32), to)
            return super().visit_Cast(op, arg=arg, to=to)

        def visit_Limit(self, op: Any, *, parent: Any, n: Any, offset: Any) -> Any:
            if n is not None or not isinstance(offset, int) or offset != 0:
                return super().visit_Limit(op, parent=parent, n=n, offset=offset)
            # OFFSET 0: a fence (huiqi.batch.text_values._fenced), or PostgreSQL pulls the
            # subquery up and repeats its expressions at every use
            if isinstance(parent, sge.Subquery) and not parent.this.args.get("limit"):
                return parent.this.copy().offset(0, copy=False).subquery(parent.alias, copy=False)
            return sg.select(sge.Star(), copy=False).from_(parent, copy=False).offset(0, copy=False)

        def visit_TryCast(self, op: Any, *, arg: Any, to: Any) -> Any:
            if op.arg.dtype.is_string() and to.is_date():
                return template.copy().transform(
                    lambda node: arg.copy() if isinstance(node, sge.Column) and node.name == "huiqi_x" else node
                )
            return self.visit_Cast(op, arg=arg, to=to)

    return Compiler()


def _pg_type(arrow_type: Any) -> str:
    import pyarrow.types as pat

    if pat.is_integer(arrow_type):
        return "BIGINT"
    if pat.is_boolean(arrow_type):
        return "BOOLEAN"
    if pat.is_decimal(arrow_type):
        return f"NUMERIC({arrow_type.precision}, {arrow_type.scale})"
    if pat.is_date(arrow_type):
        return "DATE"
    if pat.is_timestamp(arrow_type):
        return "TIMESTAMP"
    if pat.is_floating(arrow_type):
        return "DOUBLE PRECISION"  # refused for amounts by the column check, with a message
    return "TEXT"


def plain_url(url: str) -> str:
    """A libpq URL (SQLAlchemy's postgresql+psycopg:// accepted too)."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.lower() in _POSTGRES_SCHEMES else url


def same_database(a: str, b: str) -> bool:
    x, y = urlsplit(plain_url(a)), urlsplit(plain_url(b))
    return (x.hostname, x.port or 5432, x.path.strip("/")) == (y.hostname, y.port or 5432, y.path.strip("/"))


class Postgres(_Engine):
    """PostgreSQL through Ibis: the input copied into a temp table (COPY), steps as temp tables
    (analysed, since autovacuum never sees temp tables), results to Parquet or to a table."""

    name = "postgres"

    def __init__(self, url: str | None = None, *, con: Any = None):
        import psycopg

        self.errors = (psycopg.Error,)
        if con is None:
            assert url is not None
            try:
                connection = psycopg.connect(plain_url(url), autocommit=True)
            except psycopg.Error as exc:
                shown = hide_password(url)
                reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
                raise InputError([Diagnostic("--database-url", None, f"cannot connect to {shown}: {reason}")]) from exc
            con = ibis.postgres.from_connection(connection)
        con.compiler = _postgres_compiler()
        self.con = con
        self.url = url
        for statement in _PG_SESSION:
            self._sql(statement)

    def _sql(self, statement: str) -> None:
        with self.con.con.cursor() as cursor:
            cursor.execute(statement)

    def release(self, name: str) -> None:
        self._sql(f"DROP TABLE IF EXISTS {_quote(name)}")

    def load(self, source: Location) -> ir.Table:
        if source.kind == "postgres":
            if self.url is not None and not same_database(source.where, self.url):
                raise InputError(
                    [Diagnostic("INPUT", None, f"{source.text}: the table must be in the --database-url database")]
                )
            try:
                with self.con.con.cursor() as cursor:
                    cursor.execute(f"SELECT * FROM {_quote(source.table)} LIMIT 0")
                    columns = [d.name for d in cursor.description or []]
                rest = ", ".join(_quote(c) for c in columns if c != "_row")
                # the table's own row numbers, else its physical order (the load order of a table never updated)
                row = "CAST(_row AS BIGINT)" if "_row" in columns else "row_number() OVER (ORDER BY ctid)"
                self._sql(f"DROP TABLE IF EXISTS pg_temp.{INPUT_TABLE}")
                self._sql(
                    f"CREATE TEMP TABLE {INPUT_TABLE} AS SELECT {rest}, {row} AS _row FROM {_quote(source.table)}"
                )
            except self.errors as exc:
                reason = str(exc).strip().splitlines()[0]
                raise InputError([Diagnostic(source.text, None, f"cannot read the table: {reason}")]) from exc
        else:
            self._copy_in(read_arrow(source))
        self._sql(f"ANALYZE {INPUT_TABLE}")
        return _checked(self.con.table(INPUT_TABLE), source)

    def _copy_in(self, arrow: pa.Table) -> None:
        """The table into a temp table by COPY (CSV: strings quoted, nulls empty and unquoted)."""
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.types as pat

        columns = []
        for index, field in enumerate(arrow.schema):
            pg = _pg_type(field.type)
            if pg == "TEXT" and not (pat.is_string(field.type) or pat.is_large_string(field.type)):
                arrow = arrow.set_column(index, field.name, arrow[field.name].cast(pa.string()))
            columns.append(f"{_quote(field.name)} {pg}")
        self._sql(f"DROP TABLE IF EXISTS pg_temp.{INPUT_TABLE}")
        self._sql(f"CREATE TEMP TABLE {INPUT_TABLE} ({', '.join(columns)})")
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        names = ", ".join(_quote(n) for n in arrow.column_names)
        with (
            self.con.con.cursor() as cursor,
            cursor.copy(f"COPY {INPUT_TABLE} ({names}) FROM STDIN (FORMAT csv)") as copy,
        ):
            for batch in arrow.to_batches(max_chunksize=50_000):
                buffer = io.BytesIO()
                pacsv.write_csv(pa.Table.from_batches([batch], arrow.schema), buffer, options)
                copy.write(buffer.getvalue())

    def materialise(self, name: str, expr: ir.Table) -> ir.Table:
        table = self.con.create_table(name, expr, temp=True, overwrite=True)
        self._sql(f"ANALYZE {_quote(name)}")
        return table

    def _write_postgres(self, expr: ir.Table, target: Location) -> None:
        if self.url is not None and not same_database(target.where, self.url):
            raise InputError(
                [Diagnostic("--out", None, f"{target.text}: the table must be in the --database-url database")]
            )
        schema, _, table = target.table.rpartition(".")
        if schema:
            self._sql(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
        self.con.create_table(table, expr, database=schema or None, overwrite=True)


# ---- choosing and connecting -------------------------------------------------------------------


def connect(
    engine: str,
    *,
    spark_master: str | None = None,
    database_url: str | None = None,
    source: Location | None = None,
    target: Location | None = None,
) -> BatchEngine:
    """The engine, connected; InputError naming the option for a bad combination (nothing written yet)."""
    check_options(engine, spark_master=spark_master, database_url=database_url, source=source, target=target)
    if engine == "duckdb":
        return DuckDB()
    if engine == "spark":
        return Spark.start(spark_master)
    url = database_url or os.environ.get(DATABASE_URL_ENV)
    for location in (source, target):
        if url is None and location is not None and location.kind == "postgres":
            url = location.where
    assert url is not None
    return Postgres(url)


def check_options(
    engine: str,
    *,
    spark_master: str | None = None,
    database_url: str | None = None,
    source: Location | None = None,
    target: Location | None = None,
) -> None:
    problems = []
    if engine not in ENGINES:
        problems.append(Diagnostic("--engine", None, f"{engine!r} is not one of {', '.join(ENGINES)}"))
    if spark_master is not None and engine != "spark":
        problems.append(Diagnostic("--spark-master", None, "only for --engine spark"))
    if database_url is not None and engine != "postgres":
        problems.append(Diagnostic("--database-url", None, "only for --engine postgres"))
    if database_url is not None and not _is_postgres_url(database_url):
        problems.append(
            Diagnostic("--database-url", None, f"{hide_password(database_url)!r} is not a postgresql:// URL")
        )
    for option, location in (("INPUT", source), ("--out", target)):
        if location is not None and location.kind == "postgres" and engine != "postgres":
            problems.append(Diagnostic(option, None, f"{location.text}: a PostgreSQL table needs --engine postgres"))
    if engine == "postgres":
        url = database_url or os.environ.get(DATABASE_URL_ENV)
        tables = [loc for loc in (source, target) if loc is not None and loc.kind == "postgres"]
        if url is None and not tables:
            problems.append(
                Diagnostic(
                    "--database-url", None, f"--engine postgres needs a postgresql:// URL (or ${DATABASE_URL_ENV})"
                )
            )
        known = url or (tables[0].where if tables else None)
        for option, location in (("INPUT", source), ("--out", target)):
            if (
                known
                and location is not None
                and location.kind == "postgres"
                and not same_database(location.where, known)
            ):
                problems.append(Diagnostic(option, None, f"{location.text}: not the engine's database"))
    if problems:
        raise InputError(problems)


def engine_of(con: Any) -> BatchEngine:
    """An engine for `con`: an engine as it is, or an Ibis backend wrapped (DuckDB, PySpark, Postgres)."""
    if isinstance(con, _Engine):
        return con
    name = getattr(con, "name", None)
    if name == "duckdb":
        return DuckDB(con)
    if name == "pyspark":
        return Spark(con)
    if name == "postgres":
        return Postgres(con=con)
    raise TypeError(f"no batch engine for the Ibis backend {name!r}")


@contextlib.contextmanager
def opened(engine: BatchEngine) -> Iterator[BatchEngine]:
    try:
        yield engine
    finally:
        engine.close()
