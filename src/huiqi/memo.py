"""Remembering what is derived from rule-tree nodes, per node object.

Rule trees are immutable and live as long as the library, so what is derived from a node
(its text, the facts it reads, its compiled closure) is made once. Nodes are keyed by
identity, not by value: hashing a deep frozen tree on every lookup would cost more than
the work saved. The memo is bounded; clearing it only costs recomputation.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Node = TypeVar("Node")
Derived = TypeVar("Derived")

LIMIT = 50_000


class IdentityMemo(Generic[Node, Derived]):
    """Values per (node object, extra key); the node is held so its id cannot be reused."""

    def __init__(self) -> None:
        self._memo: dict[tuple[int, Hashable], tuple[Node, Derived]] = {}

    def get(self, node: Node, build: Callable[[], Derived], extra: Hashable = None) -> Derived:
        key = (id(node), extra)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is node:
            return hit[1]
        value = build()
        if len(self._memo) >= LIMIT:
            self._memo.clear()
        self._memo[key] = (node, value)
        return value


def per_node(build: Callable[[Node], Derived]) -> Callable[[Node], Derived]:
    """build(node), made once per node object."""
    memo: IdentityMemo[Node, Derived] = IdentityMemo()
    hits = memo._memo  # the hot path (every expression evaluation) skips building a closure

    def get(node: Node) -> Derived:
        hit = hits.get((id(node), None))
        if hit is not None and hit[0] is node:
            return hit[1]
        return memo.get(node, lambda: build(node))

    get.__doc__ = build.__doc__
    return get
