"""Database URLs and engines: PostgreSQL through psycopg 3, or a local SQLite file."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url

# How long a SQLite writer waits for another to finish before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000

# Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE.
IMMEDIATE = "lenspin_begin_immediate"

_POSTGRES_SCHEMES = ("postgres", "postgresql")


def normalize_url(url: str) -> str:
    """Point postgres:// and postgresql:// URLs at psycopg 3; leave everything else as it is."""
    scheme, separator, rest = url.partition("://")
    # Only the scheme is rewritten, by hand: parsing and re-rendering the URL would re-quote
    # passwords and query values (options=-csearch_path%3D...) in ways that may differ.
    if separator and scheme.lower() in _POSTGRES_SCHEMES:
        return f"postgresql+psycopg://{rest}"
    return url


POOL_SIZE = 4
POOL_OVERFLOW = 4
# How long a thread waits for a free pooled connection before the database counts as stuck.
POOL_TIMEOUT = 2.0
# How long lenspin waits for each answer from PostgreSQL (a query, a fetch, a commit, the
# pool's ping) before it calls the database not answering. Its own statements take
# milliseconds; the bound is what keeps a hung database from holding a Slack listener thread.
ANSWER_TIMEOUT = 3.0

# Each pooled SQLite connection keeps a page cache of its own that fills as the file grows
# (SQLite's default is 2 MiB); the OS caches the file too, and every read here is a few rows
# by key, so a small cache bounds each worker's memory at no measurable cost.
SQLITE_CACHE_KIB = 512


# pre_ping: a PaaS database restarts or drops idle connections now and then. A small pool per
# process: hobby plans allow ~20 connections for every worker together, and each transaction
# here is a few milliseconds long.
_POOL: dict[str, Any] = {
    "pool_pre_ping": True,
    "pool_size": POOL_SIZE,
    "max_overflow": POOL_OVERFLOW,
    "pool_timeout": POOL_TIMEOUT,
}


def make_engine(url: str, *, answer_within: float | None = ANSWER_TIMEOUT) -> Engine:
    """An engine for url, safe for several processes and threads writing at once.

    answer_within bounds each wait for PostgreSQL (None: no bound, for long migrations).
    """
    url = normalize_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        # Imported here: psycopg is only loaded by processes that use PostgreSQL.
        from bot.store.postgres import bound  # noqa: PLC0415

        engine = create_engine(url, **_POOL)
        bound(engine, answer_within)
        return engine
    engine = create_engine(
        url,
        **_POOL,
        # The pool hands a connection to one thread at a time; gunicorn threads share the pool.
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def immediate(engine: Engine) -> Engine:
    """The same engine, whose SQLite transactions take the write lock as they begin."""
    return engine.execution_options(**{IMMEDIATE: True})


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # sqlite3's own transaction handling starts transactions late (only before DML), which
    # turns read-then-write into a lock upgrade that fails at once instead of waiting;
    # _sqlite_begin takes over instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        # WAL: readers never block the writer and the writer never blocks readers. The mode
        # is kept in the file, so usually this only reads it.
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            _switch_to_wal(cursor)
        # In WAL mode NORMAL still survives a killed process (only a power cut can lose the
        # last commits), and spares an fsync on every commit of the PIN path.
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    # Switching needs the file to itself, and SQLite answers "locked" at once rather than
    # waiting for busy_timeout when other processes open a new file at the same moment.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
        else:
            return


def _sqlite_begin(connection: Connection) -> None:
    # A writer takes the lock at BEGIN, where busy_timeout lets it queue behind other writers;
    # readers stay deferred so a long export never holds writers up.
    if connection.get_execution_options().get(IMMEDIATE):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def advisory_lock_id(name: str) -> int:
    """A PostgreSQL advisory lock number for name: 64 bits of its SHA-256, signed."""
    # Advisory locks are shared by every application on the database; a hash of a
    # lenspin-prefixed name keeps ours apart from theirs.
    digest = hashlib.sha256(f"lenspin:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def upsert(engine: Engine | Connection) -> Callable[..., Any]:
    """The insert() of the engine's dialect, which has on_conflict_do_update()."""
    name = engine.dialect.name
    # Each dialect's module is loaded only by the processes that use it: SQLAlchemy's
    # PostgreSQL dialect alone is about 30 ms of a SQLite deployment's start-up otherwise.
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert  # noqa: PLC0415

        return postgresql_insert
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert  # noqa: PLC0415

        return sqlite_insert
    raise ValueError(f"lenspin stores its data in PostgreSQL or SQLite, not {name}")
