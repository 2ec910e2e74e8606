"""Writes src/huiqi/data/demo/monitor_catalogue.csv: the demo's statistical monitoring catalogue.

A fixed seed, so the file is the same each time. Lingang's firms grow towards its 2025 targets
(about 420 firms, 400亿 of AI revenue and 17,000 AI talents in 2024), Minhang's fall just short of
its 2020 target of 300 firms, other districts fill in Shanghai. Run: .venv/bin/python scripts/make_demo_catalogue.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from huiqi.batch.synth import credit_codes
from huiqi.demo import demo_enterprises
from huiqi.facts.vocabulary import Field
from huiqi.regions import read_region

OUT = Path(__file__).resolve().parent.parent / "src" / "huiqi" / "data" / "demo" / "monitor_catalogue.csv"
FIELDS = [
    "ai_chip",
    "smart_sensor",
    "general_robot",
    "intelligent_connected_vehicle",
    "intelligent_manufacturing",
    "smart_healthcare",
    "foundation_model",
    "ai_software",
    "public_services",
]
# region: firms in each year (a firm once in stays in)
COUNTS = {
    "临港新片区": {2021: 150, 2022: 230, 2023: 320, 2024: 420},
    "闵行区": {2018: 180, 2019: 240, 2020: 290, 2021: 330, 2022: 360, 2023: 390, 2024: 410},
    "浦东新区": {2021: 120, 2022: 140, 2023: 160, 2024: 180},
    "徐汇区": {2021: 90, 2022: 100, 2023: 110, 2024: 120},
}
HEADER = [
    "统一社会信用代码",
    "企业名称",
    "年度",
    "所在地区",
    "领域",
    "规模以上",
    "主营业务收入",
    "人工智能业务收入",
    "从业人员",
    "人工智能人才",
    "研发投入",
    "发明专利申请数",
    "发明专利授权数",
]


def main() -> None:
    rng = random.Random(20241206)
    ledger_firms = [d.facts.enterprise for d in demo_enterprises()]
    # a ledger firm's field as its projects say (the catalogue and the ledger agree on it)
    fields = {
        d.facts.enterprise.credit_code: str(p.field.value)
        for d in demo_enterprises()
        for p in d.facts.projects[:1]
        if p.field is not None
    }
    rows = []
    start = 900_000
    for region, counts in COUNTS.items():
        most = max(counts.values())
        codes = credit_codes(start, most)
        start += most
        # the demo ledger's own enterprises of this region come first, so the money the ledger
        # awarded them shows beside the targets
        own = [
            (e.credit_code, e.name)
            for e in ledger_firms
            if read_region(e.business_district).code == read_region(region).code
        ]
        names = own + [
            (str(code), f"{region[:2]}智能科技{i + 1:03d}有限公司") for i, code in enumerate(codes[len(own) :])
        ]
        firms = []
        for code, name in names:
            firms.append(
                {
                    "code": code,
                    "name": name,
                    "field": fields.get(code) or rng.choice(FIELDS),
                    "revenue": rng.lognormvariate(18.2, 1.0),
                    "share": rng.uniform(0.3, 0.9),
                    "growth": rng.uniform(1.05, 1.35),
                    "staff": max(5, int(rng.lognormvariate(4.0, 0.9))),
                }
            )
        for year, count in sorted(counts.items()):
            for firm in firms[:count]:
                years = year - min(counts)
                revenue = firm["revenue"] * firm["growth"] ** years
                ai = revenue * firm["share"]
                staff = int(firm["staff"] * (1.08**years))
                rows.append(
                    [
                        firm["code"],
                        firm["name"],
                        year,
                        region,
                        Field(firm["field"]).zh,
                        "是" if revenue > 2e7 else "否",
                        f"{revenue:.2f}",
                        f"{ai:.2f}",
                        staff,
                        max(1, int(staff * firm["share"] * 0.6)),
                        f"{revenue * 0.08:.2f}",
                        rng.randint(0, 6),
                        rng.randint(0, 3),
                    ]
                )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    print(f"{len(rows)} rows → {OUT}")


if __name__ == "__main__":
    main()
