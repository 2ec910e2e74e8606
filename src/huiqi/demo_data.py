"""The demo's data, read from src/huiqi/data/demo/*.yaml and checked before anything is written.

One file per concern — users.yaml, budgets.yaml, enterprises.yaml, applications.yaml — written in
the facts files' vocabulary (codes or Chinese terms, amounts as 300万, districts as 闵行区), with
comments saying why. Each file is read with huiqi.diagnostics.parse_source and validated by the
models below (an enterprise's facts by huiqi.facts.models.Facts); then the files are checked
against each other and the policy library. Every problem of every file comes out at once, as
`file:line: field: message` (an InputError); huiqi.demo writes nothing unless all is well.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator, model_validator

from huiqi.diagnostics import Bilingual, Diagnostic, InputError, SourceDoc, from_validation_error, parse_source
from huiqi.facts.models import Day, Facts, Money, StrictModel, Year, YesNo
from huiqi.facts.parse import parse_facts
from huiqi.ledger.workflow import TRANSITIONS, Action, Role, State
from huiqi.policy_files import bundled_root

DEMO_DIR = Path(__file__).resolve().parent / "data" / "demo"


class Do(StrEnum):
    """One step of the demo, taken by the user whose step it is."""

    ADD_ENTERPRISE = "add_enterprise"
    SET_BUDGET = "set_budget"
    FILE = "file"
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    RECUSE = "recuse"
    REVIEW = "review"
    RETURN = "return"
    REVISE = "revise"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    ACCEPT = "accept"
    PAY = "pay"
    CLOSE = "close"


ENTERPRISE_STEPS = frozenset({Do.FILE, Do.SUBMIT, Do.REVISE, Do.WITHDRAW})  # each enterprise's own user
OFFICER_STEPS = frozenset(Do) - ENTERPRISE_STEPS
ACTIONS = frozenset(a.value for a in Action)  # the steps that are the workflow's transitions


class Paid(StrEnum):
    """What finance has paid of an award so far."""

    NOTHING = "nothing"
    AT_APPROVAL = "at_approval"  # what was due once approved; acceptance tranches still due
    ALL = "all"  # also what fell due on acceptance


def _fields_known(template: str, known: frozenset[str]) -> str:
    used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    if used - known:
        raise Bilingual(
            f"未知的占位符 {sorted(used - known)}; 可用: {sorted(known)}",
            f"unknown placeholders {sorted(used - known)}; write only {sorted(known)}",
        )
    return template


def _template(*names: str) -> AfterValidator:
    return AfterValidator(lambda text: _fields_known(text, frozenset(names)))


Text = Annotated[str, Field(min_length=1)]
Days = Annotated[int, Field(ge=0)]


# ----- users.yaml


class Officer(StrictModel):
    name: Text
    role: Role
    does: list[Do] = Field(default_factory=list)

    @model_validator(mode="after")
    def _may_do(self) -> Officer:
        for step in self.does:
            if step in ENTERPRISE_STEPS:
                raise Bilingual(f"{step} 由企业用户完成", f"{step} is the enterprise's own step")
            if step.value in ACTIONS and self.role not in TRANSITIONS[Action(step.value)].roles:
                raise Bilingual(f"{self.role} 不能 {step}", f"a {self.role} may not {step}")
        return self


class Users(StrictModel):
    opened: Day
    officers: list[Officer]

    @field_validator("officers")
    @classmethod
    def _each_step_one_officer(cls, officers: list[Officer]) -> list[Officer]:
        doers = Counter(step for officer in officers for step in officer.does)
        wrong = sorted(step.value for step in OFFICER_STEPS if doers[step] != 1)
        if wrong:
            raise Bilingual(
                f"每个步骤须恰好由一名官员完成: {wrong}", f"each of these steps needs exactly one officer: {wrong}"
            )
        if len({o.name for o in officers}) != len(officers):
            raise Bilingual("用户名重复", "a user name is used twice")
        return officers


# ----- budgets.yaml


class Budget(StrictModel):
    set_on: Day
    policy: Text
    year: Year
    allocated: Money


class Budgets(StrictModel):
    budgets: list[Budget]
    payment_orders: dict[str, Text]  # policy -> issuer of the payment orders


# ----- enterprises.yaml


class EnterpriseEntry(StrictModel):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    joined: Day
    example: Text | None = None  # a file in examples/
    facts: Facts | None = None

    @model_validator(mode="after")
    def _one_source(self) -> EnterpriseEntry:
        if (self.example is None) == (self.facts is None):
            raise Bilingual("须写 example 或 facts 之一", "write either example or facts")
        return self


class Enterprises(StrictModel):
    enterprises: list[EnterpriseEntry]


# ----- applications.yaml


class Schedule(StrictModel):
    """Days between an application's steps (see applications.yaml), and the demo's office hours."""

    office_opens: time  # Shanghai time
    minutes_between_steps: Days
    submit: Days
    withdraw: Days
    start_review: Days
    recuse: Days
    return_: Annotated[Days, Field(alias="return")]
    revise: Days
    reject: Days
    review: Days
    approve: Days
    accept: Days
    pay: Days
    close: Days


class Expert(StrictModel):
    name: Text
    leaning: Decimal


class Experts(StrictModel):
    base_score: Decimal
    score_per_share: Decimal
    panel: list[Expert] = Field(min_length=1)


class Texts(StrictModel):
    note: Annotated[Text, _template("year", "title")]
    opinion: Annotated[Text, _template("average", "amount", "allowed")]
    recusal: Text
    return_reason: Text


class Application(StrictModel):
    """One application and how far it has come: filed on `filed`, then step by step to `ends`."""

    enterprise: Text
    measure: Text
    year: Year
    subject: Text | None = None
    filed: Day
    ends: State
    share: Annotated[Decimal, Field(ge=0, le=1)] = Decimal("0.5")
    paid: Paid = Paid.ALL
    revised: YesNo = False
    recusal: YesNo = False
    decided: YesNo = True
    reason: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Application:
        if self.ends is State.CLOSED and self.paid is not Paid.ALL:
            raise Bilingual("全部拨付后才能结项 (paid: all)", "an application is closed only when all is paid")
        if self.ends in (State.REJECTED, State.WITHDRAWN) and not self.reason:
            raise Bilingual("不予支持或撤回须写明原因 (reason)", "rejecting or withdrawing needs a reason")
        return self


class Applications(StrictModel):
    schedule: Schedule
    experts: Experts
    texts: Texts
    applications: list[Application]


# ----- reading


@dataclass(frozen=True, slots=True)
class DemoEnterprise:
    slug: str  # names its user: demo-<slug>
    joined: date  # entered in the catalogue
    facts: Facts

    @property
    def code(self) -> str:
        return self.facts.enterprise.credit_code

    @property
    def user(self) -> str:
        return f"demo-{self.slug}"


@dataclass(frozen=True, slots=True)
class DemoData:
    users: Users
    budgets: Budgets
    enterprises: list[DemoEnterprise]
    plan: Applications


M = TypeVar("M", bound=BaseModel)


def _read(folder: Path, name: str, model: type[M], problems: list[Diagnostic]) -> tuple[M, SourceDoc] | None:
    path = folder / name
    try:
        doc = parse_source(path.read_text(encoding="utf-8"), str(path))
        return model.model_validate(doc.data), doc
    except OSError as error:
        problems.append(Diagnostic(str(path), None, f"cannot read the demo's data: {error.strerror or error}"))
    except InputError as error:
        problems += error.diagnostics
    except ValidationError as error:
        problems += from_validation_error(error, doc)
    return None


def _enterprises(
    entries: Iterable[EnterpriseEntry], doc: SourceDoc, problems: list[Diagnostic]
) -> list[DemoEnterprise]:
    found: list[DemoEnterprise] = []
    for i, entry in enumerate(entries):
        facts = entry.facts
        if entry.example is not None:
            path = bundled_root("examples") / entry.example
            try:
                facts = parse_facts(path.read_text(encoding="utf-8"), str(path))
            except OSError as error:
                where = doc.line_of(("enterprises", i, "example"))
                problems.append(Diagnostic(doc.file, where, f"no example {entry.example}: {error.strerror}", "example"))
            except InputError as error:
                problems += error.diagnostics
        if facts is not None:
            found.append(DemoEnterprise(entry.id, entry.joined, facts))
    return found


def read_demo(folder: Path | None = None, measures: Collection[str] | None = None) -> DemoData:
    """The demo's data from `folder` (the packaged files by default), every file and every cross
    reference checked; with `measures` (the policy library's), every measure named must be one.
    Raises InputError naming every problem by file and line."""
    folder = DEMO_DIR if folder is None else folder
    problems: list[Diagnostic] = []
    users = _read(folder, "users.yaml", Users, problems)
    budgets = _read(folder, "budgets.yaml", Budgets, problems)
    listed = _read(folder, "enterprises.yaml", Enterprises, problems)
    plan = _read(folder, "applications.yaml", Applications, problems)
    enterprises = _enterprises(listed[0].enterprises, listed[1], problems) if listed else []
    if users is None or budgets is None or listed is None or plan is None or problems:
        raise InputError(problems)
    problems += _cross_check(enterprises, listed[1], budgets, plan, measures)
    if problems:
        raise InputError(problems)
    return DemoData(users[0], budgets[0], enterprises, plan[0])


def _cross_check(
    enterprises: list[DemoEnterprise],
    listed: SourceDoc,
    budgets: tuple[Budgets, SourceDoc],
    plan: tuple[Applications, SourceDoc],
    measures: Collection[str] | None,
) -> list[Diagnostic]:
    problems = []
    ids = Counter(e.slug for e in enterprises)
    for i, enterprise in enumerate(enterprises):
        if ids[enterprise.slug] > 1:
            where = listed.line_of(("enterprises", i, "id"))
            problems.append(Diagnostic(listed.file, where, f"{enterprise.slug} is listed twice", "id"))
    by_slug = {e.slug: e for e in enterprises}
    policies = {m.split(".")[0] for m in measures} if measures is not None else None
    doc = plan[1]
    for i, application in enumerate(plan[0].applications):

        def problem(key: str, message: str, i: int = i) -> None:
            problems.append(Diagnostic(doc.file, doc.line_of(("applications", i, key)), message, key))

        whose = by_slug.get(application.enterprise)
        if whose is None:
            problem("enterprise", f"no enterprise {application.enterprise!r} in enterprises.yaml")
        elif application.subject is not None and application.subject not in _subject_ids(whose.facts):
            problem(
                "subject",
                f"{application.enterprise} has no project, lease, institution or platform {application.subject!r}",
            )
        if measures is not None and application.measure not in measures:
            problem("measure", f"no measure {application.measure!r} in the policy library (see `huiqi policies list`)")
        elif application.measure.split(".")[0] not in budgets[0].payment_orders:
            problem("measure", f"budgets.yaml names no issuer of payment orders for {application.measure}")
    if policies is not None:
        for i, budget in enumerate(budgets[0].budgets):
            if budget.policy not in policies:
                where = budgets[1].line_of(("budgets", i, "policy"))
                problems.append(Diagnostic(budgets[1].file, where, f"no policy {budget.policy!r}", "policy"))
    return problems


def _subject_ids(facts: Facts) -> set[str]:
    return {item.id for group in (facts.projects, facts.leases, facts.institutions, facts.platforms) for item in group}
