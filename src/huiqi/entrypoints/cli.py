"""The command line: a thin adapter over the same service functions the API will call.

Exit codes: 0 ok; 2 bad input (message on stderr, never a traceback).
"""

from __future__ import annotations

import json
import signal
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from huiqi.case_files import load_suite
from huiqi.diagnostics import Diagnostic, InputError
from huiqi.engine.interpret import evaluate
from huiqi.entrypoints import batch_cli, ledger_cli, render, simulate_cli
from huiqi.entrypoints.monitor_cli import monitor_app
from huiqi.facts.models import Facts
from huiqi.gcpause import paused_gc
from huiqi.policy_files import default_policies, load_facts, load_library
from huiqi.policy_tests import Outcome, run_cases, selected
from huiqi.report import assessment_dict, stable_json
from huiqi.rules.library import Library

app = typer.Typer(
    name="huiqi",
    help="huiqi (惠企): industrial-subsidy policies as explainable rules.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
policies_app = typer.Typer(help="List, show, check and test the policy library.", no_args_is_help=True)
app.add_typer(policies_app, name="policies")
app.add_typer(monitor_app, name="monitor")
ledger_cli.register(app)

# Piped output (files, CI logs) is not 80 columns wide by nature; keep tables readable there.
# No emoji codes: ':100:' in a name or a file:line must print as written.
out = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 150, emoji=False)
err = Console(stderr=True, emoji=False)


class Lang(StrEnum):
    zh = "zh"
    en = "en"


PoliciesOption = Annotated[
    Path | None, typer.Option("--policies", help="Policy folder (default: the bundled library).")
]


def fail(diagnostics: list[Diagnostic]) -> NoReturn:
    for diagnostic in diagnostics:
        err.print(f"[red]error[/red] {escape(str(diagnostic))}", highlight=False, soft_wrap=True)
        if diagnostic.zh:  # the same in Chinese, where it is known
            err.print(f"      {escape(diagnostic.zh)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _parse_choices(items: list[str]) -> dict[str, str]:
    choices = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or ":" not in key:
            fail([Diagnostic("--interpret", None, f"{item!r}: write <measure id>:<interpretation id>=<alternative>")])
        choices[key.strip()] = value.strip()
    return choices


def _library(policies: Path | None, choices: dict[str, str] | None = None) -> Library:
    library = load_library(policies)
    return library.with_choices(choices) if choices else library


@app.command()
def calc(
    facts_file: Annotated[Path, typer.Argument(metavar="FACTS", help="Facts of one enterprise (YAML or JSON).")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Assessment date YYYY-MM-DD (default: the facts' as_of, else today).")
    ] = None,
    policies: PoliciesOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Stable JSON instead of the readable report.")] = False,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of titles and explanations.")] = Lang.zh,
    brief: Annotated[bool, typer.Option("--brief", help="The table only, without explanations.")] = False,
    interpret: Annotated[
        list[str] | None,
        typer.Option("--interpret", help="Choose an alternative reading: MEASURE:INTERPRETATION=ALTERNATIVE."),
    ] = None,
) -> None:
    """Every measure the enterprise is entitled to, how much, when paid, and why."""
    with paused_gc():  # one long-lived graph, built once: collecting it as it grows costs more than the work
        try:
            library = _library(policies, _parse_choices(interpret or []))
            facts = load_facts(facts_file, library)
            day = _as_of(as_of, facts)
            assessment = evaluate(facts, library, day)
        except InputError as error:
            fail(error.diagnostics)
        if as_json:
            write_bytes(stable_json(assessment_dict(assessment, lang.value)))
            return
        render.assessment(out, assessment, lang.value, brief=brief)


def write_bytes(data: bytes) -> None:
    """UTF-8 bytes to stdout as they are (a long report is not decoded only to be encoded again)."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (some test runners)
        sys.stdout.write(data.decode())
        return
    sys.stdout.flush()
    buffer.write(data)
    buffer.flush()


def _as_of(raw: str | None, facts: Facts) -> date:
    if raw is None:
        return facts.as_of or date.today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        fail([Diagnostic("--as-of", None, f"{raw!r} is not a date; write YYYY-MM-DD")])


@app.command()
def schema(
    as_table: Annotated[
        bool, typer.Option("--table", help="A readable table of fields instead of JSON Schema.")
    ] = False,
) -> None:
    """The JSON Schema of the facts, with each field's Chinese term and unit."""
    document = Facts.model_json_schema()
    if as_table:
        render.schema_table(out, document)
        return
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


@policies_app.command("list")
def policies_list(policies: PoliciesOption = None, lang: Annotated[Lang, typer.Option("--lang")] = Lang.zh) -> None:
    """Every policy and its measures."""
    try:
        library = _library(policies)
    except InputError as error:
        fail(error.diagnostics)
    render.policy_list(out, library, lang.value)


@policies_app.command("show")
def policies_show(
    item: Annotated[str, typer.Argument(metavar="ID", help="A policy id or a measure id.")],
    policies: PoliciesOption = None,
    lang: Annotated[Lang, typer.Option("--lang")] = Lang.zh,
) -> None:
    """One policy or one measure: quote, conditions, benefits, caps, interpretations."""
    try:
        library = _library(policies)
    except InputError as error:
        fail(error.diagnostics)
    known = {p.id for p in library.policies} | {ref.measure.id for ref in library.measures()}
    if item not in known:
        fail([Diagnostic(item, None, "no policy or measure with this id; see `huiqi policies list`")])
    render.policy_or_measure(out, library, item, lang.value)


@policies_app.command("check")
def policies_check(
    folder: Annotated[Path | None, typer.Argument(metavar="[DIR]", help="Policy folder or file.")] = None,
) -> None:
    """Validate policy files; every problem is printed as file:line [rule] message."""
    try:
        library = load_library(folder)
    except InputError as error:
        fail(error.diagnostics)
    count = sum(len(p.measures) for p in library.policies)
    where = folder or default_policies()
    policies = len(library.policies)
    words = f"{policies} {'policy' if policies == 1 else 'policies'}, {count} {'measure' if count == 1 else 'measures'}"
    out.print(f"ok: {words} in {where} (检查通过: {policies} 项政策, {count} 项措施)", highlight=False)


@policies_app.command("test")
def policies_test(
    target: Annotated[
        Path | None,
        typer.Argument(
            metavar="[DIR]",
            help="A policy folder, its tests folder, one case file or a library folder (default: the bundled library).",
        ),
    ] = None,
    policies: Annotated[
        Path | None,
        typer.Option(
            "--policies",
            help="Run against this library too (default: the library holding DIR, else DIR's own policies).",
        ),
    ] = None,
    keyword: Annotated[
        str | None, typer.Option("-k", help="Only the cases whose 'policy/file: name' contains this text.")
    ] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the report.")] = Lang.zh,
    as_json: Annotated[bool, typer.Option("--json", help="Stable JSON instead of the readable report.")] = False,
) -> None:
    """Run a policy folder's test cases (tests/*.yaml): exit 0 all pass, 1 a case fails, 2 bad input."""
    try:
        suite = load_suite(target, policies)
    except InputError as error:
        fail(error.diagnostics)
    cases = selected(suite.cases, keyword)
    if not cases:
        fail([Diagnostic("-k", None, f"no case matches {keyword!r}", zh=f"没有用例匹配 {keyword!r}")])
    outcomes = run_cases(cases, suite.library)
    if as_json:
        write_bytes(stable_json(_outcomes_dict(suite.against, suite.library, outcomes)))
    else:
        _print_outcomes(suite.against, suite.library, outcomes, lang.value)
    if not all(o.passed for o in outcomes):
        raise typer.Exit(1)


def _tally(outcomes: list[Outcome]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for outcome in outcomes:
        count = counts.setdefault(outcome.case.policy, {"passed": 0, "failed": 0})
        count["passed" if outcome.passed else "failed"] += 1
    return counts


def _print_outcomes(against: tuple[Path, ...], library: Library, outcomes: list[Outcome], lang: str) -> None:
    zh = lang == "zh"
    ids = ("、" if zh else ", ").join(p.id for p in library.policies)
    folders = ", ".join(str(p) for p in against)
    n = len(library.policies)
    head = (
        f"用例所依政策：{folders}（{n} 项政策：{ids}）"
        if zh
        else f"Run against: {folders} ({n} {'policy' if n == 1 else 'policies'}: {ids})"
    )
    out.print(escape(head), highlight=False, style="dim")
    policy = None
    for outcome in outcomes:
        case = outcome.case
        if case.policy != policy:
            policy = case.policy
            out.print(f"[bold]{escape(policy)}[/bold]", highlight=False)
        mark = "[green]✓[/green]" if outcome.passed else "[red]✗[/red]"
        out.print(f"  {mark} {escape(Path(case.file).stem)}: {escape(case.name)}", highlight=False)
        shown: tuple[str, ...] = ()
        for mismatch in outcome.mismatches:
            where = f"{case.file}:{mismatch.line}" if mismatch.line else case.file
            out.print(f"      [red]{escape(mismatch.text(lang))}[/red]", highlight=False)
            out.print(f"        {escape(where)}", highlight=False, style="dim")
            why = mismatch.why(lang)
            if why and why != shown:
                label = "原因与计算过程：" if zh else "reasons and computation:"
                out.print(f"        {label}", highlight=False, style="dim")
                for line in why:
                    out.print(f"          {escape(line)}", highlight=False, style="dim")
                shown = why
    counts = _tally(outcomes)
    passed = sum(c["passed"] for c in counts.values())
    failed = sum(c["failed"] for c in counts.values())
    if zh:
        each = "；".join(
            f"{p}：{c['passed']} 项通过" + (f"，{c['failed']} 项失败" if c["failed"] else "") for p, c in counts.items()
        )
        line = f"合计：{passed} 项通过，{failed} 项失败（{each}）"
    else:
        each = "; ".join(
            f"{p}: {c['passed']} passed" + (f", {c['failed']} failed" if c["failed"] else "") for p, c in counts.items()
        )
        line = f"Summary: {passed} passed, {failed} failed ({each})"
    out.print(f"[{'red' if failed else 'green'}]{escape(line)}[/]", highlight=False)


def _outcomes_dict(against: tuple[Path, ...], library: Library, outcomes: list[Outcome]) -> dict[str, object]:
    counts = _tally(outcomes)
    return {
        "against": [str(p) for p in against],
        "policies": [p.id for p in library.policies],
        "cases": [
            {
                "id": o.case.id,
                "policy": o.case.policy,
                "file": o.case.file,
                "line": o.case.line,
                "name": o.case.name,
                "passed": o.passed,
                "mismatches": [
                    {
                        "what": m.what,
                        "measure": m.measure,
                        "subject": m.subject,
                        "expected": m.expected,
                        "got": m.got,
                        "line": m.line,
                        "zh": m.zh,
                        "en": m.en,
                    }
                    for m in o.mismatches
                ],
            }
            for o in outcomes
        ],
        "summary": {
            "passed": sum(c["passed"] for c in counts.values()),
            "failed": sum(c["failed"] for c in counts.values()),
            "by_policy": counts,
        },
    }


batch_cli.register(app)
simulate_cli.register(app)


def main() -> None:
    # Piped into `head`: stop quietly when the reader goes away.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    app()
