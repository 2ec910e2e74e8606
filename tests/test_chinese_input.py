"""Chinese input as people write it (huiqi.facts.chinese), read alike by facts files, the models
the API and the import use, and every refusal said in Chinese and English naming the forms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from huiqi.diagnostics import Bilingual, InputError
from huiqi.facts.chinese import parse_bool, parse_date, parse_whole, parse_year
from huiqi.facts.models import Enterprise, Lease
from huiqi.facts.parse import parse_facts
from huiqi.facts.vocabulary import District
from huiqi.ledger.uow import Ledger
from huiqi.money import MoneyError, parse_amount
from huiqi.policy_files import load_facts

FACTS = """\
as_of: 2025年6月30日
enterprise:
  name: 测试企业
  credit_code: 91350100M000100Y43
  business_district: 闵行
  tax_district: 闵行区
  severe_credit_record: 否
  ai_enterprise: 是
  above_scale: 无
  leading_enterprise: 有
  settled_date: 2019/3/1
  revenue: {2019: ￥２６００万元, "２０２０": "1.2亿", 2021年: "¥1,234.56元整"}
leases:
  - {id: L1, area_m2: "１，２００", annual_rent: 10万, start_date: 2024.2.1, end_date: "2026年1月31日"}
"""


def test_a_facts_file_written_the_chinese_way() -> None:
    facts = parse_facts(FACTS, "facts.yaml")
    firm = facts.enterprise
    assert facts.as_of == date(2025, 6, 30)
    assert (firm.business_district, firm.tax_district) == ("310112", "310112")  # 闵行区, by its code
    assert (firm.severe_credit_record, firm.ai_enterprise, firm.above_scale, firm.leading_enterprise) == (
        False,
        True,
        False,
        True,
    )
    assert firm.settled_date == date(2019, 3, 1)
    assert firm.revenue == {
        2019: Decimal("26000000.00"),
        2020: Decimal("120000000.00"),
        2021: Decimal("1234.56"),
    }
    lease = facts.leases[0]
    assert (lease.area_m2, lease.start_date, lease.end_date) == (Decimal(1200), date(2024, 2, 1), date(2026, 1, 31))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("闵行", "minhang"),
        ("闵行区", "minhang"),
        ("上海市闵行区", "minhang"),
        ("minhang", "minhang"),
        ("临港", "lingang"),
        ("临港新片区", "lingang"),
        ("中国（上海）自由贸易试验区临港新片区", "lingang"),
        ("浦东", "pudong"),
        ("浦东新区", "pudong"),
        (" 徐汇 ", "xuhui"),
        ("市外", "outside_shanghai"),
    ],
)
def test_districts_by_short_and_full_name(text: str, code: str) -> None:
    assert District.read(text) == code


def test_an_unknown_district_names_the_accepted_forms_in_both_languages() -> None:
    with pytest.raises(InputError) as caught:
        parse_facts(FACTS.replace("business_district: 闵行", "business_district: 闵行县"), "facts.yaml")
    (found,) = caught.value.diagnostics
    assert (found.field, found.line) == ("enterprise.business_district", 5)
    assert "上海市闵行区" in found.message  # the did-you-mean
    assert "'闵行县' is not a known region" in found.message
    assert found.zh is not None
    assert "未知地区 '闵行县'" in found.zh
    assert "是否指: 上海市闵行区" in found.zh


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("是", True),
        ("否", False),
        ("有", True),
        ("无", False),
        ("TRUE", True),
        ("no", False),
        ("１", True),
        (0, False),
        (True, True),
    ],
)
def test_yes_and_no(raw: object, value: bool) -> None:
    assert parse_bool(raw) is value


@pytest.mark.parametrize(
    "raw", ["2025-06-30", "2025-6-30", "2025/6/30", "2025.6.30", "2025年6月30日", "２０２５/０６/３０"]
)
def test_dates_in_every_accepted_form(raw: str) -> None:
    assert parse_date(raw) == date(2025, 6, 30)


@pytest.mark.parametrize(
    ("raw", "value"), [("2024", 2024), ("2024.0", 2024), ("２０２４", 2024), (2024, 2024), (Decimal("2024.00"), 2024)]
)
def test_whole_numbers(raw: object, value: int) -> None:
    assert parse_whole(raw) == value


def test_a_year_may_say_so() -> None:
    assert parse_year("2024年") == 2024
    with pytest.raises(Bilingual):
        parse_whole("2024年")  # a count is no year


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("80万元整", "800000.00"),
        ("￥80万", "800000.00"),
        ("¥1,234.56元", "1234.56"),
        ("１２３４．５", "1234.50"),
        ("３００万元", "3000000.00"),
        ("2，000万", "20000000.00"),
        ("5千", "5000.00"),
        ("1亿2000万元整", "120000000.00"),
        ("人民币300万元", "3000000.00"),
    ],
)
def test_amounts_as_people_write_them(text: str, yuan: str) -> None:
    assert parse_amount(text) == Decimal(yuan)


@pytest.mark.parametrize(
    ("call", "raw", "zh", "en"),
    [
        (parse_bool, "maybe", "是/否、有/无", "是/否, 有/无, true/false"),
        (parse_date, "30/6/2025", "2025年6月30日", "2025/6/30, 2025.6.30 or 2025年6月30日"),
        (parse_date, "2023-02-29", "没有这一天", "no such day"),
        (parse_whole, "2024.5", "2024.0", "2024.0"),  # never rounded
        (parse_whole, 2024.5, "2024.0", "2024.0"),
        (parse_amount, "三百万", "300万元、1.5亿", "300万元, 1.5亿"),
    ],
)
def test_every_refusal_names_the_accepted_forms_in_both_languages(call: object, raw: object, zh: str, en: str) -> None:
    assert callable(call)
    with pytest.raises(Bilingual) as caught:
        call(raw)
    assert zh in caught.value.zh
    assert en in caught.value.en
    assert str(caught.value) == caught.value.en


def test_money_errors_are_bilingual() -> None:
    with pytest.raises(MoneyError) as caught:
        parse_amount(0.1)
    assert "浮点" in caught.value.zh
    assert "float" in str(caught.value)


@pytest.mark.parametrize(
    ("old", "new", "field", "zh"),
    [
        ("severe_credit_record: 否", "severe_credit_record: 不知道", "enterprise.severe_credit_record", "是/否"),
        ("settled_date: 2019/3/1", "settled_date: 2019年3月", "enterprise.settled_date", "2025年6月30日"),
        ('2021年: "¥1,234.56元整"', '2021年: "一千元"', "enterprise.revenue", "无法识别金额"),
        ('end_date: "2026年1月31日"', "end_date: 2023-01-01", "leases[0]", "终止日不能早于起始日"),
    ],
)
def test_facts_file_errors_keep_both_languages(old: str, new: str, field: str, zh: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_facts(FACTS.replace(old, new), "facts.yaml")
    found = [d for d in caught.value.diagnostics if d.field.startswith(field)]
    assert found, caught.value.diagnostics
    assert found[0].zh is not None, found[0]
    assert zh in found[0].zh, found[0]
    assert found[0].message != found[0].zh


def test_the_models_read_the_same_forms_as_the_api_and_import_give_them() -> None:
    """The API and the import validate with the same models: JSON's strings read alike."""
    firm = Enterprise.model_validate(
        {
            "name": "x",
            "credit_code": "91350100M000100Y43",
            "business_district": "临港",
            "tax_district": "浦东",
            "severe_credit_record": "否",
            "revenue": {"2024": "３００万"},
        }
    )
    assert (firm.business_district, firm.tax_district, firm.severe_credit_record) == ("310000-lingang", "310115", False)
    assert firm.revenue == {2024: Decimal("3000000.00")}
    lease = Lease.model_validate({"id": "L", "area_m2": "500", "annual_rent": "12万元", "start_date": "2024/7/1"})
    assert lease.start_date == date(2024, 7, 1)


def test_the_api_reads_the_same_forms_and_answers_in_both_languages(ledger: Ledger) -> None:
    """/v1/assess validates with the facts models: the Chinese forms give the clean facts' figures,
    and a refusal carries its Chinese beside the English."""
    import json

    from fastapi.testclient import TestClient

    from huiqi.entrypoints.api.app import create_app
    from tests.ledger_world import ROOT, build_world

    world = build_world(ledger)
    clean = json.loads(load_facts(ROOT / "examples" / "lingang-ai-chip.yaml").model_dump_json(exclude_none=True))
    written = json.loads(json.dumps(clean))
    firm = written["enterprise"]
    firm.update(business_district="临港", tax_district="上海市临港新片区", severe_credit_record="否")
    firm["revenue"] = {year: f"{Decimal(amount) / 10000:f}万元" for year, amount in firm["revenue"].items()}
    for project in written["projects"]:
        project["year"] = f"{project['year']}年"
    written["as_of"] = "2025年6月30日"
    headers = {**world.headers("lingang-user"), "content-type": "application/json"}
    with TestClient(create_app(ledger), raise_server_exceptions=False) as client:
        expected = client.post("/v1/assess", content=json.dumps(clean), headers=headers)
        got = client.post("/v1/assess", content=json.dumps(written, ensure_ascii=False).encode(), headers=headers)
        assert expected.status_code == got.status_code == 200, got.text
        assert got.json() == expected.json()
        firm["severe_credit_record"] = "不清楚"
        refused = client.post("/v1/assess", content=json.dumps(written, ensure_ascii=False).encode(), headers=headers)
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert "yes or no" in error["message"]
    assert "是/否" in error["message_zh"]
