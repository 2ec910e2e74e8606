"""Demo data: a realistic ledger built from the seed policies' figures (`huiqi demo-data`, `serve --demo`).

Ten fictional enterprises — the two examples (examples/*.yaml) and eight more, five in Minhang
under minhang-2018 and five in Lingang under lingang-2024 — with their projects, leases,
institutions and platforms; officers of every role and one user per enterprise; budgets per
policy and year; and applications in every state of the workflow, with reviews, awards and
tranches, some paid and some still due.

Everything is made through the ledger's services, the same the API calls, so every row is
validated by the real models, every application is checked by the engine and every change
is in the audit chain. The demo runs on its own clock, which walks through the history:
Minhang applications in 2019–2021 (while minhang-2018 is in force), Lingang ones in 2025.
That way submissions fall in force, and tranches become payable when their triggers say.

The demo users' API tokens are returned once. For an SQLite database they are also written
to `<database file>.tokens.txt` (mode 0600) beside it, so they can be found again; for other
databases they are only printed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from huiqi.facts.credit_code import complete
from huiqi.ledger import applications, catalogue, payments, users
from huiqi.ledger.actors import SYSTEM, Actor
from huiqi.ledger.uow import Ledger, UnitOfWork
from huiqi.ledger.workflow import Action, Role, State
from huiqi.money import Interval, format_wan, parse_amount, round_fen
from huiqi.policy_files import bundled_root

WAN = Decimal(10_000)
OPENING = time(1, 30)  # 09:30 in Shanghai, in UTC: the demo's offices open then
MINUTES_BETWEEN_STEPS = 3


class DemoDataError(RuntimeError):
    """The demo's own data is wrong (e.g. an application the engine finds ineligible): a bug to fix here."""


class DemoClock:
    """The demo's time: each step's day at opening time, a few minutes later for each further step that day."""

    def __init__(self, before: date):
        self.now = datetime.combine(before, OPENING, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def move_to(self, day: date) -> None:
        if day < self.now.date():
            raise DemoDataError(f"the demo clock cannot go back from {self.now.date()} to {day}")
        if day == self.now.date():
            self.now += timedelta(minutes=MINUTES_BETWEEN_STEPS)
        else:
            self.now = datetime.combine(day, OPENING, tzinfo=UTC)


# ----- the enterprises


@dataclass(frozen=True, slots=True)
class DemoEnterprise:
    slug: str  # names its user: demo-<slug>
    joined: date  # entered in the catalogue
    data: Mapping[str, Any]  # as in a facts file: enterprise, projects, leases, institutions, platforms

    @property
    def code(self) -> str:
        return str(self.data["enterprise"]["credit_code"])


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((bundled_root("examples") / name).read_text(encoding="utf-8"))
    return data


def _minhang_code(body: str) -> str:
    return complete("91310112" + body)  # 91: an enterprise registered with the market regulator; 310112: Minhang


def _lingang_code(body: str) -> str:
    return complete("91310115" + body)  # 310115: Pudong, where the Lingang New Area is registered


def _minhang(name: str, code: str, settled: date, revenue: dict[int, str], *, above_scale: bool) -> dict[str, Any]:
    return {
        "name": name,
        "credit_code": code,
        "business_district": "minhang",
        "tax_district": "minhang",
        "severe_credit_record": False,
        "ai_enterprise": True,
        "leading_enterprise": False,
        "above_scale": above_scale,
        "revenue": revenue,
        "settled_date": settled,
    }


def _lingang(name: str, code: str, settled: date, revenue: dict[int, str]) -> dict[str, Any]:
    return {
        "name": name,
        "credit_code": code,
        "business_district": "lingang",
        "tax_district": "lingang",
        "severe_credit_record": False,
        "ai_enterprise": True,
        "revenue": revenue,
        "settled_date": settled,
    }


def demo_enterprises() -> list[DemoEnterprise]:
    """The catalogue: the two examples and eight more with figures in the range of the seed policies."""
    minshi = _minhang_code("MA1FP2K63")
    xinzhuang = _minhang_code("MA1G0UN48")
    zizhu = _minhang_code("MA1H3QW7K")
    maqiao = _minhang_code("MA1J8D5TX")
    xingchen = _lingang_code("MA7CKL2N3")
    dishuihu = _lingang_code("MA7DR4H9B")
    gangcheng = _lingang_code("MA7E6TJ1M")
    sensor = _lingang_code("MA7FW8P2Q")
    return [
        DemoEnterprise("minhang-robotics", date(2019, 7, 15), _example("minhang-robotics.yaml")),
        DemoEnterprise(
            "minshi-security",
            date(2019, 1, 14),
            {
                "enterprise": _minhang(
                    "上海闵视安防科技有限公司",
                    minshi,
                    date(2018, 11, 15),
                    {2018: "1800万", 2019: "2300万", 2020: "5600万"},
                    above_scale=True,
                ),
                "projects": [
                    {
                        "id": "V1",
                        "name": "社区智能安防示范应用",
                        "kind": "application_demo",
                        "field": "smart_security",
                        "year": 2019,
                        "costs": {"investment": "1200万"},
                        "recognitions": ["industry_leading"],
                    },
                    {
                        "id": "V2",
                        "name": "视频结构化分析芯片攻关",
                        "kind": "tech_breakthrough",
                        "field": "ai_chip",
                        "year": 2020,
                        "costs": {"rd_cost": "900万"},
                        "recognitions": ["district_tech_breakthrough"],
                    },
                ],
                "leases": [
                    {
                        "id": "L1",
                        "area_m2": 450,
                        "annual_rent": "108万",
                        "start_date": date(2018, 11, 15),
                        "end_date": date(2023, 11, 14),
                        "use": "办公",
                    }
                ],
            },
        ),
        DemoEnterprise(
            "xinzhuang-health",
            date(2019, 4, 22),
            {
                "enterprise": _minhang(
                    "上海莘庄智慧医疗科技有限公司",
                    xinzhuang,
                    date(2019, 4, 1),
                    {2019: "900万", 2020: "1600万"},
                    above_scale=False,
                ),
                "projects": [
                    {
                        "id": "H1",
                        "name": "AI辅助影像诊断示范应用",
                        "kind": "application_demo",
                        "field": "smart_healthcare",
                        "year": 2020,
                        "costs": {"investment": "900万"},
                        "recognitions": ["industry_leading"],
                    }
                ],
                "institutions": [
                    {
                        "id": "I1",
                        "name": "莘庄医学影像人工智能研究中心",
                        "level": "district",
                        "domestic_funded": True,
                        "recognised_year": 2019,
                    }
                ],
                "leases": [
                    {
                        "id": "L1",
                        "area_m2": 300,
                        "annual_rent": "72万",
                        "start_date": date(2019, 4, 1),
                        "end_date": date(2022, 3, 31),
                        "use": "办公",
                    }
                ],
            },
        ),
        DemoEnterprise(
            "zizhu-unmanned",
            date(2019, 3, 11),
            {
                "enterprise": _minhang(
                    "上海紫竹无人系统科技有限公司",
                    zizhu,
                    date(2018, 12, 1),
                    {2018: "3000万", 2019: "4200万", 2020: "6800万"},
                    above_scale=True,
                ),
                "projects": [
                    {
                        "id": "U1",
                        "name": "巡检无人机产业化",
                        "kind": "industrialization",
                        "field": "unmanned_systems",
                        "year": 2019,
                        "costs": {"rd_cost": "1200万", "equipment_investment": "2000万"},
                        "recognitions": ["high_tech_achievement"],
                    }
                ],
                "platforms": [
                    {
                        "id": "S1",
                        "name": "无人系统技术创新服务平台",
                        "kind": "tech_innovation_service",
                        "year": 2020,
                        "recognition_level": "city",
                        "construction_cost": "1000万",
                        "service_to_district_ai": {2020: "500万"},
                    }
                ],
            },
        ),
        DemoEnterprise(
            "maqiao-manufacturing",
            date(2019, 2, 18),
            {
                "enterprise": _minhang(
                    "上海马桥智造科技有限公司",
                    maqiao,
                    date(2018, 10, 20),
                    {2018: "1800万", 2019: "1.1亿", 2020: "1.6亿"},
                    above_scale=True,
                ),
                "projects": [
                    {
                        "id": "Q1",
                        "name": "智能工厂柔性产线产业化",
                        "kind": "industrialization",
                        "field": "intelligent_manufacturing",
                        "year": 2020,
                        "costs": {"rd_cost": "3000万", "equipment_investment": "6000万"},
                        "recognitions": ["high_tech_achievement", "city_major_project"],
                        "city_support": "400万",
                    }
                ],
                "institutions": [
                    {
                        "id": "I1",
                        "name": "马桥智能制造国家工程研究中心",
                        "level": "national",
                        "domestic_funded": True,
                        "recognised_year": 2020,
                    }
                ],
            },
        ),
        DemoEnterprise("lingang-ai-chip", date(2025, 1, 2), _example("lingang-ai-chip.yaml")),
        DemoEnterprise(
            "xingchen-auto",
            date(2025, 3, 3),
            {
                "enterprise": _lingang(
                    "上海临港星辰智能网联汽车有限公司", xingchen, date(2021, 6, 1), {2023: "2.4亿", 2024: "3.1亿"}
                ),
                "projects": [
                    {
                        "id": "A1",
                        "name": "L4级自动驾驶域控制器研发",
                        "kind": "rd_innovation",
                        "field": "intelligent_connected_vehicle",
                        "year": 2025,
                        "costs": {"new_investment": "1.5亿"},
                    },
                    {
                        "id": "A2",
                        "name": "车规级AI芯片功能安全测试",
                        "kind": "testing",
                        "year": 2025,
                        "costs": {"testing_fee": "600万"},
                    },
                ],
            },
        ),
        DemoEnterprise(
            "dishuihu-data",
            date(2025, 2, 17),
            {
                "enterprise": _lingang("上海滴水湖数据科技有限公司", dishuihu, date(2023, 9, 1), {2024: "3500万"}),
                "projects": [
                    {
                        "id": "D1",
                        "name": "航运物流多模态语料库",
                        "kind": "dataset",
                        "year": 2025,
                        "costs": {"construction_cost": "1200万", "operating_cost": "300万"},
                    }
                ],
                "platforms": [
                    {
                        "id": "S1",
                        "name": "临港人工智能算力与数据公共服务平台",
                        "kind": "public_tech_service",
                        "year": 2025,
                        "approved_investment": "5000万",
                    }
                ],
            },
        ),
        DemoEnterprise(
            "gangcheng-robotics",
            date(2025, 4, 14),
            {
                "enterprise": _lingang("上海港城具身智能机器人有限公司", gangcheng, date(2024, 5, 20), {2024: "6000万"}),
                "projects": [
                    {
                        "id": "R1",
                        "name": "人形机器人关节模组研发",
                        "kind": "rd_innovation",
                        "field": "general_robot",
                        "year": 2025,
                        "costs": {"new_investment": "8000万"},
                    },
                    {
                        "id": "R2",
                        "name": "港区具身智能装卸场景示范",
                        "kind": "future_scenario",
                        "track": "general_intelligence",
                        "year": 2025,
                        "costs": {"new_investment": "3000万"},
                    },
                    {
                        "id": "R3",
                        "name": "伺服电机与减速器协同采购",
                        "kind": "procurement",
                        "year": 2025,
                        "costs": {"purchase_invoice": "5000万"},
                        "recognitions": ["key_chain_supplier"],
                    },
                ],
            },
        ),
        DemoEnterprise(
            "lingang-sensor",
            date(2025, 1, 20),
            {
                "enterprise": _lingang(
                    "上海临港智能传感器有限公司", sensor, date(2022, 8, 8), {2023: "1.8亿", 2024: "2.2亿"}
                ),
                "projects": [
                    {
                        "id": "T1",
                        "name": "MEMS传感器产线AI质检改造",
                        "kind": "application_demo",
                        "field": "smart_sensor",
                        "year": 2025,
                        "costs": {"ai_retrofit_investment": "2000万"},
                        "recognitions": ["major_special_project", "shanghai_pilot_scenario"],
                    },
                    {
                        "id": "T2",
                        "name": "12英寸MEMS晶圆厂二期",
                        "kind": "fixed_investment",
                        "year": 2025,
                        "costs": {"new_investment": "2亿"},
                        "recognitions": ["ecosystem_driver"],
                    },
                    {
                        "id": "T3",
                        "name": "车规传感器可靠性测试",
                        "kind": "testing",
                        "year": 2025,
                        "costs": {"testing_fee": "400万"},
                    },
                ],
            },
        ),
    ]


# ----- the users and budgets

OFFICERS: tuple[tuple[str, Role], ...] = (
    ("demo-admin", Role.ADMIN),
    ("demo-reviewer", Role.REVIEWER),
    ("demo-reviewer-2", Role.REVIEWER),  # the second expert: declares a conflict of interest once
    ("demo-approver", Role.APPROVER),
    ("demo-finance", Role.FINANCE),
)
START = date(2019, 1, 2)  # the officers' accounts are opened first

# (set on, policy, budget year, allocated): the district and the zone plan their budgets at the start of a year
BUDGETS: tuple[tuple[date, str, int, str], ...] = (
    (date(2019, 1, 7), "minhang-2018", 2019, "2000万"),
    (date(2020, 1, 6), "minhang-2018", 2020, "4000万"),
    (date(2021, 1, 4), "minhang-2018", 2021, "1500万"),
    (date(2025, 1, 6), "lingang-2024", 2025, "2亿"),
    # public-platform awards are paid over five years, so the zone plans the years after too
    *((date(2025, 1, 6), "lingang-2024", year, "3000万") for year in range(2026, 2030)),
)


def user_name(enterprise: DemoEnterprise) -> str:
    return f"demo-{enterprise.slug}"


# ----- the applications


class Paid(StrEnum):
    """What finance has paid of an award so far."""

    NOTHING = "nothing"
    AT_APPROVAL = "at_approval"  # what was due once approved; acceptance tranches still due
    ALL = "all"  # also what fell due on acceptance


@dataclass(frozen=True, slots=True)
class Story:
    """One application and how far it has come: filed on `filed`, then step by step to `ends`."""

    enterprise: str  # slug
    measure: str
    year: int
    ends: State
    filed: date
    subject: str | None = None  # the project's (lease's, ...) ref; None for measures of the enterprise
    share: Decimal = Decimal("0.5")  # where in the allowed range the experts decide
    paid: Paid = Paid.ALL
    revised: bool = False  # returned once for more documents, revised and submitted again
    recusal: bool = False  # the second expert declares a conflict of interest
    decided: bool = True  # for an application left under review: whether the experts have decided
    reason: str = ""  # for returning, rejecting or withdrawing

    def __post_init__(self) -> None:
        if self.ends is State.CLOSED and self.paid is not Paid.ALL:
            raise DemoDataError(f"{self.enterprise} {self.measure}: an application is closed only when all is paid")


def _s(enterprise: str, measure: str, year: int, ends: State, filed: date, **more: Any) -> Story:
    return Story(enterprise, measure, year, ends, filed, **more)


RETURN_REASON = "请补充项目投资专项审计报告及主要设备采购发票"

STORIES: tuple[Story, ...] = (
    # --- Minhang, minhang-2018 (in force 2018-10-01 to 2021-09-30)
    _s("minshi-security", "minhang-2018.rent", 2019, State.WITHDRAWN, date(2019, 3, 4),
       reason="租赁合同备案尚未完成, 撤回后重新申报"),
    _s("minshi-security", "minhang-2018.rent", 2019, State.CLOSED, date(2019, 4, 1)),
    _s("minshi-security", "minhang-2018.demo", 2019, State.CLOSED, date(2019, 4, 8), subject="V1", share=Decimal("0.7")),
    _s("zizhu-unmanned", "minhang-2018.industrialization", 2019, State.CLOSED, date(2019, 6, 3), subject="U1"),
    _s("xinzhuang-health", "minhang-2018.rd-institution", 2019, State.CLOSED, date(2019, 9, 2), subject="I1"),
    _s("minhang-robotics", "minhang-2018.rent", 2019, State.CLOSED, date(2019, 10, 8)),
    _s("maqiao-manufacturing", "minhang-2018.revenue-milestone", 2019, State.CLOSED, date(2020, 1, 13)),
    _s("minhang-robotics", "minhang-2018.revenue-milestone", 2019, State.CLOSED, date(2020, 2, 17)),
    _s("maqiao-manufacturing", "minhang-2018.major-project-match", 2020, State.CLOSED, date(2020, 2, 24),
       subject="Q1"),
    _s("maqiao-manufacturing", "minhang-2018.industrialization", 2020, State.ACCEPTED, date(2020, 2, 24),
       subject="Q1", share=Decimal("0.8"), paid=Paid.AT_APPROVAL),
    _s("minhang-robotics", "minhang-2018.demo", 2020, State.CLOSED, date(2020, 3, 2), subject="M1"),
    _s("minhang-robotics", "minhang-2018.rent", 2020, State.APPROVED, date(2020, 3, 16)),
    _s("minhang-robotics", "minhang-2018.industrialization", 2020, State.ACCEPTED, date(2020, 4, 6),
       subject="M2", share=Decimal("0.6"), paid=Paid.AT_APPROVAL),
    _s("maqiao-manufacturing", "minhang-2018.rd-institution", 2020, State.REJECTED, date(2020, 4, 20),
       subject="I1", reason="国家级研发机构认定文件尚在公示期, 本年度不予资助"),
    _s("minhang-robotics", "minhang-2018.rd-institution", 2020, State.REJECTED, date(2020, 5, 11),
       subject="I1", reason="研究院尚未形成独立研发团队, 专家评审未通过"),
    _s("minshi-security", "minhang-2018.tech-breakthrough", 2020, State.ACCEPTED, date(2020, 5, 18), subject="V2"),
    _s("minhang-robotics", "minhang-2018.platform", 2020, State.ACCEPTED, date(2020, 6, 1), subject="S1"),
    _s("xinzhuang-health", "minhang-2018.demo", 2020, State.APPROVED, date(2020, 6, 15),
       subject="H1", revised=True, paid=Paid.AT_APPROVAL),
    _s("zizhu-unmanned", "minhang-2018.platform", 2020, State.APPROVED, date(2020, 9, 7),
       subject="S1", paid=Paid.NOTHING),
    _s("minshi-security", "minhang-2018.revenue-milestone", 2020, State.CLOSED, date(2021, 2, 1)),
    _s("minhang-robotics", "minhang-2018.rent", 2021, State.APPROVED, date(2021, 3, 1), paid=Paid.NOTHING),
    _s("xinzhuang-health", "minhang-2018.rent", 2021, State.WITHDRAWN, date(2021, 5, 10),
       reason="已获市级租金补贴, 按就高原则放弃区级申报"),
    # --- Lingang, lingang-2024 (in force from 2024-10-14)
    _s("lingang-ai-chip", "lingang-2024.rd", 2025, State.CLOSED, date(2025, 1, 6), subject="P1", share=Decimal("0.4")),
    _s("lingang-ai-chip", "lingang-2024.foundation-model", 2025, State.ACCEPTED, date(2025, 2, 10), subject="P2"),
    _s("lingang-sensor", "lingang-2024.demo", 2025, State.ACCEPTED, date(2025, 2, 17),
       subject="T1", paid=Paid.AT_APPROVAL),
    _s("dishuihu-data", "lingang-2024.public-platform", 2025, State.APPROVED, date(2025, 3, 3), subject="S1"),
    _s("xingchen-auto", "lingang-2024.rd", 2025, State.APPROVED, date(2025, 4, 7), subject="A1", recusal=True),
    _s("gangcheng-robotics", "lingang-2024.future-industry", 2025, State.REJECTED, date(2025, 5, 12),
       subject="R2", reason="场景示范方案尚不成熟, 建议完善后下一批次申报"),
    _s("lingang-ai-chip", "lingang-2024.demo", 2025, State.APPROVED, date(2025, 6, 2),
       subject="P3", share=Decimal("0.3"), paid=Paid.NOTHING),
    _s("lingang-sensor", "lingang-2024.testing", 2025, State.WITHDRAWN, date(2025, 8, 4),
       subject="T3", reason="测试尚未完成, 待取得全部测试报告后再申报"),
    _s("lingang-ai-chip", "lingang-2024.testing", 2025, State.UNDER_REVIEW, date(2025, 10, 13), subject="P4"),
    _s("xingchen-auto", "lingang-2024.testing", 2025, State.RETURNED, date(2025, 10, 20),
       subject="A2", reason="测试费用发票与合同金额不一致, 请补充说明"),
    _s("dishuihu-data", "lingang-2024.dataset", 2025, State.RETURNED, date(2025, 10, 27),
       subject="D1", reason=RETURN_REASON),
    _s("gangcheng-robotics", "lingang-2024.rd", 2025, State.UNDER_REVIEW, date(2025, 11, 3),
       subject="R1", recusal=True, decided=False),
    _s("lingang-ai-chip", "lingang-2024.procurement", 2025, State.SUBMITTED, date(2025, 11, 17), subject="P5"),
    _s("lingang-sensor", "lingang-2024.fixed-investment", 2025, State.SUBMITTED, date(2025, 11, 24), subject="T2"),
    _s("gangcheng-robotics", "lingang-2024.procurement", 2025, State.DRAFT, date(2025, 12, 1), subject="R3"),
    _s("lingang-sensor", "lingang-2024.testing", 2025, State.DRAFT, date(2025, 12, 8), subject="T3"),
)
