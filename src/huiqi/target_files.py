"""Reading plan targets from files (targets/<jurisdiction>/<plan>/plan.yaml and its source.txt): the
I/O edge of huiqi.monitor.targets. Every problem of every plan is reported at once."""

from __future__ import annotations

from pathlib import Path

from huiqi.diagnostics import Diagnostic, InputError, parse_source
from huiqi.monitor.call_list import parse_call_list
from huiqi.monitor.calls import Call
from huiqi.monitor.progress import Thresholds
from huiqi.monitor.targets import Plan, parse_plan
from huiqi.policy_files import bundled_root, read_text

PLAN_FILE = "plan.yaml"
STATUS_FILE = "status.yaml"


def default_targets() -> Path:
    return bundled_root("targets")


def load_plans(root: Path | None = None) -> list[Plan]:
    folder = root or default_targets()
    if not folder.is_dir():
        raise InputError([Diagnostic(str(folder), None, "no such targets folder", zh="找不到目标文件夹")])
    plans: list[Plan] = []
    problems: list[Diagnostic] = []
    for path in sorted(folder.rglob(PLAN_FILE)):
        source = path.parent / "source.txt"
        try:
            plans.append(parse_plan(read_text(path), str(path), read_text(source), str(source)))
        except InputError as error:
            problems += error.diagnostics
    ids = [p.id for p in plans]
    for plan in plans:
        if ids.count(plan.id) > 1:
            problems.append(Diagnostic(plan.file, None, f"plan id {plan.id!r} is used twice", zh="规划编号重复"))
    if problems:
        raise InputError(problems)
    return plans


def load_thresholds(root: Path | None = None) -> Thresholds:
    path = (root or default_targets()) / STATUS_FILE
    if not path.exists():
        return Thresholds()
    doc = parse_source(read_text(path), str(path))
    years = doc.data.get("at_risk_years") if isinstance(doc.data, dict) else None
    if not isinstance(years, int) or isinstance(years, bool) or years < 0:
        line = doc.line_of(("at_risk_years",)) if isinstance(doc.data, dict) and "at_risk_years" in doc.data else 1
        raise InputError(
            [
                Diagnostic(
                    str(path),
                    line,
                    "at_risk_years must be a whole number of years, 0 or more",
                    "at_risk_years",
                    zh="at_risk_years 应为非负整数(年)",
                )
            ]
        )
    return Thresholds(at_risk_years=years)


CALLS_FILE = "scenario-calls.yaml"


def load_call_lists(root: Path | None = None) -> list[Call]:
    """Every plan folder's list of scenario calls (drafts), checked; all problems at once."""
    folder = root or default_targets()
    calls: list[Call] = []
    problems: list[Diagnostic] = []
    for path in sorted(folder.rglob(CALLS_FILE)):
        try:
            calls += parse_call_list(read_text(path), str(path), read_text(path.parent / "source.txt"))
        except InputError as error:
            problems += error.diagnostics
    if problems:
        raise InputError(problems)
    return calls
