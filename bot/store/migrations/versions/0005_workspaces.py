"""Serve several workspaces (issue 14): installs, OAuth states, each workspace's settings and
their change log; links and audit rows keep their enterprise.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-19
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the four tables; add enterprise_id to lenspin_links and lenspin_audit."""
    op.create_table(
        "lenspin_installations",
        sa.Column("enterprise_id", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("team_name", sa.Text(), nullable=False),
        sa.Column("enterprise_name", sa.Text(), nullable=False),
        sa.Column("app_id", sa.Text(), nullable=False),
        sa.Column("bot_id", sa.Text(), nullable=False),
        sa.Column("bot_user_id", sa.Text(), nullable=False),
        sa.Column("bot_scopes", sa.Text(), nullable=False),
        sa.Column("installer_user_id", sa.Text(), nullable=False),
        sa.Column("bot_token_encrypted", sa.Text(), nullable=False),
        sa.Column("bot_refresh_token_encrypted", sa.Text(), nullable=False),
        sa.Column("bot_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", "team_id", name="pk_lenspin_installations"),
    )
    op.create_table(
        "lenspin_oauth_states",
        sa.Column("state_hash", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name="pk_lenspin_oauth_states"),
    )
    op.create_index("ix_lenspin_oauth_states_expires_at", "lenspin_oauth_states", ["expires_at"])
    op.create_table(
        "lenspin_workspace_settings",
        sa.Column("enterprise_id", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("allowed_users", sa.Text(), nullable=False),
        sa.Column("shared_code_encrypted", sa.Text(), nullable=False),
        sa.Column("sso_company_id", sa.Text(), nullable=False),
        sa.Column("sso_password_encrypted", sa.Text(), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("customer_language", sa.Text(), nullable=False),
        sa.Column("audit_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", "team_id", name="pk_lenspin_workspace_settings"),
    )
    op.create_table(
        "lenspin_settings_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(),
            nullable=False,
        ),
        sa.Column("enterprise_id", sa.Text(), nullable=False),
        sa.Column("team_id", sa.Text(), nullable=False),
        sa.Column("changed_by_enterprise_id", sa.Text(), nullable=False),
        sa.Column("changed_by_team_id", sa.Text(), nullable=False),
        sa.Column("changed_by_user_id", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed", sa.Text(), nullable=False),
        sa.Column("changed_values", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lenspin_settings_changes"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_lenspin_settings_changes_enterprise_id_team_id_changed_at",
        "lenspin_settings_changes",
        ["enterprise_id", "team_id", "changed_at"],
    )
    # A default, so the rows already there (single-workspace, no Grid) read "" at once.
    with op.batch_alter_table("lenspin_links") as batch:
        batch.add_column(sa.Column("enterprise_id", sa.Text(), server_default="", nullable=False))
        batch.create_index("ix_lenspin_links_enterprise_id", ["enterprise_id"])
    with op.batch_alter_table("lenspin_audit") as batch:
        batch.add_column(sa.Column("enterprise_id", sa.Text(), server_default="", nullable=False))
        batch.create_index(
            "ix_lenspin_audit_enterprise_id_requested_at", ["enterprise_id", "requested_at"]
        )


def downgrade() -> None:
    """Drop the enterprise columns and the four tables."""
    # SQLite rebuilds the table to drop a column: it keeps AUTOINCREMENT only if told.
    with op.batch_alter_table(
        "lenspin_audit", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_index("ix_lenspin_audit_enterprise_id_requested_at")
        batch.drop_column("enterprise_id")
    with op.batch_alter_table("lenspin_links") as batch:
        batch.drop_index("ix_lenspin_links_enterprise_id")
        batch.drop_column("enterprise_id")
    op.drop_index(
        "ix_lenspin_settings_changes_enterprise_id_team_id_changed_at",
        table_name="lenspin_settings_changes",
    )
    op.drop_table("lenspin_settings_changes")
    op.drop_table("lenspin_workspace_settings")
    op.drop_index("ix_lenspin_oauth_states_expires_at", table_name="lenspin_oauth_states")
    op.drop_table("lenspin_oauth_states")
    op.drop_table("lenspin_installations")
