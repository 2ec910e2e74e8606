"""Remembering what is derived from rule-tree nodes, per node object.

Rule trees are immutable and live as long as the library, so what is derived from a node
(its text, the facts it reads, its compiled closure) is made once. Nodes are keyed by
identity, not by value: hashing a deep frozen tree on every lookup would cost more than
the work saved. The memo is bounded; clearing it only costs recomputation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

Node = TypeVar("Node")
Derived = TypeVar("Derived")

LIMIT = 50_000


def per_node(build: Callable[[Node], Derived]) -> Callable[[Node], Derived]:
    memo: dict[int, tuple[Node, Derived]] = {}

    def get(node: Node) -> Derived:
        hit = memo.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        value = build(node)
        if len(memo) >= LIMIT:
            memo.clear()
        memo[id(node)] = (node, value)
        return value

    get.__doc__ = build.__doc__
    return get
