"""Watched PINs and each watched queue's turn, in the database, so every process shares them.

A queue (a Rescue node) is asked about by one process at a time: a process claims the node's
lease in a short transaction (the node's advisory lock on PostgreSQL, BEGIN IMMEDIATE on
SQLite, the database's clock, as the pacer and the seats do), asks Rescue with no transaction
open, saves what it saw only while the lease is still its own, and hands the lease back with
the node's next turn an interval after that. A process that dies asking holds the node until
its lease runs out.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Double,
    Engine,
    and_,
    cast,
    delete,
    exists,
    extract,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from bot.domain import (
    CodeSource,
    Credential,
    NodeLease,
    Requester,
    SessionState,
    StoreError,
    Watch,
    elapsed_seconds,
)
from bot.store.crypto import Keyring
from bot.store.db import advisory_lock_id, immediate, upsert
from bot.store.models import (
    WATCHED_FIELDS,
    AuditRow,
    WatchNodeRow,
    WatchRow,
    require_aware,
)

# Claimed at most this many nodes per round: the rest are due again at the next round.
CLAIM_BATCH = 50


class DatabaseWatches:
    """bot.watch.WatchStore on PostgreSQL or SQLite; failures raise StoreUnavailable."""

    def __init__(
        self,
        engine: Engine,
        keyring: Keyring,
        *,
        guard: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        if engine.dialect.name not in ("postgresql", "sqlite"):
            raise ValueError(f"watches need PostgreSQL or SQLite, not {engine.dialect.name}")
        self._engine = immediate(engine)
        self._reader = engine
        self._keyring = keyring
        self._guard = guard

    # The watches

    def add(self, watch: Watch) -> int:
        """Keep a new watch; its node is due at once unless it already has a turn booked."""
        row = _row_values(watch, self._keyring)
        with self._guard(), self._engine.begin() as connection:
            watch_id: int = connection.execute(
                insert(WatchRow).values(row).returning(WatchRow.id)
            ).scalar_one()
            statement = upsert(connection)(WatchNodeRow).values(
                node_id=watch.node_id, next_poll=0.0, lease_token=None, lease_until=None
            )
            connection.execute(statement.on_conflict_do_nothing(index_elements=["node_id"]))
        return watch_id

    def active(self, node_id: int) -> list[Watch]:
        """The node's watches not yet final, oldest first."""
        statement = (
            select(WatchRow)
            .where(WatchRow.node_id == node_id, WatchRow.final.is_(False))
            .order_by(WatchRow.id)
        )
        with self._guard(), Session(self._reader) as session:
            return [_watch(row, self._keyring) for row in session.scalars(statement)]

    def of_technician(self, team_id: str, user_id: str, *, since: datetime) -> list[Watch]:
        """The technician's own watches, newest first: those still watched, and those updated
        at or after since (for the Home tab). Nobody else's, whatever code they used."""
        since = require_aware(since, "since")
        statement = (
            select(WatchRow)
            .where(
                WatchRow.team_id == team_id,
                WatchRow.user_id == user_id,
                or_(WatchRow.final.is_(False), WatchRow.updated_at >= since),
            )
            .order_by(WatchRow.id.desc())
        )
        with self._guard(), Session(self._reader) as session:
            return [_watch(row, self._keyring) for row in session.scalars(statement)]

    def save(self, lease: NodeLease, watches: Sequence[Watch]) -> bool:
        """Write what a look at the node found, unless the lease has passed to another process.

        A watch already final is never written again; one that becomes final also writes its
        outcome into its audit row. True when written, False when the lease was lost.
        """
        with self._guard(), self._engine.begin() as connection:
            self._lock(connection, lease.node_id)
            token = connection.execute(
                select(WatchNodeRow.lease_token).where(WatchNodeRow.node_id == lease.node_id)
            ).scalar_one_or_none()
            if token != lease.token:
                return False
            for watch in watches:
                _write(connection, watch)
        return True

    def set_reply(self, watch_id: int, reply: str, uses: int) -> None:
        """Keep the reply handle to use next, and how often it has been used."""
        with self._guard(), self._engine.begin() as connection:
            connection.execute(
                update(WatchRow)
                .where(WatchRow.id == watch_id)
                .values(reply_encrypted=self._keyring.encrypt(reply), reply_uses=uses)
            )

    def stop_all(self, now: datetime) -> int:
        """Stop every watch not yet final (watching was turned off); return how many.

        Their audit rows say so too, as for a watch that ends any other way.
        """
        now = require_aware(now, "now")
        columns = (
            WatchRow.id,
            WatchRow.audit_id,
            WatchRow.issued_at,
            WatchRow.connected_at,
            WatchRow.picked_up_at,
        )
        with self._guard(), Session(self._engine) as session, session.begin():
            rows = session.execute(select(*columns).where(WatchRow.final.is_(False))).all()
            for watch_id, audit_id, issued, connected, picked_up in rows:
                session.execute(
                    update(WatchRow)
                    .where(WatchRow.id == watch_id)
                    .values(state=SessionState.STOPPED.value, final=True, updated_at=now)
                )
                if audit_id is not None:
                    session.execute(
                        update(AuditRow)
                        .where(AuditRow.id == audit_id)
                        .values(
                            session_state=SessionState.STOPPED.value,
                            connect_seconds=elapsed_seconds(issued, connected),
                            pickup_seconds=elapsed_seconds(issued, picked_up),
                        )
                    )
        return len(rows)

    # The nodes' turns

    def claim(self, *, interval: float, lease: float) -> tuple[list[NodeLease], float | None]:
        """Take the lease of every node that is due and has a watch not yet final.

        Returns the leases taken and the seconds until another such node is due (None when
        no node has one). A node is next due an interval after its lease is handed back.
        """
        leases: list[NodeLease] = []
        with self._guard():
            candidates, wait = self._due()
        for node_id in candidates[:CLAIM_BATCH]:
            try:
                with self._guard():
                    token = self._take(node_id, interval=interval, lease=lease)
            except StoreError:
                if not leases:
                    raise
                # Hand out the leases taken: held and unused, they would block their queues.
                return leases, 0.0
            if token is not None:
                leases.append(NodeLease(node_id, token))
        if len(candidates) > CLAIM_BATCH:
            wait = 0.0
        return leases, wait

    def release(self, lease: NodeLease, *, interval: float) -> None:
        """Hand the node's lease back; its next turn is an interval from now (the claim's own
        next turn was an interval from the claim, so never later than this)."""
        with self._guard(), self._engine.begin() as connection:
            now = self._lock(connection, lease.node_id)
            connection.execute(
                update(WatchNodeRow)
                .where(
                    WatchNodeRow.node_id == lease.node_id,
                    WatchNodeRow.lease_token == lease.token,
                )
                .values(lease_token=None, lease_until=None, next_poll=now + interval)
            )

    def purge(self, older_than: datetime) -> int:
        """Delete watches that ended before older_than, or whose end passed that long ago
        without anyone watching (watching off, every process gone), and nodes with none left."""
        older_than = require_aware(older_than, "older_than")
        old = or_(
            and_(WatchRow.final.is_(True), WatchRow.updated_at < older_than),
            WatchRow.expires_at < older_than,
        )
        with self._guard(), self._engine.begin() as connection:
            removed = connection.execute(delete(WatchRow).where(old)).rowcount
            connection.execute(
                delete(WatchNodeRow).where(
                    ~exists().where(WatchRow.node_id == WatchNodeRow.node_id),
                    WatchNodeRow.lease_token.is_(None),
                )
            )
        return int(removed)

    def rotate(self) -> int:
        """Re-encrypt every watch's code and reply handle with the first key; return how many."""
        rewritten = 0
        with self._guard(), Session(self._engine) as session, session.begin():
            for row in session.scalars(select(WatchRow).with_for_update()):
                row.auth_code_encrypted = self._keyring.rotate(row.auth_code_encrypted)
                row.reply_encrypted = self._keyring.rotate(row.reply_encrypted)
                rewritten += 1
        return rewritten

    def _due(self) -> tuple[list[int], float | None]:
        """Nodes due now (by the database clock) with a watch not yet final; seconds until the
        next one that is not."""
        with self._reader.connect() as connection:
            now = _clock(connection)
            active = exists().where(
                WatchRow.node_id == WatchNodeRow.node_id, WatchRow.final.is_(False)
            )
            rows = connection.execute(
                select(
                    WatchNodeRow.node_id, WatchNodeRow.next_poll, WatchNodeRow.lease_until
                ).where(active)
            ).all()
        due: list[int] = []
        soonest: float | None = None
        for node_id, next_poll, lease_until in rows:
            if lease_until is not None and lease_until > now:
                # Another process (or this one) is asking: it wakes its own runner when done.
                at = lease_until
            elif next_poll <= now:
                due.append(node_id)
                continue
            else:
                at = next_poll
            soonest = at - now if soonest is None else min(soonest, at - now)
        return sorted(due), soonest

    def _take(self, node_id: int, *, interval: float, lease: float) -> str | None:
        with self._engine.begin() as connection:
            now = self._lock(connection, node_id)
            row = connection.execute(
                select(WatchNodeRow.next_poll, WatchNodeRow.lease_until).where(
                    WatchNodeRow.node_id == node_id
                )
            ).one_or_none()
            if row is None:
                return None
            next_poll, lease_until = row
            if next_poll > now or (lease_until is not None and lease_until > now):
                return None  # another process took it since _due() looked
            token = secrets.token_hex(16)
            connection.execute(
                update(WatchNodeRow)
                .where(WatchNodeRow.node_id == node_id)
                .values(lease_token=token, lease_until=now + lease, next_poll=now + interval)
            )
            return token

    def _lock(self, connection: Connection, node_id: int) -> float:
        """Serialise this transaction with every other on node_id; the database's time."""
        if connection.dialect.name == "sqlite":
            # BEGIN IMMEDIATE already holds the lock; SQLite is one machine, so its clock is ours.
            return time.time()
        connection.execute(select(func.pg_advisory_xact_lock(lock_id(node_id))))
        return _clock(connection)


def lock_id(node_id: int) -> int:
    """The PostgreSQL advisory lock that serialises the turns of one watched queue."""
    return advisory_lock_id(f"watch:{node_id}")


def _clock(connection: Connection) -> float:
    if connection.dialect.name == "sqlite":
        return time.time()
    # clock_timestamp, not now() (the transaction's start): read after any lock is granted.
    now: float = connection.execute(
        select(cast(extract("epoch", func.clock_timestamp()), Double))
    ).scalar_one()
    return now


def _row_values(watch: Watch, keyring: Keyring) -> dict[str, Any]:
    return {
        "audit_id": watch.audit_id,
        "enterprise_id": watch.requester.enterprise_id,
        "team_id": watch.requester.team_id,
        "user_id": watch.requester.user_id,
        "node_id": watch.node_id,
        "code_source": watch.credential.source.value,
        "auth_code_encrypted": keyring.encrypt(watch.credential.auth_code),
        **{key: watch.fields.get(key, "") for key in WATCHED_FIELDS},
        "issued_at": require_aware(watch.issued_at, "issued_at"),
        "reply_encrypted": keyring.encrypt(watch.reply),
        "reply_uses": watch.reply_uses,
        **_progress(watch),
    }


def _progress(watch: Watch) -> dict[str, Any]:
    """The columns a look at the queue may change."""
    return {
        "baseline": None if watch.baseline is None else json.dumps(sorted(watch.baseline)),
        "sessions": json.dumps({str(k): v.value for k, v in sorted(watch.sessions.items())}),
        "session_id": watch.session_id,
        "ambiguous": watch.ambiguous,
        "state": watch.state.value,
        "status_text": watch.status_text,
        "status_since": watch.status_since,
        "connected_at": watch.connected_at,
        "picked_up_at": watch.picked_up_at,
        "expires_at": require_aware(watch.expires_at, "expires_at"),
        "updated_at": require_aware(watch.updated_at, "updated_at"),
        "final": watch.final,
    }


def _write(connection: Connection, watch: Watch) -> None:
    written = connection.execute(
        update(WatchRow)
        .where(WatchRow.id == watch.id, WatchRow.final.is_(False))
        .values(_progress(watch))
    ).rowcount
    if written and watch.final and watch.audit_id is not None:
        connection.execute(
            update(AuditRow)
            .where(AuditRow.id == watch.audit_id)
            .values(
                session_state=watch.state.value,
                connect_seconds=watch.connect_seconds,
                pickup_seconds=watch.pickup_seconds,
            )
        )


def _watch(row: WatchRow, keyring: Keyring) -> Watch:
    return Watch(
        id=row.id,
        requester=Requester(row.team_id, row.user_id, row.enterprise_id),
        audit_id=row.audit_id,
        node_id=row.node_id,
        credential=Credential(
            keyring.decrypt(row.auth_code_encrypted), CodeSource(row.code_source)
        ),
        fields={key: getattr(row, key) for key in WATCHED_FIELDS},
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        state=SessionState(row.state),
        status_text=row.status_text,
        status_since=row.status_since,
        ambiguous=row.ambiguous,
        session_id=row.session_id,
        sessions=_sessions(json.loads(row.sessions).items()),
        baseline=None if row.baseline is None else frozenset(json.loads(row.baseline)),
        connected_at=row.connected_at,
        picked_up_at=row.picked_up_at,
        updated_at=row.updated_at,
        reply=keyring.decrypt(row.reply_encrypted),
        reply_uses=row.reply_uses,
    )


def _sessions(items: Iterable[tuple[str, str]]) -> dict[int, SessionState]:
    return {int(key): SessionState(value) for key, value in items}
