"""The tables, as SQLAlchemy models; migrations/versions/ creates and changes them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Double,
    Identity,
    Index,
    Integer,
    MetaData,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.domain import SESSION_KEYS
from bot.fields import PIN_FIELDS

# Alembic's bookkeeping table, prefixed like the others so lenspin can share a database.
VERSION_TABLE = "lenspin_alembic_version"

# Named constraints, so that later migrations (SQLite's batch mode above all) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def require_aware(value: datetime, name: str) -> datetime:
    """Return value in UTC; raise ValueError if it has no time zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, like datetime.now(UTC)")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamptz on PostgreSQL and naive UTC text on SQLite; always aware UTC in Python."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = require_aware(value, "a timestamp")
        # SQLite would drop the offset and keep the local wall time; store UTC instead, so
        # text order is time order.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        # psycopg answers in the session's TimeZone setting.
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base for lenspin's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LinkRow(Base):
    """A Slack user's own Rescue account: one per team and user."""

    __tablename__ = "lenspin_links"
    # Forgetting an org-wide install deletes its enterprise's links (the key covers a team's).
    __table_args__ = (Index("ix_lenspin_links_enterprise_id", "enterprise_id"),)

    team_id: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[str] = mapped_column(Text, primary_key=True)
    # "" outside Enterprise Grid (and for links made before lenspin kept it).
    enterprise_id: Mapped[str] = mapped_column(Text, server_default="")
    auth_code_encrypted: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Text)
    organization: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stale: Mapped[bool] = mapped_column(Boolean)


class AuditRow(Base):
    """One PIN request and its outcome."""

    __tablename__ = "lenspin_audit"
    __table_args__ = (
        Index("ix_lenspin_audit_team_user_time", "team_id", "user_id", "requested_at"),
        Index("ix_lenspin_audit_requested_at", "requested_at"),
        # An org-wide install's rows are purged by its own retention.
        Index("ix_lenspin_audit_enterprise_id_requested_at", "enterprise_id", "requested_at"),
        # AUTOINCREMENT: ids are never reused, even after a purge emptied the table.
        {"sqlite_autoincrement": True},
    )

    # SQLite only auto-numbers a column declared exactly INTEGER PRIMARY KEY.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True
    )
    team_id: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(Text)
    enterprise_id: Mapped[str] = mapped_column(Text, server_default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # One text column per PIN field, named by its key: added below from bot.fields.
    no_tech_console: Mapped[bool] = mapped_column(Boolean)
    code_source: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    pin_encrypted: Mapped[str | None] = mapped_column(Text)
    # What became of the PIN, once its watch ended (bot.domain.SessionState's value).
    session_state: Mapped[str | None] = mapped_column(Text)
    connect_seconds: Mapped[int | None] = mapped_column(Integer)
    pickup_seconds: Mapped[int | None] = mapped_column(Integer)


# Declarative maps columns set on the class after its body, as if written there.
for _field in PIN_FIELDS:
    setattr(AuditRow, _field.key, mapped_column(_field.key, Text, nullable=False))


class PacingRow(Base):
    """When a pacing key last had its turn, in seconds since the epoch by the database's clock."""

    __tablename__ = "lenspin_pacing"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    last_call: Mapped[float] = mapped_column(Double)


class QueueRow(Base):
    """A PIN request waiting for its turn or being sent: one technician's place in a code's line.

    created is in seconds since the epoch by the database's clock, like PacingRow.last_call.
    """

    __tablename__ = "lenspin_queue"
    __table_args__ = (Index("ix_lenspin_queue_key_team_user", "key", "team_id", "user_id"),)

    request_id: Mapped[str] = mapped_column(Text, primary_key=True)
    # The pacer's name for the code (Keyring.pacing_name), never the code itself.
    key: Mapped[str] = mapped_column(Text)
    team_id: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(Text)
    created: Mapped[float] = mapped_column(Double)


class ConnectLinkRow(Base):
    """A link to lenspin's connect page: its token's SHA-256, whom it connects, its tries."""

    __tablename__ = "lenspin_connect_links"
    __table_args__ = (Index("ix_lenspin_connect_links_expires_at", "expires_at"),)

    # The token itself is never stored: it is in the link the technician was given.
    token_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(Text)
    team_id: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(Text)
    # What the page shows: "Connect Rescue for <user_name> in <team_name>".
    team_name: Mapped[str] = mapped_column(Text)
    user_name: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer)
    used: Mapped[bool] = mapped_column(Boolean)


# The PIN fields a queued session carries, as the watches table keeps them (a new one needs a
# migration, as a new audit column does).
WATCHED_FIELDS: tuple[str, ...] = SESSION_KEYS


class WatchRow(Base):
    """A delivered PIN whose session is looked for in a technician's queue (bot.watch)."""

    __tablename__ = "lenspin_watches"
    __table_args__ = (
        Index("ix_lenspin_watches_node_id_final", "node_id", "final"),
        Index("ix_lenspin_watches_team_id_user_id_final", "team_id", "user_id", "final"),
        Index("ix_lenspin_watches_final_updated_at", "final", "updated_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True
    )
    audit_id: Mapped[int | None] = mapped_column(BigInteger)
    enterprise_id: Mapped[str] = mapped_column(Text)
    team_id: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(Text)
    node_id: Mapped[int] = mapped_column(BigInteger)
    code_source: Mapped[str] = mapped_column(Text)
    auth_code_encrypted: Mapped[str] = mapped_column(Text)
    # One text column per session field (WATCHED_FIELDS): added below, plain as in the audit.
    # Session ids: a JSON list of the queue at the first look (NULL before it), and a JSON
    # object of every matched session's last state.
    baseline: Mapped[str | None] = mapped_column(Text)
    sessions: Mapped[str] = mapped_column(Text)
    session_id: Mapped[int | None] = mapped_column(BigInteger)
    ambiguous: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(Text)
    status_text: Mapped[str] = mapped_column(Text)
    status_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    picked_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reply_encrypted: Mapped[str] = mapped_column(Text)
    reply_uses: Mapped[int] = mapped_column(Integer)
    final: Mapped[bool] = mapped_column(Boolean)


for _key in WATCHED_FIELDS:
    setattr(WatchRow, _key, mapped_column(_key, Text, nullable=False))


class WatchNodeRow(Base):
    """One watched technician's queue: when it may be asked next, and who is asking now.

    Times are seconds since the epoch by the database's clock, like PacingRow.last_call.
    """

    __tablename__ = "lenspin_watch_nodes"

    node_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    next_poll: Mapped[float] = mapped_column(Double)
    # The process asking Rescue right now holds the lease (its token) until it is done, or
    # until lease_until if it died asking.
    lease_token: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[float | None] = mapped_column(Double)


class InstallationRow(Base):
    """lenspin installed in a workspace (team_id) or a whole org (enterprise_id, team_id "")."""

    __tablename__ = "lenspin_installations"

    # "" where Slack gives none: outside Enterprise Grid, or for an org-wide install's team.
    enterprise_id: Mapped[str] = mapped_column(Text, primary_key=True)
    team_id: Mapped[str] = mapped_column(Text, primary_key=True)
    team_name: Mapped[str] = mapped_column(Text)
    enterprise_name: Mapped[str] = mapped_column(Text)
    app_id: Mapped[str] = mapped_column(Text)
    bot_id: Mapped[str] = mapped_column(Text)
    bot_user_id: Mapped[str] = mapped_column(Text)
    bot_scopes: Mapped[str] = mapped_column(Text)
    installer_user_id: Mapped[str] = mapped_column(Text)
    bot_token_encrypted: Mapped[str] = mapped_column(Text)
    # "" without token rotation, else the refresh token encrypted.
    bot_refresh_token_encrypted: Mapped[str] = mapped_column(Text)
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OAuthStateRow(Base):
    """An OAuth state handed to Slack's authorize step, by its SHA-256; used once."""

    __tablename__ = "lenspin_oauth_states"
    __table_args__ = (Index("ix_lenspin_oauth_states_expires_at", "expires_at"),)

    # The state itself is never stored: it is in the install link and the redirect only.
    state_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WorkspaceSettingsRow(Base):
    """The settings one workspace's admins saved (bot.domain.Policy); secrets encrypted."""

    __tablename__ = "lenspin_workspace_settings"

    enterprise_id: Mapped[str] = mapped_column(Text, primary_key=True)
    team_id: Mapped[str] = mapped_column(Text, primary_key=True)
    allowed_users: Mapped[str] = mapped_column(Text)  # a JSON list of Slack user ids
    # "" when not set, else encrypted, like the refresh token.
    shared_code_encrypted: Mapped[str] = mapped_column(Text)
    sso_company_id: Mapped[str] = mapped_column(Text)
    sso_password_encrypted: Mapped[str] = mapped_column(Text)
    labels: Mapped[str] = mapped_column(Text)  # a JSON object: a PIN field's label by key
    customer_language: Mapped[str] = mapped_column(Text)
    audit_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SettingsChangeRow(Base):
    """One change an admin made to a workspace's settings: who, when, what (never a secret)."""

    __tablename__ = "lenspin_settings_changes"
    __table_args__ = (
        Index(
            "ix_lenspin_settings_changes_enterprise_id_team_id_changed_at",
            "enterprise_id",
            "team_id",
            "changed_at",
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True
    )
    enterprise_id: Mapped[str] = mapped_column(Text)
    team_id: Mapped[str] = mapped_column(Text)
    changed_by_enterprise_id: Mapped[str] = mapped_column(Text)
    changed_by_team_id: Mapped[str] = mapped_column(Text)
    changed_by_user_id: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed: Mapped[str] = mapped_column(Text)  # a JSON list of Policy's field names
    changed_values: Mapped[str] = mapped_column(Text)  # a JSON object: non-secret values by name
