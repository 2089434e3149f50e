"""Places in a code's line, counted in the database, so every process shares one cap."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Connection,
    Double,
    Engine,
    bindparam,
    cast,
    delete,
    extract,
    func,
    insert,
    select,
)

from bot.domain import Requester
from bot.store.db import advisory_lock_id, immediate
from bot.store.models import QueueRow


class DatabaseSeats:
    """One row per request waiting or being sent; a technician takes a place only below limit.

    Rows older than lifetime (longer than any request can live) no longer count, and are
    deleted by the next place taken on their key: a process killed with requests in line
    holds its technicians' places for that long at most.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        lifetime: float,
        name: Callable[[str], str] = str,
        guard: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        if engine.dialect.name not in ("postgresql", "sqlite"):
            raise ValueError(f"DatabaseSeats needs PostgreSQL or SQLite, not {engine.dialect.name}")
        # On SQLite the write lock (BEGIN IMMEDIATE) is what makes count-then-insert atomic.
        self._engine = immediate(engine)
        self._lifetime = lifetime
        # The same keyed hash the pacer names its rows with: never the auth code itself.
        self._name = name
        self._guard = guard
        # Built once: SQLAlchemy keeps a built statement's cache key, and making each anew was
        # most of a place's cost on the PIN path (docs/PERFORMANCE.md).
        key: BindParameter[str] = bindparam("key")
        self._expired = delete(QueueRow).where(
            QueueRow.key == key, QueueRow.created < bindparam("before")
        )
        self._held = select(func.count()).where(
            QueueRow.key == key,
            QueueRow.team_id == bindparam("team_id"),
            QueueRow.user_id == bindparam("user_id"),
        )
        self._insert = insert(QueueRow)
        self._release = delete(QueueRow).where(QueueRow.request_id == bindparam("request_id"))
        self._lock = select(func.pg_advisory_xact_lock(bindparam("lock", type_=BigInteger)))
        self._clock = select(cast(extract("epoch", func.clock_timestamp()), Double))

    def take(self, key: str, requester: Requester, request_id: str, *, limit: int) -> bool:
        """Take a place for request_id unless the technician already has limit; True if taken."""
        key = self._name(key)
        mine = {"key": key, "team_id": requester.team_id, "user_id": requester.user_id}
        with self._guard(), self._engine.begin() as connection:
            now = self._lock_and_clock(connection, key)
            connection.execute(self._expired, {"key": key, "before": now - self._lifetime})
            if connection.execute(self._held, mine).scalar_one() >= limit:
                return False
            connection.execute(self._insert, {**mine, "request_id": request_id, "created": now})
            return True

    def release(self, request_id: str) -> None:
        """Give the request's place back (it was sent, answered, or never will be)."""
        with self._guard(), self._engine.begin() as connection:
            connection.execute(self._release, {"request_id": request_id})

    def _lock_and_clock(self, connection: Connection, key: str) -> float:
        if connection.dialect.name == "sqlite":
            # BEGIN IMMEDIATE already holds the lock; SQLite is one machine, so its clock is ours.
            return time.time()
        connection.execute(self._lock, {"lock": lock_id(key)})
        # Read after the lock is granted: one server clock for every dyno, as the pacer does.
        now: float = connection.execute(self._clock).scalar_one()
        return now


def lock_id(key: str) -> int:
    """The PostgreSQL advisory lock that serialises places taken for key."""
    return advisory_lock_id(f"queue:{key}")
