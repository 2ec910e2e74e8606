"""What the evaluator returns: outcomes as data, each figure with its trace."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from huiqi.money import Interval


class Status(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    NOT_IN_FORCE = "not_in_force"
    NEEDS_DECISION = "needs_decision"
    SUPERSEDED = "superseded"


STATUS_ZH = {
    Status.ELIGIBLE: "可享受",
    Status.INELIGIBLE: "不符合",
    Status.NOT_IN_FORCE: "不在有效期",
    Status.NEEDS_DECISION: "需个案决定",
    Status.SUPERSEDED: "就高不重复(被替代)",
}


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Need:
    """One change of the facts that would make (part of) a failed condition hold."""

    fact: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a measure does not simply pay: a stable code, and the words in Chinese and English."""

    code: str  # condition_failed | out_of_scope | outside_region | not_in_force | year_outside_term | no_base | zero
    #            | cap_used_up | enterprise_cap_used_up | decision | superseded
    zh: str
    en: str
    missing: tuple[str, ...] = ()
    """Facts not given whose absence decided this (the measure cannot be decided yet)."""
    needs: tuple[Need, ...] = ()
    """For a failed condition: what would make it hold."""

    def __str__(self) -> str:
        return self.zh


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the explanation: what was done, in Chinese and English, with its numbers."""

    kind: str  # formula | cap | case | prior | condition | note | stacking
    zh: str
    en: str
    detail: str = ""
    amount: Interval | None = None
    detail_en: str | None = None
    """The detail in English where it has words of its own (None: `detail` is the same in both)."""

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def details(self, lang: str) -> str:
        return self.detail if lang == "zh" or self.detail_en is None else self.detail_en


@dataclass(frozen=True, slots=True)
class TrancheAmount:
    on: str
    share: str
    amount: Interval
    year: int | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class InterpretationUse:
    id: str
    owner: str
    question: str
    decision: str
    choice: str = "default"
    alternatives: tuple[str, ...] = ()
    alternative_texts: tuple[str, ...] = ()
    """What each alternative reads, in the order of `alternatives` (shown to people; the ids to programs)."""


@dataclass(frozen=True)
class MeasureResult:
    measure: str
    policy: str
    title: str
    title_en: str
    status: Status
    subject: Subject | None = None
    amount: Interval | None = None
    by_year: Mapping[int, Interval] = field(default_factory=dict)
    tranches: tuple[TrancheAmount, ...] = ()
    reasons: tuple[Reason, ...] = ()
    trace: tuple[Step, ...] = ()
    quote: str = ""
    review: tuple[str, ...] = ()
    interpretations: tuple[InterpretationUse, ...] = ()
    superseded_by: str | None = None
    in_force: tuple[date, date | None] | None = None

    @property
    def undecided(self) -> bool:
        """Ineligible only for want of facts: "cannot decide yet", its own outcome for a reader."""
        return self.status is Status.INELIGIBLE and bool(self.reasons) and all(r.missing for r in self.reasons)

    @property
    def outcome(self) -> str:
        """The status, except "undecided" where only missing facts stand in the way."""
        return "undecided" if self.undecided else self.status.value

    @property
    def missing_facts(self) -> tuple[str, ...]:
        found: list[str] = []
        for reason in self.reasons:
            found += [fact for fact in reason.missing if fact not in found]
        return tuple(found)


@dataclass(frozen=True)
class Assessment:
    as_of: date
    enterprise: str
    credit_code: str
    results: tuple[MeasureResult, ...]
    total: Interval
    """Everything eligible together, with enterprise-wide caps applied once to the sum."""

    def by_status(self, status: Status) -> list[MeasureResult]:
        return [r for r in self.results if r.status is status]
