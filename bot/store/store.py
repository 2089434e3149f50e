"""Store: linked Rescue accounts and the audit trail, one transaction each."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, and_, bindparam, delete, insert, select, update
from sqlalchemy.orm import sessionmaker

from bot.domain import AuditEntry, AuditRecord, CodeSource, Link, LinkSource, Workspace
from bot.fields import FIELD_KEYS
from bot.store.connect_links import DatabaseConnectLinks
from bot.store.crypto import Keyring
from bot.store.db import ANSWER_TIMEOUT, immediate, make_engine, upsert
from bot.store.faults import Outage, guarded
from bot.store.keys import check_key, rotate_keys
from bot.store.models import (
    AuditRow,
    ConnectLinkRow,
    LinkRow,
    OAuthStateRow,
    PacingRow,
    QueueRow,
    SettingsChangeRow,
    require_aware,
)
from bot.store.pacer import DatabasePacer, FallbackPacer, LocalPacer
from bot.store.schema import check_schema, migrate
from bot.store.seats import DatabaseSeats
from bot.store.watches import DatabaseWatches
from bot.store.workspaces import DatabaseWorkspaces, exactly, scope

# Rows fetched per round trip when exporting; small enough to keep memory flat.
EXPORT_BATCH = 500
# Rows deleted per statement when purging, so each stays well inside the answer time-out.
PURGE_BATCH = 1000


class Store:
    """lenspin's durable state behind a small interface; PostgreSQL or SQLite underneath."""

    def __init__(
        self, engine: Engine, keyring: Keyring, *, answer_within: float | None = ANSWER_TIMEOUT
    ) -> None:
        self._engine = engine
        self._keyring = keyring
        self._outage = Outage(answer_within=answer_within)
        # Objects are turned into frozen dataclasses before the session ends; no lazy loads.
        self._reading = sessionmaker(engine, expire_on_commit=False)
        self._immediate = immediate(engine)
        self._writing = sessionmaker(self._immediate, expire_on_commit=False)
        # The PIN path's read and write, built once and run without the ORM: SQLAlchemy keeps
        # a built statement's cache key, and building each anew was most of their cold cost.
        self._link = select(LinkRow.__table__).where(
            LinkRow.team_id == bindparam("team_id"), LinkRow.user_id == bindparam("user_id")
        )
        self._audit = insert(AuditRow)

    @classmethod
    def from_url(
        cls, url: str, keyring: Keyring, *, answer_within: float | None = ANSWER_TIMEOUT
    ) -> Store:
        """A Store on a new engine for url (postgres:// URLs are accepted as they come).

        answer_within bounds each wait for PostgreSQL; None is for long migrations only.
        """
        return cls(
            make_engine(url, answer_within=answer_within), keyring, answer_within=answer_within
        )

    @property
    def engine(self) -> Engine:
        """The engine underneath, e.g. to dispose() of its pool after a fork."""
        return self._engine

    @property
    def outage(self) -> Outage:
        """What turns the database's failures into StoreUnavailable, shared by every method."""
        return self._outage

    def __repr__(self) -> str:
        # The URL may hold a password: show only where the data lives.
        return f"Store({self._engine.dialect.name})"

    # Schema

    @guarded
    def check_schema(self) -> None:
        """Raise SchemaOutdated unless the database is at the newest migration."""
        check_schema(self._engine)

    def migrate(self) -> list[str]:
        """Upgrade the database to the newest migration; return the revisions applied."""
        return migrate(self._engine)

    @guarded
    def ping(self) -> None:
        """One cheap query; raises if the database cannot be reached."""
        with self._engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1").scalar_one()

    @guarded
    def check_key(self) -> None:
        """Raise SecretUnreadable unless the keys decrypt the oldest and newest of each secret."""
        check_key(self._reading, self._keyring)

    def pacer(
        self, *, interval: float, sleep: Callable[[float], None] = time.sleep
    ) -> FallbackPacer:
        """A Pacer for PinService that paces every process and machine using this database.

        When the database cannot record a turn, the request is paced in this process instead.
        """
        database = DatabasePacer(
            self._engine,
            interval,
            sleep=sleep,
            name=self._keyring.pacing_name,
            guard=self._outage.guard,
        )
        return FallbackPacer(database, LocalPacer(interval, sleep=sleep))

    def seats(self, *, lifetime: float) -> DatabaseSeats:
        """Places in each code's line, counted for every process and machine on this database.

        lifetime: how long a place can be held at most (longer than any request can live);
        older places no longer count. Failures raise StoreUnavailable, like every method.
        """
        return DatabaseSeats(
            self._engine,
            lifetime=lifetime,
            name=self._keyring.pacing_name,
            guard=self._outage.guard,
        )

    def connect_links(self) -> DatabaseConnectLinks:
        """Links to the connect page, shared by every process on this database."""
        return DatabaseConnectLinks(self._engine, guard=self._outage.guard)

    def watches(self) -> DatabaseWatches:
        """Watched PINs and each watched queue's turn, shared by every process (bot.watch)."""
        return DatabaseWatches(self._engine, self._keyring, guard=self._outage.guard)

    def workspaces(self) -> DatabaseWorkspaces:
        """Installs, OAuth states and each workspace's settings (bot.workspaces.WorkspaceStore)."""
        return DatabaseWorkspaces(self._engine, self._keyring, guard=self._outage.guard)

    # Linked Rescue accounts

    @guarded
    def save_link(
        self,
        *,
        team_id: str,
        user_id: str,
        auth_code: str,
        email: str,
        organization: str,
        source: LinkSource,
        enterprise_id: str = "",
    ) -> Link:
        """Link (or re-link) a Slack user to a Rescue account; the link is fresh again.

        enterprise_id: the user's Enterprise Grid ("" outside one), so that forgetting an
        org-wide install forgets its people's links.
        """
        link = Link(
            team_id=team_id,
            user_id=user_id,
            auth_code=auth_code,
            email=email,
            organization=organization,
            source=source,
            linked_at=datetime.now(UTC),
            stale=False,
        )
        values = {
            "team_id": team_id,
            "user_id": user_id,
            "enterprise_id": enterprise_id,
            "auth_code_encrypted": self._keyring.encrypt(auth_code),
            "email": email,
            "organization": organization,
            "source": source.value,
            "linked_at": link.linked_at,
            "stale": False,
        }
        # An upsert, not read-then-write: two saves for one user at once cannot collide.
        statement = upsert(self._engine)(LinkRow).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[LinkRow.team_id, LinkRow.user_id],
            set_={
                name: statement.excluded[name]
                for name in values
                if name not in ("team_id", "user_id")
            },
        )
        with self._writing.begin() as session:
            session.execute(statement)
        return link

    @guarded
    def get_link(self, team_id: str, user_id: str) -> Link | None:
        """The user's link, or None; raises ValueError if no key can decrypt its auth code."""
        with self._engine.connect() as connection:
            found = connection.execute(self._link, {"team_id": team_id, "user_id": user_id})
            row = found.first()
        if row is None:
            return None
        return Link(
            team_id=row.team_id,
            user_id=row.user_id,
            auth_code=self._keyring.decrypt(row.auth_code_encrypted),
            email=row.email,
            organization=row.organization,
            source=LinkSource(row.source),
            linked_at=row.linked_at,
            stale=row.stale,
        )

    @guarded
    def mark_link_stale(self, team_id: str, user_id: str) -> None:
        """Note that Rescue refused the user's auth code, so they are asked to link again."""
        with self._writing.begin() as session:
            session.execute(
                update(LinkRow)
                .where(LinkRow.team_id == team_id, LinkRow.user_id == user_id)
                .values(stale=True)
            )

    @guarded
    def delete_link(self, team_id: str, user_id: str) -> bool:
        """Forget the user's link; True if there was one."""
        with self._writing.begin() as session:
            result = session.execute(
                delete(LinkRow).where(LinkRow.team_id == team_id, LinkRow.user_id == user_id)
            )
            return _rowcount(result) > 0

    # Audit trail

    @guarded
    def record_request(self, entry: AuditEntry) -> int:
        """Append a PIN request to the audit trail; return its id."""
        values = {
            "team_id": entry.team_id,
            "user_id": entry.user_id,
            "enterprise_id": entry.enterprise_id,
            "requested_at": require_aware(entry.requested_at, "requested_at"),
            **{key: entry.fields.get(key, "") for key in FIELD_KEYS},
            "no_tech_console": entry.no_tech_console,
            "code_source": entry.code_source.value,
            "result": entry.result,
            "latency_ms": entry.latency_ms,
            "pin_encrypted": None if entry.pin is None else self._keyring.encrypt(entry.pin),
        }
        with self._immediate.begin() as connection:
            inserted = connection.execute(self._audit, values).inserted_primary_key
        assert inserted is not None  # one row, and its id is known
        return int(inserted[0])

    @guarded
    def recent_requests(self, team_id: str, user_id: str, limit: int = 10) -> list[AuditRecord]:
        """The user's latest requests, newest first."""
        statement = (
            select(AuditRow)
            .where(AuditRow.team_id == team_id, AuditRow.user_id == user_id)
            .order_by(AuditRow.requested_at.desc(), AuditRow.id.desc())
            .limit(limit)
        )
        with self._reading() as session:
            return [self._record(row) for row in session.scalars(statement)]

    @guarded
    def get_request(self, request_id: int, team_id: str, user_id: str) -> AuditRecord | None:
        """One of the user's own requests by id (None for anyone else's, or a purged one)."""
        statement = select(AuditRow).where(
            AuditRow.id == request_id, AuditRow.team_id == team_id, AuditRow.user_id == user_id
        )
        with self._reading() as session:
            row = session.scalars(statement).one_or_none()
            return None if row is None else self._record(row)

    @guarded
    def purge_audit(self, older_than: datetime, workspace: Workspace | None = None) -> int:
        """Delete requests and settings changes made before older_than; return how many.

        workspace: only its rows (an org-wide install's: its enterprise's requests); None:
        every workspace's.
        """
        older_than = require_aware(older_than, "older_than")
        requests = AuditRow.requested_at < older_than
        changes = SettingsChangeRow.changed_at < older_than
        if workspace is not None:
            requests &= scope(workspace, AuditRow.enterprise_id, AuditRow.team_id)
            changes &= and_(*exactly(workspace, SettingsChangeRow))
        return self._purge(AuditRow.id, requests) + self._purge(SettingsChangeRow.id, changes)

    @guarded
    def purge_pacing(self, older_than: datetime) -> int:
        """Delete pacing turns, places in line, connect links and OAuth states from before
        older_than."""
        cutoff = require_aware(older_than, "older_than")
        # Places are purged as their key is used again; these are keys nobody uses any more.
        return (
            self._purge(PacingRow.key, PacingRow.last_call < cutoff.timestamp())
            + self._purge(QueueRow.request_id, QueueRow.created < cutoff.timestamp())
            + self._purge(ConnectLinkRow.token_hash, ConnectLinkRow.expires_at < cutoff)
            + self._purge(OAuthStateRow.state_hash, OAuthStateRow.expires_at < cutoff)
        )

    def purge_watches(self, older_than: datetime) -> int:
        """Delete watches that ended before older_than (and forgotten ones); return how many."""
        return self.watches().purge(older_than)

    def export_audit(self, since: datetime) -> Iterator[AuditRecord]:
        """Requests made at or after since, oldest first, fetched in batches as iterated.

        The records carry no PIN (pin is None): an export never needs the encryption key.
        """
        # Checked now, not at the first next(): a generator would defer the error.
        return self._export(require_aware(since, "since"))

    @guarded
    def rotate_keys(self) -> int:
        """Re-encrypt every stored secret with the first key; return how many were rewritten.

        After this, keys other than the first can be removed from LENSPIN_ENCRYPTION_KEY.
        """
        return rotate_keys(self._writing, self._keyring) + self.watches().rotate()

    def _export(self, since: datetime) -> Iterator[AuditRecord]:
        statement = (
            select(AuditRow)
            .where(AuditRow.requested_at >= since)
            .order_by(AuditRow.requested_at, AuditRow.id)
            .execution_options(yield_per=EXPORT_BATCH)
        )
        with self._outage.guard(), self._reading() as session:
            for row in session.scalars(statement):
                yield self._record(row, with_pin=False)

    def _purge(self, key: Any, condition: Any) -> int:
        """Delete the rows matching condition in batches of PURGE_BATCH; return how many."""
        removed = 0
        batch = select(key).where(condition).limit(PURGE_BATCH).scalar_subquery()
        while True:
            # Each batch its own transaction: SQLite writers wait for none of them long.
            with self._writing.begin() as session:
                deleted = _rowcount(
                    session.execute(
                        delete(key.class_)
                        .where(key.in_(batch))
                        .execution_options(synchronize_session=False)
                    )
                )
            removed += deleted
            if deleted < PURGE_BATCH:
                return removed

    def _record(self, row: AuditRow, *, with_pin: bool = True) -> AuditRecord:
        return AuditRecord(
            id=row.id,
            team_id=row.team_id,
            user_id=row.user_id,
            enterprise_id=row.enterprise_id,
            requested_at=row.requested_at,
            fields={key: getattr(row, key) for key in FIELD_KEYS},
            no_tech_console=row.no_tech_console,
            code_source=CodeSource(row.code_source),
            result=row.result,
            latency_ms=row.latency_ms,
            session_state=row.session_state,
            connect_seconds=row.connect_seconds,
            pickup_seconds=row.pickup_seconds,
            pin=(
                self._keyring.decrypt(row.pin_encrypted)
                if with_pin and row.pin_encrypted is not None
                else None
            ),
        )


def _rowcount(result: Result[Any]) -> int:
    # Session.execute() is typed to answer a Result whatever the statement; for a DELETE it
    # is a CursorResult, the one kind with rowcount.
    return cast(CursorResult[Any], result).rowcount
