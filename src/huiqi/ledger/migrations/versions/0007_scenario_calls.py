"""application-scenario calls (揭榜挂帅) and their steps

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scenario_calls",
        sa.Column("id", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_calls")),
    )
    op.create_index(op.f("ix_scenario_calls_stage"), "scenario_calls", ["stage"], unique=False)
    op.create_table(
        "scenario_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["scenario_calls.id"], name=op.f("fk_scenario_events_call_id_scenario_calls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_events")),
    )
    op.create_index(op.f("ix_scenario_events_call_id"), "scenario_events", ["call_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_scenario_events_call_id"), table_name="scenario_events")
    op.drop_table("scenario_events")
    op.drop_index(op.f("ix_scenario_calls_stage"), table_name="scenario_calls")
    op.drop_table("scenario_calls")
