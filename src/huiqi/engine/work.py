"""A measure × subject while the interpreter computes it (huiqi.engine.interpret)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from huiqi.engine.caps import Matrix
from huiqi.engine.result import Reason, Status, Step, Subject
from huiqi.engine.values import Scope
from huiqi.rules.model import Measure, Policy


@dataclass
class Work:
    """A measure × subject while it is being computed."""

    policy: Policy
    measure: Measure
    subject: Subject
    scope: Scope
    status: Status
    explain: bool = True
    matrix: Matrix = field(default_factory=Matrix)
    steps: list[Step] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    superseded_by: str | None = None

    def note(self, make: Callable[[], Step]) -> None:
        if self.explain:
            self.steps.append(make())
