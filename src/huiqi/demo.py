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

Every demo user gets an API token and a random password, returned once. For an SQLite database
they are also written to `<database file>.tokens.txt` (mode 0600) beside it, one user a line:
name, role, token, password (tab-separated), so they can be found again; for other databases
they are only printed.
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
from huiqi.ledger import applications, catalogue, passwords, payments, tables, users
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
                "enterprise": _lingang(
                    "上海港城具身智能机器人有限公司", gangcheng, date(2024, 5, 20), {2024: "6000万"}
                ),
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
    # 1.1亿: nearly 90% committed by the end, so the approver sees a budget near its limit
    (date(2025, 1, 6), "lingang-2024", 2025, "1.1亿"),
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
        if self.ends in (State.REJECTED, State.WITHDRAWN) and not self.reason:
            raise DemoDataError(f"{self.enterprise} {self.measure}: rejecting or withdrawing needs a reason")


RETURN_REASON = "请补充项目投资专项审计报告及主要设备采购发票"

STORIES: tuple[Story, ...] = (
    # --- Minhang, minhang-2018 (in force 2018-10-01 to 2021-09-30)
    Story(
        "minshi-security",
        "minhang-2018.rent",
        2019,
        State.WITHDRAWN,
        date(2019, 3, 4),
        reason="租赁合同备案尚未完成, 撤回后重新申报",
    ),
    Story("minshi-security", "minhang-2018.rent", 2019, State.CLOSED, date(2019, 4, 1)),
    Story(
        "minshi-security", "minhang-2018.demo", 2019, State.CLOSED, date(2019, 4, 8), subject="V1", share=Decimal("0.7")
    ),
    Story("zizhu-unmanned", "minhang-2018.industrialization", 2019, State.CLOSED, date(2019, 6, 3), subject="U1"),
    Story("xinzhuang-health", "minhang-2018.rd-institution", 2019, State.CLOSED, date(2019, 9, 2), subject="I1"),
    Story("minhang-robotics", "minhang-2018.rent", 2019, State.CLOSED, date(2019, 10, 8)),
    Story("maqiao-manufacturing", "minhang-2018.revenue-milestone", 2019, State.CLOSED, date(2020, 1, 13)),
    Story("minhang-robotics", "minhang-2018.revenue-milestone", 2019, State.CLOSED, date(2020, 2, 17)),
    Story(
        "maqiao-manufacturing", "minhang-2018.major-project-match", 2020, State.CLOSED, date(2020, 2, 24), subject="Q1"
    ),
    Story(
        "maqiao-manufacturing",
        "minhang-2018.industrialization",
        2020,
        State.ACCEPTED,
        date(2020, 2, 24),
        subject="Q1",
        share=Decimal("0.8"),
        paid=Paid.AT_APPROVAL,
    ),
    Story("minhang-robotics", "minhang-2018.demo", 2020, State.CLOSED, date(2020, 3, 2), subject="M1"),
    Story("minhang-robotics", "minhang-2018.rent", 2020, State.APPROVED, date(2020, 3, 16)),
    Story(
        "minhang-robotics",
        "minhang-2018.industrialization",
        2020,
        State.ACCEPTED,
        date(2020, 4, 6),
        subject="M2",
        share=Decimal("0.6"),
        paid=Paid.AT_APPROVAL,
    ),
    Story(
        "maqiao-manufacturing",
        "minhang-2018.rd-institution",
        2020,
        State.REJECTED,
        date(2020, 4, 20),
        subject="I1",
        reason="国家级研发机构认定文件尚在公示期, 本年度不予资助",
    ),
    Story(
        "minhang-robotics",
        "minhang-2018.rd-institution",
        2020,
        State.REJECTED,
        date(2020, 5, 11),
        subject="I1",
        reason="研究院尚未形成独立研发团队, 专家评审未通过",
    ),
    Story("minshi-security", "minhang-2018.tech-breakthrough", 2020, State.ACCEPTED, date(2020, 5, 18), subject="V2"),
    Story("minhang-robotics", "minhang-2018.platform", 2020, State.ACCEPTED, date(2020, 6, 1), subject="S1"),
    Story(
        "xinzhuang-health",
        "minhang-2018.demo",
        2020,
        State.APPROVED,
        date(2020, 6, 15),
        subject="H1",
        revised=True,
        paid=Paid.AT_APPROVAL,
    ),
    Story(
        "zizhu-unmanned",
        "minhang-2018.platform",
        2020,
        State.APPROVED,
        date(2020, 9, 7),
        subject="S1",
        paid=Paid.NOTHING,
    ),
    Story("minshi-security", "minhang-2018.revenue-milestone", 2020, State.CLOSED, date(2021, 2, 1)),
    Story("minhang-robotics", "minhang-2018.rent", 2021, State.APPROVED, date(2021, 3, 1), paid=Paid.NOTHING),
    Story(
        "xinzhuang-health",
        "minhang-2018.rent",
        2021,
        State.WITHDRAWN,
        date(2021, 5, 10),
        reason="已获市级租金补贴, 按就高原则放弃区级申报",
    ),
    # --- Lingang, lingang-2024 (in force from 2024-10-14)
    Story(
        "lingang-ai-chip", "lingang-2024.rd", 2025, State.CLOSED, date(2025, 1, 6), subject="P1", share=Decimal("0.4")
    ),
    Story("lingang-ai-chip", "lingang-2024.foundation-model", 2025, State.ACCEPTED, date(2025, 2, 10), subject="P2"),
    Story(
        "lingang-sensor",
        "lingang-2024.demo",
        2025,
        State.ACCEPTED,
        date(2025, 2, 17),
        subject="T1",
        paid=Paid.AT_APPROVAL,
    ),
    Story("dishuihu-data", "lingang-2024.public-platform", 2025, State.APPROVED, date(2025, 3, 3), subject="S1"),
    Story("xingchen-auto", "lingang-2024.rd", 2025, State.APPROVED, date(2025, 4, 7), subject="A1", recusal=True),
    Story(
        "gangcheng-robotics",
        "lingang-2024.future-industry",
        2025,
        State.REJECTED,
        date(2025, 5, 12),
        subject="R2",
        reason="场景示范方案尚不成熟, 建议完善后下一批次申报",
    ),
    Story(
        "lingang-ai-chip",
        "lingang-2024.demo",
        2025,
        State.APPROVED,
        date(2025, 6, 2),
        subject="P3",
        share=Decimal("0.3"),
        paid=Paid.NOTHING,
    ),
    Story(
        "lingang-sensor",
        "lingang-2024.testing",
        2025,
        State.WITHDRAWN,
        date(2025, 8, 4),
        subject="T3",
        reason="测试尚未完成, 待取得全部测试报告后再申报",
    ),
    Story("lingang-ai-chip", "lingang-2024.testing", 2025, State.UNDER_REVIEW, date(2025, 10, 13), subject="P4"),
    Story(
        "xingchen-auto",
        "lingang-2024.testing",
        2025,
        State.RETURNED,
        date(2025, 10, 20),
        subject="A2",
        reason="测试费用发票与合同金额不一致, 请补充说明",
    ),
    Story(
        "dishuihu-data",
        "lingang-2024.dataset",
        2025,
        State.RETURNED,
        date(2025, 10, 27),
        subject="D1",
    ),
    Story(
        "gangcheng-robotics",
        "lingang-2024.rd",
        2025,
        State.UNDER_REVIEW,
        date(2025, 11, 3),
        subject="R1",
        recusal=True,
        decided=False,
    ),
    Story("lingang-ai-chip", "lingang-2024.procurement", 2025, State.SUBMITTED, date(2025, 11, 17), subject="P5"),
    Story("lingang-sensor", "lingang-2024.fixed-investment", 2025, State.SUBMITTED, date(2025, 11, 24), subject="T2"),
    Story("gangcheng-robotics", "lingang-2024.procurement", 2025, State.DRAFT, date(2025, 12, 1), subject="R3"),
    Story("lingang-sensor", "lingang-2024.testing", 2025, State.DRAFT, date(2025, 12, 8), subject="T3"),
)


class Do(StrEnum):
    """One step of a story, taken by the user whose role it is."""

    FILE = "file"
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    RECUSE = "recuse"
    REVIEW = "review"
    RETURN = "return"
    REVISE = "revise"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    ACCEPT = "accept"
    PAY = "pay"
    CLOSE = "close"


TRANSITIONS = {
    Do.SUBMIT: Action.SUBMIT,
    Do.START_REVIEW: Action.START_REVIEW,
    Do.RETURN: Action.RETURN,
    Do.REVISE: Action.REVISE,
    Do.APPROVE: Action.APPROVE,
    Do.REJECT: Action.REJECT,
    Do.WITHDRAW: Action.WITHDRAW,
    Do.ACCEPT: Action.ACCEPT,
    Do.CLOSE: Action.CLOSE,
}
OFFICER_STEPS = {
    Do.START_REVIEW: "demo-reviewer",
    Do.REVIEW: "demo-reviewer",
    Do.RETURN: "demo-reviewer",
    Do.REJECT: "demo-reviewer",
    Do.ACCEPT: "demo-reviewer",
    Do.RECUSE: "demo-reviewer-2",
    Do.APPROVE: "demo-approver",
    Do.PAY: "demo-finance",
    Do.CLOSE: "demo-finance",
}
ACCEPTANCE_AFTER = 180  # days from approval: the projects are accepted about half a year later
PAYMENT_AFTER = 14  # days from the step that made a tranche payable


def timeline(story: Story) -> list[tuple[int, Do]]:
    """The story's steps, each with its day counted from the filing."""
    steps = [(0, Do.FILE)]
    if story.ends is State.DRAFT:
        return steps
    steps.append((7, Do.SUBMIT))
    if story.ends is State.SUBMITTED:
        return steps
    if story.ends is State.WITHDRAWN:
        return [*steps, (14, Do.WITHDRAW)]
    steps.append((14, Do.START_REVIEW))
    day = 14
    if story.revised:
        steps += [(28, Do.RETURN), (35, Do.REVISE), (42, Do.SUBMIT), (49, Do.START_REVIEW)]
        day = 49
    if story.recusal:
        steps.append((day + 7, Do.RECUSE))
    if story.ends is State.RETURNED:
        return [*steps, (day + 14, Do.RETURN)]
    if story.ends is State.REJECTED:
        return [*steps, (day + 21, Do.REJECT)]
    if story.ends is State.UNDER_REVIEW and not story.decided:
        return steps
    steps.append((day + 21, Do.REVIEW))
    if story.ends is State.UNDER_REVIEW:
        return steps  # decided, waiting for the approver
    approved = day + 35
    steps.append((approved, Do.APPROVE))
    if story.paid is not Paid.NOTHING:
        steps.append((approved + PAYMENT_AFTER, Do.PAY))
    if story.ends is State.APPROVED:
        return steps
    accepted = approved + ACCEPTANCE_AFTER
    steps.append((accepted, Do.ACCEPT))
    if story.paid is Paid.ALL:
        steps.append((accepted + PAYMENT_AFTER, Do.PAY))
    if story.ends is State.ACCEPTED:
        return steps
    steps.append((accepted + 2 * PAYMENT_AFTER, Do.CLOSE))
    return steps


# ----- how the experts decide

EXPERTS = ("王建华 教授", "李敏 研究员", "陈志远 高级工程师")
EXPERT_LEANINGS = (Decimal("1.5"), Decimal("-2.0"), Decimal("0.5"))  # so that the three scores differ a little


def decided_amount(allowed: Interval, share: Decimal) -> Decimal:
    """The point `share` of the way through the allowed range, rounded to 万 when that stays inside it."""
    point = allowed.lo + (allowed.hi - allowed.lo) * share
    rounded = round_fen((point / WAN).quantize(Decimal(1), ROUND_HALF_UP) * WAN)
    return rounded if allowed.lo <= rounded <= allowed.hi else round_fen(point)


def panel_scores(share: Decimal) -> list[dict[str, Any]]:
    """Scores out of 100 that go with the decision: the higher the share of the range, the better the scores."""
    base = Decimal(75) + Decimal(20) * share
    return [{"expert": name, "score": base + lean} for name, lean in zip(EXPERTS, EXPERT_LEANINGS, strict=True)]


PAYMENT_ISSUERS = {"minhang-2018": "闵财拨", "lingang-2024": "临管财拨"}


# ----- loading


@dataclass(frozen=True, slots=True)
class Step:
    on: date
    run: Callable[[], None]


SUBJECT_KINDS = {plural: kind for kind, plural in catalogue.FACTS_LIST.items()}


class DemoLoader:
    """Takes the demo's steps in date order, each as its user, through the ledger's services."""

    def __init__(self, ledger: Ledger, clock: DemoClock, enterprises: Iterable[DemoEnterprise]):
        self.ledger = ledger
        self.clock = clock
        self.enterprises = {e.slug: e for e in enterprises}
        self.actors: dict[str, Actor] = {}
        self.roles: dict[str, Role] = {}
        self.tokens: dict[str, str] = {}
        self.passwords: dict[str, str] = {}
        self.subjects: dict[tuple[str, str], int] = {}  # (enterprise slug, ref) -> project id
        self.applications: dict[int, int] = {}  # story number -> application id
        self.payment_orders: dict[tuple[str, int], int] = {}  # (issuer, year) -> payment orders issued

    def plan(self, stories: Iterable[Story]) -> list[Step]:
        steps = [Step(START, self.open_officer_accounts)]
        steps += [
            Step(on, partial(self.set_budget, policy, year, allocated)) for on, policy, year, allocated in BUDGETS
        ]
        for enterprise in self.enterprises.values():
            steps.append(Step(enterprise.joined, partial(self.add_enterprise, enterprise)))
            steps.append(Step(enterprise.joined, partial(self.add_subjects, enterprise)))
        for number, story in enumerate(stories):
            steps += [
                Step(story.filed + timedelta(days=d), partial(self.take, number, story, do))
                for d, do in timeline(story)
            ]
        return sorted(steps, key=lambda step: step.on)  # stable: steps of one day keep the order above

    def run(self, steps: Iterable[Step]) -> None:
        for step in steps:
            self.clock.move_to(step.on)
            step.run()

    def _add_user(self, uow: UnitOfWork, name: str, role: Role, enterprise: str | None = None) -> None:
        password = passwords.generate()
        user, token = users.add_user(uow, name, role.value, enterprise, password=password)
        self.actors[name], self.roles[name], self.tokens[name] = users.actor_of(user), role, token
        self.passwords[name] = password

    def open_officer_accounts(self) -> None:
        def work(uow: UnitOfWork) -> None:
            for name, role in OFFICERS:
                self._add_user(uow, name, role)

        self.ledger.run(SYSTEM, work)

    def set_budget(self, policy: str, year: int, allocated: str) -> None:
        self.ledger.run(
            self.actors["demo-finance"],
            lambda uow: payments.set_budget(uow, policy, year, parse_amount(allocated), None),
        )

    def add_enterprise(self, enterprise: DemoEnterprise) -> None:
        def work(uow: UnitOfWork) -> None:
            catalogue.add_enterprise(uow, enterprise.data["enterprise"])
            self._add_user(uow, user_name(enterprise), Role.ENTERPRISE, enterprise.code)

        self.ledger.run(self.actors["demo-admin"], work)

    def add_subjects(self, enterprise: DemoEnterprise) -> None:
        """The enterprise enters its own projects, leases, institutions and platforms."""

        def work(uow: UnitOfWork) -> None:
            for plural, kind in SUBJECT_KINDS.items():
                for facts in enterprise.data.get(plural, []):
                    row = catalogue.add_project(uow, enterprise.code, kind, facts)
                    self.subjects[(enterprise.slug, row.ref)] = row.id

        self.ledger.run(self.actors[user_name(enterprise)], work)

    def take(self, number: int, story: Story, do: Do) -> None:
        enterprise = self.enterprises[story.enterprise]
        actor = self.actors[OFFICER_STEPS.get(do) or user_name(enterprise)]
        if do is Do.FILE:
            self.applications[number] = self.ledger.run(actor, lambda uow: self._file(uow, enterprise, story))
            return
        application = self.applications[number]
        if do is Do.REVIEW:
            self.ledger.run(actor, lambda uow: self._review(uow, application, story))
        elif do is Do.RECUSE:
            recusal = {"conflict_of_interest": True, "opinion": "本人曾为该企业提供技术咨询, 申请回避"}
            self.ledger.run(actor, lambda uow: applications.add_review(uow, application, recusal))
        elif do is Do.PAY:
            self.ledger.run(actor, lambda uow: self._pay_due(uow, enterprise, application, story))
        else:
            reason = (story.reason or RETURN_REASON) if do in (Do.RETURN, Do.REJECT, Do.WITHDRAW) else ""
            self.ledger.run(actor, lambda uow: applications.act(uow, application, TRANSITIONS[do], reason=reason))

    def _file(self, uow: UnitOfWork, enterprise: DemoEnterprise, story: Story) -> int:
        title = uow.library.measure(story.measure).measure.title
        row = applications.file_application(
            uow,
            enterprise=enterprise.code,
            project=self.subjects[(enterprise.slug, story.subject)] if story.subject else None,
            measure=story.measure,
            year=story.year,
            note=f"申报{story.year}年度{title}",
        )
        if applications.allowed_now(uow, row) is None:  # every demo application must be one the engine grants
            raise DemoDataError(f"{enterprise.slug} {story.measure} {story.subject or ''}: not eligible on {uow.today}")
        return row.id

    def _review(self, uow: UnitOfWork, application: int, story: Story) -> None:
        allowed = applications.allowed_now(uow, applications.application_by_id(uow, application))
        if allowed is None:
            raise DemoDataError(f"{story.enterprise} {story.measure}: nothing may be decided on {uow.today}")
        decided = decided_amount(allowed, story.share)
        scores = panel_scores(story.share)
        average = sum((s["score"] for s in scores), Decimal(0)) / len(scores)
        opinion = f"专家组评审通过, 平均得分{average:.1f}; 建议资助{format_wan(decided)} (可给予 {allowed.describe()})"
        review = {"conflict_of_interest": False, "decided": decided, "scores": scores, "opinion": opinion}
        applications.add_review(uow, application, review)

    def _pay_due(self, uow: UnitOfWork, enterprise: DemoEnterprise, application: int, story: Story) -> None:
        """Finance pays every tranche of the award that is payable today."""
        awards = payments.list_awards(uow, enterprise=enterprise.code, measure=story.measure, year=story.year)
        award = next(a for a in awards if a.application_id == application)
        for tranche in award.tranches:
            if payments.why_not_payable(tranche, uow.today) is None:
                payments.pay(uow, tranche.id, paid_on=None, reference=self._payment_order(uow, award), expected=None)

    def _payment_order(self, uow: UnitOfWork, award: tables.Award) -> str:
        """The number of the finance bureau's payment order, as 闵财拨〔2020〕7号, counted per year."""
        key = (PAYMENT_ISSUERS[award.policy], uow.today.year)
        self.payment_orders[key] = self.payment_orders.get(key, 0) + 1
        return f"{key[0]}〔{key[1]}〕{self.payment_orders[key]}号"


def _holds_enterprises(uow: UnitOfWork) -> bool:
    return bool(catalogue.list_enterprises(uow, district=None, q=None, after=None, limit=1))


@dataclass(frozen=True, slots=True)
class DemoUser:
    name: str
    role: Role
    token: str
    password: str


def load_demo_users(ledger: Ledger, url: str) -> list[DemoUser]:
    """Load the demo into an empty ledger; its users with their tokens and passwords, or [] (and nothing
    done) if it holds enterprises.

    `ledger` gives the engine and the policy library; the demo runs on its own clock. For an SQLite
    `url` the users are also written to `<database file>.tokens.txt`, readable by the owner only.
    """
    if ledger.read(SYSTEM, _holds_enterprises):
        return []
    clock = DemoClock(before=START - timedelta(days=1))
    loader = DemoLoader(Ledger(ledger.engine, ledger.library, clock=clock), clock, demo_enterprises())
    loader.run(loader.plan(STORIES))
    made = [DemoUser(name, loader.roles[name], token, loader.passwords[name]) for name, token in loader.tokens.items()]
    path = tokens_path(url)
    if path is not None:
        write_tokens(path, made)
    return made


def load_demo(ledger: Ledger, url: str) -> dict[str, str]:
    """As load_demo_users: {user name: API token}, or {} if the ledger already holds enterprises."""
    return {user.name: user.token for user in load_demo_users(ledger, url)}


def tokens_path(url: str) -> Path | None:
    """`<database file>.tokens.txt` for an SQLite file; None for other databases (and in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    database = Path(parsed.database).expanduser()
    return database.with_name(database.name + ".tokens.txt")


def write_tokens(path: Path, made: Iterable[DemoUser]) -> None:
    """The users, one a line: name, role, token, password (the token stays third, as before passwords)."""
    lines = [
        "# huiqi demo users, their API tokens and passwords (keep this file private)",
        "# user\trole\ttoken\tpassword",
    ]
    lines += [f"{u.name}\t{u.role.value}\t{u.token}\t{u.password}" for u in made]
    # Created owner-only, and narrowed again in case the file was already there with a wider mode.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        os.chmod(path, 0o600)
        file.write("\n".join(lines) + "\n")
