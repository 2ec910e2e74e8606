"""The facts of an enterprise and its projects: the calculator's input.

Strict on purpose: unknown keys, negative money, impossible dates and invalid credit codes
are errors naming the field. A fact left out is None (unknown), never a guessed default;
conditions that need it fail with "not provided".

Values are read as people write them (huiqi.facts.chinese): 是/否 for yes/no, 2025/6/30 or
2025年6月30日 for dates, full-width digits, amounts with 万/亿/元/¥, districts by short name.
Every refusal is said in Chinese and English (huiqi.diagnostics.Bilingual).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from huiqi.diagnostics import Bilingual
from huiqi.facts.chinese import parse_bool, parse_date, parse_number, parse_whole, parse_year
from huiqi.facts.credit_code import validate_credit_code
from huiqi.facts.vocabulary import (
    ContractKind,
    ContractPurpose,
    CostKind,
    EntityType,
    IndustryKind,
    Labelled,
    Level,
    PlatformKind,
    ProjectKind,
    Recognition,
    SizeClass,
    Track,
)
from huiqi.facts.vocabulary import Field as TechField
from huiqi.money import parse_amount
from huiqi.regions import HOME, read_region


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise Bilingual("金额不能为负数", "an amount must not be negative")
    return value


def _labelled(enum: type[Labelled]) -> BeforeValidator:
    return BeforeValidator(enum.read)


def _count(raw: object) -> object:
    """Counts such as parameters may be written with Chinese units: '1000亿' parameters."""
    if isinstance(raw, str):
        value = parse_amount(raw)
        if value != value.to_integral_value():
            raise Bilingual(f"数量应为整数: {raw!r}", f"a count must be a whole number: {raw!r}")
        return int(value)
    return parse_whole(raw)


Money = Annotated[
    Decimal,
    BeforeValidator(parse_amount),
    AfterValidator(_non_negative),
    Field(json_schema_extra={"unit": "元 (yuan); strings with 万/亿 accepted, e.g. '300万元'"}),
]
Year = Annotated[int, BeforeValidator(parse_year), Field(ge=1990, le=2100)]
CreditCode = Annotated[str, AfterValidator(validate_credit_code)]


def _region_code(raw: object) -> object:
    """A region as its code: GB/T 2260 (310112), a zone's (310000-lingang), or a name as people write
    it (闵行, 上海市闵行区, 深圳市南山区, 临港; huiqi's old codes such as minhang too). A name two regions
    share is read as Shanghai's where one of them is (普陀区), else refused naming both."""
    if raw is None:
        return None
    return read_region(raw, prefer=HOME).code


RegionCode = Annotated[
    str,
    BeforeValidator(_region_code),
    Field(
        description="a GB/T 2260 code or name: 闵行, 上海市闵行区, 深圳市南山区, 临港",
        json_schema_extra={"region": True},
    ),
]
Count = Annotated[int, BeforeValidator(_count), Field(ge=0)]
ByYear = dict[Year, Money]
YesNo = Annotated[bool, BeforeValidator(parse_bool)]
Day = Annotated[date, BeforeValidator(parse_date)]
Area = Annotated[Decimal, BeforeValidator(parse_number), Field(gt=0)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _term(zh: str, description: str = "", unit: str | None = None) -> Any:
    """Field metadata: the Chinese term, a description, and a unit shown by `huiqi schema`."""
    extra: dict[str, str] = {"zh": zh}
    if unit:
        extra["unit"] = unit
    return Field(title=zh, description=description or None, json_schema_extra=extra)  # type: ignore[arg-type]


class Enterprise(StrictModel):
    name: Annotated[str, Field(min_length=1, title="企业名称")]
    credit_code: Annotated[CreditCode, _term("统一社会信用代码", "18 characters, GB 32100-2015 check digit")]
    entity_type: Annotated[EntityType, _labelled(EntityType), _term("主体类型", EntityType.described())] = EntityType[
        "ENTERPRISE"
    ]
    fully_district_funded: Annotated[YesNo | None, _term("区级财政全额拨款事业单位")] = None
    business_district: Annotated[RegionCode, _term("工商注册地", "the region of the business registration")]
    tax_district: Annotated[RegionCode, _term("税务登记地", "the region of the tax registration")]
    severe_credit_record: Annotated[
        YesNo, _term("严重失信记录", "severe judicial or administrative negative record on the public credit platform")
    ]
    ai_enterprise: Annotated[YesNo | None, _term("人工智能企业")] = None
    leading_enterprise: Annotated[YesNo | None, _term("领军企业")] = None
    revenue: Annotated[ByYear, _term("年主营业务收入", "main-business revenue by year", "元/年")] = Field(
        default_factory=dict
    )
    above_scale: Annotated[YesNo | None, _term("进入区规上企业库")] = None
    settled_date: Annotated[Day | None, _term("落户日期", "date the enterprise settled in the district")] = None
    founded: Annotated[Day | None, _term("成立日期", "the date of establishment on the business licence")] = None
    industry: Annotated[
        IndustryKind | None,
        _labelled(IndustryKind),
        _term("所属行业", "the row of the national size classification. " + IndustryKind.described()),
    ] = None
    employees: Annotated[Count | None, _term("从业人员数", "people employed at the end of the last year", "人")] = None
    size_class: Annotated[
        SizeClass | None,
        _labelled(SizeClass),
        _term(
            "企业规模",
            "大型/中型/小型/微型 as registered; when not given, rules reading enterprise.size classify the"
            " enterprise by industry, employees and last year's revenue. " + SizeClass.described(),
        ),
    ] = None


def _costs_by_year(raw: object, info_year: int | None) -> object:
    """A cost may be one amount (for the project's year) or a mapping year -> amount."""
    if isinstance(raw, dict):
        return {
            kind: ({info_year: value} if not isinstance(value, dict) and info_year is not None else value)
            for kind, value in raw.items()
        }
    return raw


class Project(StrictModel):
    id: Annotated[str, Field(min_length=1, title="项目编号")]
    name: Annotated[str, Field(min_length=1, title="项目名称")]
    kind: Annotated[ProjectKind, _labelled(ProjectKind), _term("项目类型", ProjectKind.described())]
    year: Annotated[Year, _term("申报年度", "the year the project applies in", "年")]
    field: Annotated[TechField | None, _labelled(TechField), _term("领域", TechField.described())] = None
    track: Annotated[Track | None, _labelled(Track), _term("未来产业赛道", Track.described())] = None
    parameters: Annotated[Count | None, _term("模型参数量", "e.g. '1000亿'", "个")] = None
    application_scenarios: Annotated[Count | None, _term("落地实际应用场景数", unit="个")] = None
    costs: Annotated[
        dict[Annotated[CostKind, _labelled(CostKind)], ByYear],
        _term(
            "投资与费用",
            "by kind and year; one amount stands for the project's year. " + CostKind.described(),
            "元",
        ),
    ] = Field(default_factory=dict)
    recognitions: Annotated[
        frozenset[Annotated[Recognition, _labelled(Recognition)]],
        _term("认定与评审", Recognition.described()),
    ] = frozenset()
    city_support: Annotated[Money | None, _term("市级及以上扶持金额", unit="元")] = None

    @model_validator(mode="before")
    @classmethod
    def _spread_single_costs(cls, data: Any) -> Any:
        if isinstance(data, dict) and "costs" in data:
            year = data.get("year")
            if isinstance(year, str | float | Decimal):  # "2025", "2025年", 2025.0 from a form, a CSV cell
                try:
                    year = parse_whole(year, year=True)
                except Bilingual:
                    year = None  # the year's own validator names the problem
            data = {**data, "costs": _costs_by_year(data["costs"], year if isinstance(year, int) else None)}
        return data


class Lease(StrictModel):
    id: Annotated[str, Field(min_length=1, title="租赁编号")]
    area_m2: Annotated[Area, Field(title="租赁面积", json_schema_extra={"unit": "平方米"})]
    annual_rent: Annotated[Money, _term("年租金", "rent for the whole area for one year", "元/年")]
    start_date: Annotated[Day, _term("租赁起始日")]
    end_date: Annotated[Day | None, _term("租赁终止日", "the lease's last day (inclusive, as in 至2020-06-30)")] = None
    use: Annotated[str | None, _term("用途", "办公 / 生产经营")] = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Lease:
        if self.end_date is not None and self.end_date < self.start_date:
            raise Bilingual("租赁终止日不能早于起始日", "end_date must not be before start_date")
        return self


class RDInstitution(StrictModel):
    id: Annotated[str, Field(min_length=1, title="机构编号")]
    name: Annotated[str, Field(min_length=1, title="机构名称")]
    level: Annotated[Level, _labelled(Level), _term("认定级别", Level.described())]
    domestic_funded: Annotated[YesNo, _term("内资研发机构")]
    recognised_year: Annotated[Year, _term("认定年度", unit="年")]


class ServicePlatform(StrictModel):
    id: Annotated[str, Field(min_length=1, title="平台编号")]
    name: Annotated[str, Field(min_length=1, title="平台名称")]
    kind: Annotated[PlatformKind, _labelled(PlatformKind), _term("平台类型", PlatformKind.described())]
    year: Annotated[Year, _term("申报年度", unit="年")]
    recognition_level: Annotated[
        Level | None, _labelled(Level), _term("认定级别", "the authority that recognised it")
    ] = None
    construction_cost: Annotated[Money | None, _term("建设费用", unit="元")] = None
    approved_investment: Annotated[Money | None, _term("核定总投资额", unit="元")] = None
    service_to_district_ai: Annotated[ByYear, _term("为本区人工智能企业提供服务的实际服务额度", "by year", "元/年")] = (
        Field(default_factory=dict)
    )


def months_between(start: date, end: date) -> int:
    """The calendar months a term from start to end (inclusive) runs in, a month counted once its
    day of the month is reached: 2024-01-01..2024-12-31 is 12, 2024-01-15..2025-01-14 is 12,
    2024-01-15..2025-01-15 is 13 (a day more than a year). The batch compiler counts the same way."""
    return (end.year - start.year) * 12 + (end.month - start.month) + (1 if end.day >= start.day else 0)


class Contract(StrictModel):
    """A service contract a voucher pays on: compute, model API calls, corpus or data purchase."""

    id: Annotated[str, Field(min_length=1, title="合同编号")]
    name: Annotated[str | None, Field(title="合同名称")] = None
    kind: Annotated[ContractKind, _labelled(ContractKind), _term("合同类型", ContractKind.described())]
    purpose: Annotated[
        ContractPurpose | None, _labelled(ContractPurpose), _term("用途", ContractPurpose.described())
    ] = None
    counterparty: Annotated[str | None, _term("服务商", "the other party: the compute, model or data provider")] = None
    via_exchange: Annotated[YesNo | None, _term("通过数据交易平台", "bought through a data exchange")] = None
    related_party: Annotated[YesNo | None, _term("关联方交易", "the provider is a related party of the enterprise")] = (
        None
    )
    signed: Annotated[Day, _term("签订日期")]
    service_start: Annotated[Day | None, _term("服务起始日")] = None
    service_end: Annotated[Day | None, _term("服务终止日", "the last day of service (inclusive)")] = None
    amount: Annotated[Money, _term("合同金额", unit="元")]
    paid: Annotated[Money | None, _term("实际支付金额", "paid under the contract, by invoice", "元")] = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Contract:
        if self.service_start is not None and self.service_end is not None and self.service_end < self.service_start:
            raise Bilingual("服务终止日不能早于起始日", "service_end must not be before service_start")
        return self

    @property
    def year(self) -> int:
        """A contract belongs to the year it was signed (its claims and annual caps)."""
        return self.signed.year

    @property
    def term_months(self) -> int | None:
        """The service term in months (months_between), unknown without both dates."""
        if self.service_start is None or self.service_end is None:
            return None
        return months_between(self.service_start, self.service_end)


class PriorAward(StrictModel):
    measure: Annotated[str, Field(min_length=1, title="措施编号", description="e.g. lingang-2024.procurement")]
    year: Annotated[Year, _term("年度", unit="年")]
    amount: Annotated[Money, _term("已获金额", unit="元")]
    subject: Annotated[
        str | None, _term("项目/对象编号", "the project, lease, institution, platform or contract id")
    ] = None


class Facts(StrictModel):
    """Everything the calculator needs to know about one enterprise."""

    as_of: Annotated[Day | None, _term("评估日期", "default for --as-of")] = None
    enterprise: Annotated[Enterprise, _term("企业", "the applicant")]
    projects: Annotated[list[Project], _term("项目", "the projects applied for")] = Field(default_factory=list)
    leases: Annotated[list[Lease], _term("租赁", "leased premises (rent support)")] = Field(default_factory=list)
    institutions: Annotated[list[RDInstitution], _term("研发机构", "recognised R&D institutions")] = Field(
        default_factory=list
    )
    platforms: Annotated[list[ServicePlatform], _term("服务平台", "public service platforms")] = Field(
        default_factory=list
    )
    contracts: Annotated[list[Contract], _term("服务合同", "compute, model and corpus contracts")] = Field(
        default_factory=list
    )
    prior_awards: Annotated[list[PriorAward], _term("已获资助", "support already received")] = Field(
        default_factory=list
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> Facts:
        seen: set[str] = set()
        groups: tuple[list[Any], ...] = (self.projects, self.leases, self.institutions, self.platforms, self.contracts)
        for group in groups:
            for item in group:
                if item.id in seen:
                    raise Bilingual(
                        f"编号 {item.id!r} 重复; 项目、租赁、研发机构、平台和合同的编号须各不相同",
                        f"id {item.id!r} is used twice; projects, leases, institutions, platforms and contracts"
                        " need distinct ids",
                    )
                seen.add(item.id)
        return self
