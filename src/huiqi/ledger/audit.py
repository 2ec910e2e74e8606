"""The audit chain: every change as an event, each event's hash covering the one before it.

    hash(n) = sha256(hash(n-1) + canonical JSON of event n without its hash)

Changing, removing or reordering any stored event breaks every hash after it, which
`verify` reports with the first sequence number that does not match.

Each insert and update event also carries `row_digest`, the sha256 of the row's full content
after the change (the token and password hashes too, which `after` shows redacted), over the
columns named in `after`. The latest event of each row therefore says what the row must hold
now; `check_row` compares a row as it is with it, so a change made to the ledger's tables
outside huiqi (an UPDATE, INSERT or DELETE in SQL) shows. Pure: the storage adapter
(huiqi.ledger.audit_log) appends and reads the events and the rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS = "0" * 64


def plain(value: Any) -> Any:
    """A JSON-safe form of a column value: Decimals and dates as text (exact, unambiguous)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()  # one spelling of an instant, whatever the server's zone
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    raise TypeError(f"cannot record {type(value).__name__} in the audit log")


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    at: str  # ISO 8601, UTC
    actor: str
    action: str
    entity: str
    entity_id: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    row_digest: str | None = None

    def canonical(self) -> bytes:
        body: dict[str, Any] = {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "before": self.before,
            "after": self.after,
        }
        if self.row_digest is not None:  # absent from events stored before digests, which keep their hashes
            body["row_digest"] = self.row_digest
        return _canonical(body)


def _canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def row_digest(values: Mapping[str, Any], columns: Iterable[str]) -> str:
    """sha256 of a row's content (plain values by column) over `columns`."""
    return hashlib.sha256(_canonical({c: values.get(c) for c in columns})).hexdigest()


def chain_hash(prev_hash: str, entry: Entry) -> str:
    return hashlib.sha256(prev_hash.encode() + entry.canonical()).hexdigest()


@dataclass(frozen=True, slots=True)
class Latest:
    """What the chain says of one row: its latest event."""

    seq: int
    deleted: bool
    digest: str | None
    columns: frozenset[str]  # the columns the digest covers: the keys of the event's `after`


@dataclass(frozen=True, slots=True)
class RowFinding:
    """A row of a ledger table that is not what its latest audit event says."""

    table: str
    row_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row_id}: {self.message}"


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    checked: int  # events
    problem: str = ""  # the chain's first problem, else the first row finding
    rows: int = 0  # ledger rows compared with their latest events
    findings: tuple[RowFinding, ...] = ()


def verify(stored: Iterable[tuple[Entry, str, str]], head: tuple[int, str] | None) -> Verdict:
    """Check (entry, prev_hash, hash) rows in sequence order, and that the head names the last."""
    prev, expected_seq, checked = GENESIS, 1, 0
    for entry, prev_hash, stored_hash in stored:
        if entry.seq != expected_seq:
            return Verdict(False, checked, f"event {expected_seq} is missing (found {entry.seq} next)")
        if prev_hash != prev:
            return Verdict(False, checked, f"event {entry.seq}: does not link to event {entry.seq - 1}")
        if chain_hash(prev, entry) != stored_hash:
            return Verdict(False, checked, f"event {entry.seq}: its contents do not match its hash (altered)")
        prev, expected_seq, checked = stored_hash, expected_seq + 1, checked + 1
    last = (expected_seq - 1, prev)
    if head is not None and head != last:
        return Verdict(False, checked, f"the chain head says event {head[0]} but the log ends at event {last[0]}")
    if head is None and checked:
        return Verdict(False, checked, "the chain head is missing")
    return Verdict(True, checked)


def check_row(
    table: str,
    row_id: str,
    values: Mapping[str, Any],
    latest: Latest | None,
    recorded: Callable[[int], Mapping[str, Any] | None],
    redacted: frozenset[str],
) -> RowFinding | None:
    """The row as it is (plain values) against its latest event; None when they agree.

    `recorded(seq)` gives that event's `after` (only read to explain a difference).
    """
    if latest is None:
        return RowFinding(table, row_id, "is not in the audit log (inserted outside huiqi)")
    if latest.deleted:
        return RowFinding(table, row_id, f"was deleted (event {latest.seq}) but is there (inserted outside huiqi)")
    if latest.digest is not None and row_digest(values, latest.columns) == latest.digest:
        return None
    after = recorded(latest.seq) or {}
    changed = [
        f"{c}: {_show(after.get(c))} → {_show(values.get(c))}"
        for c in sorted(latest.columns)
        if c not in redacted and after.get(c) != values.get(c)
    ]
    if latest.digest is None and not changed:
        return None  # recorded before digests: the visible columns agree, which is all there is to check
    secret = [c for c in sorted(latest.columns & redacted) if c in values]
    what = "; ".join(changed) if changed else f"{' or '.join(secret) or 'a column'} changed"
    return RowFinding(table, row_id, f"changed outside huiqi since event {latest.seq}: {what}")


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 80 else text[:77] + "..."


def deleted_finding(table: str, row_id: str, latest: Latest) -> RowFinding:
    return RowFinding(table, row_id, f"is missing (deleted outside huiqi; last recorded in event {latest.seq})")
