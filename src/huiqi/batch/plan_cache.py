"""A batch's compiled SQL kept on disk, so that a later run with the same key skips Ibis.

Building the seed library's expressions and compiling them to DuckDB SQL is pure Python (Ibis
rewriting some sixty graphs, sqlglot printing them): 5–7 s on every run, whatever the input's
size, where DuckDB itself evaluates 200 enterprises in under one. The SQL is a function of what
the key holds and nothing else, so it is kept, as text, under the key's digest:

- the check's queries (`check_key`): the engine, huiqi's own source, the versions of Ibis,
  sqlglot and DuckDB, and the input's compiled SQL (its columns, their types, how `_row` is made);
- a plan's queries (`plan_key`): all that, plus every library's rules (its pydantic model dumped
  as JSON: a reform is a different library), the as-of date, the layout (the years and lease
  slots the data spans, known only after the check) and the columns of codes the check found
  to read as themselves (the normalised tables take those as they are).

The names of the run's own tables (the input, the checked rows) are kept as placeholders.
A file that cannot be read is a miss, never an error; writes are atomic (a temp file renamed),
so two runs at once at worst both compile. `HUIQI_PLAN_CACHE=off` turns it off; the directory
is `$HUIQI_CACHE_DIR/plans`, default `$XDG_CACHE_HOME/huiqi/plans` (~/.cache/huiqi/plans).

The SQL kept is executed as it stands, so the cache is used only while it is private
(huiqi.batch.private_files): the folder, and each entry read, must belong to the current user and
be writable by no group or other user, or they are not used, with a warning on stderr naming the
path and the problem (the run then compiles). The folder is made with mode 0700, entries 0600.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.schema as sch

from huiqi.batch.private_files import problem, warn
from huiqi.engine.compile import Layout
from huiqi.facts.vocabulary_files import vocabulary_dir
from huiqi.rules.library import Library

KEEP_FILES = 64  # the newest entries kept; older ones are removed when a new one is written
NOT_USED = ("the plan cache is not used (this run compiles its plan)", "本次不使用计划缓存, 重新编译")
ENTRY_NOT_USED = ("this entry of the plan cache is not used", "不使用该计划缓存条目")


@dataclass(frozen=True)
class Query:
    """A query already compiled for the engine: its SQL, the schema it declares, the tables it reads."""

    sql: str
    schema: sch.Schema
    reads: frozenset[str] = frozenset()

    def to_json(self, tokens: dict[str, str]) -> dict[str, Any]:
        """As kept: the run's own table names (`tokens`' keys) replaced by their placeholders, as
        quoted identifiers (the compiler quotes every one), so no other text can match."""
        sql = self.sql
        for name, token in tokens.items():
            sql = sql.replace(f'"{name}"', f'"{token}"')
        return {"sql": sql, "schema": {n: str(t) for n, t in self.schema.items()}, "reads": sorted(self.reads)}

    @classmethod
    def from_json(cls, data: dict[str, Any], tokens: dict[str, str]) -> Query:
        sql = data["sql"]
        for name, token in tokens.items():
            sql = sql.replace(f'"{token}"', f'"{name}"')
        schema = ibis.schema({n: ibis.dtype(t) for n, t in data["schema"].items()})
        return cls(sql, schema, frozenset(data["reads"]))


@functools.cache
def code_digest() -> str:
    """huiqi's source and the versions of what compiles it: a change to either is a new key."""
    digest = hashlib.sha256()
    for dependency in ("ibis-framework", "sqlglot", "duckdb"):
        digest.update(f"{dependency}=={metadata.version(dependency)}\0".encode())
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    # The vocabularies are data the plan compiles in (an enum column's codes): a new term is a new key.
    for path in sorted(vocabulary_dir().glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def library_digest(library: Library) -> str:
    rules = [doc.policy.model_dump(mode="json", warnings=False) for doc in library.docs]
    return hashlib.sha256(json.dumps(rules, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def check_key(engine: str, source: dict[str, Any]) -> str:
    """`source`: the input as a kept Query (its SQL and schema)."""
    return _digest({"engine": engine, "code": code_digest(), "input": source})


def plan_key(
    check: str, libraries: list[Library], as_of: date, layout: Layout, verbatim: Collection[str] = frozenset()
) -> str:
    return _digest(
        {
            "check": check,
            "libraries": [library_digest(library) for library in libraries],
            "as_of": as_of.isoformat(),
            "layout": [sorted(layout.columns), layout.first_year, layout.last_year, layout.lease_slots],
            "verbatim": sorted(verbatim),
        }
    )


def _digest(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class PlanCache:
    """Entries (JSON objects) by key in one directory."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._private: bool | None = None  # the folder's check, once it exists

    @classmethod
    def default(cls) -> PlanCache | None:
        """The user's cache, or None when HUIQI_PLAN_CACHE=off."""
        if os.environ.get("HUIQI_PLAN_CACHE", "").strip().lower() in ("off", "0", "false", "no"):
            return None
        base = os.environ.get("HUIQI_CACHE_DIR") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "huiqi"
        )
        return cls(Path(base) / "plans")

    def _folder_private(self) -> bool:
        """Whether the folder may be used: ours and writable by no one else (checked once). A folder
        that is missing or cannot be looked at is no reason to warn: reads miss, writes fail quietly."""
        if self._private is None:
            try:
                info = os.stat(self.directory)
            except OSError:
                return True
            found = problem(info, folder=True)
            if found is not None:
                warn(str(self.directory), found, NOT_USED)
            self._private = found is None
        return self._private

    def load(self, key: str) -> dict[str, Any] | None:
        if not self._folder_private():
            return None
        path = self.directory / f"{key}.json"
        try:  # the entry checked as opened (fstat), not by its name: it cannot be swapped in between
            handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return None
        with os.fdopen(handle, encoding="utf-8") as file:
            found = problem(os.fstat(file.fileno()), folder=False)
            if found is not None:
                warn(str(path), found, ENTRY_NOT_USED)
                return None
            try:
                entry = json.load(file)
            except (OSError, ValueError):
                return None
        return entry if isinstance(entry, dict) else None

    def save(self, key: str, entry: dict[str, Any]) -> None:
        """Write the entry (atomically, mode 0600, in a folder of mode 0700); a cache that cannot be
        written, or is not private, is not an error."""
        with contextlib.suppress(OSError):
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self._folder_private():
                return
            handle, temp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")  # mode 0600
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as file:
                    json.dump(entry, file, ensure_ascii=False)
                os.replace(temp, self.directory / f"{key}.json")
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
            self._trim()

    def _trim(self) -> None:
        entries = sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP_FILES:]:
            with contextlib.suppress(OSError):
                old.unlink()
