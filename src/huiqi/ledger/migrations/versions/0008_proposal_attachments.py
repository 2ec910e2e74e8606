"""documents attached to scenario-call proposals

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "proposal_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=60), nullable=False),
        sa.Column("proposal", sa.String(length=60), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["scenario_calls.id"], name=op.f("fk_proposal_attachments_call_id_scenario_calls")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_attachments")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_proposal_attachments_stored_name")),
    )
    op.create_index(op.f("ix_proposal_attachments_call_id"), "proposal_attachments", ["call_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_proposal_attachments_call_id"), table_name="proposal_attachments")
    op.drop_table("proposal_attachments")
