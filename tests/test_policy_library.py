"""The seed library: ids from the spec, verbatim quotes, documented interpretations, diagnostics."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from huiqi.diagnostics import InputError
from huiqi.rules.library import Library, parse_policy

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "spec" / "seed-measures.md"
SEEDS = ROOT.parent / "shared" / "seeds"
MINHANG = ROOT / "policies" / "shanghai" / "minhang-2018"
SEED_OF = {"lingang-2024": "000_5da8d71af3f85f42.txt", "minhang-2018": "002_7280d984ce98fe0b.txt"}


def test_every_measure_of_the_spec_is_encoded(library: Library) -> None:
    if not SPEC.exists():
        pytest.skip("shared/spec is not beside this checkout")
    wanted = set(re.findall(r"`((?:lingang-2024|minhang-2018)\.[a-z-]+)`", SPEC.read_text(encoding="utf-8")))
    encoded = {ref.measure.id for ref in library.measures()}
    assert wanted, "the spec lists measure ids"
    assert wanted <= encoded, f"missing: {sorted(wanted - encoded)}"


def test_every_quote_is_verbatim_in_its_source(library: Library) -> None:
    for doc in library.docs:
        source = (Path(doc.file).parent / doc.policy.source).read_text(encoding="utf-8")
        for measure in doc.policy.measures:
            assert measure.quote in source, measure.id
        for item in (*doc.policy.conditions, *(c for m in doc.policy.measures for c in m.conditions)):
            assert item.quote is None or item.quote in source
        for group in doc.policy.non_duplication:
            assert group.quote is None or group.quote in source


def test_sources_are_the_seed_texts(library: Library) -> None:
    if not SEEDS.exists():
        pytest.skip("shared/seeds is not beside this checkout")
    for doc in (d for d in library.docs if d.policy.id in SEED_OF):  # the other cities' texts are not seeds
        source = (Path(doc.file).parent / doc.policy.source).read_bytes()
        assert source == (SEEDS / SEED_OF[doc.policy.id]).read_bytes()


def test_open_questions_are_decided_in_writing(library: Library) -> None:
    notes = {(ref.measure.id, i.id) for ref in library.measures() for i in ref.measure.interpretations} | {
        (p.id, i.id) for p in library.policies for i in p.interpretations
    }
    for decided in [
        ("lingang-2024.demo", "bonus-outside-cap"),
        ("lingang-2024.demo", "bonus-stacking"),
        ("lingang-2024.fixed-investment", "chokepoint-cap"),
        ("lingang-2024.dataset", "operating-years"),
        ("lingang-2024", "up-to"),
        ("minhang-2018", "same-kind"),
        ("minhang-2018", "higher-of-ranges"),
        ("minhang-2018.revenue-milestone", "two-in-one-year"),
        ("minhang-2018.rent", "mid-year"),
    ]:
        assert decided in notes


def test_every_alternative_reading_loads(library: Library) -> None:
    for doc in library.docs:
        owners = [(doc.policy.id, doc.policy.interpretations)] + [
            (m.id, m.interpretations) for m in doc.policy.measures
        ]
        for owner, items in owners:
            for item in items:
                for alternative in item.alternatives:
                    changed = library.with_choices({f"{owner}:{item.id}": alternative})
                    assert changed.docs != library.docs or not item.alternatives[alternative].set


def policy_errors(text: str, source: str | None = None) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_policy(text, "policy.yaml", source)
    return [str(d) for d in caught.value.diagnostics]


@pytest.fixture(scope="module")
def minhang_text() -> str:
    return (MINHANG / "policy.yaml").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_every_problem_is_reported_at_once_with_line_and_rule(minhang_text: str) -> None:
    broken = (
        minhang_text.replace("        rate: [10%, 30%]\n    caps:", "        rate: [10%, thirty]\n    caps:", 1)
        .replace("    category: rd_institution", "    category: rd_institution\n    colour: blue", 1)
        .replace("when: institution.domestic_funded", "when: institution.domestic_funds", 1)
    )
    found = policy_errors(broken)
    assert len(found) >= 2, found
    rate_line = line_of(broken, "rate: [10%, thirty]")
    assert any(f"policy.yaml:{rate_line}:" in e and "[minhang-2018.demo]" in e and "thirty" in e for e in found), found
    key_line = line_of(broken, "colour: blue")
    assert any(
        f"policy.yaml:{key_line}:" in e and "[minhang-2018.rd-institution]" in e and "unknown key" in e for e in found
    ), found


def test_semantic_problems_are_all_reported(minhang_text: str) -> None:
    broken = (
        minhang_text.replace("when: institution.domestic_funded", "when: institution.domestic_funds", 1)
        .replace("over: [rd, equipment]", "over: [rd, equipmnt]", 1)
        .replace("project.field in ['intelligent_manufacturing',", "project.field in ['intelligent_manufactring',", 1)
    )
    source = (MINHANG / "source.txt").read_text(encoding="utf-8")
    found = policy_errors(broken.replace("最高不超过300万元。'", "最高不超过301万元。'", 1), source)
    assert any("institution.domestic_funds" in e and "[minhang-2018.rd-institution]" in e for e in found), found
    assert any("equipmnt" in e and "[minhang-2018.industrialization]" in e for e in found), found
    assert any("intelligent_manufactring" in e and "[minhang-2018.demo]" in e for e in found), found
    assert any("not verbatim" in e and "[minhang-2018.city-demo-match]" in e for e in found), found
    assert all(re.match(r"policy\.yaml:\d+: \[", e) for e in found), found


def test_a_float_never_sneaks_in(minhang_text: str) -> None:
    doc = parse_policy(minhang_text.replace("rate: 20%", "rate: 0.2", 1), "policy.yaml")
    platform = next(m for m in doc.policy.measures if m.id == "minhang-2018.platform")
    assert str(platform.benefits["construction"].rate.default) == "0.2"  # type: ignore[union-attr]


def test_unknown_interpretation_choice_is_an_error(library: Library) -> None:
    with pytest.raises(InputError, match="no alternative"):
        library.with_choices({"lingang-2024.demo:bonus-stacking": "triple"})
    with pytest.raises(InputError, match="no interpretation"):
        library.with_choices({"lingang-2024.demo:nonsense": "sum"})


def test_a_broken_alternative_is_reported_when_the_policy_loads(minhang_text: str) -> None:
    broken = minhang_text.replace(
        "set: {benefits.milestones.stacking: highest}", "set: {benefits.milestones.stacking: lowest}"
    )
    found = policy_errors(broken)
    line = line_of(broken, "highest-only:")
    assert any(
        f"policy.yaml:{line}:" in e and "[minhang-2018.revenue-milestone]" in e and "highest-only" in e for e in found
    ), found


def test_condition_quotes_are_checked(minhang_text: str) -> None:
    source = (MINHANG / "source.txt").read_text(encoding="utf-8")
    broken = minhang_text.replace(
        "quote: '其中同一项目不得重复享受同类政策'", "quote: '同一项目不得重复享受任何政策'", 1
    )
    assert any("non_duplication[0].quote" in e and "not verbatim" in e for e in policy_errors(broken, source))


def test_numbers_are_read_as_yaml_1_2() -> None:
    from huiqi.diagnostics import parse_source

    data = parse_source("a: 010\nb: on\nc: 1:1\nd: .inf\ne: 0.1\nf: true\n", "x.yaml").data
    assert data == {"a": 10, "b": "on", "c": "1:1", "d": ".inf", "e": Decimal("0.1"), "f": True}


def test_a_bare_number_above_one_is_not_a_rate(minhang_text: str) -> None:
    found = policy_errors(minhang_text.replace("rate: 20%", "rate: 20", 1))
    assert any("would be 2000%" in e for e in found), found
