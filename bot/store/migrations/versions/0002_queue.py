"""Create the queue table: each technician's places in a code's line, for every process.

Revision ID: 0002
Revises: 0001
Create Date: 2026-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create lenspin_queue."""
    op.create_table(
        "lenspin_queue",
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("created", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name="pk_lenspin_queue"),
    )
    op.create_index(
        "ix_lenspin_queue_key_team_user", "lenspin_queue", ["key", "team_id", "user_id"]
    )


def downgrade() -> None:
    """Drop lenspin_queue."""
    op.drop_index("ix_lenspin_queue_key_team_user", table_name="lenspin_queue")
    op.drop_table("lenspin_queue")
