"""A sliding-window limit per key (a client address): so many attempts per window, then wait.

In memory and per process: with several workers each counts on its own, so the limit a client
meets is at most workers × limit; the lockout in the ledger (per account, in the database)
is the bound that holds across processes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from threading import Lock


class Throttle:
    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def blocked(self, key: str) -> bool:
        """True when the key has used up its window (asking does not count as an attempt)."""
        now = self.clock()
        with self._lock:
            return len(self._recent(key, now)) >= self.limit

    def record(self, key: str) -> None:
        """Count one attempt (a failed one: an office behind one address signs in freely)."""
        now = self.clock()
        with self._lock:
            if len(self._seen) > 100_000:
                self._seen.clear()
            self._recent(key, now).append(now)

    def retry_after(self, key: str) -> float:
        now = self.clock()
        with self._lock:
            times = self._recent(key, now)
            return max(0.0, self.window - (now - times[0])) if times else 0.0

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()
