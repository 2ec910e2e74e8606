"""Request bodies: strict (unknown fields are errors), money as exact strings or integers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from huiqi.facts.models import Money, Year


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectIn(Body):
    enterprise: Annotated[str, Field(min_length=18, max_length=18, description="The enterprise's credit code")]
    type: Literal["project", "lease", "institution", "platform"] = "project"
    facts: dict[str, Any] = Field(description="The subject as in a facts file (Project, Lease, …)")


class ApplicationIn(Body):
    enterprise: Annotated[str, Field(min_length=18, max_length=18)]
    project: int | None = Field(None, description="Project id; leave out for measures of the enterprise itself")
    measure: Annotated[str, Field(min_length=1, max_length=100)]
    year: Year
    requested: Money | None = None
    note: Annotated[str, Field(max_length=2000)] = ""


class TransitionIn(Body):
    reason: Annotated[str, Field(max_length=2000)] = ""


class ApproveIn(Body):
    reason: Annotated[str, Field(max_length=2000)] = ""
    amount: Money | None = Field(None, description="The amount to award; default: the latest review's decision")


class Score(Body):
    expert: Annotated[str, Field(min_length=1, max_length=100)]
    score: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2, description="0–100")]


class ReviewIn(Body):
    conflict_of_interest: bool = Field(description="True: the expert recuses and decides nothing")
    decided: Money | None = Field(None, description="The amount decided within the measure's range")
    decided_rate: Annotated[str | None, Field(max_length=20, description="The rate decided, e.g. '20%'")] = None
    scores: Annotated[list[Score], Field(max_length=50)] = []
    opinion: Annotated[str, Field(max_length=5000)] = ""


class PaymentIn(Body):
    tranche: int
    paid_on: date | None = None
    reference: Annotated[str, Field(max_length=100)] = ""


class BudgetIn(Body):
    allocated: Money


class UserIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    role: Literal["enterprise", "reviewer", "approver", "finance", "admin"]
    enterprise: Annotated[str | None, Field(min_length=18, max_length=18)] = None
