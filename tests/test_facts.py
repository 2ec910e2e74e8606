"""Bad facts: every error names the field, the file and the line; nothing is guessed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from huiqi.diagnostics import InputError
from huiqi.facts.parse import parse_facts

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
enterprise:
  name: 测试企业
  credit_code: 91350100M000100Y43
  business_district: 闵行区
  tax_district: minhang
  severe_credit_record: false
  revenue: {2019: 2600万, 2020: "1.2亿"}
projects:
  - id: P1
    name: 示范
    kind: 应用示范项目
    field: 智能制造
    year: 2020
    costs: {investment: "2,000万"}
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_facts(text, "facts.yaml")
    return [str(d) for d in caught.value.diagnostics]


def test_good_facts_read_chinese_terms_and_units() -> None:
    facts = parse_facts(GOOD, "facts.yaml")
    assert facts.enterprise.business_district == "310112"  # 闵行 read to its GB/T 2260 code
    assert facts.enterprise.revenue == {2019: Decimal("26000000.00"), 2020: Decimal("120000000.00")}
    assert facts.projects[0].kind == "application_demo"
    assert facts.projects[0].costs["investment"] == {2020: Decimal("20000000.00")}


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        ("91350100M000100Y43", "91350100M000100Y44", 3, "enterprise.credit_code", "check digit"),
        ("2,000万", "-5万", 14, "projects[0].costs.investment", "negative"),
        (
            "  severe_credit_record: false",
            "  severe_credit_record: false\n  colour: red",
            7,
            "enterprise.colour",
            "unknown key",
        ),
        ("year: 2020", "year: 2020\n    start_date: 2024-02-30", 14, "projects[0].start_date", "unknown key"),
        ("  tax_district: minhang", "  tax_district: mars", 5, "enterprise.tax_district", "310112"),
        ("2019: 2600万", "2019: 2600.5.5万", 7, "enterprise.revenue[2019]", "cannot read"),
    ],
)
def test_bad_facts_name_field_file_and_line(old: str, new: str, line: int, field: str, words: str) -> None:
    found = errors_of(GOOD.replace(old, new))
    assert any(f"facts.yaml:{line}:" in e and field in e and words in e for e in found), found


def test_impossible_date() -> None:
    text = GOOD + "leases:\n  - {id: L1, area_m2: 100, annual_rent: 10万, start_date: '2024-02-30'}\n"
    found = errors_of(text)
    assert any("leases[0].start_date" in e and "facts.yaml:16" in e for e in found), found


def test_lease_must_end_after_it_starts() -> None:
    text = (
        GOOD + "leases:\n  - {id: L1, area_m2: 100, annual_rent: 10万, start_date: 2024-02-01, end_date: 2023-01-01}\n"
    )
    assert any("end_date must not be before start_date" in e for e in errors_of(text))


def test_every_error_is_reported_at_once() -> None:
    text = GOOD.replace("91350100M000100Y43", "123").replace("2,000万", "-1")
    assert len(errors_of(text)) == 2


def test_missing_required_fact_is_an_error_not_a_default() -> None:
    found = errors_of(GOOD.replace("  severe_credit_record: false\n", ""))
    assert any("enterprise.severe_credit_record" in e and "Field required" in e for e in found), found


def test_duplicate_ids() -> None:
    text = GOOD + "  - {id: P1, name: again, kind: other, year: 2020}\n"
    assert any("used twice" in e for e in errors_of(text))


def test_yaml_syntax_error_has_a_line() -> None:
    assert any("facts.yaml:2:" in e for e in errors_of("enterprise:\n  name: a: b\n"))


def test_json_facts_are_read_too() -> None:
    text = (
        '{"enterprise": {"name": "x", "credit_code": "91350100M000100Y43", "business_district": "lingang",'
        ' "tax_district": "lingang", "severe_credit_record": false, "revenue": {"2024": 0.1}}}'
    )
    facts = parse_facts(text, "facts.json")
    assert facts.enterprise.revenue[2024] == Decimal("0.10")  # 0.1 read as a decimal, not a float


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.yaml")), ids=lambda p: p.name)
def test_examples_are_valid(example: Path) -> None:
    assert parse_facts(example.read_text(encoding="utf-8"), str(example)).enterprise.name
