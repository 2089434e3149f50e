"""The test world: constants, settings, databases, app environments, `python -m bot`."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

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
    """Drop every PostgreSQL schema fresh_database made (at the end of the session)."""
    if not _SCHEMAS:
        return
    # Hundreds of schemas of a dozen tables each: one statement can take longer than the
    # app's 3 s answer time-out, which is for the app's requests, not for this clean-up.
    engine = make_engine(POSTGRES_URL, answer_within=60)
    with engine.begin() as connection:
        for schema in _SCHEMAS:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()
    _SCHEMAS.clear()


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
