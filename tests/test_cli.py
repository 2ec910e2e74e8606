"""The CLI as a user runs it: the installed `huiqi` command in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
HUIQI = shutil.which("huiqi") or str(Path(sys.executable).parent / "huiqi")


def run(*args: str, check_code: int | None = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([HUIQI, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)
    if check_code is not None:
        assert done.returncode == check_code, done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    return done


def calc_json(example: str, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run("calc", str(EXAMPLES / example), "--json", *args).stdout)
    return data


def test_calc_prints_an_explained_report() -> None:
    out = run("calc", str(EXAMPLES / "minhang-robotics.yaml")).stdout
    assert "minhang-2018.demo" in out
    assert "计算过程" in out
    assert "可享受合计" in out
    assert "“对智能制造" in out  # the clause quote


def test_calc_json_is_stable_and_exact() -> None:
    data = json.loads(run("calc", str(EXAMPLES / "minhang-robotics.yaml"), "--json").stdout)
    assert data["as_of"] == "2020-12-31"
    statuses = {r["status"] for r in data["results"]}
    assert statuses <= {"eligible", "ineligible", "not_in_force", "needs_decision", "superseded"}
    demo = next(r for r in data["results"] if r["measure"] == "minhang-2018.demo")
    assert demo["amount"] == {"min": "1800000.00", "max": "3000000.00"}
    assert [t["on"] for t in demo["tranches"]] == ["approval", "acceptance"]
    for result in data["results"]:
        assert {"measure", "status", "amount", "reasons", "trace"} <= set(result)


def test_as_of_option_overrides_the_facts() -> None:
    data = json.loads(run("calc", str(EXAMPLES / "minhang-robotics.yaml"), "--json", "--as-of", "2022-01-01").stdout)
    assert {r["status"] for r in data["results"] if r["policy"] == "minhang-2018"} == {"not_in_force"}


def test_english_titles() -> None:
    out = run("calc", str(EXAMPLES / "lingang-ai-chip.yaml"), "--lang", "en", "--brief").stdout
    assert "R&D subsidy" in out


def test_officer_override_changes_the_figure() -> None:
    base = json.loads(run("calc", str(EXAMPLES / "lingang-ai-chip.yaml"), "--json").stdout)
    summed = calc_json("lingang-ai-chip.yaml", "--interpret", "lingang-2024.demo:bonus-stacking=sum")

    def demo(data: dict[str, object]) -> dict[str, str]:
        return next(r for r in data["results"] if r["measure"] == "lingang-2024.demo")["amount"]  # type: ignore[index,union-attr]

    assert int(demo(summed)["min"].split(".")[0]) - int(demo(base)["min"].split(".")[0]) == 2_000_000


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["calc", "no-such-file.yaml"], "file not found"),
        (["calc", "examples/minhang-robotics.yaml", "--as-of", "2020-13-01"], "not a date"),
        (["calc", "examples/minhang-robotics.yaml", "--interpret", "nonsense"], "--interpret"),
        (["calc", "examples/minhang-robotics.yaml", "--policies", "no-such-dir"], "no such policy folder"),
        (["policies", "show", "nope.nothing"], "no policy or measure"),
    ],
)
def test_bad_input_exits_2_with_a_message(args: list[str], words: str) -> None:
    done = run(*args, check_code=2)
    assert words in done.stderr
    assert done.stdout == ""


def test_bad_facts_name_file_line_and_field(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    text = (EXAMPLES / "minhang-robotics.yaml").read_text(encoding="utf-8")
    facts.write_text(text.replace("91310112MA1GC3H0XW", "91310112MA1GC3H0XX").replace("1800万", "-1800万"), "utf-8")
    err = run("calc", str(facts), check_code=2).stderr
    assert f"{facts}:" in err
    assert "enterprise.credit_code" in err
    assert "projects[0].costs.investment" in err


def test_policies_list_show_check() -> None:
    assert "lingang-2024.rd" in run("policies", "list").stdout
    assert "10%" in run("policies", "show", "minhang-2018.demo").stdout
    assert "ok: 6 policies, 26 measures" in run("policies", "check").stdout


def test_policies_check_reports_file_line_and_rule(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(ROOT / "policies" / "shanghai" / "minhang-2018", folder)
    policy = folder / "policy.yaml"
    policy.write_text(policy.read_text("utf-8").replace("rate: 20%", "rate: twenty"), "utf-8")
    err = run("policies", "check", str(folder), check_code=2).stderr
    assert f"{policy}:" in err
    assert "[minhang-2018.platform]" in err
    assert "twenty" in err


def test_schema_has_chinese_terms_and_units() -> None:
    schema = json.loads(run("schema").stdout)
    enterprise = schema["$defs"]["Enterprise"]["properties"]
    assert enterprise["credit_code"]["zh"] == "统一社会信用代码"
    assert "元" in schema["$defs"]["Lease"]["properties"]["annual_rent"]["unit"]
    assert "统一社会信用代码" in run("schema", "--table").stdout


def test_prior_award_must_name_a_known_measure(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    text = (EXAMPLES / "minhang-robotics.yaml").read_text(encoding="utf-8")
    facts.write_text(text.replace("measure: minhang-2018.rent", "measure: minhang-2018.rnet"), "utf-8")
    err = run("calc", str(facts), check_code=2).stderr
    assert "prior_awards[0].measure" in err
    assert "minhang-2018.rnet" in err


def test_an_officer_choice_shows_the_reading_taken() -> None:
    data = calc_json("lingang-ai-chip.yaml", "--interpret", "lingang-2024.demo:bonus-stacking=sum")
    demo = next(r for r in data["results"] if r["measure"] == "lingang-2024.demo")
    used = next(i for i in demo["interpretations"] if i["id"] == "bonus-stacking")
    assert used["choice"] == "sum"
    assert "叠加" in used["decision"]
    assert "不叠加" not in used["decision"]


def test_names_print_as_written(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    text = (EXAMPLES / "lingang-ai-chip.yaml").read_text(encoding="utf-8")
    facts.write_text(text.replace("临港智芯科技有限公司", "'测试:100: [bold]公司'"), "utf-8")
    assert "测试:100: [bold]公司" in run("calc", str(facts), "--brief").stdout
