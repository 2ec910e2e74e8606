"""the statistical monitoring catalogue: enterprises' yearly indicators, versioned

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 02:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitor_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=True),
        sa.Column("above_scale", sa.Boolean(), nullable=False),
        sa.Column("main_revenue_fen", sa.BigInteger(), nullable=False),
        sa.Column("ai_revenue_fen", sa.BigInteger(), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=False),
        sa.Column("ai_talents", sa.Integer(), nullable=False),
        sa.Column("rd_spend_fen", sa.BigInteger(), nullable=False),
        sa.Column("patents_applied", sa.Integer(), nullable=False),
        sa.Column("patents_granted", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("imported_by", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_entries")),
        sa.UniqueConstraint("credit_code", "year", "version", name=op.f("uq_monitor_entries_credit_code")),
    )
    op.create_index(op.f("ix_monitor_entries_year"), "monitor_entries", ["year"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_monitor_entries_year"), table_name="monitor_entries")
    op.drop_table("monitor_entries")
