"""Request bodies: strict (unknown fields are errors), money as exact strings or integers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from huiqi.facts.models import Money, Year

# Bounds that keep every value storable: ids fit a 64-bit key, amounts a BIGINT of fen.
Id = Annotated[int, Field(ge=1, le=2**53)]
Amount = Annotated[Money, Field(le=Decimal(10**14), description="元; '300万元' and '1.5亿' accepted")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectIn(Body):
    enterprise: Annotated[str, Field(min_length=18, max_length=18, description="The enterprise's credit code")]
    type: Literal["project", "lease", "institution", "platform", "contract"] = "project"
    facts: dict[str, Any] = Field(description="The subject as in a facts file (Project, Lease, …)")


class ApplicationIn(Body):
    enterprise: Annotated[str, Field(min_length=18, max_length=18)]
    project: Id | None = Field(None, description="Project id; leave out for measures of the enterprise itself")
    measure: Annotated[str, Field(min_length=1, max_length=100)]
    year: Year
    requested: Amount | None = None
    note: Annotated[str, Field(max_length=2000)] = ""


class TransitionIn(Body):
    reason: Annotated[str, Field(max_length=2000)] = ""


class ApproveIn(Body):
    reason: Annotated[str, Field(max_length=2000)] = ""
    amount: Amount | None = Field(None, description="The amount to award; default: the latest review's decision")


class Score(Body):
    expert: Annotated[str, Field(min_length=1, max_length=100)]
    score: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2, description="0–100")]


class ReviewIn(Body):
    conflict_of_interest: bool = Field(description="True: the expert recuses and decides nothing")
    decided: Amount | None = Field(None, description="The amount decided within the measure's range")
    decided_rate: Annotated[str | None, Field(max_length=20, description="The rate decided, e.g. '20%'")] = None
    scores: Annotated[list[Score], Field(max_length=50)] = []
    opinion: Annotated[str, Field(max_length=5000)] = ""


class PaymentIn(Body):
    tranche: Id
    paid_on: date | None = None
    reference: Annotated[str, Field(max_length=100)] = ""


class BudgetIn(Body):
    allocated: Amount


class UserIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    role: Literal["enterprise", "reviewer", "approver", "finance", "admin"]
    enterprise: Annotated[str | None, Field(min_length=18, max_length=18)] = None
