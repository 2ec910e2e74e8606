"""A list of scenario calls as data (targets/<jurisdiction>/<plan>/scenario-calls.yaml): the calls as
drafts, ready to publish, checked like every data file of huiqi (every problem with its line)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from huiqi.diagnostics import Diagnostic, InputError, SourceDoc, parse_model
from huiqi.facts.vocabulary import ProjectKind, Recognition
from huiqi.money import parse_amount
from huiqi.monitor.calls import CHINA, Call, Criterion, Eligibility, check_call


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Eligibility(_Strict):
    legal_entity: bool = True
    max_partners: int = Field(default=4, ge=0)
    exclude_past_winners: bool = False


class _Panel(_Strict):
    min_experts: int = 5


class _Criterion(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    weight: int = Field(ge=1, le=100)


class _Rules(_Strict):
    eligibility: _Eligibility = Field(default_factory=_Eligibility)
    panel: _Panel = Field(default_factory=_Panel)
    notice_days: int = 5
    criteria: list[_Criterion] = Field(min_length=1)
    recognitions: list[str] = Field(default_factory=list)
    project_kind: str = "application_demo"


class _Call(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    owner: str | None = None
    quote: str = Field(min_length=1)
    field: str | None = None


class _Assumed(_Strict):
    owner: str = Field(min_length=1)
    budget: Annotated[Decimal, BeforeValidator(parse_amount)]
    published: date
    deadline_days: int = Field(ge=1)
    requirements: str = Field(min_length=1)


class _List(_Strict):
    source_quote: str
    rules: _Rules
    calls: list[_Call] = Field(min_length=1)
    assumed: _Assumed


def parse_call_list(text: str, file: str, source_text: str) -> tuple[Call, ...]:
    parsed, doc = parse_model(text, file, _List)
    calls = tuple(_call(parsed, c) for c in parsed.calls)
    problems = _problems(parsed, calls, doc, source_text)
    if problems:
        raise InputError(problems)
    return calls


def _call(parsed: _List, item: _Call) -> Call:
    rules, assumed = parsed.rules, parsed.assumed
    opened = datetime.combine(assumed.published, time(9, 0), CHINA)
    return Call(
        id=item.id,
        title=item.title,
        owner=item.owner or assumed.owner,
        requirements=assumed.requirements,
        budget=assumed.budget,
        deadline=opened + timedelta(days=assumed.deadline_days),
        criteria=tuple(Criterion(c.id, c.title, c.weight) for c in rules.criteria),
        eligibility=Eligibility(
            rules.eligibility.legal_entity, rules.eligibility.max_partners, rules.eligibility.exclude_past_winners
        ),
        notice_days=rules.notice_days,
        min_experts=rules.panel.min_experts,
        recognitions=tuple(rules.recognitions),
        project_kind=rules.project_kind,
    )


def _problems(parsed: _List, calls: tuple[Call, ...], doc: SourceDoc, source: str) -> list[Diagnostic]:
    found: list[Diagnostic] = []

    def problem(path: tuple[str | int, ...], en: str, zh: str) -> None:
        name = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
        found.append(Diagnostic(doc.file, doc.line_of(path), en, name, zh=zh))

    if parsed.source_quote not in source:
        problem(("source_quote",), "quote is not verbatim in source.txt", "摘录与 source.txt 原文不符")
    codes = {str(r.value) for r in Recognition}
    for k, code in enumerate(parsed.rules.recognitions):
        if code not in codes:
            problem(("rules", "recognitions", k), f"{code!r} is not a recognition", f"{code!r} 不是认定词表中的代码")
    if parsed.rules.project_kind not in {str(k.value) for k in ProjectKind}:
        kind = parsed.rules.project_kind
        problem(("rules", "project_kind"), f"{kind!r} is not a project kind", f"{kind!r} 不是项目类型词表中的代码")
    seen: set[str] = set()
    for n, (item, call) in enumerate(zip(parsed.calls, calls, strict=True)):
        if item.id in seen:
            problem(("calls", n, "id"), f"call id {item.id!r} is used twice", f"榜单编号 {item.id!r} 重复")
        seen.add(item.id)
        if item.quote not in source:
            problem(("calls", n, "quote"), "quote is not verbatim in source.txt", "摘录与 source.txt 原文不符")
        for zh, en in check_call(call):
            problem(("rules",), en, zh)
    return found
