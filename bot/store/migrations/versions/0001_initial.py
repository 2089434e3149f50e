"""Create the links, audit and pacing tables.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create lenspin_links, lenspin_audit and lenspin_pacing."""
    op.create_table(
        "lenspin_links",
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("auth_code_encrypted", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("organization", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", name="pk_lenspin_links"),
    )
    op.create_table(
        "lenspin_audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(),
            nullable=False,
        ),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("custom1", sa.Text(), nullable=False),
        sa.Column("custom2", sa.Text(), nullable=False),
        sa.Column("custom3", sa.Text(), nullable=False),
        sa.Column("custom4", sa.Text(), nullable=False),
        sa.Column("custom5", sa.Text(), nullable=False),
        sa.Column("tracking", sa.Text(), nullable=False),
        sa.Column("no_tech_console", sa.Boolean(), nullable=False),
        sa.Column("code_source", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("pin_encrypted", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_lenspin_audit"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_lenspin_audit_team_user_time",
        "lenspin_audit",
        ["team_id", "user_id", "requested_at"],
    )
    op.create_index("ix_lenspin_audit_requested_at", "lenspin_audit", ["requested_at"])
    op.create_table(
        "lenspin_pacing",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("last_call", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_lenspin_pacing"),
    )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("lenspin_pacing")
    op.drop_index("ix_lenspin_audit_requested_at", table_name="lenspin_audit")
    op.drop_index("ix_lenspin_audit_team_user_time", table_name="lenspin_audit")
    op.drop_table("lenspin_audit")
    op.drop_table("lenspin_links")
