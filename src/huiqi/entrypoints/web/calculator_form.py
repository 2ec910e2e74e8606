"""The calculator's form: answers in, the facts `huiqi calc` reads out, and back again.

Every input is named as the facts path an error message names (`enterprise.name`,
`projects[0].costs.new_investment`, `enterprise.revenue[2024]`), so a diagnostic from the facts
models lands beside its field with no mapping table. Empty answers are unknown facts, never a
default. Nothing here knows a measure: the questions come from huiqi.engine.questions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from huiqi.diagnostics import Bilingual, Diagnostic, SourceDoc, chinese_message, from_validation_error
from huiqi.engine.questions import SUBJECT_KINDS, Question, SubjectQuestions, questions_for
from huiqi.facts.models import Facts, Money
from huiqi.facts.subjects import PLURALS
from huiqi.facts.subjects import SUBJECT_KINDS as SUBJECT_TABLE
from huiqi.rules.factpaths import SUBJECT_MODELS, fact_type
from huiqi.rules.library import Library

LISTS = PLURALS
KINDS = {plural: kind for kind, plural in LISTS.items()}
ID_PREFIX = {s.kind: s.id_prefix for s in SUBJECT_TABLE}
MAX_SUBJECTS = 20  # per kind: a form, not an import (larger groups: a facts file)
FORM_FILE = "表单"

_NAME = re.compile(
    r"^(?P<root>enterprise|" + "|".join(PLURALS.values()) + r")(?:\[(?P<index>\d{1,2})\])?"
    r"\.(?P<field>[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)(?:\[(?P<year>\d{4})\])?$"
)


def input_id(name: str) -> str:
    """An element id for an input name: f-projects-0-costs-new_investment-2024."""
    return "f-" + re.sub(r"[^A-Za-z0-9_]+", "-", name).strip("-")


@dataclass
class Answers:
    """What the user typed, as typed (strings), by subject."""

    as_of: str = ""
    enterprise: dict[str, Any] = field(default_factory=dict)
    subjects: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in SUBJECT_KINDS})

    def value(self, name: str) -> Any:
        match = _NAME.match(name)
        if match is None:
            return None
        holder = self._holder(match["root"], match["index"])
        if holder is None:
            return None
        value = holder.get(match["field"])
        if match["year"] is not None:
            return value.get(match["year"]) if isinstance(value, dict) else None
        return value

    def _holder(self, root: str, index: str | None) -> dict[str, Any] | None:
        if root == "enterprise":
            return self.enterprise
        items = self.subjects[KINDS[root]]
        position = int(index or 0)
        return items[position] if position < len(items) else None

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "enterprise": self.enterprise, **{LISTS[k]: v for k, v in self.subjects.items()}}


def read_form(form: Iterable[tuple[str, str]]) -> Answers:
    """Answers from the posted form; `n.projects` etc. say how many blocks each kind has."""
    answers = Answers()
    counts = dict.fromkeys(SUBJECT_KINDS, 0)
    pairs = list(form)
    for key, value in pairs:
        if key.startswith("n.") and key[2:] in KINDS and value.isdigit():
            counts[KINDS[key[2:]]] = min(int(value), MAX_SUBJECTS)
        elif key == "as_of":
            answers.as_of = value.strip()
    for kind, count in counts.items():
        answers.subjects[kind] = [{} for _ in range(count)]
    for key, raw in pairs:
        match = _NAME.match(key)
        if match is None:
            continue
        holder = answers._holder(match["root"], match["index"])
        if holder is None:
            continue
        value = raw.strip()
        name, year = match["field"], match["year"]
        if year is not None:
            holder.setdefault(name, {})
            if isinstance(holder[name], dict):
                holder[name][year] = value
        elif name == "recognitions":
            holder.setdefault(name, []).append(value)
        else:
            holder[name] = value
    return answers


def _given(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_given(v) for v in value.values())
    if isinstance(value, list):
        return bool(value)
    return value not in (None, "")


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Only what was answered: an empty field is an unknown fact, not an empty one."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name.startswith("_") or not _given(value):
            continue
        if isinstance(value, dict):
            value = {int(year): amount for year, amount in value.items() if _given(amount)}
        if value in ("true", "false"):
            value = value == "true"
        if "." in name:  # costs.<kind>
            outer, inner = name.split(".", 1)
            out.setdefault(outer, {})[inner] = value
        else:
            out[name] = value
    return out


def facts_data(answers: Answers) -> dict[str, Any]:
    """The facts document (what `huiqi calc` reads) from the answers."""
    data: dict[str, Any] = {"enterprise": _clean(answers.enterprise)}
    if answers.as_of:
        data["as_of"] = answers.as_of
    for kind, items in answers.subjects.items():
        rows = []
        for index, item in enumerate(items):
            row = {"id": f"{ID_PREFIX[kind]}{index + 1}", **_clean(item)}
            rows.append(row)
        if rows:
            data[LISTS[kind]] = rows
    return data


def _dump(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return {str(k): _dump(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [str(v) for v in value]
    return "" if value is None else str(value)


def answers_from_facts(data: Mapping[str, Any]) -> Answers:
    """The form's answers for a facts document (a saved calculation or an uploaded facts file)."""
    answers = Answers(as_of=str(data.get("as_of") or ""))
    answers.enterprise = {k: _dump(v) for k, v in dict(data.get("enterprise") or {}).items()}
    for kind, plural in LISTS.items():
        rows = []
        for item in list(data.get(plural) or [])[:MAX_SUBJECTS]:
            row: dict[str, Any] = {}
            year = str(item.get("year", ""))
            for name, value in dict(item).items():
                if name == "id":
                    continue
                if name == "costs" and isinstance(value, dict):
                    for cost, amount in value.items():
                        # one amount for the subject's own year is how the form asks for it
                        single = isinstance(amount, dict) and list(map(str, amount)) == [year]
                        row[f"costs.{cost}"] = _dump(amount[next(iter(amount))] if single else amount)
                else:
                    row[name] = _dump(value)
            rows.append(row)
        answers.subjects[kind] = rows
    return answers


# ---- validation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    name: str
    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def _diagnostic_name(diagnostic: Diagnostic, known: set[str]) -> str:
    """The input a diagnostic belongs to: its field, else the nearest input above it."""
    name = diagnostic.field
    while name:
        if name in known:
            return name
        trimmed = re.sub(r"(\[[^\]]*\]|\.[^.\[]*)$", "", name)
        if trimmed == name:
            break
        name = trimmed
    return ""


def validate(answers: Answers, known_inputs: Iterable[str]) -> tuple[Facts | None, list[FieldError]]:
    """The facts if they are valid, else every problem, each by the input it belongs to ("" for none)."""
    data = facts_data(answers)
    try:
        return Facts.model_validate(data), []
    except ValidationError as error:
        diagnostics = from_validation_error(error, SourceDoc(FORM_FILE, data, {}))
    known = set(known_inputs)
    return None, [FieldError(_diagnostic_name(d, known), d.text("zh"), d.message) for d in diagnostics]


@cache
def _adapter(kind: str, name: str) -> TypeAdapter[Any]:
    model: type[BaseModel] = SUBJECT_MODELS[kind]
    if name.startswith("costs.") or fact_type((kind, name)).kind == "by_year":  # an amount (of one year)
        return TypeAdapter(Money)
    info = model.model_fields[name]
    if not info.metadata:
        return TypeAdapter(info.annotation or Any)
    return TypeAdapter(Annotated[(info.annotation, *info.metadata)])  # type: ignore[arg-type]


def check_field(name: str, value: str) -> FieldError | None:
    """One answer checked on its own as the user types, with the facts models' own messages."""
    match = _NAME.match(name)
    if match is None:
        return None
    kind = "enterprise" if match["root"] == "enterprise" else KINDS[match["root"]]
    field_name = match["field"]
    if field_name.split(".")[0] not in SUBJECT_MODELS[kind].model_fields or field_name == "recognitions":
        return None
    if value.strip() == "":
        return None  # empty is "unknown"; a required fact is asked for when the form is sent
    raw: Any = value.strip()
    if raw in ("true", "false"):
        raw = raw == "true"
    try:
        _adapter(kind, field_name).validate_python(raw)
    except ValidationError as error:
        item = error.errors(include_url=False)[0]
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, Bilingual):
            return FieldError(name, cause.zh, cause.en)
        english = str(item["msg"]).removeprefix("Value error, ")
        return FieldError(name, chinese_message(item["type"], item.get("ctx")) or english, english)
    return None


def _typed_value(kind: str, name: str, raw: Any) -> Any:
    """One answer read as the facts models read it; None when it cannot be (yet)."""
    try:
        if isinstance(raw, dict):  # by year
            money = _adapter(kind, name)
            return {int(y): money.validate_python(v) for y, v in raw.items() if _given(v)} or None
        if raw in ("true", "false"):
            raw = raw == "true"
        return _adapter(kind, name).validate_python(raw)
    except (ValidationError, ValueError):
        return None


def typed(kind: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """A subject's answers as typed facts (for deciding which measures may still apply)."""
    out: dict[str, Any] = {}
    fields = SUBJECT_MODELS[kind].model_fields
    for name, raw in answers.items():
        if not _given(raw) or name.split(".")[0] not in fields:
            continue
        if name.startswith("costs."):
            value = _typed_value(kind, name, raw)
            if value is not None:
                out.setdefault("costs", {})[name.split(".", 1)[1]] = value
            continue
        value = _typed_value(kind, name, raw)
        if value is not None:
            out[name] = value
    return out


# ---- the questions, laid out ----------------------------------------------------------------


@dataclass
class Input:
    """One input of the form: a question for one subject (and one year, for yearly facts)."""

    name: str
    id: str
    question: Question
    year: int | None = None


def _years(question: Question, kind: str, answers: Mapping[str, Any], as_of: date) -> list[int]:
    if kind == "enterprise":
        return list(range(as_of.year - 4, as_of.year + 1))
    start = answers.get("year", "")
    first = int(start) if isinstance(start, str) and start.isdigit() and 1990 <= int(start) <= 2100 else as_of.year
    return [first, first + 1, first + 2]


def layout(
    library: Library, answers: Answers, as_of: date
) -> tuple[list[tuple[SubjectQuestions, list[Input]]], list[str]]:
    """Each subject's questions as inputs, and every input name (to place errors)."""
    subjects = [
        (kind, index, typed(kind, item)) for kind in SUBJECT_KINDS for index, item in enumerate(answers.subjects[kind])
    ]
    groups = questions_for(library, as_of, typed("enterprise", answers.enterprise), subjects)
    laid: list[tuple[SubjectQuestions, list[Input]]] = []
    names: list[str] = []
    for group in groups:
        prefix = "enterprise" if group.kind == "enterprise" else f"{LISTS[group.kind]}[{group.index}]"
        own = answers.enterprise if group.kind == "enterprise" else answers.subjects[group.kind][group.index or 0]
        inputs = []
        for question in group.questions:
            base = f"{prefix}.{question.name}"
            given = own.get(question.name)
            if question.yearly or isinstance(given, dict):  # by year, also where a file gave several years
                if question.yearly and given and not isinstance(given, dict):  # one amount: the subject's own year
                    given = own[question.name] = {str(own.get("year") or as_of.year): given}
                years = sorted({*_years(question, group.kind, own, as_of), *map(int, (given or {}))})
                for year in years:
                    name = f"{base}[{year}]"
                    inputs.append(Input(name, input_id(name), question, year))
                    names.append(name)
            else:
                inputs.append(Input(base, input_id(base), question))
            names.append(base)
        laid.append((group, inputs))
    return laid, names
