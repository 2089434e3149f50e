"""A Pacer whose lock and clock are the database's, so every machine sharing it paces together."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy import (
    BigInteger,
    Connection,
    Double,
    Engine,
    bindparam,
    cast,
    extract,
    func,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from bot.domain import StoreError
from bot.store.db import advisory_lock_id, immediate, upsert
from bot.store.models import PacingRow

logger = logging.getLogger(__name__)

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
        name: Callable[[str], str] = str,
        guard: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        if engine.dialect.name not in ("postgresql", "sqlite"):
            raise ValueError(f"DatabasePacer needs PostgreSQL or SQLite, not {engine.dialect.name}")
        # On SQLite the write lock (BEGIN IMMEDIATE) is what serialises turns.
        self._engine = immediate(engine)
        self._interval = interval
        self._sleep = sleep
        # The row's key is name(key): the Store hands in a keyed hash, so the table never
        # holds anything that could be matched against a guessed auth code.
        self._name = name
        self._guard = guard
        # Built once, as DatabaseSeats' are: a built statement keeps its cache key.
        self._last_call = select(PacingRow.last_call).where(PacingRow.key == bindparam("key"))
        self._lock = select(func.pg_advisory_xact_lock(bindparam("lock", type_=BigInteger)))
        # The clock is read after the lock is granted (clock_timestamp, not now(), which is
        # the transaction's start): one server clock for every dyno, however theirs drift.
        self._last_and_clock = select(
            self._last_call.scalar_subquery(),
            cast(extract("epoch", func.clock_timestamp()), Double),
        )
        statement = upsert(engine)(PacingRow)
        self._record = statement.on_conflict_do_update(
            index_elements=[PacingRow.key], set_={"last_call": statement.excluded.last_call}
        )

    def wait_turn(self, key: str) -> None:
        """Return once this caller may call: the last call for key is an interval old."""
        key = self._name(key)
        while True:
            with self._guard():
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
                connection.execute(self._record, {"key": key, "last_call": now})
                return None
            return last + self._interval - now

    def _lock_and_read(self, connection: Connection, key: str) -> tuple[float | None, float]:
        if connection.dialect.name == "sqlite":
            # BEGIN IMMEDIATE already holds the lock; SQLite is one machine, so its clock is ours.
            last: float | None = connection.execute(self._last_call, {"key": key}).scalar()
            return last, time.time()
        connection.execute(self._lock, {"lock": lock_id(key)})
        row = connection.execute(self._last_and_clock, {"key": key}).one()
        return row[0], row[1]


def lock_id(key: str) -> int:
    """The PostgreSQL advisory lock that serialises turns for key."""
    return advisory_lock_id(f"pace:{key}")


class LocalPacer:
    """The same rule in this process alone, by its monotonic clock."""

    def __init__(
        self,
        interval: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def note(self, key: str) -> None:
        """Remember that key had its turn just now (through the database)."""
        with self._lock:
            self._last[key] = self._clock()

    def wait_turn(self, key: str) -> None:
        """Return once the last call for key in this process is an interval old."""
        while True:
            with self._lock:
                now = self._clock()
                last = self._last.get(key)
                if last is None or now >= last + self._interval - _SLACK:
                    self._last[key] = now
                    return
                wait = last + self._interval - now
            self._sleep(wait)


class FallbackPacer:
    """The database's pace while it records turns; this process's own pace when it cannot."""

    def __init__(self, database: DatabasePacer, local: LocalPacer) -> None:
        self._database = database
        self._local = local

    def wait_turn(self, key: str) -> None:
        """Take the turn in the database, or, if it cannot record one, in this process."""
        try:
            self._database.wait_turn(key)
        except (SQLAlchemyError, StoreError) as error:
            # Refusing the PIN would not spare Rescue a call; pacing here still spaces this
            # process's calls, and the last turn the database gave is remembered below.
            logger.warning(
                "The database could not record a pacing turn (%s: %s); pacing this request "
                "in this process only",
                type(error).__name__,
                _safe(error),
            )
            self._local.wait_turn(key)
        else:
            self._local.note(key)


def _safe(error: Exception) -> str:
    # SQLAlchemy's text can quote the statement and the URL; only the driver's first line.
    original = getattr(error, "orig", None) or error
    return str(original).splitlines()[0] if str(original) else type(original).__name__
