"""The test world: constants, settings, databases, app environments, `python -m bot`."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from psycopg.errors import LockNotAvailable
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from bot.config import Settings
from bot.rescue.client import RescueClient
from bot.store import Keyring, Store, generate_key, make_engine
from bot.store.models import Base
from tests.support.standins import ROOT, FakeRescue, FakeSlack

AUTH_CODE = "e2eauthcode0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop"
# Every test takes technicians of its own, so late answers can never cross tests.
TECHS = [f"U0TECH{i:04d}" for i in range(400)]
STRANGER = "U0STRANGER"
E2E_RESCUE_TIMEOUT = "2"
# Made afresh for each run: no key, even a test one, lives in the repository.
ENCRYPTION_KEY = generate_key()
# Secrets the tests hand the apps; none may ever appear in an app's logs.
PASSWORD = "correct horse <battery> & staple"
SSO_PASSWORD = "company-wide sso secret"

_DATABASES = tempfile.TemporaryDirectory(prefix="lenspin-test-db-")
# pg_stat_activity's name for the test process's own PostgreSQL sessions (libpq's PGAPPNAME,
# set by conftest; the apps under test get an environment of their own and no name).
TEST_APPLICATION = "lenspin-tests"
# How long the clean-up waits for a lock in a test schema before it looks for who holds it.
LOCK_WAIT = "10s"
# Who holds a lock on a table in :schema.
_LOCK_HOLDERS = text(
    "SELECT DISTINCT a.pid, a.application_name, a.state, a.state_change,"
    " left(a.query, 160) AS query FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
    " JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE n.nspname = :schema AND l.granted AND a.pid <> pg_backend_pid()"
)
_SCHEMAS: list[str] = []
_tech_ids = itertools.count()

MakeClient = Callable[..., RescueClient]


def next_tech() -> str:
    """A technician no earlier test used (the `tech` fixture)."""
    return TECHS[next(_tech_ids)]


def settings_for(**env: str) -> Settings:
    """Settings from the fewest variables that make a valid bot, plus env."""
    minimal = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "RESCUE_AUTH_CODE": "c",
        "LENSPIN_ALLOWED_USERS": "*",
        "LENSPIN_ENCRYPTION_KEY": ENCRYPTION_KEY,
    }
    return Settings.from_env({**minimal, **env})


# PostgreSQL tests run when this names a database (CI sets it), and skip otherwise.
POSTGRES_URL = os.environ.get("LENSPIN_TEST_DATABASE_URL", "")
DATABASE_KINDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not POSTGRES_URL, reason="LENSPIN_TEST_DATABASE_URL is not set"),
    ),
]


def fresh_database(kind: str = "sqlite") -> str:
    """A new, migrated database for one app under test: a SQLite file or a PostgreSQL schema."""
    if kind == "sqlite":
        url = f"sqlite:///{Path(_DATABASES.name) / uuid.uuid4().hex}.sqlite3"
    else:
        schema = f"lenspin_test_{uuid.uuid4().hex[:12]}"
        engine = make_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        _SCHEMAS.append(schema)
        joiner = "&" if "?" in POSTGRES_URL else "?"
        url = f"{POSTGRES_URL}{joiner}options=-csearch_path%3D{schema}"
    Store.from_url(url, Keyring.from_setting(ENCRYPTION_KEY)).migrate()
    return url


def drop_test_schemas() -> None:
    """Drop every PostgreSQL schema fresh_database made (at the end of the session).

    The schemas are this run's alone: a session still holding a lock in one is named in a
    warning, so the leak can be found, and ended, so the clean-up cannot hang.
    """
    if not _SCHEMAS:
        return
    # A schema of a dozen tables can take longer to drop than the app's 3 s answer time-out,
    # which is for the app's requests, not for this clean-up.
    engine = make_engine(POSTGRES_URL, answer_within=60)
    try:
        for schema in _SCHEMAS:
            _drop_schema(engine, schema)
    finally:
        engine.dispose()
    _SCHEMAS.clear()


def _drop_schema(engine: Engine, schema: str) -> None:
    for _ in range(3):
        try:
            with engine.begin() as connection:
                connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            return
        except OperationalError as error:
            if not isinstance(error.orig, LockNotAvailable):
                raise
        with engine.begin() as connection:
            holders = connection.execute(_LOCK_HOLDERS, {"schema": schema}).all()
            for holder in holders:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": holder.pid})
        warnings.warn(
            f"{schema} could not be dropped: sessions still held locks in it, ended now: "
            + "; ".join(
                f"pid {h.pid} of {h.application_name or 'a lenspin process'} ({h.state} since "
                f"{h.state_change or '?'}, last statement {h.query!r})"
                for h in holders
            ),
            stacklevel=1,
        )
    raise RuntimeError(f"{schema} could not be dropped: its locks are still held")


def app_env(slack: FakeSlack, rescue: FakeRescue, **overrides: str) -> dict[str, str]:
    """The config vars an admin would set, pointing at the stand-ins and a fresh database."""
    return {
        # Every app under test logs at DEBUG, so the secret scan below sees the most it can.
        "LOG_LEVEL": "DEBUG",
        "DATABASE_URL": overrides.pop("DATABASE_URL", "") or fresh_database(),
        "LENSPIN_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "SLACK_API_URL": slack.api_url,
        "RESCUE_AUTH_CODE": AUTH_CODE,
        "RESCUE_API_URL": rescue.url,
        "RESCUE_TIMEOUT": E2E_RESCUE_TIMEOUT,
        "LENSPIN_ALLOWED_USERS": ",".join(TECHS),
        # Following sessions asks Rescue after each PIN, in the background: it would take the
        # answers other tests script for their own requests. The tests of it turn it on.
        "LENSPIN_WATCH": "off",
        **overrides,
    }


def run_bot(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """`python -m bot ...` as an admin runs it, in cwd, with only env set."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": str(Path(sys.executable).parent), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def database_dump(url: str) -> str:
    """Every row of every lenspin table, as text: what anyone reading the database sees."""
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = [
            str(dict(row))
            for table in Base.metadata.sorted_tables
            for row in connection.execute(table.select()).mappings()
        ]
    engine.dispose()
    return "\n".join(rows)
