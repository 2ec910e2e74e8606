"""Where each quote of a policy stands in its source text, for showing the text with its clauses marked.

Every quote is checked to be a verbatim part of the source when the policy loads, so each is
found; overlapping quotes (a condition's inside its measure's) keep the measure's.
"""

from __future__ import annotations

from dataclasses import dataclass

from huiqi.rules.model import Policy


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    measure: str | None = None
    """The measure whose clause this text is (None for the text between clauses)."""


def _spans(policy: Policy, source: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    for measure in policy.measures:
        quotes = [measure.quote, *(c.quote for c in measure.conditions if c.quote)]
        for quote in quotes:
            start = source.find(quote)
            if start >= 0:
                found.append((start, start + len(quote), measure.id))
    return sorted(found, key=lambda span: (span[0], -(span[1] - span[0])))


def segments(policy: Policy, source: str) -> list[Segment]:
    """The source text cut into plain and quoted pieces, in order, covering all of it."""
    out: list[Segment] = []
    cursor = 0
    for start, end, measure in _spans(policy, source):
        if start < cursor:  # inside (or overlapping) a clause already marked
            continue
        if start > cursor:
            out.append(Segment(source[cursor:start]))
        out.append(Segment(source[start:end], measure))
        cursor = end
    if cursor < len(source):
        out.append(Segment(source[cursor:]))
    return out
