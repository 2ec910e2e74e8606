"""The audit chain: every change as an event, each event's hash covering the one before it.

    hash(n) = sha256(hash(n-1) + canonical JSON of event n without its hash)

Changing, removing or reordering any stored event breaks every hash after it, which
`verify` reports with the first sequence number that does not match. Pure: the storage
adapter appends and reads the events.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
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

    def canonical(self) -> bytes:
        body = {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "before": self.before,
            "after": self.after,
        }
        return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, entry: Entry) -> str:
    return hashlib.sha256(prev_hash.encode() + entry.canonical()).hexdigest()


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    checked: int
    problem: str = ""


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
