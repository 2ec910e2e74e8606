"""A policy library: policies parsed from text, with every diagnostic at once, and overrides.

Pure: text in, Library out. Reading the files is huiqi.policy_files' job.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from huiqi.diagnostics import Diagnostic, InputError, SourceDoc, field_name, from_validation_error, parse_source
from huiqi.rules.check import check_policy
from huiqi.rules.model import Interpretation, Measure, Policy


@dataclass(frozen=True, slots=True)
class PolicyDoc:
    policy: Policy
    raw: Mapping[str, Any]
    source_text: str | None
    file: str
    choices: Mapping[str, str] = field(default_factory=dict)
    """Officer overrides applied: "<measure or policy id>:<interpretation id>" -> alternative."""


def _rule_at(doc: SourceDoc, path: tuple[str | int, ...]) -> str | None:
    data = doc.data
    if len(path) >= 2 and path[0] == "measures" and isinstance(path[1], int) and isinstance(data, dict):
        measures = data.get("measures")
        if isinstance(measures, list) and path[1] < len(measures) and isinstance(measures[path[1]], dict):
            rule = measures[path[1]].get("id")
            return str(rule) if rule is not None else None
    if isinstance(data, dict) and data.get("id") is not None:
        return str(data["id"])
    return None


def validate_policy(doc: SourceDoc, source_text: str | None) -> tuple[Policy | None, list[Diagnostic]]:
    """Shape (pydantic) then semantics (check_policy): every problem, each with its line and rule."""
    if not isinstance(doc.data, dict):
        return None, [Diagnostic(doc.file, doc.line_of(()), "a policy file must be a mapping of keys")]
    try:
        policy = Policy.model_validate(doc.data)
    except ValidationError as error:
        diagnostics = []
        for item in from_validation_error(error, doc):
            path = tuple(p for p in item.field.replace("[", ".").replace("]", "").split(".") if p)
            typed = tuple(int(p) if p.isdigit() else p for p in path)
            diagnostics.append(Diagnostic(item.file, item.line, item.message, item.field, _rule_at(doc, typed)))
        return None, diagnostics
    diagnostics = [
        Diagnostic(doc.file, doc.line_of(path), message, field_name(path), _rule_at(doc, path))
        for path, message in check_policy(policy, source_text)
    ]
    return (policy if not diagnostics else None), diagnostics


def parse_policy(text: str, file: str, source_text: str | None = None) -> PolicyDoc:
    return policy_from_source(parse_source(text, file), source_text)


def policy_from_source(source: SourceDoc, source_text: str | None) -> PolicyDoc:
    """A parsed policy document, validated whole (shape, semantics, every alternative)."""
    file = source.file
    policy, diagnostics = validate_policy(source, source_text)
    if policy is None:
        raise InputError(diagnostics)
    doc = PolicyDoc(policy, source.data, source_text, file)
    problems = check_alternatives(doc, source)
    if problems:
        raise InputError(problems)
    return doc


@dataclass(frozen=True, slots=True)
class MeasureRef:
    policy: Policy
    measure: Measure


@dataclass(frozen=True)
class Library:
    docs: tuple[PolicyDoc, ...]

    @classmethod
    def of(cls, docs: Iterable[PolicyDoc]) -> Library:
        library = cls(tuple(docs))
        problems = library.cross_check()
        if problems:
            raise InputError(problems)
        return library

    @property
    def policies(self) -> tuple[Policy, ...]:
        return tuple(d.policy for d in self.docs)

    @cached_property
    def digest(self) -> str:
        """The SHA-256 of the rules (not of their files' layout): equal digests, equal results."""
        rules = [doc.policy.model_dump(mode="json", warnings=False) for doc in self.docs]
        return hashlib.sha256(json.dumps(rules, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def measures(self) -> Iterable[MeasureRef]:
        for policy in self.policies:
            for measure in policy.measures:
                yield MeasureRef(policy, measure)

    def policy(self, policy_id: str) -> Policy:
        for policy in self.policies:
            if policy.id == policy_id:
                return policy
        raise KeyError(policy_id)

    def measure(self, measure_id: str) -> MeasureRef:
        for ref in self.measures():
            if ref.measure.id == measure_id:
                return ref
        raise KeyError(measure_id)

    def cross_check(self) -> list[Diagnostic]:
        problems = []
        known = {ref.measure.id for ref in self.measures()}
        kinds = {ref.measure.id: ref.measure.applies_to for ref in self.measures()}
        ids = [d.policy.id for d in self.docs]
        for doc in self.docs:
            if ids.count(doc.policy.id) > 1:
                problems.append(Diagnostic(doc.file, None, f"policy id {doc.policy.id!r} is used twice"))
            for group in doc.policy.non_duplication:
                for member in group.measures:
                    # The policy's own measures were checked with their lines when it loaded.
                    if member not in known and not member.startswith(doc.policy.id + "."):
                        problems.append(Diagnostic(doc.file, None, f"unknown measure {member!r}", "", group.id))
            for measure in doc.policy.measures:
                problems += self._joint_cap_problems(doc, measure, kinds)
        return problems

    @staticmethod
    def _joint_cap_problems(doc: PolicyDoc, measure: Measure, kinds: Mapping[str, str]) -> list[Diagnostic]:
        """A joint cap names measures of the library that pay on the same kind of subject."""
        found = []
        for index, joint in enumerate(measure.joint_caps):
            where = f"measures.{doc.policy.measures.index(measure)}.joint_caps.{index}.with"
            for other in joint.with_:
                if other not in kinds:
                    found.append(Diagnostic(doc.file, None, f"unknown measure {other!r}", where, measure.id))
                elif kinds[other] != measure.applies_to:
                    message = f"{other} pays on a {kinds[other]}, {measure.id} on a {measure.applies_to}"
                    found.append(Diagnostic(doc.file, None, message, where, measure.id))
                elif other == measure.id:
                    found.append(Diagnostic(doc.file, None, "a joint cap names its own measure", where, measure.id))
        return found

    def with_choices(self, choices: Mapping[str, str]) -> Library:
        """The library with officers' choices among the interpretations' alternatives.

        A key is "<measure id>:<interpretation id>" or "<policy id>:<interpretation id>";
        the value names an alternative, or the default decision as "default".
        """
        pending = dict(choices)
        docs = []
        for doc in self.docs:
            mine = {k: v for k, v in pending.items() if k.split(":", 1)[0].split(".")[0] == doc.policy.id}
            for key in mine:
                pending.pop(key)
            docs.append(_apply_choices(doc, mine) if mine else doc)
        if pending:
            raise InputError([Diagnostic("--interpret", None, f"no policy has {key!r}") for key in pending])
        return Library.of(docs)


_CHOSEN: dict[tuple[str, tuple[tuple[str, str], ...]], Library] = {}


def chosen(library: Library, choices: Mapping[str, str]) -> Library:
    """`library.with_choices(choices)`, made once per library and set of choices (validating the
    alternatives takes milliseconds; a service asked again and again needs it once)."""
    if not choices:
        return library
    key = (library.digest, tuple(sorted(choices.items())))
    found = _CHOSEN.get(key)
    if found is None:
        if len(_CHOSEN) >= 64:
            _CHOSEN.clear()
        found = _CHOSEN[key] = library.with_choices(choices)
    return found


def _interpretations_of(policy: Policy, owner: str) -> tuple[Interpretation, ...] | None:
    if owner == policy.id:
        return policy.interpretations
    for measure in policy.measures:
        if measure.id == owner:
            return measure.interpretations
    return None


def _apply_choices(doc: PolicyDoc, choices: Mapping[str, str]) -> PolicyDoc:
    raw = copy.deepcopy(dict(doc.raw))
    problems = []
    for key, choice in choices.items():
        owner, _, interpretation_id = key.partition(":")
        interpretations = _interpretations_of(doc.policy, owner)
        found = [i for i in interpretations or () if i.id == interpretation_id]
        if not found:
            problems.append(Diagnostic("--interpret", None, f"{owner!r} has no interpretation {interpretation_id!r}"))
            continue
        if choice == "default":
            continue
        alternative = found[0].alternatives.get(choice)
        if alternative is None:
            options = ", ".join(["default", *found[0].alternatives])
            problems.append(Diagnostic("--interpret", None, f"{key}: no alternative {choice!r}; choose {options}"))
            continue
        target = raw if owner == doc.policy.id else next(m for m in raw["measures"] if m.get("id") == owner)
        for dotted, value in alternative.set.items():
            try:
                set_path(target, dotted, copy.deepcopy(value))
            except (KeyError, IndexError, TypeError):
                problems.append(Diagnostic(doc.file, None, f"{key}={choice}: no place {dotted!r} to set", "", owner))
    if problems:
        raise InputError(problems)
    policy, diagnostics = validate_policy(SourceDoc(doc.file, raw, {}), doc.source_text)
    if policy is None:
        raise InputError(
            [
                replace(d, message=f"with {', '.join(f'{k}={v}' for k, v in choices.items())}: {d.message}")
                for d in diagnostics
            ]
        )
    return PolicyDoc(policy, raw, doc.source_text, doc.file, {**doc.choices, **choices})


def set_path(target: Any, dotted: str, value: Any) -> None:
    """Set `dotted.path` in raw YAML data (numeric parts are list indices); the last part may be a new key.

    Shared by interpretation alternatives and reforms (huiqi.rules.reform)."""
    parts: list[Any] = [int(p) if p.isdigit() else p for p in dotted.split(".")]
    for part in parts[:-1]:
        target = target[part]
    last = parts[-1]
    if not (isinstance(target, dict) or (isinstance(target, list) and isinstance(last, int))):
        raise TypeError(dotted)
    target[last] = value


def check_alternatives(doc: PolicyDoc, source: SourceDoc) -> list[Diagnostic]:
    """Every alternative reading must load too: an officer's choice should never fail at run time."""
    owners: list[tuple[str, tuple[str | int, ...], tuple[Interpretation, ...]]] = [
        (doc.policy.id, (), doc.policy.interpretations)
    ]
    owners += [(m.id, ("measures", i), m.interpretations) for i, m in enumerate(doc.policy.measures)]
    problems = []
    for owner, prefix, interpretations in owners:
        for index, interpretation in enumerate(interpretations):
            for name in interpretation.alternatives:
                try:
                    _apply_choices(doc, {f"{owner}:{interpretation.id}": name})
                except InputError as error:
                    line = source.line_of((*prefix, "interpretations", index, "alternatives", name))
                    problems += [replace(d, line=line, rule=owner) for d in error.diagnostics]
    return problems
