"""A Pacer whose lock and clock are the database's, so every machine sharing it paces together."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection, Double, Engine, cast, extract, func, select

from bot.store.db import advisory_lock_id, immediate, upsert
from bot.store.models import PacingRow

# Within a millisecond counts as due, so float rounding never spins the loop.
_SLACK = 0.001


class DatabasePacer:
    """Keeps each key's last call time in the database, never booking turns ahead."""

    def __init__(
        self,
        engine: Engine,
        interval: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if engine.dialect.name not in ("postgresql", "sqlite"):
            raise ValueError(f"DatabasePacer needs PostgreSQL or SQLite, not {engine.dialect.name}")
        # On SQLite the write lock (BEGIN IMMEDIATE) is what serialises turns.
        self._engine = immediate(engine)
        self._interval = interval
        self._sleep = sleep

    def wait_turn(self, key: str) -> None:
        """Return once this caller may call: the last call for key is an interval old."""
        while True:
            wait = self._take_turn(key)
            if wait is None:
                return
            # The transaction has ended: sleeping holds no lock, so other keys and other
            # waiters go on, and a process killed here leaves nothing behind.
            self._sleep(wait)

    def _take_turn(self, key: str) -> float | None:
        """In one short transaction, take the turn (None) or say how long to wait."""
        with self._engine.begin() as connection:
            last, now = self._lock_and_read(connection, key)
            # Only the last call's time is kept, never bookings ahead, so a process that stops
            # with requests queued leaves nothing for the next one to wait on. A time ahead of
            # now means the clock was set back: waiting for it could take hours, so go.
            if last is None or last > now or now >= last + self._interval - _SLACK:
                statement = upsert(connection)(PacingRow).values(key=key, last_call=now)
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=[PacingRow.key],
                        set_={"last_call": statement.excluded.last_call},
                    )
                )
                return None
            return last + self._interval - now

    def _lock_and_read(self, connection: Connection, key: str) -> tuple[float | None, float]:
        last_call = select(PacingRow.last_call).where(PacingRow.key == key)
        if connection.dialect.name == "sqlite":
            # BEGIN IMMEDIATE already holds the lock; SQLite is one machine, so its clock is ours.
            return connection.execute(last_call).scalar_one_or_none(), time.time()
        connection.execute(select(func.pg_advisory_xact_lock(lock_id(key))))
        # The clock is read after the lock is granted (clock_timestamp, not now(), which is
        # the transaction's start): one server clock for every dyno, however theirs drift.
        row = connection.execute(
            select(
                last_call.scalar_subquery(),
                cast(extract("epoch", func.clock_timestamp()), Double),
            )
        ).one()
        return row[0], row[1]


def lock_id(key: str) -> int:
    """The PostgreSQL advisory lock that serialises turns for key."""
    return advisory_lock_id(f"pace:{key}")
