"""Places in line in the database: one cap for every process, given back, expiring, keyed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.domain import CodeSource, Credential, Requester
from bot.lanes import MAX_PER_TECHNICIAN, Seats, pace_key
from bot.store import Keyring, Store
from bot.store.models import PacingRow, QueueRow
from tests.support import ENCRYPTION_KEY

AUTH_CODE = "QUEUED-AUTH-CODE-0123456789abcdefghijklmnopqrstuvwxyz"
KEY = pace_key(Credential(AUTH_CODE, CodeSource.SHARED))
FLOODER = Requester("T1", "UFLOOD")
COLLEAGUE = Requester("T1", "UCOLLEAGUE")
LIFETIME = 120.0

OpenStore = Callable[[], Store]


def rows(store: Store) -> list[QueueRow]:
    with store.engine.connect() as connection:
        return [
            QueueRow(**row._mapping)
            for row in connection.execute(select(*QueueRow.__table__.columns))
        ]


def take(seats: Seats, request_id: str, who: Requester = FLOODER, key: str = KEY) -> bool:
    return seats.take(key, who, request_id, limit=MAX_PER_TECHNICIAN)


def test_the_cap_holds_across_two_processes(open_store: OpenStore) -> None:
    first, second = (open_store().seats(lifetime=LIFETIME) for _ in range(2))
    assert take(first, "r1")
    assert take(second, "r2")
    assert take(first, "r3")
    # A fourth is refused whichever process it reaches.
    assert not take(second, "r4")
    assert not take(first, "r5")
    # Only this technician on this code is full: a colleague, or another code, still goes.
    assert take(second, "c1", COLLEAGUE)
    assert take(first, "r6", key=pace_key(Credential("own-code", CodeSource.LINKED)))


def test_a_flood_at_once_on_two_processes_gets_exactly_three_places(
    open_store: OpenStore,
) -> None:
    stores = [open_store() for _ in range(2)]
    seats = [store.seats(lifetime=LIFETIME) for store in stores]
    barrier = threading.Barrier(8)

    def submit(index: int) -> bool:
        barrier.wait()
        return take(seats[index % 2], f"flood{index}")

    with ThreadPoolExecutor(8) as pool:
        taken = list(pool.map(submit, range(8)))
    assert taken.count(True) == MAX_PER_TECHNICIAN
    assert len(rows(stores[0])) == MAX_PER_TECHNICIAN


def test_a_place_given_back_in_one_process_is_free_in_the_other(open_store: OpenStore) -> None:
    first, second = (open_store().seats(lifetime=LIFETIME) for _ in range(2))
    for request_id in ("r1", "r2", "r3"):
        assert take(first, request_id)
    assert not take(second, "r4")
    first.release("r2")
    assert take(second, "r4")
    assert not take(second, "r5")
    second.release("unknown")  # giving back a place never taken is harmless


def test_places_older_than_their_lifetime_do_not_count_and_are_deleted(
    open_store: OpenStore,
) -> None:
    store = open_store()
    seats = store.seats(lifetime=LIFETIME)
    other = pace_key(Credential("own-code", CodeSource.LINKED))
    for request_id in ("dead1", "dead2", "dead3"):
        assert take(seats, request_id)
    assert take(seats, "elsewhere", key=other)
    # A worker killed with three requests in line, longer ago than any request can live.
    with store.engine.begin() as connection:
        connection.execute(update(QueueRow).values(created=QueueRow.created - LIFETIME - 1))
    assert take(seats, "alive")
    # The dead places on this key went in the same transaction; the other key's wait for a
    # purge, or for a place taken on their key.
    assert sorted(row.request_id for row in rows(store)) == ["alive", "elsewhere"]
    assert store.purge_pacing(datetime.now(UTC) - timedelta(seconds=LIFETIME)) == 1
    assert [row.request_id for row in rows(store)] == ["alive"]


def test_places_are_timed_by_the_database_clock(open_store: OpenStore) -> None:
    store = open_store()
    before = time.time()
    assert take(store.seats(lifetime=LIFETIME), "r1")
    (row,) = rows(store)
    # PostgreSQL's clock_timestamp() or, on SQLite, this machine's: within a second of ours.
    assert before - 1 < row.created < time.time() + 1


def test_the_key_is_the_pacers_keyed_hash_never_the_code(open_store: OpenStore) -> None:
    store = open_store()
    assert take(store.seats(lifetime=LIFETIME), "r1")
    store.pacer(interval=0.01).wait_turn(KEY)
    (row,) = rows(store)
    with store.engine.connect() as connection:
        (paced,) = connection.execute(select(PacingRow.key)).scalars()
    # One name for the code in both tables: the pacer's, keyed by LENSPIN_ENCRYPTION_KEY.
    assert row.key == paced == Keyring.from_setting(ENCRYPTION_KEY).pacing_name(KEY)
    assert AUTH_CODE not in row.key
    assert KEY not in row.key
    assert (row.team_id, row.user_id) == ("T1", "UFLOOD")
