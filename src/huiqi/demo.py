"""Demo data: a realistic ledger built from the seed policies' figures (`huiqi demo-data`, `serve --demo`).

The data — ten fictional enterprises with their projects, leases, institutions and platforms;
officers of every role and one user per enterprise; budgets per policy and year; applications in
every state of the workflow, with reviews, awards and tranches, some paid and some still due — is
in src/huiqi/data/demo/*.yaml, read and checked by huiqi.demo_data before anything is written.
This module takes the steps those files describe.

Everything is made through the ledger's services, the same the API calls, so every row is
validated by the real models, every application is checked by the engine and every change
is in the audit chain. The demo runs on its own clock, which walks through the history:
Minhang applications in 2019–2021 (while minhang-2018 is in force), Lingang ones in 2025.
That way submissions fall in force, and tranches become payable when their triggers say.

Every demo user gets an API token and a random password, returned once. For an SQLite database
they are also written to `<database file>.tokens.txt` (mode 0600) beside it, one user a line:
name, role, token, password (tab-separated), so they can be found again; for other databases
they are only printed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from huiqi.demo_data import (
    ACTIONS,
    DEMO_DIR,
    Application,
    DemoData,
    DemoEnterprise,
    Do,
    Experts,
    Paid,
    Schedule,
    read_demo,
)
from huiqi.ledger import applications, catalogue, passwords, payments, tables, users
from huiqi.ledger.actors import SYSTEM, Actor
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.ledger.workflow import Action, Role, State
from huiqi.money import Interval, format_wan, round_fen

WAN = Decimal(10_000)
SHANGHAI = timezone(timedelta(hours=8))


class DemoDataError(RuntimeError):
    """The demo's data is wrong in a way only the engine finds (e.g. an application it finds ineligible)."""


class DemoClock:
    """The demo's time: each step's day at opening time, a few minutes later for each further step that day."""

    def __init__(self, before: date, schedule: Schedule):
        self.opens = datetime.combine(before, schedule.office_opens, tzinfo=SHANGHAI).astimezone(UTC).time()
        self.step = timedelta(minutes=schedule.minutes_between_steps)
        self.now = datetime.combine(before, self.opens, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, day: date) -> None:
        if day < self.now.date():
            raise DemoDataError(f"the demo clock cannot go back from {self.now.date()} to {day}")
        if day == self.now.date():
            self.now += self.step
        else:
            self.now = datetime.combine(day, self.opens, tzinfo=UTC)


def demo_enterprises() -> list[DemoEnterprise]:
    """The demo's enterprises (enterprises.yaml), each with its facts."""
    return read_demo().enterprises


# ----- the applications' steps


def timeline(story: Application, days: Schedule) -> list[tuple[int, Do]]:
    """The application's steps, each with its day counted from the filing."""
    steps = [(0, Do.FILE)]
    if story.ends is State.DRAFT:
        return steps
    submitted = days.submit
    steps.append((submitted, Do.SUBMIT))
    if story.ends is State.SUBMITTED:
        return steps
    if story.ends is State.WITHDRAWN:
        return [*steps, (submitted + days.withdraw, Do.WITHDRAW)]
    review = submitted + days.start_review
    steps.append((review, Do.START_REVIEW))
    if story.revised:
        returned = review + days.return_
        revised = returned + days.revise
        submitted = revised + days.submit
        review = submitted + days.start_review
        steps += [(returned, Do.RETURN), (revised, Do.REVISE), (submitted, Do.SUBMIT), (review, Do.START_REVIEW)]
    if story.recusal:
        steps.append((review + days.recuse, Do.RECUSE))
    if story.ends is State.RETURNED:
        return [*steps, (review + days.return_, Do.RETURN)]
    if story.ends is State.REJECTED:
        return [*steps, (review + days.reject, Do.REJECT)]
    if story.ends is State.UNDER_REVIEW and not story.decided:
        return steps
    steps.append((review + days.review, Do.REVIEW))
    if story.ends is State.UNDER_REVIEW:
        return steps  # decided, waiting for the approver
    approved = review + days.approve
    steps.append((approved, Do.APPROVE))
    if story.paid is not Paid.NOTHING:
        steps.append((approved + days.pay, Do.PAY))
    if story.ends is State.APPROVED:
        return steps
    accepted = approved + days.accept
    steps.append((accepted, Do.ACCEPT))
    if story.paid is Paid.ALL:
        steps.append((accepted + days.pay, Do.PAY))
    if story.ends is State.ACCEPTED:
        return steps
    steps.append((accepted + days.close, Do.CLOSE))
    return steps


TRANSITIONS = {do: Action(do.value) for do in Do if do.value in ACTIONS}


# ----- how the experts decide


def decided_amount(allowed: Interval, share: Decimal) -> Decimal:
    """The point `share` of the way through the allowed range, rounded to 万 when that stays inside it."""
    point = allowed.lo + (allowed.hi - allowed.lo) * share
    rounded = round_fen((point / WAN).quantize(Decimal(1), ROUND_HALF_UP) * WAN)
    return rounded if allowed.lo <= rounded <= allowed.hi else round_fen(point)


def panel_scores(experts: Experts, share: Decimal) -> list[dict[str, Any]]:
    """Scores out of 100 that go with the decision: the higher the share of the range, the better the scores."""
    base = experts.base_score + experts.score_per_share * share
    return [{"expert": e.name, "score": base + e.leaning} for e in experts.panel]


# ----- loading


@dataclass(frozen=True, slots=True)
class Step:
    on: date
    run: Callable[[], None]


SUBJECT_KINDS = {plural: kind for kind, plural in catalogue.FACTS_LIST.items()}


class DemoLoader:
    """Takes the demo's steps in date order, each as its user, through the ledger's services."""

    def __init__(self, ledger: Ledger, clock: DemoClock, data: DemoData):
        self.ledger = ledger
        self.clock = clock
        self.data = data
        self.enterprises = {e.slug: e for e in data.enterprises}
        self.officer = {do: o.name for o in data.users.officers for do in o.does}  # who takes each step
        self.actors: dict[str, Actor] = {}
        self.roles: dict[str, Role] = {}
        self.tokens: dict[str, str] = {}
        self.passwords: dict[str, str] = {}
        self.subjects: dict[tuple[str, str], int] = {}  # (enterprise slug, ref) -> project id
        self.applications: dict[int, int] = {}  # application number -> application id
        self.payment_orders: dict[tuple[str, int], int] = {}  # (issuer, year) -> payment orders issued

    def plan(self) -> list[Step]:
        steps = [Step(self.data.users.opened, self.open_officer_accounts)]
        steps += [
            Step(b.set_on, partial(self.set_budget, b.policy, b.year, b.allocated)) for b in self.data.budgets.budgets
        ]
        for enterprise in self.enterprises.values():
            steps.append(Step(enterprise.joined, partial(self.add_enterprise, enterprise)))
            steps.append(Step(enterprise.joined, partial(self.add_subjects, enterprise)))
        for number, story in enumerate(self.data.plan.applications):
            steps += [
                Step(story.filed + timedelta(days=d), partial(self.take, number, story, do))
                for d, do in timeline(story, self.data.plan.schedule)
            ]
        return sorted(steps, key=lambda step: step.on)  # stable: steps of one day keep the order above

    def run(self, steps: Iterable[Step]) -> None:
        for step in steps:
            self.clock.move_to(step.on)
            step.run()

    def _add_user(self, uow: UnitOfWork, name: str, role: Role, enterprise: str | None = None) -> None:
        password = passwords.generate()
        user, token = users.add_user(uow, name, role.value, enterprise, password=password)
        self.actors[name], self.roles[name], self.tokens[name] = users.actor_of(user), role, token
        self.passwords[name] = password

    def open_officer_accounts(self) -> None:
        def work(uow: UnitOfWork) -> None:
            for officer in self.data.users.officers:
                self._add_user(uow, officer.name, officer.role)

        self.ledger.run(SYSTEM, work)

    def set_budget(self, policy: str, year: int, allocated: Decimal) -> None:
        actor = self.actors[self.officer[Do.SET_BUDGET]]
        self.ledger.run(actor, lambda uow: payments.set_budget(uow, policy, year, allocated, None))

    def add_enterprise(self, enterprise: DemoEnterprise) -> None:
        def work(uow: UnitOfWork) -> None:
            catalogue.add_enterprise(uow, enterprise.facts.enterprise)
            self._add_user(uow, enterprise.user, Role.ENTERPRISE, enterprise.code)

        self.ledger.run(self.actors[self.officer[Do.ADD_ENTERPRISE]], work)

    def add_subjects(self, enterprise: DemoEnterprise) -> None:
        """The enterprise enters its own projects, leases, institutions and platforms."""

        def work(uow: UnitOfWork) -> None:
            for plural, kind in SUBJECT_KINDS.items():
                for facts in getattr(enterprise.facts, plural):
                    row = catalogue.add_project(uow, enterprise.code, kind, facts)
                    self.subjects[(enterprise.slug, row.ref)] = row.id

        self.ledger.run(self.actors[enterprise.user], work)

    def take(self, number: int, story: Application, do: Do) -> None:
        enterprise = self.enterprises[story.enterprise]
        actor = self.actors[self.officer.get(do) or enterprise.user]
        texts = self.data.plan.texts
        if do is Do.FILE:
            self.applications[number] = self.ledger.run(actor, lambda uow: self._file(uow, enterprise, story))
            return
        application = self.applications[number]
        if do is Do.REVIEW:
            self.ledger.run(actor, lambda uow: self._review(uow, application, story))
        elif do is Do.RECUSE:
            recusal = {"conflict_of_interest": True, "opinion": texts.recusal}
            self.ledger.run(actor, lambda uow: applications.add_review(uow, application, recusal))
        elif do is Do.PAY:
            self.ledger.run(actor, lambda uow: self._pay_due(uow, enterprise, application, story))
        else:
            reason = (story.reason or texts.return_reason) if do in (Do.RETURN, Do.REJECT, Do.WITHDRAW) else ""
            self.ledger.run(actor, lambda uow: applications.act(uow, application, TRANSITIONS[do], reason=reason))

    def _file(self, uow: UnitOfWork, enterprise: DemoEnterprise, story: Application) -> int:
        title = uow.library.measure(story.measure).measure.title
        row = applications.file_application(
            uow,
            enterprise=enterprise.code,
            project=self.subjects[(enterprise.slug, story.subject)] if story.subject else None,
            measure=story.measure,
            year=story.year,
            note=self.data.plan.texts.note.format(year=story.year, title=title),
        )
        if applications.allowed_now(uow, row) is None:  # every demo application must be one the engine grants
            raise DemoDataError(f"{enterprise.slug} {story.measure} {story.subject or ''}: not eligible on {uow.today}")
        return row.id

    def _review(self, uow: UnitOfWork, application: int, story: Application) -> None:
        allowed = applications.allowed_now(uow, applications.application_by_id(uow, application))
        if allowed is None:
            raise DemoDataError(f"{story.enterprise} {story.measure}: nothing may be decided on {uow.today}")
        decided = decided_amount(allowed, story.share)
        scores = panel_scores(self.data.plan.experts, story.share)
        average = sum((s["score"] for s in scores), Decimal(0)) / len(scores)
        opinion = self.data.plan.texts.opinion.format(
            average=f"{average:.1f}", amount=format_wan(decided), allowed=allowed.describe()
        )
        review = {"conflict_of_interest": False, "decided": decided, "scores": scores, "opinion": opinion}
        applications.add_review(uow, application, review)

    def _pay_due(self, uow: UnitOfWork, enterprise: DemoEnterprise, application: int, story: Application) -> None:
        """Finance pays every tranche of the award that is payable today."""
        awards = payments.list_awards(uow, enterprise=enterprise.code, measure=story.measure, year=story.year)
        award = next(a for a in awards if a.application_id == application)
        for tranche in award.tranches:
            if payments.why_not_payable(tranche, uow.today) is None:
                payments.pay(uow, tranche.id, paid_on=None, reference=self._payment_order(uow, award), expected=None)

    def _payment_order(self, uow: UnitOfWork, award: tables.Award) -> str:
        """The number of the finance bureau's payment order, as 闵财拨〔2020〕7号, counted per year."""
        key = (self.data.budgets.payment_orders[award.policy], uow.today.year)
        self.payment_orders[key] = self.payment_orders.get(key, 0) + 1
        return f"{key[0]}〔{key[1]}〕{self.payment_orders[key]}号"


def _holds_enterprises(uow: UnitOfWork) -> bool:
    return bool(catalogue.list_enterprises(uow, district=None, q=None, after=None, limit=1))


@dataclass(frozen=True, slots=True)
class DemoUser:
    name: str
    role: Role
    token: str
    password: str


def load_demo_users(ledger: Ledger, url: str, folder: Path | None = None) -> list[DemoUser]:
    """Load the demo into an empty ledger; its users with their tokens and passwords, or [] (and nothing
    done) if it holds enterprises.

    `ledger` gives the engine and the policy library; the demo runs on its own clock. The data is
    read from `folder` (the packaged src/huiqi/data/demo by default) and checked first: a problem
    raises InputError naming its file and line, and nothing is written. For an SQLite `url` the
    users are also written to `<database file>.tokens.txt`, readable by the owner only.
    """
    data = read_demo(folder, measures={ref.measure.id for ref in ledger.library.measures()})
    if ledger.read(SYSTEM, _holds_enterprises):
        return []
    clock = DemoClock(data.users.opened - timedelta(days=1), data.plan.schedule)
    loader = DemoLoader(Ledger(ledger.engine, ledger.library, clock=clock), clock, data)
    loader.run(loader.plan())
    _load_catalogue(Ledger(ledger.engine, ledger.library), folder)
    _open_calls(Ledger(ledger.engine, ledger.library))
    made = [DemoUser(name, loader.roles[name], token, loader.passwords[name]) for name, token in loader.tokens.items()]
    path = tokens_path(url)
    if path is not None:
        write_tokens(path, made)
    return made


CATALOGUE_FILE = "monitor_catalogue.csv"


def _load_catalogue(ledger: Ledger, folder: Path | None) -> None:
    """The statistical monitoring catalogue (monitor_catalogue.csv, made by scripts/make_demo_catalogue.py),
    imported as an officer would, on today's clock."""
    from huiqi.ledger.monitoring import import_catalogue
    from huiqi.monitor.indicators import CatalogueEntry
    from huiqi.tabular import nest, read_table

    path = (folder or DEMO_DIR) / CATALOGUE_FILE
    rows = [(row.number, nest(row.values, CatalogueEntry)) for row in read_table(path.read_bytes(), path.name)]
    ledger.run(SYSTEM, lambda uow: import_catalogue(uow, rows, CATALOGUE_FILE))


def _open_calls(ledger: Ledger) -> None:
    """Lingang's first list of application scenarios (targets/…/scenario-calls.yaml), opened as drafts."""
    from huiqi.ledger.scenarios import open_call
    from huiqi.target_files import load_call_lists

    # the list's dates are of 2022: the demo's calls open today, for a month, so they can be run
    deadline = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=30)
    for call in load_call_lists():
        ledger.run(SYSTEM, partial(open_call, call=replace(call, deadline=deadline)))


def load_demo(ledger: Ledger, url: str, folder: Path | None = None) -> dict[str, str]:
    """As load_demo_users: {user name: API token}, or {} if the ledger already holds enterprises."""
    return {user.name: user.token for user in load_demo_users(ledger, url, folder)}


def tokens_path(url: str) -> Path | None:
    """`<database file>.tokens.txt` for an SQLite file; None for other databases (and in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    database = Path(parsed.database).expanduser()
    return database.with_name(database.name + ".tokens.txt")


def write_tokens(path: Path, made: Iterable[DemoUser]) -> None:
    """The users, one a line: name, role, token, password (the token stays third, as before passwords)."""
    lines = [
        "# huiqi demo users, their API tokens and passwords (keep this file private)",
        "# user\trole\ttoken\tpassword",
    ]
    lines += [f"{u.name}\t{u.role.value}\t{u.token}\t{u.password}" for u in made]
    # Created owner-only, and narrowed again in case the file was already there with a wider mode.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        os.chmod(path, 0o600)
        file.write("\n".join(lines) + "\n")
