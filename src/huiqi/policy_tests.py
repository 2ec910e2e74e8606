"""Running policy test cases (huiqi.rules.cases): each case gives data — passed, or every
mismatch with what was expected and what came out, said in Chinese and English. No exceptions
for a failing case, so a command, pytest and a web page can all report them.

A case's `total` is the total of the measures of the policy the case belongs to (the policy
assessed on its own, enterprise-wide caps applied once, as `Assessment.total` does), so adding a
policy to the library changes no other policy's totals; `total_over: library` takes every policy
of the library, a list of policy ids those policies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from huiqi.engine.interpret import evaluate
from huiqi.engine.result import STATUS_ZH, Assessment, MeasureResult, Status
from huiqi.money import Interval, format_wan, format_yuan
from huiqi.rules.cases import Case, Expectation
from huiqi.rules.library import Library, chosen


@dataclass(frozen=True)
class Mismatch:
    """One expectation not met, with the line of the case file that states it."""

    what: str  # status | amount | by_year | tranches | superseded_by | reason | result | total
    expected: str
    got: str
    zh: str
    en: str
    line: int | None = None
    measure: str | None = None
    subject: str | None = None
    why_zh: tuple[str, ...] = ()
    why_en: tuple[str, ...] = ()
    """The result's reasons and computation, to see where the figures came from."""

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def why(self, lang: str) -> tuple[str, ...]:
        return self.why_zh if lang == "zh" else self.why_en


@dataclass(frozen=True)
class Outcome:
    case: Case
    mismatches: tuple[Mismatch, ...]

    @property
    def passed(self) -> bool:
        return not self.mismatches


def selected(cases: Iterable[Case], keyword: str | None) -> list[Case]:
    """The cases whose id (`policy/file: name`) contains keyword, ignoring case."""
    if not keyword:
        return list(cases)
    wanted = keyword.casefold()
    return [case for case in cases if wanted in case.id.casefold()]


def run_cases(cases: Iterable[Case], library: Library) -> list[Outcome]:
    return [run_case(case, library) for case in cases]


def run_case(case: Case, library: Library) -> Outcome:
    library = chosen(library, case.interpret)
    assessment = evaluate(case.facts, library, case.as_of)
    found: list[Mismatch] = []
    for expected in case.expect:
        found += _expectation(expected, assessment)
    if case.total is not None:
        found += _total(case, library, assessment, case.total)
    return Outcome(case, tuple(found))


def total_library(library: Library, over: Sequence[str] | None) -> Library:
    """The policies a total covers, with those their non-duplication groups name (without them
    the group cannot be resolved); the whole library for None."""
    if over is None:
        return library
    wanted = set(over)
    while True:
        named = {
            library.measure(member).policy.id
            for doc in library.docs
            if doc.policy.id in wanted
            for group in doc.policy.non_duplication
            for member in group.measures
        }
        if named <= wanted:
            break
        wanted |= named
    if wanted >= {p.id for p in library.policies}:
        return library
    return Library.of(doc for doc in library.docs if doc.policy.id in wanted)


def _total(case: Case, library: Library, assessment: Assessment, expected: Interval) -> list[Mismatch]:
    scoped = total_library(library, case.total_over)
    got = (assessment if scoped is library else evaluate(case.facts, scoped, case.as_of, explain=False)).total
    if got == expected:
        return []
    over = [p.id for p in scoped.policies]
    zh_over = "政策库全部政策" if case.total_over is None else "、".join(over) + " 的措施"
    en_over = "every policy in the library" if case.total_over is None else "the measures of " + ", ".join(over)
    return [
        Mismatch(
            "total",
            _plain(expected),
            _plain(got),
            f"合计（{zh_over}）：预期 {_zh(expected)}，实际 {_zh(got)}",
            f"total ({en_over}): expected {_en(expected)}, got {_en(got)}",
            case.total_line,
        )
    ]


def _expectation(expected: Expectation, assessment: Assessment) -> list[Mismatch]:
    candidates = [r for r in assessment.results if r.measure == expected.measure]
    if expected.subject is not None:
        candidates = [r for r in candidates if r.subject is not None and r.subject.id == expected.subject]
    if len(candidates) != 1:
        who = f"{expected.measure} {expected.subject}" if expected.subject else expected.measure
        subjects = ", ".join(r.subject.id for r in candidates if r.subject is not None)
        among_zh = f"（{subjects}）" if subjects else ""
        among_en = f" ({subjects})" if subjects else ""
        hint_zh = "；请用 subject 指明对象" if len(candidates) > 1 else ""
        hint_en = "; name one with subject:" if len(candidates) > 1 else ""
        return [
            Mismatch(
                "result",
                "1",
                str(len(candidates)),
                f"{who}：预期恰有 1 个结果，实际 {len(candidates)} 个{among_zh}{hint_zh}",
                f"{who}: expected exactly one result, found {len(candidates)}{among_en}{hint_en}",
                expected.line,
                expected.measure,
                expected.subject,
            )
        ]
    return _compare(expected, candidates[0])


def _compare(expected: Expectation, result: MeasureResult) -> list[Mismatch]:
    found: list[Mismatch] = []
    subject = result.subject.id if result.subject is not None else None
    who = f"{result.measure} {subject}" if subject else result.measure
    why_zh = (*(r.zh for r in result.reasons), *(f"{s.text('zh')} {s.details('zh')}".rstrip() for s in result.trace))
    why_en = (*(r.en for r in result.reasons), *(f"{s.text('en')} {s.details('en')}".rstrip() for s in result.trace))

    def add(what: str, want: str, got: str, zh: str, en: str) -> None:
        found.append(Mismatch(what, want, got, f"{who} {zh}", f"{who} {en}", expected.line, result.measure, subject))

    if result.status is not expected.status:
        add(
            "status",
            expected.status.value,
            result.status.value,
            f"状态：预期 {_status_zh(expected.status)}，实际 {_status_zh(result.status)}",
            f"status: expected {expected.status.value}, got {result.status.value}",
        )
    if expected.amount is not None and result.amount != expected.amount:
        got = result.amount
        add(
            "amount",
            _plain(expected.amount),
            _plain(got),
            f"金额：预期 {_zh(expected.amount)}，实际 {_zh(got)}",
            f"amount: expected {_en(expected.amount)}, got {_en(got)}",
        )
    if expected.by_year is not None and dict(result.by_year) != dict(expected.by_year):
        want_years, got_years = dict(expected.by_year), dict(result.by_year)
        add(
            "by_year",
            _years(want_years, _plain),
            _years(got_years, _plain),
            f"分年度：预期 {_years(want_years, _zh)}，实际 {_years(got_years, _zh)}",
            f"by year: expected {_years(want_years, _en)}, got {_years(got_years, _en)}",
        )
    got_tranches = [t.amount for t in result.tranches]
    if expected.tranches is not None and got_tranches != list(expected.tranches):
        add(
            "tranches",
            _list(expected.tranches, _plain),
            _list(got_tranches, _plain),
            f"拨付：预期 {_list(expected.tranches, _zh)}，实际 {_list(got_tranches, _zh)}",
            f"tranches: expected {_list(expected.tranches, _en)}, got {_list(got_tranches, _en)}",
        )
    if expected.superseded_by is not None and result.superseded_by != expected.superseded_by:
        got_by = result.superseded_by or "—"
        add(
            "superseded_by",
            expected.superseded_by,
            got_by,
            f"被取代于：预期 {expected.superseded_by}，实际 {got_by}",
            f"superseded by: expected {expected.superseded_by}, got {got_by}",
        )
    if expected.reason_contains is not None:
        reasons_zh = "；".join(r.zh for r in result.reasons) or "（无）"
        reasons_en = "; ".join(r.en for r in result.reasons) or "(none)"
        if not any(expected.reason_contains in f"{r.zh}\n{r.en}" for r in result.reasons):
            add(
                "reason",
                expected.reason_contains,
                f"{reasons_zh}\n{reasons_en}",
                f"原因应含“{expected.reason_contains}”，实际原因：{reasons_zh}",
                f"reasons should contain {expected.reason_contains!r}; they are: {reasons_en}",
            )
    return [replace(m, why_zh=why_zh, why_en=why_en) for m in found]


def _status_zh(status: Status) -> str:
    return f"{STATUS_ZH[status]}（{status.value}）"


def _plain(amount: Interval | None) -> str:
    """Machine-readable: '500000.00' or '[500000.00, 1500000.00]'; '—' for no amount."""
    if amount is None:
        return "—"
    return f"{amount.lo:.2f}" if amount.is_exact else f"[{amount.lo:.2f}, {amount.hi:.2f}]"


def _en(amount: Interval | None) -> str:
    return "—" if amount is None else amount.describe()


def _zh(amount: Interval | None) -> str:
    if amount is None:
        return "无金额"
    if amount.is_exact:
        return f"{format_wan(amount.lo)}（{format_yuan(amount.lo)}）"
    return f"[{format_wan(amount.lo)}, {format_wan(amount.hi)}]（{amount.describe()}）"


def _years(years: dict[int, Interval], say: Callable[[Interval | None], str]) -> str:
    return "{" + ", ".join(f"{year}: {say(years[year])}" for year in sorted(years)) + "}"


def _list(amounts: Sequence[Interval], say: Callable[[Interval | None], str]) -> str:
    return "[" + ", ".join(say(a) for a in amounts) + "]"
