"""The AI-enterprise statistical monitoring catalogue (人工智能企业统计监测目录): an enterprise's yearly
indicators, and a target's indicator computed over them (a count, a sum, with filters).

Pure: entries in, figures out. Where entries come from (an import, the ledger's database) is the
adapters' business; a correction is a new version of an entry, and only the latest counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from huiqi.facts.models import Count, CreditCode, Money, RegionCode, Year, YesNo
from huiqi.facts.vocabulary import Field as TechField
from huiqi.regions import within

NUMBERS: dict[str, tuple[str, str, str]] = {
    "main_revenue": ("主营业务收入", "main-business revenue", "元"),
    "ai_revenue": ("人工智能业务收入", "AI revenue", "元"),
    "employees": ("从业人员", "employees", "人"),
    "ai_talents": ("人工智能人才", "AI talents", "人"),
    "rd_spend": ("研发投入", "R&D spend", "元"),
    "patents_applied": ("发明专利申请数", "invention patents applied", "件"),
    "patents_granted": ("发明专利授权数", "invention patents granted", "件"),
}
"""The catalogue's numeric indicators: (Chinese, English, unit). A target's sum or growth names one."""
COUNTED = ("enterprises",)


# Bounds a database column holds (BIGINT fen, INTEGER): no real enterprise comes near them.
MAX_YUAN = Decimal(10) ** 14
MAX_COUNT = 10**9
Amount = Annotated[Money, Field(le=MAX_YUAN)]
Number = Annotated[Count, Field(le=MAX_COUNT)]


class CatalogueEntry(BaseModel):
    """One enterprise's indicators for one year, as the catalogue keeps them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    credit_code: Annotated[CreditCode, Field(title="统一社会信用代码")]
    name: Annotated[str, Field(min_length=1, title="企业名称")]
    year: Annotated[Year, Field(title="年度")]
    region: Annotated[RegionCode, Field(title="所在地区")]
    field: Annotated[TechField | None, BeforeValidator(TechField.read), Field(title="领域")] = None
    above_scale: Annotated[YesNo, Field(title="规模以上")] = False
    main_revenue: Annotated[Amount, Field(title="主营业务收入")] = Decimal(0)
    ai_revenue: Annotated[Amount, Field(title="人工智能业务收入")] = Decimal(0)
    employees: Annotated[Number, Field(title="从业人员")] = 0
    ai_talents: Annotated[Number, Field(title="人工智能人才")] = 0
    rd_spend: Annotated[Amount, Field(title="研发投入")] = Decimal(0)
    patents_applied: Annotated[Number, Field(title="发明专利申请数")] = 0
    patents_granted: Annotated[Number, Field(title="发明专利授权数")] = 0


@dataclass(frozen=True, slots=True)
class Filter:
    region: str
    fields: frozenset[str] = frozenset()
    above_scale: bool | None = None

    def admits(self, entry: CatalogueEntry) -> bool:
        if not within(entry.region, self.region):
            return False
        if self.fields and (entry.field is None or str(entry.field.value) not in self.fields):
            return False
        return self.above_scale is None or entry.above_scale == self.above_scale


def value_of(entries: Iterable[CatalogueEntry], counted: str | None) -> Decimal:
    """A count of the entries (counted None) or the sum of one indicator over them."""
    if counted is None:
        return Decimal(sum(1 for _ in entries))
    return sum((Decimal(getattr(e, counted)) for e in entries), Decimal(0))


def yearly(entries: Iterable[CatalogueEntry], admit: Filter, counted: str | None) -> dict[int, Decimal]:
    """The indicator for each year the catalogue has, over the entries the filter admits, from the
    first year it admits any (before that the catalogue does not cover them: no value, not zero)."""
    by_year: dict[int, list[CatalogueEntry]] = defaultdict(list)
    for entry in entries:
        by_year.setdefault(entry.year, [])
        if admit.admits(entry):
            by_year[entry.year].append(entry)
    covered = [year for year, group in by_year.items() if group]
    if not covered:
        return {}
    return {year: value_of(group, counted) for year, group in sorted(by_year.items()) if year >= min(covered)}


def breakdown(
    entries: Iterable[CatalogueEntry], admit: Filter, counted: str | None, year: int, by: str
) -> Mapping[str, Decimal]:
    """One year's indicator split by region or by field."""
    groups: dict[str, list[CatalogueEntry]] = defaultdict(list)
    for entry in entries:
        if entry.year == year and admit.admits(entry):
            key = entry.region if by == "region" else (str(entry.field.value) if entry.field else "")
            groups[key].append(entry)
    return {key: value_of(group, counted) for key, group in sorted(groups.items())}
