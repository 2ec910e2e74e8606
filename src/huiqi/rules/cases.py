"""Policy test cases: the YAML beside each policy (facts in, expected figures out), read with every
problem located by file and line.

Pure: a parsed document and the library in, cases out (or every diagnostic at once). Finding and
reading the files is huiqi.case_files' job; running the cases is huiqi.policy_tests'.

The format (docs/rule-language.md §14), policies/<jurisdiction>/<policy>/tests/<measure>.yaml:

    measure: minhang-2018.demo        # the measure the expectations talk about by default
    as_of: 2020-06-30                 # default assessment date (else the facts' as_of)
    base: {enterprise: {...}}         # facts shared by the cases; each case deep-merges its own
    cases:
      - name: cap binds at 300万
        facts: {projects: [...]}      # mappings merge into base; lists replace
        as_of: 2020-06-30             # optional
        measure: minhang-2018.demo    # optional, for this case's expectations
        interpret: {"minhang-2018.demo:fields-list": default}   # optional officer choices
        total: [230万, 450万]         # optional: the total of this policy's measures, enterprise caps applied
        total_over: library           # optional: the total of every policy, or a list of policy ids
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from pydantic import ValidationError

from huiqi.diagnostics import (
    Diagnostic,
    InputError,
    Path,
    SourceDoc,
    field_name,
    from_validation_error,
)
from huiqi.engine.result import Status
from huiqi.facts.models import Facts
from huiqi.money import Interval, MoneyError, parse_amount
from huiqi.rules.library import Library

FILE_KEYS = ("measure", "as_of", "base", "cases")
CASE_KEYS = ("name", "measure", "as_of", "facts", "interpret", "total", "total_over", "expect")
EXPECT_KEYS = ("status", "measure", "subject", "amount", "by_year", "tranches", "superseded_by", "reason_contains")
LIBRARY = "library"
"""`total_over: library`: the total covers every policy the cases run against."""


@dataclass(frozen=True)
class Expectation:
    measure: str
    status: Status
    line: int | None
    subject: str | None = None
    amount: Interval | None = None
    by_year: Mapping[int, Interval] | None = None
    tranches: tuple[Interval, ...] | None = None
    superseded_by: str | None = None
    reason_contains: str | None = None


@dataclass(frozen=True)
class Case:
    file: str
    line: int | None
    policy: str
    """The policy whose tests/ folder holds the file."""
    name: str
    as_of: date
    facts: Facts
    expect: tuple[Expectation, ...]
    measure: str | None = None
    interpret: Mapping[str, str] = field(default_factory=dict)
    total: Interval | None = None
    total_line: int | None = None
    total_over: tuple[str, ...] | None = None
    """The policies `total` covers; None: every policy in the library."""

    @property
    def id(self) -> str:
        """`<policy folder>/<file>: <name>`, e.g. `minhang-2018/demo: policy expired` (pytest's ids, -k's text)."""
        path = PurePath(self.file)
        return f"{path.parent.parent.name}/{path.stem}: {self.name}"

    @property
    def measures(self) -> set[str]:
        """The measures the case talks about."""
        return {e.measure for e in self.expect} | ({self.measure} if self.measure else set())


def merge(base: Any, over: Any) -> Any:
    """`over` deep-merged into `base`: mappings merge, anything else (lists too) replaces."""
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(over)


def parse_cases(doc: SourceDoc, library: Library, policy: str) -> list[Case]:
    """The cases of one file of `policy`'s tests; InputError with every problem of the file."""
    reader = _Reader(doc, library, policy)
    cases = reader.cases()
    if reader.problems:
        raise InputError(reader.problems)
    return cases


class _Reader:
    def __init__(self, doc: SourceDoc, library: Library, policy: str):
        self.doc = doc
        self.library = library
        self.policy = policy
        self.measure_ids = {ref.measure.id for ref in library.measures()}
        self.policy_ids = {p.id for p in library.policies}
        self.problems: list[Diagnostic] = []

    def problem(self, path: Path, en: str, zh: str) -> None:
        found = Diagnostic(self.doc.file, self.doc.line_of(path), en, field_name(path), zh=zh)
        if found not in self.problems:
            self.problems.append(found)

    def keys(self, data: Mapping[Any, Any], allowed: tuple[str, ...], path: Path) -> None:
        for key in data:
            if key not in allowed:
                self.problem(
                    (*path, str(key)),
                    f"unknown key {key!r} (allowed here: {', '.join(allowed)})",
                    f"未知的键 {key!r}（此处可用：{'、'.join(allowed)}）",
                )

    def measure(self, raw: Any, path: Path) -> str | None:
        if raw is None:
            return None
        if not isinstance(raw, str) or raw not in self.measure_ids:
            self.problem(
                path,
                f"no measure {raw!r} in the policy library (see `huiqi policies list`)",
                f"政策库中没有措施 {raw!r}（见 huiqi policies list）",
            )
        return str(raw)

    def day(self, raw: Any, path: Path) -> date | None:
        if isinstance(raw, datetime):
            return raw.date()
        if raw is None or isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            self.problem(path, f"{raw!r} is not a date; write YYYY-MM-DD", f"{raw!r} 不是日期，请写成 YYYY-MM-DD")
            return None

    def interval(self, raw: Any, path: Path) -> Interval | None:
        try:
            if isinstance(raw, list):
                if len(raw) != 2:
                    raise MoneyError(
                        "金额区间应写成 [最低, 最高]，或写一个金额", "write a range as [min, max], or one amount"
                    )
                lo, hi = parse_amount(raw[0]), parse_amount(raw[1])
                if lo > hi:
                    raise MoneyError(
                        f"区间的最低 {lo} 大于最高 {hi}", f"the range's minimum {lo} is above its maximum {hi}"
                    )
                return Interval(lo, hi)
            value = parse_amount(raw)
        except MoneyError as error:
            self.problem(path, error.en, error.zh)
            return None
        return Interval(value, value)

    def cases(self) -> list[Case]:
        data = self.doc.data
        if not isinstance(data, dict):
            self.problem((), "a case file must be a mapping with a 'cases' list", "用例文件应为含 cases 列表的映射")
            return []
        self.keys(data, FILE_KEYS, ())
        measure = self.measure(data.get("measure"), ("measure",))
        as_of = self.day(data.get("as_of"), ("as_of",))
        base = data.get("base", {})
        if not isinstance(base, dict):
            self.problem(("base",), "base must be a mapping of facts", "base 应为事实的映射")
            base = {}
        raw_cases = data.get("cases")
        if not isinstance(raw_cases, list) or not raw_cases:
            self.problem(
                ("cases",), "give the cases as a non-empty list under 'cases'", "请在 cases 下列出用例（非空列表）"
            )
            return []
        found = []
        for index, raw in enumerate(raw_cases):
            case = self.case(raw, ("cases", index), base, measure, as_of)
            if case is not None:
                found.append(case)
        return found

    def case(self, raw: Any, path: Path, base: dict[str, Any], measure: str | None, as_of: date | None) -> Case | None:
        if not isinstance(raw, dict):
            self.problem(path, "a case must be a mapping with name and expect", "用例应为含 name 与 expect 的映射")
            return None
        before = len(self.problems)
        self.keys(raw, CASE_KEYS, path)
        name = raw.get("name")
        if not isinstance(name, str | int) or not str(name).strip():
            self.problem((*path, "name"), "a case needs a name", "用例需要名称（name）")
        if "measure" in raw:
            measure = self.measure(raw["measure"], (*path, "measure"))
        facts = self.facts(base, raw.get("facts", {}), path)
        day = self.day(raw["as_of"], (*path, "as_of")) if "as_of" in raw else as_of
        if day is None and facts is not None:
            day = facts.as_of
        if day is None and "as_of" not in raw:
            self.problem(
                path, "no assessment date: give as_of in the file or the case", "缺少评估日期：请在文件或用例中写 as_of"
            )
        interpret = self.interpret(raw.get("interpret"), (*path, "interpret"))
        total = self.interval(raw["total"], (*path, "total")) if "total" in raw else None
        over = self.total_over(raw, path)
        expect = self.expectations(raw.get("expect"), (*path, "expect"), measure)
        if len(self.problems) > before or facts is None or day is None:
            return None
        return Case(
            file=self.doc.file,
            line=self.doc.line_of(path),
            policy=self.policy,
            name=str(name),
            as_of=day,
            facts=facts,
            expect=tuple(expect),
            measure=measure,
            interpret=interpret,
            total=total,
            total_line=self.doc.line_of((*path, "total")),
            total_over=over,
        )

    def total_over(self, raw: dict[str, Any], path: Path) -> tuple[str, ...] | None:
        value = raw.get("total_over", "policy")
        where = (*path, "total_over")
        if "total_over" in raw and "total" not in raw:
            self.problem(where, "total_over without total", "写了 total_over 却没有 total")
        if value == "policy":
            return (self.policy,)
        if value == LIBRARY:
            return None
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            unknown = [v for v in value if v not in self.policy_ids]
            for item in unknown:
                self.problem(where, f"no policy {item!r} in the library", f"政策库中没有政策 {item!r}")
            return tuple(value)
        self.problem(
            where,
            "total_over takes 'library', 'policy' or a list of policy ids",
            "total_over 可写 library、policy 或政策编号的列表",
        )
        return None

    def interpret(self, raw: Any, path: Path) -> dict[str, str]:
        if raw is None:
            return {}
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            self.problem(
                path,
                'interpret is a mapping {"<measure or policy id>:<interpretation id>": <alternative>}',
                'interpret 应为映射 {"<措施或政策编号>:<解释编号>": <备选解读>}',
            )
            return {}
        choices = {str(k): v for k, v in raw.items()}
        try:
            self.library.with_choices(choices)
        except InputError as error:
            for item in error.diagnostics:
                self.problem(path, item.message, item.zh or f"解释选择无效：{item.message}")
            return {}
        return choices

    def facts(self, base: dict[str, Any], own: Any, path: Path) -> Facts | None:
        if not isinstance(own, dict):
            self.problem((*path, "facts"), "facts must be a mapping", "facts 应为映射")
            return None
        merged = merge(base, own)
        located = SourceDoc(self.doc.file, merged, _MergedLines(self.doc, path))
        try:
            facts = Facts.model_validate(merged)
        except ValidationError as error:
            for item in from_validation_error(error, located):
                where = _field_path(item.field)
                own_line = _deepest(self.doc, (*path, "facts"), where)
                base_line = _deepest(self.doc, ("base",), where)
                prefix = f"{field_name(path)}.facts" if own_line[0] >= base_line[0] else "base"
                found = Diagnostic(item.file, item.line, item.message, f"{prefix}.{item.field}".rstrip("."), zh=item.zh)
                if found not in self.problems:
                    self.problems.append(found)
            return None
        for index, award in enumerate(facts.prior_awards):
            self.measure(award.measure, (*path, "facts", "prior_awards", index, "measure"))
        return facts

    def expectations(self, raw: Any, path: Path, measure: str | None) -> list[Expectation]:
        if not isinstance(raw, list) or not raw:
            self.problem(
                path, "a case needs expect: a non-empty list of results", "用例需要 expect：预期结果的非空列表"
            )
            return []
        found = []
        for index, item in enumerate(raw):
            expectation = self.expectation(item, (*path, index), measure)
            if expectation is not None:
                found.append(expectation)
        return found

    def expectation(self, raw: Any, path: Path, measure: str | None) -> Expectation | None:
        if not isinstance(raw, dict):
            self.problem(path, "an expectation is a mapping with at least status", "预期结果应为至少含 status 的映射")
            return None
        before = len(self.problems)
        self.keys(raw, EXPECT_KEYS, path)
        if "measure" in raw:
            measure = self.measure(raw["measure"], (*path, "measure"))
        elif measure is None:
            self.problem(
                path,
                "which measure? give measure: in the file, the case or the expectation",
                "未指明措施：请在文件、用例或预期结果中写 measure",
            )
        status = raw.get("status")
        if status not in {s.value for s in Status}:
            statuses = ", ".join(s.value for s in Status)
            self.problem((*path, "status"), f"status must be one of {statuses}", f"status 应为以下之一：{statuses}")
        by_year = None
        if "by_year" in raw:
            by_year = self.by_year(raw["by_year"], (*path, "by_year"))
        tranches = None
        if "tranches" in raw:
            if isinstance(raw["tranches"], list):
                tranches = tuple(self.interval(t, (*path, "tranches", i)) for i, t in enumerate(raw["tranches"]))
            else:
                self.problem((*path, "tranches"), "tranches is a list of amounts", "tranches 应为金额列表")
        reason = raw.get("reason_contains")
        if reason is not None and not isinstance(reason, str):
            self.problem((*path, "reason_contains"), "reason_contains is text", "reason_contains 应为文字")
        amount = self.interval(raw["amount"], (*path, "amount")) if "amount" in raw else None
        superseded_by = self.measure(raw.get("superseded_by"), (*path, "superseded_by"))
        if len(self.problems) > before or measure is None:
            return None
        return Expectation(
            measure=measure,
            status=Status(str(status)),
            line=self.doc.line_of(path),
            subject=str(raw["subject"]) if "subject" in raw else None,
            amount=amount,
            by_year=by_year,
            tranches=tuple(t for t in tranches if t is not None) if tranches is not None else None,
            superseded_by=superseded_by,
            reason_contains=reason,
        )

    def by_year(self, raw: Any, path: Path) -> dict[int, Interval] | None:
        if not isinstance(raw, dict):
            self.problem(path, "by_year maps years to amounts: {2020: [50万, 150万]}", "by_year 应为年度到金额的映射")
            return None
        found = {}
        for year, value in raw.items():
            if not str(year).isdigit():
                self.problem((*path, str(year)), f"{year!r} is not a year", f"{year!r} 不是年份")
                continue
            amount = self.interval(value, (*path, year))
            if amount is not None:
                found[int(year)] = amount
        return found


def _field_path(name: str) -> Path:
    parts = [p for p in name.replace("[", ".").replace("]", "").split(".") if p]
    return tuple(int(p) if p.isdigit() else p for p in parts)


def _deepest(doc: SourceDoc, prefix: Path, path: Path) -> tuple[int, int | None]:
    """How deep into `path` the document has keys under `prefix`, and that key's line."""
    for depth in range(len(path), -1, -1):
        line = doc.lines.get((*prefix, *path[:depth]))
        if line is not None:
            return depth, line
    return -1, None


class _MergedLines(Mapping[Path, int]):
    """Lines of the merged facts: where the case's own facts give a key, its line; else base's;
    the case's for the facts as a whole. Only looked up (SourceDoc.line_of), never listed."""

    def __init__(self, doc: SourceDoc, case: Path):
        self.doc = doc
        self.case = case

    def __getitem__(self, path: Path) -> int:
        own = _deepest(self.doc, (*self.case, "facts"), path)
        base = _deepest(self.doc, ("base",), path)
        if not path:
            line = self.doc.lines.get(self.case)
            if line is not None:
                return line
        if own[0] == len(path) and own[1] is not None:
            return own[1]
        if base[0] == len(path) and base[1] is not None:
            return base[1]
        raise KeyError(path)

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0
