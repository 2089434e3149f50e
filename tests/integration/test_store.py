"""The storage layer on SQLite and PostgreSQL: schema, links, audit trail, encryption, writers.

PostgreSQL runs when LENSPIN_TEST_DATABASE_URL is set, e.g.
postgresql://postgres@127.0.0.1:5432/test; each test gets a schema of its own.
"""

from __future__ import annotations

import ast
import itertools
import multiprocessing
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, make_url, text

from bot.domain import AuditRecord, Link, LinkSource, StoreUnavailable
from bot.pins import Pacer
from bot.rescue.models import RESCUE_INTERVAL
from bot.store import (
    DatabasePacer,
    Keyring,
    SchemaOutdated,
    Store,
    generate_key,
    make_engine,
    normalize_url,
)
from bot.store import schema as schema_module
from bot.store import store as store_module
from bot.store.db import POOL_SIZE, SQLITE_CACHE_KIB
from bot.store.models import VERSION_TABLE, Base
from bot.store.pacer import lock_id
from bot.store.schema import MIGRATIONS
from tests.support.records import T0, entry

PG_URL = os.environ.get("LENSPIN_TEST_DATABASE_URL", "")
KEY = generate_key()
AUTH_CODE = "PLAINTEXT-AUTH-CODE-0123456789abcdefghijklmnopqrstuvwxyz"

StoreFactory = Callable[..., Store]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a PostgreSQL schema of its own, dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lenspin.sqlite3'}"
        return
    if not PG_URL:
        pytest.skip("set LENSPIN_TEST_DATABASE_URL to run the PostgreSQL tests")
    schema = f"lenspin_store_test_{secrets.token_hex(6)}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    # A query parameter on purpose: it must survive normalize_url to reach the server.
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def make_store(database_url: str) -> Iterator[StoreFactory]:
    """Opens Stores (each on its own engine) on the test database; closes them after."""
    opened: list[Store] = []

    def open_store(keys: str = KEY, *, migrate: bool = True) -> Store:
        store = Store.from_url(database_url, Keyring.from_setting(keys))
        opened.append(store)
        if migrate:
            store.migrate()
        return store

    yield open_store
    for store in opened:
        store.engine.dispose()


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    return make_store()


def raw_rows(engine: Engine, table: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}"))]  # noqa: S608


# URLs and engines


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://host/db", "postgresql+psycopg://host/db"),
        ("postgresql://host/db", "postgresql+psycopg://host/db"),
        (
            "postgres://user:p%40ss%2Fword@db.example.com:5433/lenspin"
            "?sslmode=require&options=-csearch_path%3Dlenspin",
            "postgresql+psycopg://user:p%40ss%2Fword@db.example.com:5433/lenspin"
            "?sslmode=require&options=-csearch_path%3Dlenspin",
        ),
        ("postgresql+psycopg://host/db", "postgresql+psycopg://host/db"),
        ("sqlite:///lenspin.sqlite3", "sqlite:///lenspin.sqlite3"),
        ("sqlite:////var/data/lenspin.sqlite3", "sqlite:////var/data/lenspin.sqlite3"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_a_normalized_url_keeps_credentials_and_every_query_parameter() -> None:
    url = make_url(
        normalize_url(
            "postgres://user:p%40ss@db.example.com:5433/lenspin"
            "?sslmode=require&options=-csearch_path%3Dlenspin"
        )
    )
    assert (url.drivername, url.username, url.password) == ("postgresql+psycopg", "user", "p@ss")
    assert (url.host, url.port, url.database) == ("db.example.com", 5433, "lenspin")
    assert dict(url.query) == {"sslmode": "require", "options": "-csearch_path=lenspin"}


def test_query_parameters_reach_postgresql(store: Store, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("search_path is PostgreSQL's")
    schema = database_url.rpartition("%3D")[2]
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT current_schema()").scalar() == schema
        tables = connection.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = :schema"), {"schema": schema}
        ).scalar()
    assert tables == len(Base.metadata.tables) + 1  # lenspin's tables and Alembic's version table


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_ends_a_statement_or_a_quiet_transaction_that_holds_locks_too_long(
    store: Store,
) -> None:
    with store.engine.connect() as connection:
        show = connection.exec_driver_sql
        # What the server itself applies to lenspin's sessions, not what was asked for.
        assert show("SHOW statement_timeout").scalar() == "3s"
        assert show("SHOW idle_in_transaction_session_timeout").scalar() == "10s"


def test_sqlite_engines_use_wal_a_busy_timeout_foreign_keys_and_a_bounded_cache(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA busy_timeout").scalar() == 5000
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            # Negative: KiB. Memory per worker is at most this times the connections kept.
            assert pragma("PRAGMA cache_size").scalar() == -SQLITE_CACHE_KIB
        assert engine.pool.size() == POOL_SIZE  # type: ignore[attr-defined]
    finally:
        engine.dispose()


# Encryption


def test_keyring_round_trip_and_tokens_do_not_show_the_text() -> None:
    keyring = Keyring.from_setting(KEY)
    token = keyring.encrypt("secret 123")
    assert "secret" not in token
    assert keyring.decrypt(token) == "secret 123"
    assert keyring.encrypt("secret 123") != token  # a fresh IV each time


def test_key_rotation() -> None:
    key_a, key_b = generate_key(), generate_key()
    token = Keyring.from_setting(key_a).encrypt("auth code")
    both = Keyring.from_setting(f" {key_b} , {key_a} ")
    assert both.decrypt(token) == "auth code"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        Keyring.from_setting(key_b).decrypt(token)
    rotated = both.rotate(token)
    assert Keyring.from_setting(key_b).decrypt(rotated) == "auth code"


def test_a_bad_key_is_named_by_position_and_never_echoed() -> None:
    bad = "not-a-fernet-key-but-maybe-a-real-secret"
    with pytest.raises(ValueError, match=r"LENSPIN_ENCRYPTION_KEY: key 2 of 3") as caught:
        Keyring.from_setting(f"{generate_key()},{bad},{generate_key()}")
    assert bad not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.parametrize("setting", ["", " , "])
def test_an_empty_key_setting_is_refused(setting: str) -> None:
    with pytest.raises(ValueError, match="keygen"):
        Keyring.from_setting(setting)


@pytest.mark.parametrize("token", ["garbage", "", "gAAAA\u00e9"])
def test_an_unreadable_token_raises_value_error(token: str) -> None:
    with pytest.raises(ValueError, match="cannot be decrypted"):
        Keyring.from_setting(KEY).decrypt(token)


def test_a_keyring_does_not_show_its_keys() -> None:
    assert KEY not in repr(Keyring.from_setting(f"{KEY},{generate_key()}"))
    assert repr(Keyring.from_setting(KEY)) == "Keyring(1 key)"


# Schema

# Every migration script's revision, in order (the scripts are named by their revision).
EVERY_REVISION = sorted(
    path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9]*.py")
)


def test_check_schema_asks_for_migrate_on_an_empty_database(make_store: StoreFactory) -> None:
    store = make_store(migrate=False)
    with pytest.raises(SchemaOutdated, match="python -m bot migrate"):
        store.check_schema()
    assert store.migrate() == EVERY_REVISION
    store.check_schema()


def test_migrate_twice_is_a_no_op(store: Store) -> None:
    assert store.migrate() == []
    store.check_schema()


def test_migrate_from_two_threads_at_once(make_store: StoreFactory) -> None:
    stores = [make_store(migrate=False), make_store(migrate=False)]
    barrier = threading.Barrier(2)

    def migrate(store: Store) -> list[str]:
        barrier.wait()
        return store.migrate()

    with ThreadPoolExecutor(2) as pool:
        applied = list(pool.map(migrate, stores))
    assert sorted(applied) == [[], EVERY_REVISION]
    stores[0].check_schema()


def test_check_schema_names_a_revision_it_does_not_know(store: Store) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = 'ffff'"))  # noqa: S608
    with pytest.raises(SchemaOutdated, match="ffff") as caught:
        store.check_schema()
    assert "newer lenspin" in str(caught.value)


def test_check_schema_raises_when_the_version_row_is_missing(store: Store) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(f"DELETE FROM {VERSION_TABLE}"))  # noqa: S608
    with pytest.raises(SchemaOutdated, match="python -m bot migrate"):
        store.check_schema()


def test_the_schema_check_knows_the_revisions_alembic_knows() -> None:
    scripts = ScriptDirectory.from_config(schema_module._alembic_config())
    head, known = schema_module._revisions()
    assert head == scripts.get_current_head()
    assert known == {script.revision for script in scripts.walk_revisions()}


def test_revisions_are_read_from_any_script_layout() -> None:
    source = 'revision: str = "0003"\ndown_revision: tuple[str, ...] = ("0001", "0002")\n'
    assert schema_module._script_revision(ast.parse(source)) == ("0003", {"0001", "0002"})
    assert schema_module._script_revision(ast.parse('revision = "0001"\n')) == ("0001", set())
    assert schema_module._script_revision(ast.parse("import os\n")) is None


def test_the_models_match_the_migrations(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_ping(store: Store, tmp_path: Path) -> None:
    store.ping()
    broken = Store.from_url(
        f"sqlite:///{tmp_path / 'missing' / 'x.sqlite3'}", Keyring.from_setting(KEY)
    )
    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        broken.ping()


# Links


def test_link_round_trip(store: Store) -> None:
    assert store.get_link("T1", "U1") is None
    saved = store.save_link(
        team_id="T1",
        user_id="U1",
        auth_code=AUTH_CODE,
        email="tech@example.com",
        organization="Example Ltd",
        source=LinkSource.PASSWORD,
    )
    assert saved.linked_at.tzinfo is UTC
    assert abs(saved.linked_at - datetime.now(UTC)) < timedelta(seconds=5)
    assert store.get_link("T1", "U1") == saved
    assert store.get_link("T1", "U2") is None
    assert store.get_link("T2", "U1") is None

    store.mark_link_stale("T1", "U1")
    assert store.get_link("T1", "U1") == replace(saved, stale=True)
    store.mark_link_stale("T1", "U-nobody")  # nothing to mark is not an error

    relinked = store.save_link(
        team_id="T1",
        user_id="U1",
        auth_code="new code",
        email="tech@example.com",
        organization="Example Ltd",
        source=LinkSource.TOKEN,
    )
    assert relinked.stale is False
    assert store.get_link("T1", "U1") == relinked
    assert relinked.auth_code == "new code"

    assert store.delete_link("T1", "U1") is True
    assert store.delete_link("T1", "U1") is False
    assert store.get_link("T1", "U1") is None


def test_a_link_does_not_show_its_auth_code(store: Store) -> None:
    link = store.save_link(
        team_id="T1",
        user_id="U1",
        auth_code=AUTH_CODE,
        email="e",
        organization="o",
        source=LinkSource.TOKEN,
    )
    assert AUTH_CODE not in repr(link)
    assert isinstance(link, Link)


def test_a_stored_link_of_an_unknown_source_is_refused_not_guessed(store: Store) -> None:
    store.save_link(
        team_id="T1",
        user_id="U1",
        auth_code="c",
        email="e",
        organization="o",
        source=LinkSource.TOKEN,
    )
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE lenspin_links SET source = 'borrowed'"))
    with pytest.raises(ValueError, match="borrowed"):
        store.get_link("T1", "U1")


def test_secrets_are_not_readable_in_the_tables(store: Store) -> None:
    store.save_link(
        team_id="T1",
        user_id="U1",
        auth_code=AUTH_CODE,
        email="tech@example.com",
        organization="Example Ltd",
        source=LinkSource.TOKEN,
    )
    store.record_request(entry(pin="918273"))
    store.record_request(entry(pin=None, result="TIMEOUT"))

    links = raw_rows(store.engine, "lenspin_links")
    assert len(links) == 1
    assert AUTH_CODE not in repr(links)
    assert "tech@example.com" in repr(links)  # the table was really read
    with store.engine.connect() as connection:
        pins = connection.execute(text("SELECT pin_encrypted FROM lenspin_audit ORDER BY id"))
        stored = [row[0] for row in pins]
    assert stored[0] is not None
    assert "918273" not in stored[0]
    assert stored[1] is None  # no PIN stays NULL, not an encrypted empty string
    assert [r.pin for r in store.recent_requests("T1", "U1")] == [None, "918273"]


def test_rotate_keys_lets_the_old_key_go(make_store: StoreFactory) -> None:
    key_a, key_b = generate_key(), generate_key()
    old = make_store(key_a)
    old.save_link(
        team_id="T1",
        user_id="U1",
        auth_code=AUTH_CODE,
        email="e",
        organization="o",
        source=LinkSource.TOKEN,
    )
    old.record_request(entry(pin="111111"))
    old.record_request(entry(pin=None))

    both = make_store(f"{key_b},{key_a}")
    assert both.rotate_keys() == 2  # one auth code, one PIN
    new = make_store(key_b)
    link = new.get_link("T1", "U1")
    assert link is not None
    assert link.auth_code == AUTH_CODE
    assert {r.pin for r in new.recent_requests("T1", "U1")} == {"111111", None}
    with pytest.raises(ValueError, match="cannot be decrypted"):
        old.get_link("T1", "U1")


# Audit trail


def test_record_and_recent(store: Store) -> None:
    # Inserted out of order: "newest" is by request time, not by id.
    ids = {}
    for minutes in (3, 0, 4, 1, 2):
        at = T0 + timedelta(minutes=minutes)
        ids[minutes] = store.record_request(entry(requested_at=at, name=f"n{minutes}"))
    store.record_request(entry(user_id="U2", requested_at=T0 + timedelta(hours=1)))
    store.record_request(entry(team_id="T2", requested_at=T0 + timedelta(hours=1)))

    recent = store.recent_requests("T1", "U1", limit=3)
    assert [r.name for r in recent] == ["n4", "n3", "n2"]
    assert [r.id for r in recent] == [ids[4], ids[3], ids[2]]
    assert len(store.recent_requests("T1", "U1")) == 5
    assert store.recent_requests("T1", "U-nobody") == []

    first = recent[0]
    assert isinstance(first, AuditRecord)
    assert first == AuditRecord(
        **{**vars(entry(requested_at=T0 + timedelta(minutes=4), name="n4")), "id": ids[4]}
    )


def test_times_come_back_as_aware_utc_whatever_zone_went_in(store: Store) -> None:
    paris = timezone(timedelta(hours=2))
    sent = datetime(2026, 6, 1, 14, 30, 15, 123456, tzinfo=paris)
    store.record_request(entry(requested_at=sent, latency_ms=None))
    (record,) = store.recent_requests("T1", "U1")
    assert record.requested_at == sent
    assert record.requested_at.tzinfo is UTC
    assert record.requested_at.hour == 12
    assert record.latency_ms is None


def test_naive_times_are_refused(store: Store) -> None:
    naive = datetime(2026, 1, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.record_request(entry(requested_at=naive))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.purge_audit(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.export_audit(naive)


def test_a_stored_request_of_an_unknown_code_source_is_refused_not_guessed(store: Store) -> None:
    store.record_request(entry())
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE lenspin_audit SET code_source = 'borrowed'"))
    with pytest.raises(ValueError, match="borrowed"):
        store.recent_requests("T1", "U1")


def test_purge(store: Store) -> None:
    for days in range(5):
        store.record_request(entry(requested_at=T0 + timedelta(days=days), name=f"d{days}"))
    assert store.purge_audit(T0 + timedelta(days=2)) == 2
    assert store.purge_audit(T0 + timedelta(days=2)) == 0
    assert [r.name for r in store.recent_requests("T1", "U1")] == ["d4", "d3", "d2"]


def test_export_is_oldest_first_from_since_in_batches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "EXPORT_BATCH", 2)  # several round trips for 7 rows
    for hours in (5, 1, 6, 0, 3, 2, 4):
        store.record_request(
            entry(
                user_id=f"U{hours % 2}", requested_at=T0 + timedelta(hours=hours), name=f"h{hours}"
            )
        )
    exported = list(store.export_audit(T0 + timedelta(hours=2)))
    assert [r.name for r in exported] == ["h2", "h3", "h4", "h5", "h6"]
    # An export never needs the key: it carries no PIN.
    assert all(r.pin is None for r in exported)
    assert list(store.export_audit(T0 + timedelta(days=1))) == []


def test_an_export_left_half_read_leaves_the_store_usable(store: Store) -> None:
    for minutes in range(3):
        store.record_request(entry(requested_at=T0 + timedelta(minutes=minutes)))
    export = store.export_audit(T0)
    next(export)
    store.record_request(entry())  # a writer is not held up by the open export
    export.close()
    assert len(store.recent_requests("T1", "U1")) == 4


# Concurrency


def test_concurrent_writers_lose_nothing(store: Store) -> None:
    def write(thread: int) -> list[int]:
        return [
            store.record_request(entry(user_id=f"U{thread}", tracking=str(i))) for i in range(25)
        ]

    with ThreadPoolExecutor(8) as pool:
        ids = [i for batch in pool.map(write, range(8)) for i in batch]
    assert len(set(ids)) == 200
    assert len(raw_rows(store.engine, "lenspin_audit")) == 200
    for thread in range(8):
        assert len(store.recent_requests("T1", f"U{thread}", limit=100)) == 25


def _record_many(url: str, key: str, user_id: str, count: int) -> int:
    store = Store.from_url(url, Keyring.from_setting(key))
    try:
        for i in range(count):
            store.record_request(entry(user_id=user_id, tracking=str(i)))
            store.save_link(
                team_id="T1",
                user_id=user_id,
                auth_code=f"code {i}",
                email="e",
                organization="o",
                source=LinkSource.TOKEN,
            )
    finally:
        store.engine.dispose()
    return count


def test_processes_writing_one_sqlite_file_lose_nothing(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("one machine's processes sharing a file is SQLite's case")
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        done = list(pool.map(_record_many, [database_url] * 2, [KEY] * 2, ["UA", "UB"], [40, 40]))
    assert done == [40, 40]
    assert len(raw_rows(store.engine, "lenspin_audit")) == 80
    for user in ("UA", "UB"):
        link = store.get_link("T1", user)
        assert link is not None
        assert link.auth_code == "code 39"


# DatabasePacer

INTERVAL = 0.1
# The pacer calls a turn due within 1 ms; the rest is float rounding of the stored times.
JITTER = 0.01


def turn_times(pacer: Pacer, key: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        pacer.wait_turn(key)
        times.append(time.monotonic())
    return times


def assert_spaced(times: list[float]) -> None:
    gaps = [b - a for a, b in itertools.pairwise(sorted(times))]
    assert min(gaps) >= INTERVAL - JITTER, gaps


def recorded_turns(engine: Engine) -> Callable[[str], list[float]]:
    """Record every turn the pacer writes; return a reader of one key's turn times.

    The times are the database's own, as the pacer took them: a thread's clock read after
    wait_turn() returns can lag by a descheduling (tens of ms on a busy VM), which made
    honest turns look too close.
    """
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE test_turns (key TEXT, at DOUBLE PRECISION)")
        if connection.dialect.name == "sqlite":
            for event in ("INSERT", "UPDATE"):
                connection.exec_driver_sql(
                    f"CREATE TRIGGER test_turn_{event} AFTER {event} ON lenspin_pacing "  # noqa: S608
                    "BEGIN INSERT INTO test_turns VALUES (NEW.key, NEW.last_call); END"
                )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION test_turn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "INSERT INTO test_turns VALUES (NEW.key, NEW.last_call); RETURN NEW; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER test_turn AFTER INSERT OR UPDATE ON lenspin_pacing "
                "FOR EACH ROW EXECUTE FUNCTION test_turn()"
            )

    def read(key: str) -> list[float]:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT at FROM test_turns WHERE key = :key ORDER BY at"), {"key": key}
            )
            return [row[0] for row in rows]

    return read


def test_turns_are_spaced_by_the_interval(store: Store) -> None:
    turns = recorded_turns(store.engine)
    pacer = DatabasePacer(store.engine, INTERVAL)
    started = time.monotonic()
    times = turn_times(pacer, "sequential", 4)
    assert_spaced(turns("sequential"))
    assert times[-1] - started < 3 * INTERVAL + 0.5  # and nobody waits much more than needed


class Stopped(Exception):
    """What PinService's sleep raises when the service stops mid-wait."""


def test_store_pacer_uses_the_given_interval_and_sleep(store: Store) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        raise Stopped

    pacer: Pacer = store.pacer(interval=RESCUE_INTERVAL, sleep=sleep)
    pacer.wait_turn("rescue")
    with pytest.raises(Stopped):
        pacer.wait_turn("rescue")
    assert RESCUE_INTERVAL - 0.5 < sleeps[0] <= RESCUE_INTERVAL
    store.record_request(entry())  # stopping mid-wait left no lock behind


def test_two_threads_sharing_a_key_never_get_closer_turns(store: Store) -> None:
    turns = recorded_turns(store.engine)
    pacer = DatabasePacer(store.engine, INTERVAL)
    barrier = threading.Barrier(2)

    def run(_: int) -> list[float]:
        barrier.wait()
        return turn_times(pacer, "shared", 4)

    with ThreadPoolExecutor(2) as pool:
        times = [t for run_times in pool.map(run, range(2)) for t in run_times]
    assert len(times) == 8
    assert len(turns("shared")) == 8
    assert_spaced(turns("shared"))


def test_two_engines_sharing_a_key_never_get_closer_turns(make_store: StoreFactory) -> None:
    # Two engines are two dynos' connection pools: only the database is shared.
    stores = [make_store() for _ in range(2)]
    turns = recorded_turns(stores[0].engine)
    pacers = [DatabasePacer(store.engine, INTERVAL) for store in stores]
    barrier = threading.Barrier(2)

    def run(pacer: DatabasePacer) -> list[float]:
        barrier.wait()
        return turn_times(pacer, "across engines", 3)

    with ThreadPoolExecutor(2) as pool:
        times = [t for run_times in pool.map(run, pacers) for t in run_times]
    assert len(times) == 6
    assert len(turns("across engines")) == 6
    assert_spaced(turns("across engines"))


def test_first_turns_and_different_keys_do_not_wait(store: Store) -> None:
    # Any wait at all would be ten seconds.
    pacer = DatabasePacer(store.engine, 10.0)
    started = time.monotonic()
    for key in ("code A", "code B", "code C"):
        pacer.wait_turn(key)
    assert time.monotonic() - started < 2.0


def test_the_lock_is_not_held_while_sleeping(store: Store) -> None:
    other = DatabasePacer(store.engine, INTERVAL)
    postgres = store.engine.dialect.name == "postgresql"
    during_sleep: list[float] = []

    def sleep(seconds: float) -> None:
        # Runs while the first key waits: another key's turn and a write go straight through
        # (on SQLite a held write lock would stall both for the 5 s busy timeout).
        started = time.monotonic()
        other.wait_turn("second key")
        store.record_request(entry())
        if postgres:
            with store.engine.begin() as connection:
                free = connection.execute(
                    text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": lock_id("first key")}
                ).scalar_one()
            assert free is True
        during_sleep.append(time.monotonic() - started)
        time.sleep(seconds)

    pacer = DatabasePacer(store.engine, 0.5, sleep=sleep)
    pacer.wait_turn("first key")
    pacer.wait_turn("first key")
    assert len(during_sleep) == 1
    assert during_sleep[0] < 1.0


def _record_then_die(url: str, key: str, count: int) -> None:
    store = Store.from_url(url, Keyring.from_setting(key))
    for i in range(count):
        store.record_request(entry(user_id="U-killed", tracking=str(i)))
    os.kill(os.getpid(), signal.SIGKILL)  # no dispose, no clean exit


def test_a_killed_process_loses_nothing_it_committed(store: Store, database_url: str) -> None:
    process = multiprocessing.get_context("spawn").Process(
        target=_record_then_die, args=(database_url, KEY, 5)
    )
    process.start()
    process.join(timeout=30)
    assert process.exitcode == -signal.SIGKILL
    assert len(store.recent_requests("T1", "U-killed")) == 5


def test_a_request_is_found_by_id_only_by_its_own_user(store: Store) -> None:
    request_id = store.record_request(entry())
    found = store.get_request(request_id, "T1", "U1")
    assert found is not None
    assert found.id == request_id
    assert found.pin == "004821"
    assert store.get_request(request_id, "T1", "U2") is None
    assert store.get_request(request_id + 1000, "T1", "U1") is None
