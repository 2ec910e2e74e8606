"""OpenFisca-style policy tests: YAML cases beside each policy (facts in, expected figures out).

File format (policies/<jurisdiction>/<policy>/tests/<measure>.yaml):

    measure: minhang-2018.demo        # the measure the expectations talk about by default
    as_of: 2020-06-30                 # default assessment date
    base:                             # facts shared by the cases; each case deep-merges its own
      enterprise: {...}
    cases:
      - name: cap binds at 300万
        facts: {projects: [...]}      # mappings merge into base; lists replace
        as_of: 2020-06-30             # optional
        interpret: {"minhang-2018.demo:fields-list": default}   # optional officer choices
        total: [230万, 450万]         # optional: the enterprise's joint total, enterprise caps applied
        expect:
          - status: eligible          # every key optional except status
            measure: minhang-2018.demo
            subject: M1
            amount: [180万, 300万]     # [min, max], or one amount when exact
            by_year: {2020: [180万, 300万]}
            tranches: [[90万, 150万], [90万, 150万]]
            superseded_by: minhang-2018.demo
            reason_contains: 事实未提供
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from huiqi.diagnostics import parse_source
from huiqi.engine.interpret import evaluate
from huiqi.engine.result import MeasureResult
from huiqi.facts.models import Facts
from huiqi.money import Interval, parse_amount
from huiqi.rules.library import Library

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "policies"


@dataclass(frozen=True)
class Case:
    file: Path
    name: str
    measure: str
    as_of: date
    facts: dict[str, Any]
    interpret: dict[str, str]
    expect: list[dict[str, Any]]
    total: Any = None

    @property
    def id(self) -> str:
        return f"{self.file.parent.parent.name}/{self.file.stem}: {self.name}"


def merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(over)


def load_cases() -> list[Case]:
    cases = []
    for file in sorted(POLICIES.rglob("tests/*.yaml")):
        doc = parse_source(file.read_text(encoding="utf-8"), str(file)).data
        for raw in doc["cases"]:
            cases.append(
                Case(
                    file=file,
                    name=raw["name"],
                    measure=raw.get("measure", doc.get("measure")),
                    as_of=raw.get("as_of", doc.get("as_of")),
                    facts=merge(doc.get("base", {}), raw.get("facts", {})),
                    interpret=raw.get("interpret", {}),
                    expect=raw["expect"],
                    total=raw.get("total"),
                )
            )
    return cases


def interval(raw: Any) -> Interval:
    if isinstance(raw, list):
        return Interval(parse_amount(raw[0]), parse_amount(raw[1]))
    value = parse_amount(raw)
    return Interval(value, value)


def check(case: Case, library: Library) -> None:
    if case.interpret:
        library = library.with_choices(case.interpret)
    facts = Facts.model_validate(case.facts)
    assessment = evaluate(facts, library, case.as_of)
    if case.total is not None:
        assert assessment.total == interval(case.total), f"{case.id}: total {assessment.total}"
    for expected in case.expect:
        measure = expected.get("measure", case.measure)
        candidates = [r for r in assessment.results if r.measure == measure]
        if "subject" in expected:
            candidates = [r for r in candidates if r.subject is not None and r.subject.id == expected["subject"]]
        assert len(candidates) == 1, (
            f"{case.id}: expected one result for {measure} {expected.get('subject', '')}, found {len(candidates)}"
        )
        compare(case, expected, candidates[0])


def compare(case: Case, expected: dict[str, Any], result: MeasureResult) -> None:
    where = f"{case.id} [{result.measure}]"
    explain = "\n".join([*map(str, result.reasons), *(f"{s.zh} {s.detail}" for s in result.trace)])
    assert result.status.value == expected["status"], f"{where}: status {result.status.value}\n{explain}"
    if "amount" in expected:
        assert result.amount == interval(expected["amount"]), f"{where}: amount {result.amount}\n{explain}"
    if "by_year" in expected:
        got = dict(result.by_year)
        want = {int(year): interval(value) for year, value in expected["by_year"].items()}
        assert got == want, f"{where}: by_year {got}\n{explain}"
    if "tranches" in expected:
        got_tranches = [t.amount for t in result.tranches]
        assert got_tranches == [interval(t) for t in expected["tranches"]], f"{where}: tranches {got_tranches}"
    if "superseded_by" in expected:
        assert result.superseded_by == expected["superseded_by"], f"{where}: superseded_by {result.superseded_by}"
    if "reason_contains" in expected:
        reasons = "\n".join(f"{r.zh}\n{r.en}" for r in result.reasons)
        assert expected["reason_contains"] in reasons, f"{where}: reasons {reasons}"


def dump(value: Any) -> str:  # pragma: no cover - a debugging aid
    return yaml.safe_dump(value, allow_unicode=True)
