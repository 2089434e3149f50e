"""Create the connect links table: single-use links to lenspin's own connect page.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create lenspin_connect_links."""
    op.create_table(
        "lenspin_connect_links",
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("enterprise_id", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("team_name", sa.Text(), nullable=False),
        sa.Column("user_name", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_lenspin_connect_links"),
    )
    op.create_index("ix_lenspin_connect_links_expires_at", "lenspin_connect_links", ["expires_at"])


def downgrade() -> None:
    """Drop lenspin_connect_links."""
    op.drop_index("ix_lenspin_connect_links_expires_at", table_name="lenspin_connect_links")
    op.drop_table("lenspin_connect_links")
