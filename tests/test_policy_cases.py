"""Every YAML case beside the policies, run through huiqi.policy_tests (the format: huiqi.rules.cases,
docs/rule-language.md §14), and `huiqi policies test`, the command analysts run them with."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from huiqi.case_files import load_suite
from huiqi.diagnostics import InputError, parse_source
from huiqi.policy_tests import run_case
from huiqi.rules.cases import Case, parse_cases
from huiqi.rules.library import Library

ROOT = Path(__file__).resolve().parents[1]
LINGANG = ROOT / "policies" / "shanghai" / "lingang-2024"
HUIQI = shutil.which("huiqi") or str(Path(sys.executable).parent / "huiqi")
SUITE = load_suite()
CASES = SUITE.cases


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_policy_case(case: Case) -> None:
    outcome = run_case(case, SUITE.library)
    assert outcome.passed, "\n".join(
        f"{case.file}:{m.line}: {m.en}\n  " + "\n  ".join(m.why_en) for m in outcome.mismatches
    )


def test_every_measure_has_cases(library: Library) -> None:
    covered = {measure for case in CASES for measure in case.measures}
    missing = [ref.measure.id for ref in library.measures() if ref.measure.id not in covered]
    assert not missing, f"measures without YAML cases: {missing}"


def huiqi(*args: str, code: int, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([HUIQI, *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    assert done.returncode == code, done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    return done


TESTING = """\
measure: lingang-2024.testing
as_of: 2025-06-30
base:
  enterprise:
    name: 临港测评科技有限公司
    credit_code: 91310115MA1K4LG0X7
    business_district: lingang
    tax_district: lingang
    severe_credit_record: false
  projects:
    - {id: T1, name: 测试一, kind: testing, year: 2025, costs: {testing_fee: 300万}}
    - {id: T2, name: 测试二, kind: testing, year: 2025, costs: {testing_fee: 500万}}
cases:
  - name: two projects share the annual cap
    expect:
      - {status: eligible, subject: T1, amount: [30万, 90万]}
      - {status: eligible, subject: T2, amount: [50万, 150万]}
    total: [80万, 200万]
"""


def policy_folder(parent: Path, cases: str, name: str = "lingang-2024") -> Path:
    """A copy of lingang-2024 (rules and source text) with one case file of its own."""
    folder = parent / name
    (folder / "tests").mkdir(parents=True)
    for file in ("policy.yaml", "source.txt"):
        shutil.copy(LINGANG / file, folder / file)
    (folder / "tests" / "testing.yaml").write_text(cases, encoding="utf-8")
    return folder


def test_the_bundled_cases_pass_from_the_command_line() -> None:
    done = huiqi("policies", "test", code=0)
    assert f"合计：{len(CASES)} 项通过，0 项失败" in done.stdout
    assert "✓ demo: policy expired" in done.stdout
    assert "✗" not in done.stdout


def test_a_new_policy_folder_runs_alone_and_names_the_mismatch(tmp_path: Path) -> None:
    wrong = TESTING.replace("amount: [30万, 90万]", "amount: [30万, 95万]")
    folder = policy_folder(tmp_path, wrong)
    done = huiqi("policies", "test", str(folder), code=1)
    assert "（1 项政策：lingang-2024）" in done.stdout
    assert "✗ testing: two projects share the annual cap" in done.stdout
    assert "lingang-2024.testing T1 金额：预期 [30万元, 95万元]" in done.stdout
    assert "实际 [30万元, 90万元]" in done.stdout
    assert f"{folder / 'tests' / 'testing.yaml'}:16" in done.stdout  # the expectation's line
    assert "合计：0 项通过，1 项失败（lingang-2024：0 项通过，1 项失败）" in done.stdout
    en = huiqi("policies", "test", str(folder / "tests"), "--lang", "en", code=1).stdout
    assert "T1 amount: expected [300,000.00, 950,000.00], got [300,000.00, 900,000.00]" in en
    assert "Summary: 0 passed, 1 failed (lingang-2024: 0 passed, 1 failed)" in en
    data = json.loads(huiqi("policies", "test", str(folder / "tests" / "testing.yaml"), "--json", code=1).stdout)
    [case] = data["cases"]
    assert case["id"] == "lingang-2024/testing: two projects share the annual cap"
    assert case["mismatches"] == [
        {
            "what": "amount",
            "measure": "lingang-2024.testing",
            "subject": "T1",
            "expected": "[300000.00, 950000.00]",
            "got": "[300000.00, 900000.00]",
            "line": 16,
            "zh": case["mismatches"][0]["zh"],
            "en": "lingang-2024.testing T1 amount: expected [300,000.00, 950,000.00], got [300,000.00, 900,000.00]",
        }
    ]
    assert data["summary"] == {"passed": 0, "failed": 1, "by_policy": {"lingang-2024": {"passed": 0, "failed": 1}}}


BROKEN = """\
measure: lingang-2024.testing
as_of: 2025-06-30
colour: blue
base:
  enterprise: {name: 临港测评科技有限公司, credit_code: 91310115MA1K4LG0X7, business_district: lingang}
cases:
  - name: fine
    expect: [{status: eligible}]
  - facts:
      projects: [{id: T1, name: 测试, kind: testing, year: twenty}]
    expect:
      - {status: happy, amount: [30万, 九十], measure: lingang-2024.nope}
  - name: no expectations
    total: [2, 1]
    total_over: [nowhere]
    interpret: {"lingang-2024.testing:nope": x}
"""


def test_a_broken_case_file_gives_every_problem_with_its_line_and_runs_nothing(tmp_path: Path) -> None:
    folder = policy_folder(tmp_path, BROKEN)
    with pytest.raises(InputError) as raised:
        load_suite(folder)
    found = {(d.line, d.field) for d in raised.value.diagnostics}
    assert {
        (3, "colour"),  # unknown key
        (5, "base.enterprise.tax_district"),  # the facts' own validation, at base's line
        (9, "cases[1].name"),  # a case without a name
        (10, "cases[1].facts.projects[0].year"),  # at the case's line
        (12, "cases[1].expect[0].status"),
        (12, "cases[1].expect[0].amount"),
        (12, "cases[1].expect[0].measure"),  # not in the library
        (13, "cases[2].expect"),  # a case without expect
        (14, "cases[2].total"),  # [2, 1]
        (15, "cases[2].total_over"),
        (16, "cases[2].interpret"),
    } <= found
    done = huiqi("policies", "test", str(folder), code=2)
    assert f"{folder / 'tests' / 'testing.yaml'}:3: colour: unknown key 'colour'" in done.stderr
    assert "未知的键 'colour'" in done.stderr
    assert "no measure 'lingang-2024.nope' in the policy library" in done.stderr
    assert done.stdout == ""


def test_total_covers_the_policys_own_measures(tmp_path: Path) -> None:
    """Another policy in the library that pays the same facts leaves a case's total alone;
    `total_over` widens it."""
    library = tmp_path / "library"
    over_library = TESTING + (
        "  - name: over the library\n"
        "    expect: [{status: eligible, subject: T1}]\n"
        "    total: [160万, 400万]\n"
        "    total_over: library\n"
    )
    cases = over_library + (
        "  - name: over named policies\n"
        "    expect: [{status: eligible, subject: T1}]\n"
        "    total: [160万, 400万]\n"
        "    total_over: [lingang-2024, twin-2024]\n"
    )
    policy_folder(library, cases)
    twin = library / "twin-2024"
    twin.mkdir()
    shutil.copy(LINGANG / "source.txt", twin / "source.txt")
    text = (LINGANG / "policy.yaml").read_text(encoding="utf-8")
    (twin / "policy.yaml").write_text(text.replace("lingang-2024", "twin-2024"), encoding="utf-8")
    done = huiqi("policies", "test", str(library), code=0)
    assert "（2 项政策：lingang-2024、twin-2024）" in done.stdout
    assert "合计：3 项通过，0 项失败" in done.stdout
    # The policy alone (a folder outside a library with a vocabulary): its own total holds, the library's not.
    (library / "lingang-2024" / "tests" / "testing.yaml").write_text(over_library, encoding="utf-8")
    alone = huiqi("policies", "test", str(library / "lingang-2024"), code=1)
    assert "✓ testing: two projects share the annual cap" in alone.stdout
    assert "✗ testing: over the library" in alone.stdout
    assert "合计（政策库全部政策）：预期 [160万元, 400万元]" in alone.stdout


def test_k_selects_cases_by_policy_file_and_name() -> None:
    done = huiqi("policies", "test", "-k", "minhang-2018/DEMO:", "--lang", "en", code=0)
    demo = [c for c in CASES if c.id.startswith("minhang-2018/demo:")]
    assert f"Summary: {len(demo)} passed, 0 failed (minhang-2018: {len(demo)} passed)" in done.stdout
    assert "lingang-2024" not in done.stdout.splitlines()[1:]
    assert "no case matches 'no-such-case'" in huiqi("policies", "test", "-k", "no-such-case", code=2).stderr


def test_a_failing_case_is_data_with_each_mismatch_in_chinese_and_english(library: Library) -> None:
    text = TESTING.replace(
        "    expect:\n      - {status: eligible, subject: T1, amount: [30万, 90万]}",
        "    expect:\n"
        "      - {status: ineligible, subject: T1, reason_contains: 信用}\n"
        "      - {status: eligible, measure: lingang-2024.rd}\n"
        "      - {status: eligible, tranches: [10万]}",
    )
    [case] = parse_cases(parse_source(text, "x/lingang-2024/tests/testing.yaml"), library, "lingang-2024")
    outcome = run_case(case, library)
    assert not outcome.passed
    found = {(m.what, m.line): m for m in outcome.mismatches}
    assert set(found) == {("status", 16), ("reason", 16), ("status", 17), ("result", 18)}
    assert found["status", 16].zh == "lingang-2024.testing T1 状态：预期 不符合（ineligible），实际 可享受（eligible）"
    assert found["status", 16].en == "lingang-2024.testing T1 status: expected ineligible, got eligible"
    assert found["status", 16].why_en[0].startswith("condition: ")
    assert found["reason", 16].en == "lingang-2024.testing T1 reasons should contain '信用'; they are: (none)"
    assert found["status", 17].en == "lingang-2024.rd status: expected eligible, got ineligible"
    assert found["result", 18].zh.endswith("实际 2 个（T1, T2）；请用 subject 指明对象")
    assert found["result", 18].en.endswith("found 2 (T1, T2); name one with subject:")
    assert run_case(replace(case, expect=case.expect[:0]), library).passed  # the total alone holds
