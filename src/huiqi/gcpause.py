"""Pausing Python's cyclic garbage collector while a large input is built.

Reading a long facts file and evaluating it builds hundreds of thousands of small objects that
all live until the end (YAML nodes, dicts, pydantic models, results). CPython's collector runs
every few hundred allocations and, every so often, over everything alive, so its cost grows
faster than the input: a file of 20,000 projects spent more time collecting than parsing. None
of these objects form cycles that need collecting before the work ends, so the collector is
paused for its length and resumes as it was (the objects are freed by reference counting, and
any cycles by the next collection).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic collection inside; the collector is left as it was found (nesting is harmless)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
