"""The flattened facts table: one row per record of an enterprise, columns derived from the facts models.

One table, long by record kind, because the facts are a small tree (an enterprise with lists of
projects, leases, institutions, platforms and prior awards) and a district's extract is a union
of such lists. Every row names its enterprise by `credit_code` and its kind in `record`:

    record       one of enterprise | project | lease | institution | platform | contract | prior_award
    credit_code  the enterprise's unified social credit code (all rows)
    id, name     the subject's id and name (the enterprise's name on its own row)

The other columns are the facts models' fields, named after the field, prefixed with the record
kind only where two models share a name (`project_kind`, `platform_kind`, `project_year`,
`platform_year`); prior awards use `award_measure`, `award_year`, `award_amount`, `award_subject`.
A by-year fact is one column per year, `<field>_<YYYY>` (`revenue_2023`,
`service_to_district_ai_2024`), and project costs are `<cost kind>_<YYYY>`
(`new_investment_2024`, `operating_cost_2025`). Recognitions are codes separated by `;`.
A column a row does not use is empty; a column the table lacks is unknown for every row.
See docs/batch.md for the full table with types.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from huiqi.facts.models import Contract, Enterprise, Facts, Lease, PriorAward, Project, RDInstitution, ServicePlatform
from huiqi.facts.vocabulary import CostKind, District, Labelled
from huiqi.regions import all_regions, read_region
from huiqi.rules.factpaths import _unwrap

Record = Literal["enterprise", "project", "lease", "institution", "platform", "contract", "prior_award"]
RECORDS: tuple[Record, ...] = ("enterprise", "project", "lease", "institution", "platform", "contract", "prior_award")
SUBJECT_RECORDS: tuple[Record, ...] = ("project", "lease", "institution", "platform", "contract")
ColumnKind = Literal["bool", "int", "money", "area", "enum", "set", "date", "str"]

MODELS: dict[Record, type[Any]] = {
    "enterprise": Enterprise,
    "project": Project,
    "lease": Lease,
    "institution": RDInstitution,
    "platform": ServicePlatform,
    "contract": Contract,
    "prior_award": PriorAward,
}
KEY_COLUMNS = ("record", "credit_code", "id", "name")
_SHARED = {"kind", "year"}  # field names used by two models: prefixed with the record kind
_AWARD_PREFIX = "award_"
YEAR_COLUMN = re.compile(r"^(?P<family>[a-z_]+?)_(?P<year>(?:19|20|21)\d\d)$")


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the flattened table: which record uses it, the fact path it holds, its type."""

    name: str
    record: Record
    field: str
    kind: ColumnKind
    required: bool
    codes: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()  # (Chinese term or other name, code), read to the code
    default: str | None = None  # the model's default when the cell is empty (entity_type)
    region: bool = False  # a region code (huiqi.regions): its codes are every region


@dataclass(frozen=True, slots=True)
class YearFamily:
    """A by-year fact: columns <prefix>_<YYYY>."""

    prefix: str
    record: Record
    path: tuple[str, ...]  # the fact path rules use, e.g. ('project', 'costs', 'new_investment')


def _column_name(record: Record, field: str) -> str:
    if record == "prior_award":
        return _AWARD_PREFIX + field
    return f"{record}_{field}" if field in _SHARED else field


REGION_FORMS = "a GB/T 2260 code (310112, 440305), a zone's (310000-lingang), or a Shanghai district's name (闵行)"


def _region_labels() -> tuple[tuple[str, str], ...]:
    """What a batch file may write for a region besides its code: the names and codes huiqi read for
    Shanghai's districts before regions (闵行, 闵行区, minhang, 临港 …). Other regions by code, so the
    reading stays a short CASE (`huiqi regions` finds a code)."""
    found: dict[str, str] = {}
    for text, member in District.spellings():
        found.setdefault(text, read_region(str(member.value)).code)
    return tuple(found.items())


def _kind_of(annotation: object, field: str, info: Any = None) -> tuple[ColumnKind, type[Enum] | None] | None:
    extra = getattr(info, "json_schema_extra", None)
    if isinstance(extra, dict) and extra.get("region"):
        return "enum", None  # a region's code (Column.region): checked and read as an enum's
    inner, _ = _unwrap(annotation)
    if field in ("area_m2",):
        return "area", None
    if inner is bool:
        return "bool", None
    if inner is int:
        return "int", None
    if inner is Decimal:
        return "money", None
    if inner is date:
        return "date", None
    if inner is str:
        return "str", None
    if isinstance(inner, type) and issubclass(inner, Enum):
        return "enum", inner
    import typing

    if typing.get_origin(inner) is frozenset:
        (item,) = typing.get_args(inner)
        item_type, _ = _unwrap(item)
        return "set", item_type if isinstance(item_type, type) and issubclass(item_type, Enum) else None
    return None  # by-year mappings and costs: YearFamily


def _derive() -> tuple[tuple[Column, ...], tuple[YearFamily, ...]]:
    columns: list[Column] = []
    families: list[YearFamily] = []
    for record, model in MODELS.items():
        for field, info in model.model_fields.items():
            if record != "prior_award" and field in ("id", "name", "credit_code"):
                continue
            found = _kind_of(info.annotation, field, info)
            if found is None:
                if field == "costs":
                    families += [YearFamily(k.value, record, (record, "costs", k.value)) for k in CostKind]
                else:
                    families.append(YearFamily(field, record, (record, field)))
                continue
            kind, enum = found
            codes = tuple(str(m.value) for m in enum) if enum is not None else ()
            region = isinstance(info.json_schema_extra, dict) and bool(info.json_schema_extra.get("region"))
            if region:
                codes = tuple(sorted(all_regions()))
            # every other name of a code (its Chinese term, a district's short name) read to the code
            labels = (
                tuple((text, str(m.value)) for text, m in enum.spellings() if text != m.value)
                if enum is not None and issubclass(enum, Labelled)
                else _region_labels()
                if region
                else ()
            )
            required = info.is_required() and field not in ("name",)
            default = str(info.default.value) if isinstance(info.default, Enum) else None
            name = _column_name(record, field)
            columns.append(Column(name, record, field, kind, required, codes, labels, default, region))
    return tuple(columns), tuple(families)


COLUMNS, YEAR_FAMILIES = _derive()
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
FAMILY_BY_PREFIX: dict[str, YearFamily] = {f.prefix: f for f in YEAR_FAMILIES}
FAMILY_BY_PATH: dict[tuple[str, ...], YearFamily] = {f.path: f for f in YEAR_FAMILIES}
COLUMN_BY_PATH: dict[tuple[str, str], Column] = {(c.record, c.field): c for c in COLUMNS if c.record != "prior_award"}


def year_column(family: YearFamily, year: int) -> str:
    return f"{family.prefix}_{year}"


def classify(name: str) -> Column | tuple[YearFamily, int] | str | None:
    """What a column of an input table is: a key column, a fact column, a by-year column or None (unknown)."""
    if name in KEY_COLUMNS:
        return name
    if name in BY_NAME:
        return BY_NAME[name]
    match = YEAR_COLUMN.match(name)
    if match and match["family"] in FAMILY_BY_PREFIX:
        return FAMILY_BY_PREFIX[match["family"]], int(match["year"])
    return None


def describe() -> list[tuple[str, str, str, str]]:
    """(column, record, type, notes) for docs and `huiqi batch --schema`."""
    rows = [
        ("record", "all", "text", "enterprise | project | lease | institution | platform | contract | prior_award"),
        ("credit_code", "all", "text", "the enterprise's unified social credit code (GB 32100-2015)"),
        (
            "id",
            "project, lease, institution, platform, contract",
            "text",
            "the subject's id, unique within the enterprise",
        ),
        ("name", "enterprise, project, institution, platform, contract", "text", "name"),
    ]
    types = {
        "bool": "boolean",
        "int": "integer",
        "money": "decimal yuan (≤ 2 places)",
        "area": "decimal m² (≤ 2 places)",
        "enum": "code",
        "set": "codes separated by ;",
        "date": "date",
        "str": "text",
    }
    for column in COLUMNS:
        codes = REGION_FORMS if column.region else ", ".join(column.codes)
        notes = ("required; " if column.required else "") + codes
        rows.append((column.name, column.record, types[column.kind], notes.rstrip("; ")))
    for family in YEAR_FAMILIES:
        rows.append((f"{family.prefix}_<YYYY>", family.record, "decimal yuan (≤ 2 places)", ".".join(family.path)))
    return rows


# ---- facts <-> rows (tests, examples; the synthetic generator writes columns directly) ----------


def _cell(value: object) -> object:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, frozenset):
        return ";".join(sorted(str(v) for v in value))
    return value


def facts_rows(facts: Facts) -> list[dict[str, object]]:
    """The rows of one enterprise, in facts order: the enterprise row first."""
    enterprise = facts.enterprise
    code = enterprise.credit_code
    row: dict[str, object] = {"record": "enterprise", "credit_code": code, "name": enterprise.name}
    for column in COLUMNS:
        if column.record == "enterprise":
            row[column.name] = _cell(getattr(enterprise, column.field))
    for year, amount in enterprise.revenue.items():
        row[f"revenue_{year}"] = amount
    rows = [row]
    groups: list[tuple[Record, Iterable[Any]]] = [
        ("project", facts.projects),
        ("lease", facts.leases),
        ("institution", facts.institutions),
        ("platform", facts.platforms),
        ("contract", facts.contracts),
    ]
    for record, items in groups:
        for item in items:
            row = {"record": record, "credit_code": code, "id": item.id, "name": getattr(item, "name", None)}
            for column in COLUMNS:
                if column.record == record:
                    row[column.name] = _cell(getattr(item, column.field))
            if record == "project":
                for kind, by_year in item.costs.items():
                    for year, amount in by_year.items():
                        row[f"{kind.value}_{year}"] = amount
            if record == "platform":
                for year, amount in item.service_to_district_ai.items():
                    row[f"service_to_district_ai_{year}"] = amount
            rows.append(row)
    for award in facts.prior_awards:
        rows.append(
            {
                "record": "prior_award",
                "credit_code": code,
                "award_measure": award.measure,
                "award_year": award.year,
                "award_amount": award.amount,
                "award_subject": award.subject,
            }
        )
    return rows


def arrow_type(name: str) -> Any:
    """The Arrow type a column is written with (synthetic data and converted facts)."""
    import pyarrow as pa

    found = classify(name)
    if isinstance(found, tuple):
        return pa.decimal128(18, 2)
    if isinstance(found, Column):
        return {
            "bool": pa.bool_(),
            "int": pa.int64(),
            "money": pa.decimal128(18, 2),
            "area": pa.decimal128(18, 2),
            "date": pa.date32(),
        }.get(found.kind, pa.string())
    return pa.string()


def rows_table(rows: list[dict[str, object]]) -> Any:
    """A pyarrow table of rows (columns: the union of the rows' keys, typed by the schema)."""
    import pyarrow as pa

    names: list[str] = []
    seen: set[str] = set()
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                names.append(key)
    arrays = {}
    for name in names:
        values = [row.get(name) for row in rows]
        arrays[name] = pa.array(values, type=arrow_type(name))
    return pa.table(arrays)


def facts_of_rows(rows: list[dict[str, Any]]) -> list[Facts]:
    """Facts per enterprise from good rows of the flattened table, in row order (tests compare with the interpreter)."""
    firms: dict[str, dict[str, Any]] = {}
    plural = {
        "project": "projects",
        "lease": "leases",
        "institution": "institutions",
        "platform": "platforms",
        "contract": "contracts",
    }
    for row in rows:
        code, record = row["credit_code"], row["record"]
        firm = firms.setdefault(
            code,
            {"projects": [], "leases": [], "institutions": [], "platforms": [], "contracts": [], "prior_awards": []},
        )
        data: dict[str, Any] = {}
        by_year: dict[str, dict[int, Any]] = {}
        for name, value in row.items():
            if value is None or name in ("record", "_row"):
                continue
            found = classify(name)
            if isinstance(found, Column):
                data[found.field] = value.split(";") if found.kind == "set" and value else value
                if found.kind == "set" and not value:
                    data[found.field] = []
            elif isinstance(found, tuple):
                family, year = found
                key = family.path[-1]
                by_year.setdefault(key, {})[year] = value
            elif name in ("id", "name"):
                data[name] = value
        if record == "enterprise":
            data["credit_code"] = code
            if "revenue" in by_year:
                data["revenue"] = by_year["revenue"]
            firm["enterprise"] = data
        elif record == "prior_award":
            firm["prior_awards"].append(data)
        else:
            if record == "project":
                data["costs"] = dict(by_year.items())
            if record == "platform" and "service_to_district_ai" in by_year:
                data["service_to_district_ai"] = by_year["service_to_district_ai"]
            firm[plural[record]].append(data)
    return [Facts.model_validate(firm) for firm in firms.values()]
