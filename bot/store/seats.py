"""Places in a code's line, counted in the database, so every process shares one cap."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy import Connection, Double, Engine, cast, delete, extract, func, insert, select

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

    def take(self, key: str, requester: Requester, request_id: str, *, limit: int) -> bool:
        """Take a place for request_id unless the technician already has limit; True if taken."""
        key = self._name(key)
        mine = (
            QueueRow.key == key,
            QueueRow.team_id == requester.team_id,
            QueueRow.user_id == requester.user_id,
        )
        with self._guard(), self._engine.begin() as connection:
            now = self._lock_and_clock(connection, key)
            connection.execute(
                delete(QueueRow).where(QueueRow.key == key, QueueRow.created < now - self._lifetime)
            )
            held = connection.execute(select(func.count()).where(*mine)).scalar_one()
            if held >= limit:
                return False
            connection.execute(
                insert(QueueRow).values(
                    request_id=request_id,
                    key=key,
                    team_id=requester.team_id,
                    user_id=requester.user_id,
                    created=now,
                )
            )
            return True

    def release(self, request_id: str) -> None:
        """Give the request's place back (it was sent, answered, or never will be)."""
        with self._guard(), self._engine.begin() as connection:
            connection.execute(delete(QueueRow).where(QueueRow.request_id == request_id))

    def _lock_and_clock(self, connection: Connection, key: str) -> float:
        if connection.dialect.name == "sqlite":
            # BEGIN IMMEDIATE already holds the lock; SQLite is one machine, so its clock is ours.
            return time.time()
        connection.execute(select(func.pg_advisory_xact_lock(lock_id(key))))
        # Read after the lock is granted: one server clock for every dyno, as the pacer does.
        now: float = connection.execute(
            select(cast(extract("epoch", func.clock_timestamp()), Double))
        ).scalar_one()
        return now


def lock_id(key: str) -> int:
    """The PostgreSQL advisory lock that serialises places taken for key."""
    return advisory_lock_id(f"queue:{key}")
