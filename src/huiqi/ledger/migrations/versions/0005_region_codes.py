"""enterprises' districts as region codes (GB/T 2260; zones and 'outside' as huiqi.regions writes them)

huiqi kept Shanghai's districts under codes of its own (minhang, lingang, outside_shanghai); regions are
now GB/T 2260 codes (310112), a zone's code (310000-lingang) or outside-310000. The enterprises' stored
district and facts move to them; the old codes still read on input, so nothing else changes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 19:50:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (not read from huiqi.regions): a migration must mean the same whatever the code becomes.
NEW_CODES = {
    "huangpu": "310101",
    "xuhui": "310104",
    "changning": "310105",
    "jingan": "310106",
    "putuo": "310107",
    "hongkou": "310109",
    "yangpu": "310110",
    "minhang": "310112",
    "baoshan": "310113",
    "jiading": "310114",
    "pudong": "310115",
    "jinshan": "310116",
    "songjiang": "310117",
    "qingpu": "310118",
    "fengxian": "310120",
    "chongming": "310151",
    "lingang": "310000-lingang",
    "outside_shanghai": "outside-310000",
}
FIELDS = ("business_district", "tax_district")

enterprises = sa.table(
    "enterprises", sa.column("id", sa.Integer), sa.column("district", sa.String), sa.column("facts", sa.JSON)
)


def _moved(facts: dict[str, Any], codes: dict[str, str]) -> dict[str, Any]:
    return {k: codes.get(v, v) if k in FIELDS and isinstance(v, str) else v for k, v in facts.items()}


def _move(codes: dict[str, str]) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(enterprises.c.id, enterprises.c.district, enterprises.c.facts)).all():
        facts = row.facts if isinstance(row.facts, dict) else {}
        moved = _moved(facts, codes)
        district = codes.get(row.district, row.district)
        if moved != facts or district != row.district:
            bind.execute(enterprises.update().where(enterprises.c.id == row.id).values(district=district, facts=moved))


def upgrade() -> None:
    _move(NEW_CODES)


def downgrade() -> None:
    _move({new: old for old, new in NEW_CODES.items()})
