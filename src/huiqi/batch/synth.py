"""A synthetic population of enterprises as a flattened facts table (docs/batch.md, "Synthetic population").

Vectorised with NumPy and a fixed seed, so `huiqi synth N` is fast and reproducible. The
distributions are documented and meant to look like a Shanghai district's AI-industry extract:

- districts: Minhang 30%, Lingang 30%, the rest spread over Pudong, Xuhui, Jiading, Songjiang;
  tax registered in the same district for 90%; severe credit record 2%; AI enterprise 70%;
  leading 5%; above-scale 40%; settled date (60%) uniform 2015–2024.
- revenue 2017–2025: log-normal, median 20 million yuan (σ 1.3), growing 12% a year ± 15%.
- projects: Poisson(1.3) per firm, at most 6; kind weighted towards R&D, industrialisation,
  demonstration and fixed investment; year 2018–2026; investment log-normal, median 5 million
  (σ 1.2) in the project's year; operating and purchase costs spread over up to 3 years;
  each recognition with 3–15%; city support for 15% (median 1.5 million).
- leases: 35% of firms one, 10% two; area log-normal median 400 m² (≤ 5,000); rent 2.5–6
  yuan/m²/day; start 2016–2024; 70% end three years later.
- institutions 5% of firms, platforms 4%, prior awards 5%.

Drawn from a second stream (seed + 1), so the rows above stay as they were: founded 2010–2025
(80%); industry software and IT 50%, industry 30%, leasing and business 10%, other 10% (85%);
employees log-normal, median 60 (80%); service contracts for 40% of firms, Poisson(1.5) each, at
most 5: compute 50%, model API 30%, corpus 20%; signed 2022–2026, service from the signing date for
3–24 months (90%), amount log-normal, median 800,000 yuan (σ 1.2); 5% with a related party.

Drawn from a third stream (seed + 2), so the rows above change only where said: 10% of firms
registered (business and tax) in another city with an AI policy — Beijing's Haidian and
Chaoyang, Shenzhen's Nanshan and Futian, Hangzhou's Xihu and Binjiang — so no city's measure
should reach them; a contract's purpose (compute: model training 60%, inference 30%, other
10%; model API: inference 70%, model R&D 30%; corpus: model R&D 80%, other 20%) and, for
corpus, bought through a data exchange 60%.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huiqi.batch import schema as flat
from huiqi.facts.credit_code import ALPHABET, WEIGHTS
from huiqi.facts.vocabulary import Field, Recognition, Track

YEARS = range(2017, 2026)
PROJECT_KINDS = [
    ("rd_innovation", 18),
    ("industrialization", 14),
    ("application_demo", 14),
    ("fixed_investment", 12),
    ("foundation_model", 4),
    ("dataset", 4),
    ("testing", 6),
    ("procurement", 8),
    ("future_scenario", 6),
    ("tech_breakthrough", 8),
    ("other", 6),
]
# Region codes (huiqi.regions): 闵行区, 临港新片区, 浦东新区, 徐汇区, 嘉定区, 松江区.
DISTRICTS = [("310112", 30), ("310000-lingang", 30), ("310115", 12), ("310104", 10), ("310114", 9), ("310117", 9)]


def _pick(rng: np.random.Generator, weighted: list[tuple[str, int]], n: int) -> np.ndarray:
    names = np.array([w[0] for w in weighted], dtype=object)
    p = np.array([w[1] for w in weighted], dtype=float)
    return names[rng.choice(len(names), size=n, p=p / p.sum())]


def _some(keep: np.ndarray, values: np.ndarray) -> list[Any]:
    return [str(v) if k else None for k, v in zip(keep, values, strict=True)]


def credit_codes(start: int, n: int) -> np.ndarray:
    """Valid codes: '91310000' + a 9-digit number + the GB 32100 check character."""
    prefix = "91310000"
    numbers = np.arange(start, start + n)
    digits = np.stack([(numbers // 10**p) % 10 for p in range(8, -1, -1)], axis=1)
    head = np.array([ALPHABET.index(c) for c in prefix])
    total = (head * np.array(WEIGHTS[:8])).sum() + (digits * np.array(WEIGHTS[8:17])).sum(axis=1)
    check = np.array(list(ALPHABET))[(31 - total % 31) % 31]
    body = np.char.add(prefix, np.char.zfill(numbers.astype(str), 9))
    return np.char.add(body, check).astype(object)


def _money(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Yuan as decimal(18,2) from float draws, rounded to the fen once (the draw, not the arithmetic)."""
    fen = np.round(values * 100).astype(np.int64)
    arr = pa.array(fen, pa.int64()).cast(pa.decimal128(19, 0))
    scaled = pc.multiply(arr, pa.scalar(Decimal("0.01"), pa.decimal128(3, 2))).cast(pa.decimal128(18, 2))
    if mask is not None:
        scaled = pc.if_else(pa.array(mask), scaled, pa.nulls(len(fen), pa.decimal128(18, 2)))
    return scaled


def _dates(rng: np.random.Generator, first: date, last: date, n: int) -> np.ndarray:
    days = rng.integers(0, (last - first).days + 1, size=n)
    return np.datetime64(first) + days.astype("timedelta64[D]")


def population(firms: int, seed: int = 2024) -> pa.Table:
    rng = np.random.default_rng(seed)
    codes = credit_codes(1, firms)
    tables = [_enterprises(rng, codes), _projects(rng, codes), _leases(rng, codes), _others(rng, codes)]
    more = np.random.default_rng(seed + 1)
    tables[0] = _attributes(more, tables[0])
    tables.append(_contracts(more, codes))
    third = np.random.default_rng(seed + 2)
    tables[0] = _other_cities(third, tables[0])
    tables[-1] = _purposes(third, tables[-1])
    table = pa.concat_tables(tables, promote_options="default")
    # Rows of one enterprise together, the enterprise row first (facts order within a firm).
    firm = pc.index_in(table["credit_code"], pa.array(codes.astype(str))).to_numpy()
    kind = pc.index_in(table["record"], pa.array(list(flat.RECORDS))).to_numpy()
    order = np.lexsort((np.arange(len(firm)), kind == 0, firm))
    order = np.lexsort((np.arange(len(firm)), ~(kind == 0), firm))
    names = [n for n in _column_order() if n in table.column_names]
    return table.take(pa.array(order)).select(names)


def _column_order() -> list[str]:
    names = list(flat.KEY_COLUMNS) + [c.name for c in flat.COLUMNS]
    for family in flat.YEAR_FAMILIES:
        names += [flat.year_column(family, y) for y in range(2017, 2027)]
    return names


def _enterprises(rng: np.random.Generator, codes: np.ndarray) -> pa.Table:
    n = len(codes)
    district = _pick(rng, DISTRICTS, n)
    tax = np.where(rng.random(n) < 0.9, district, "310115")
    settled = _dates(rng, date(2015, 1, 1), date(2024, 12, 31), n)
    cols: dict[str, Any] = {
        "record": pa.array(["enterprise"] * n),
        "credit_code": pa.array(codes.astype(str)),
        "name": pa.array(np.char.add("企业", np.arange(n).astype(str))),
        "business_district": pa.array(district.astype(str)),
        "tax_district": pa.array(tax.astype(str)),
        "severe_credit_record": pa.array(rng.random(n) < 0.02),
        "ai_enterprise": pa.array(rng.random(n) < 0.7),
        "leading_enterprise": pa.array(rng.random(n) < 0.05),
        "above_scale": pa.array(rng.random(n) < 0.4),
        "settled_date": pa.array(settled, pa.date32()).filter(pa.array(np.ones(n, bool))),
    }
    has_settled = rng.random(n) < 0.6
    cols["settled_date"] = pc.if_else(pa.array(has_settled), cols["settled_date"], pa.nulls(n, pa.date32()))
    base = rng.lognormal(np.log(20e6), 1.3, n)
    for i, year in enumerate(YEARS):
        growth = (1.12 + rng.normal(0, 0.15, n)).clip(0.5, 2.0)
        base = base * growth if i else base
        cols[f"revenue_{year}"] = _money(base)
    return pa.table(cols)


INDUSTRIES = [("software_it", 50), ("industry", 30), ("leasing_business", 10), ("other", 10)]
CONTRACT_KINDS = [("compute", 50), ("model_api", 30), ("corpus", 20)]


def _attributes(rng: np.random.Generator, firms: pa.Table) -> pa.Table:
    """Founding date, industry and employees: what the size class and startup readings need."""
    n = firms.num_rows
    founded = pa.array(_dates(rng, date(2010, 1, 1), date(2025, 12, 31), n), pa.date32())
    industry = _pick(rng, INDUSTRIES, n)
    employees = np.maximum(rng.lognormal(np.log(60), 1.2, n).round(), 1).astype(np.int64)
    known = [rng.random(n) < share for share in (0.8, 0.85, 0.8)]
    firms = firms.append_column("founded", pc.if_else(pa.array(known[0]), founded, pa.nulls(n, pa.date32())))
    firms = firms.append_column("industry", pa.array(_some(known[1], industry), pa.string()))
    return firms.append_column(
        "employees", pc.if_else(pa.array(known[2]), pa.array(employees), pa.nulls(n, pa.int64()))
    )


def _contracts(rng: np.random.Generator, codes: np.ndarray) -> pa.Table:
    having = codes[rng.random(len(codes)) < 0.4]
    per_firm = np.minimum(np.maximum(rng.poisson(1.5, len(having)), 1), 5)
    owner = np.repeat(having, per_firm)
    n = len(owner)
    index = np.concatenate([np.arange(k) for k in per_firm]) if n else np.array([], dtype=np.int64)
    signed = _dates(rng, date(2022, 1, 1), date(2026, 6, 30), n)
    months = rng.integers(3, 25, n)
    start = signed
    end = [_months_later(day, int(m)) for day, m in zip(signed.astype(date), months, strict=True)]
    dated = rng.random(n) < 0.9
    amounts = rng.lognormal(np.log(8e5), 1.2, n)
    return pa.table(
        {
            "record": pa.array(["contract"] * n),
            "credit_code": pa.array(owner.astype(str)),
            "id": pa.array(np.char.add("C", index.astype(str))),
            "contract_kind": pa.array(_pick(rng, CONTRACT_KINDS, n).astype(str)),
            "signed": pa.array(signed, pa.date32()),
            "service_start": pc.if_else(pa.array(dated), pa.array(start, pa.date32()), pa.nulls(n, pa.date32())),
            "service_end": pc.if_else(pa.array(dated), pa.array(end, pa.date32()), pa.nulls(n, pa.date32())),
            "amount": _money(amounts),
            # 70% have their invoiced payments so far: half to all of the amount (the vouchers paying
            # on what was incurred read them)
            "paid": _money(amounts * rng.uniform(0.5, 1.0, n), rng.random(n) < 0.7),
            "related_party": pa.array(rng.random(n) < 0.05),
        }
    )


# Region codes: 北京市海淀区, 朝阳区, 北京经济技术开发区; 深圳市南山区, 福田区; 杭州市西湖区, 滨江区.
OTHER_CITIES = [
    ("110108", 20),
    ("110105", 10),
    ("110000-etown", 10),
    ("440305", 25),
    ("440304", 10),
    ("330106", 15),
    ("330108", 10),
]
PURPOSES = {
    "compute": [("model_training", 60), ("inference", 30), ("other", 10)],
    "model_api": [("inference", 70), ("model_rd", 30)],
    "corpus": [("model_rd", 80), ("other", 20)],
}


def _other_cities(rng: np.random.Generator, firms: pa.Table, share: float = 0.1) -> pa.Table:
    """A share of the firms moved, business and tax registration, to another city's district."""
    n = firms.num_rows
    moved = pa.array(rng.random(n) < share)
    city = pa.array(_pick(rng, OTHER_CITIES, n).astype(str))
    for name in ("business_district", "tax_district"):
        firms = firms.set_column(firms.schema.get_field_index(name), name, pc.if_else(moved, city, firms[name]))
    return firms


def _purposes(rng: np.random.Generator, contracts: pa.Table) -> pa.Table:
    """What each contract bought is for, by its kind; whether a corpus was bought on an exchange."""
    n = contracts.num_rows
    kinds = contracts["contract_kind"].to_numpy(zero_copy_only=False)
    purpose = np.empty(n, dtype=object)
    for kind, weighted in PURPOSES.items():
        purpose = np.where(kinds == kind, _pick(rng, weighted, n), purpose)
    exchange = (kinds == "corpus") & (rng.random(n) < 0.6)
    contracts = contracts.append_column("purpose", pa.array(purpose.astype(str)))
    return contracts.append_column("via_exchange", pa.array(exchange))


def _months_later(day: date, months: int) -> date:
    """The last day of a term of `months` months from `day`: the day before the same day of the month
    `months` later (the 28th at most, so every month has it)."""
    year, month = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month + 1, min(day.day, 28)) - timedelta(days=1)


def _projects(rng: np.random.Generator, codes: np.ndarray) -> pa.Table:
    counts = np.minimum(rng.poisson(1.3, len(codes)), 6)
    owner = np.repeat(codes, counts)
    n = len(owner)
    index = np.concatenate([np.arange(c) for c in counts]) if n else np.zeros(0, int)
    kind = _pick(rng, PROJECT_KINDS, n)
    year = rng.integers(2018, 2027, n)
    fields = np.array([str(f.value) for f in Field], dtype=object)
    tracks = np.array([str(t.value) for t in Track], dtype=object)
    recognitions = np.array([str(r.value) for r in Recognition], dtype=object)
    chance = rng.uniform(0.03, 0.15, len(recognitions))
    held = rng.random((n, len(recognitions))) < chance
    rec = [";".join(recognitions[row]) for row in held]
    cols: dict[str, Any] = {
        "record": pa.array(["project"] * n),
        "credit_code": pa.array(owner.astype(str)),
        "id": pa.array(np.char.add("P", index.astype(str))),
        "name": pa.array(np.char.add("项目", index.astype(str))),
        "project_kind": pa.array(kind.astype(str)),
        "project_year": pa.array(year, pa.int64()),
        "field": pa.array(fields[rng.integers(0, len(fields), n)].astype(str)),
        "track": pa.array(_some(rng.random(n) < 0.5, tracks[rng.integers(0, len(tracks), n)])),
        "parameters": pa.array(np.where(rng.random(n) < 0.3, rng.integers(1, 400, n) * 10**9, 0), pa.int64()),
        "application_scenarios": pa.array(rng.integers(0, 7, n), pa.int64()),
        "recognitions": pa.array(rec),
        "city_support": _money(rng.lognormal(np.log(1.5e6), 0.8, n), rng.random(n) < 0.15),
    }
    invest = rng.lognormal(np.log(5e6), 1.2, n)
    one_year = {
        "investment": 1.0,
        "new_investment": 0.8,
        "rd_cost": 0.35,
        "equipment_investment": 0.3,
        "construction_cost": 0.4,
        "ai_retrofit_investment": 0.5,
    }
    for kind_name, share in one_year.items():
        has = rng.random(n) < 0.6
        for y in range(2018, 2027):
            cols[f"{kind_name}_{y}"] = _money(invest * share, has & (year == y))
    for kind_name, share in (("operating_cost", 0.1), ("purchase_invoice", 0.4), ("testing_fee", 0.05)):
        has = rng.random(n) < 0.5
        span = rng.integers(1, 4, n)
        for y in range(2018, 2027):
            inside = has & (y >= year) & (y < year + span)
            cols[f"{kind_name}_{y}"] = _money(invest * share * rng.uniform(0.7, 1.3, n), inside)
    return pa.table(cols)


def _leases(rng: np.random.Generator, codes: np.ndarray) -> pa.Table:
    draw = rng.random(len(codes))
    counts = np.where(draw < 0.10, 2, np.where(draw < 0.45, 1, 0))
    owner = np.repeat(codes, counts)
    n = len(owner)
    index = np.concatenate([np.arange(c) for c in counts]) if n else np.zeros(0, int)
    area = np.minimum(rng.lognormal(np.log(400), 0.8, n), 5000).round(2)
    start = _dates(rng, date(2016, 1, 1), date(2024, 12, 31), n)
    end = start + np.timedelta64(3 * 365 - 1, "D")
    has_end = rng.random(n) < 0.7
    cols = {
        "record": pa.array(["lease"] * n),
        "credit_code": pa.array(owner.astype(str)),
        "id": pa.array(np.char.add("L", index.astype(str))),
        "area_m2": _money(area),
        "annual_rent": _money(area * 365 * rng.uniform(2.5, 6, n)),
        "start_date": pa.array(start, pa.date32()),
        "end_date": pc.if_else(pa.array(has_end), pa.array(end, pa.date32()), pa.nulls(n, pa.date32())),
    }
    return pa.table(cols)


def _others(rng: np.random.Generator, codes: np.ndarray) -> pa.Table:
    parts = []
    firms = codes[rng.random(len(codes)) < 0.05]
    n = len(firms)
    parts.append(
        pa.table(
            {
                "record": pa.array(["institution"] * n),
                "credit_code": pa.array(firms.astype(str)),
                "id": pa.array(["I1"] * n),
                "name": pa.array(["研发中心"] * n),
                "level": pa.array(_pick(rng, [("national", 1), ("city", 3), ("district", 6)], n).astype(str)),
                "domestic_funded": pa.array(rng.random(n) < 0.85),
                "recognised_year": pa.array(rng.integers(2016, 2026, n), pa.int64()),
            }
        )
    )
    firms = codes[rng.random(len(codes)) < 0.04]
    n = len(firms)
    year = rng.integers(2017, 2026, n)
    platform: dict[str, Any] = {
        "record": pa.array(["platform"] * n),
        "credit_code": pa.array(firms.astype(str)),
        "id": pa.array(["S1"] * n),
        "name": pa.array(["服务平台"] * n),
        "platform_kind": pa.array(
            _pick(
                rng, [("tech_innovation_service", 2), ("professional_service", 2), ("public_tech_service", 1)], n
            ).astype(str)
        ),
        "platform_year": pa.array(year, pa.int64()),
        "recognition_level": pa.array(
            _some(rng.random(n) < 0.8, _pick(rng, [("national", 1), ("city", 4), ("district", 5)], n))
        ),
        "construction_cost": _money(rng.lognormal(np.log(8e6), 0.9, n)),
        "approved_investment": _money(rng.lognormal(np.log(2e7), 0.9, n)),
    }
    for y in range(2018, 2026):
        platform[f"service_to_district_ai_{y}"] = _money(rng.lognormal(np.log(3e6), 1.0, n), y >= year)
    parts.append(pa.table(platform))
    firms = codes[rng.random(len(codes)) < 0.05]
    n = len(firms)
    measures = [
        "lingang-2024.procurement",
        "lingang-2024.testing",
        "minhang-2018.rent",
        "lingang-2024.rd",
        "minhang-2018.demo",
    ]
    parts.append(
        pa.table(
            {
                "record": pa.array(["prior_award"] * n),
                "credit_code": pa.array(firms.astype(str)),
                "award_measure": pa.array(
                    np.array(measures, dtype=object)[rng.integers(0, len(measures), n)].astype(str)
                ),
                "award_year": pa.array(rng.integers(2018, 2026, n), pa.int64()),
                "award_amount": _money(rng.lognormal(np.log(5e5), 1.0, n)),
                "award_subject": pa.array(_some(rng.random(n) < 0.5, np.full(n, "P0", dtype=object))),
            }
        )
    )
    return pa.concat_tables(parts, promote_options="default")
