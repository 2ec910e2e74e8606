"""The policy catalogue: every policy and measure in plain words, and the search over them.

One service for the pages (/, /policies) and the API (/v1/policies): the same summary, the
same filters. Pure: the library, the catalogue's terms and the day in; plain dicts out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from huiqi.diagnostics import InputError, SourceDoc, from_validation_error
from huiqi.rules.describe import summary
from huiqi.rules.jurisdiction import jurisdiction_conditions
from huiqi.rules.library import Library
from huiqi.rules.model import InForce, Measure, Policy
from huiqi.rules.words import expr_words

TermKind = Literal["jurisdictions", "levels", "categories", "subjects"]


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str
    en: str


class Terms(BaseModel):
    """policies/vocabulary/catalogue.yaml: the label of every code the catalogue shows."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    jurisdictions: dict[str, Label]
    levels: dict[str, Label]
    categories: dict[str, Label]
    subjects: dict[str, Label]

    def label(self, kind: TermKind, code: str) -> dict[str, str]:
        found: Label | None = getattr(self, kind).get(code)
        return {"code": code, "zh": found.zh if found else code, "en": found.en if found else code}

    def missing(self, library: Library) -> list[str]:
        """Codes the library uses that have no label here."""
        gaps = []
        for policy in library.policies:
            if policy.jurisdiction not in self.jurisdictions:
                gaps.append(f"{policy.id}: jurisdiction {policy.jurisdiction!r}")
            if policy.level not in self.levels:
                gaps.append(f"{policy.id}: level {policy.level!r}")
            for measure in policy.measures:
                if measure.category not in self.categories:
                    gaps.append(f"{measure.id}: category {measure.category!r}")
                if measure.applies_to not in self.subjects:
                    gaps.append(f"{measure.id}: applies_to {measure.applies_to!r}")
        return gaps


def parse_terms(doc: SourceDoc) -> Terms:
    try:
        return Terms.model_validate(doc.data)
    except ValidationError as error:
        raise InputError(from_validation_error(error, doc)) from error


def _window(policy: Policy, measure: Measure | None = None) -> InForce:
    return measure.in_force if measure is not None and measure.in_force is not None else policy.in_force


def in_force_on(window: InForce, today: date) -> bool:
    return window.start <= today and (window.end is None or today <= window.end)


def _dates(window: InForce, today: date) -> dict[str, Any]:
    return {
        "from": window.start.isoformat(),
        "to": window.end.isoformat() if window.end else None,
        "in_force": in_force_on(window, today),
        "upcoming": today < window.start,
    }


def measure_summary(policy: Policy, measure: Measure, terms: Terms, today: date) -> dict[str, Any]:
    return {
        "id": measure.id,
        "anchor": measure.id.split(".", 1)[1],
        "title": measure.title,
        "title_en": measure.title_en,
        "category": terms.label("categories", measure.category),
        "applies_to": terms.label("subjects", measure.applies_to),
        "scope": None
        if measure.scope is None
        else {"zh": expr_words(measure.scope), "en": expr_words(measure.scope, "en")},
        "quote": measure.quote,
        "description": summary(policy, measure),
        "in_force": _dates(_window(policy, measure), today),
        "review": list(measure.review),
        "conditions": [{"text": c.text, "text_en": c.text_en, "quote": c.quote} for c in measure.conditions],
        "interpretations": [
            {
                "id": i.id,
                "question": i.question,
                "decision": i.decision,
                "alternatives": [{"id": key, "text": alt.text} for key, alt in i.alternatives.items()],
            }
            for i in measure.interpretations
        ],
    }


def policy_summary(policy: Policy, terms: Terms, today: date) -> dict[str, Any]:
    return {
        "id": policy.id,
        "title": policy.title,
        "title_en": policy.title_en,
        "issuer": policy.issuer,
        "document_number": policy.document_number,
        "jurisdiction": terms.label("jurisdictions", policy.jurisdiction),
        "level": terms.label("levels", policy.level),
        "published": policy.published.isoformat() if policy.published else None,
        "in_force": _dates(policy.in_force, today),
        "conditions": [
            {"text": c.text, "text_en": c.text_en} for c in (*jurisdiction_conditions(policy), *policy.conditions)
        ],
        "measures": [measure_summary(policy, m, terms, today) for m in policy.measures],
        "non_duplication": [
            {"id": g.id, "title": g.title, "measures": list(g.measures), "interpretation": g.interpretation}
            for g in policy.non_duplication
        ],
        "interpretations": [
            {
                "id": i.id,
                "question": i.question,
                "decision": i.decision,
                "alternatives": [{"id": key, "text": alt.text} for key, alt in i.alternatives.items()],
            }
            for i in policy.interpretations
        ],
    }


@dataclass(frozen=True)
class Query:
    """A search of the catalogue; every part optional, all given parts must match."""

    q: str = ""
    jurisdiction: str = ""
    category: str = ""
    applicant: str = ""
    in_force: bool = False
    words: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", tuple(w.casefold() for w in self.q.split() if w))

    def as_dict(self) -> dict[str, Any]:
        return {
            "q": self.q,
            "jurisdiction": self.jurisdiction,
            "category": self.category,
            "applicant": self.applicant,
            "in_force": self.in_force,
        }


def _text_of(*parts: object) -> str:
    return " ".join(str(p) for p in parts if p).casefold()


def _measure_text(measure: Mapping[str, Any]) -> str:
    description = measure["description"]["sentence"]
    return _text_of(
        measure["id"],
        measure["title"],
        measure["title_en"],
        measure["quote"],
        description["zh"],
        description["en"],
        measure["category"]["zh"],
        measure["category"]["en"],
        measure["applies_to"]["zh"],
    )


def search(library: Library, terms: Terms, today: date, query: Query) -> list[dict[str, Any]]:
    """Policies with the measures that match; a policy matching by its own words keeps all of them."""
    found = []
    for policy in library.policies:
        if query.jurisdiction and policy.jurisdiction != query.jurisdiction:
            continue
        data = policy_summary(policy, terms, today)
        own = _text_of(
            policy.id,
            policy.title,
            policy.title_en,
            policy.issuer,
            policy.document_number,
            data["jurisdiction"]["zh"],
            data["jurisdiction"]["en"],
        )
        measures = []
        for measure in data["measures"]:
            if query.category and measure["category"]["code"] != query.category:
                continue
            if query.applicant and measure["applies_to"]["code"] != query.applicant:
                continue
            if query.in_force and not measure["in_force"]["in_force"]:
                continue
            text = own + " " + _measure_text(measure)
            if all(word in text for word in query.words):
                measures.append(measure)
        if measures:
            found.append({**data, "measures": measures, "measures_total": len(data["measures"])})
    return found


def filters(library: Library, terms: Terms) -> dict[str, list[dict[str, str]]]:
    """The values each filter can take in this library, labelled."""
    jurisdictions = sorted({p.jurisdiction for p in library.policies})
    categories = sorted({ref.measure.category for ref in library.measures()})
    applicants = sorted({ref.measure.applies_to for ref in library.measures()})
    return {
        "jurisdictions": [terms.label("jurisdictions", code) for code in jurisdictions],
        "categories": [terms.label("categories", code) for code in categories],
        "applicants": [terms.label("subjects", code) for code in applicants],
    }
