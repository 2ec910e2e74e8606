"""`--lang en` leaves no Chinese in what it translates.

The whole library's results for the bundled examples, on dates when each policy is in force and
when none is, as the stable JSON (`huiqi calc --json --lang en`) and as the readable report, in
English. A CJK character may remain only inside text that is not the engine's to translate —
precisely, any of these, removed from each output string before it is checked:

- the policy's own words: every source text (a quote is a verbatim part of it), and every text of
  the library given in Chinese only — a text field of the rule tree with no `<field>_en` beside it
  (interpretation questions, decisions and alternatives, review items, tranche, case, tier and cap
  titles, group titles and interpretations, decision texts); a field with an English twin
  (measure and policy titles, condition texts, component titles that have `title_en`) must come
  out in English;
- what the user typed: every text of the facts (enterprise, project, lease, institution and
  platform names, ids).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from huiqi.engine.interpret import evaluate
from huiqi.entrypoints import render
from huiqi.facts.models import Facts
from huiqi.policy_files import load_facts
from huiqi.report import assessment_dict
from huiqi.rules.library import Library

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
DAYS = (date(2019, 6, 30), date(2020, 6, 30), date(2021, 6, 30), date(2025, 6, 30), date(2030, 1, 1))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)


def _chinese_only(value: Any) -> Iterator[str]:
    """The library's texts given in Chinese only: a string field with no `<field>_en` twin set."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                if CJK.search(item) and not value.get(f"{key}_en"):
                    yield item
            else:
                yield from _chinese_only(item)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, str):
                if CJK.search(item):
                    yield item
            else:
                yield from _chinese_only(item)


@pytest.fixture(scope="module")
def exempt(library: Library) -> list[str]:
    found: set[str] = set()
    for doc in library.docs:
        if doc.source_text:
            found.add(doc.source_text)
        found.update(_chinese_only(doc.raw))  # the policy file as written
    for path in EXAMPLES:
        found.update(s for s in _strings(load_facts(path).model_dump(mode="json")) if CJK.search(s))
    return sorted(found, key=len, reverse=True)  # longest first: a title inside a longer text goes with it


def _left(text: str, exempt: list[str]) -> str:
    """What of `text` is the engine's own: the exempt texts removed."""
    for part in exempt:
        if part in text:
            text = text.replace(part, "")
    return text


@pytest.fixture(scope="module")
def facts() -> list[Facts]:
    return [load_facts(path) for path in EXAMPLES]


def test_english_json_has_no_chinese_of_its_own(library: Library, facts: list[Facts], exempt: list[str]) -> None:
    left = set()
    for firm in facts:
        for day in DAYS:
            report = assessment_dict(evaluate(firm, library, day), "en")
            for text in _strings(report):
                rest = _left(text, exempt)
                if CJK.search(rest):
                    left.add(rest)
    assert not left, sorted(left)[:20]


def test_english_report_has_no_chinese_of_its_own(library: Library, facts: list[Facts], exempt: list[str]) -> None:
    left = set()
    for firm in facts:
        for day in DAYS:
            console = Console(record=True, width=100_000, emoji=False, file=open("/dev/null", "w"))  # noqa: SIM115
            render.assessment(console, evaluate(firm, library, day), "en")
            for line in console.export_text().splitlines():
                # a panel's borders and padding aside, each cell and line is checked whole
                for cell in re.split(r"\s*[│┃║|]\s*", line):
                    rest = _left(cell.strip(), exempt)
                    if CJK.search(rest):
                        left.add(rest)
    assert not left, sorted(left)[:20]


def test_the_chinese_report_is_still_chinese(library: Library, facts: list[Facts]) -> None:
    report = assessment_dict(evaluate(facts[0], library, DAYS[1]), "zh")
    texts = " ".join(_strings(report))
    assert "事实未提供" in texts or "未满足" in texts or "上限" in texts
