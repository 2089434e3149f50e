"""Watch issued PINs (issue 13): the watches, each watched queue's turn, the audit's outcome.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create lenspin_watches and lenspin_watch_nodes; add the session outcome to the audit."""
    op.create_table(
        "lenspin_watches",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(),
            nullable=False,
        ),
        sa.Column("audit_id", sa.BigInteger(), nullable=True),
        sa.Column("enterprise_id", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("node_id", sa.BigInteger(), nullable=False),
        sa.Column("code_source", sa.Text(), nullable=False),
        sa.Column("auth_code_encrypted", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("custom1", sa.Text(), nullable=False),
        sa.Column("custom2", sa.Text(), nullable=False),
        sa.Column("custom3", sa.Text(), nullable=False),
        sa.Column("custom4", sa.Text(), nullable=False),
        sa.Column("custom5", sa.Text(), nullable=False),
        sa.Column("baseline", sa.Text(), nullable=True),
        sa.Column("sessions", sa.Text(), nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=True),
        sa.Column("ambiguous", sa.Boolean(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("status_text", sa.Text(), nullable=False),
        sa.Column("status_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("picked_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply_encrypted", sa.Text(), nullable=False),
        sa.Column("reply_uses", sa.Integer(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lenspin_watches"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_lenspin_watches_node_id_final", "lenspin_watches", ["node_id", "final"])
    op.create_index(
        "ix_lenspin_watches_team_id_user_id_final",
        "lenspin_watches",
        ["team_id", "user_id", "final"],
    )
    op.create_index(
        "ix_lenspin_watches_final_updated_at", "lenspin_watches", ["final", "updated_at"]
    )
    op.create_table(
        "lenspin_watch_nodes",
        sa.Column("node_id", sa.BigInteger(), nullable=False),
        sa.Column("next_poll", sa.Double(), nullable=False),
        sa.Column("lease_token", sa.Text(), nullable=True),
        sa.Column("lease_until", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("node_id", name="pk_lenspin_watch_nodes"),
    )
    # Nullable, so SQLite adds them without rebuilding the table; older rows stay NULL.
    op.add_column("lenspin_audit", sa.Column("session_state", sa.Text(), nullable=True))
    op.add_column("lenspin_audit", sa.Column("connect_seconds", sa.Integer(), nullable=True))
    op.add_column("lenspin_audit", sa.Column("pickup_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop the two tables and the audit's outcome columns."""
    with op.batch_alter_table("lenspin_audit") as batch:
        batch.drop_column("pickup_seconds")
        batch.drop_column("connect_seconds")
        batch.drop_column("session_state")
    op.drop_table("lenspin_watch_nodes")
    op.drop_index("ix_lenspin_watches_final_updated_at", table_name="lenspin_watches")
    op.drop_index("ix_lenspin_watches_team_id_user_id_final", table_name="lenspin_watches")
    op.drop_index("ix_lenspin_watches_node_id_final", table_name="lenspin_watches")
    op.drop_table("lenspin_watches")
