"""Shared fixtures: the Slack and Rescue stand-ins, and the app started as the Procfile does."""

from __future__ import annotations

import itertools
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.config import Settings
from bot.rescue.client import RescueClient
from bot.store import Keyring, Store, generate_key, make_engine
from devtools.fake_rescue import FakeRescue
from devtools.fake_slack import FakeSlack
from devtools.web_process import LOG_DIR_VARIABLE, WebProcess

AUTH_CODE = "e2eauthcode0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop"
# Every test takes technicians of its own, so late answers can never cross tests.
TECHS = [f"U0TECH{i:04d}" for i in range(400)]
STRANGER = "U0STRANGER"
E2E_RESCUE_TIMEOUT = "2"
# Made afresh for each run: no key, even a test one, lives in the repository.
ENCRYPTION_KEY = generate_key()
_DATABASES = tempfile.TemporaryDirectory(prefix="lenspin-test-db-")
_SCHEMAS: list[str] = []

_tech_ids = itertools.count()


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


@pytest.fixture(scope="session")
def rescue_server() -> Iterator[FakeRescue]:
    with FakeRescue(auth_codes=(AUTH_CODE,)) as server:
        yield server


@pytest.fixture(scope="session")
def slack_server() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def rescue(rescue_server: FakeRescue) -> FakeRescue:
    rescue_server.reset()
    return rescue_server


@pytest.fixture
def slack(slack_server: FakeSlack) -> FakeSlack:
    slack_server.reset()
    return slack_server


MakeClient = Callable[..., RescueClient]


@pytest.fixture
def make_client(fake: FakeRescue) -> Iterator[MakeClient]:
    """Rescue clients pointed at the test module's own `fake` Rescue, closed afterwards."""
    clients: list[RescueClient] = []

    def make(
        *, soap_version: str = "1.1", timeout: float = 2.0, url: str | None = None
    ) -> RescueClient:
        client = RescueClient(api_url=url or fake.url, soap_version=soap_version, timeout=timeout)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> RescueClient:
    return make_client()


@pytest.fixture
def tech() -> str:
    return TECHS[next(_tech_ids)]


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


# Secrets the tests hand the apps; none may ever appear in an app's logs.
PASSWORD = "correct horse <battery> & staple"
SSO_PASSWORD = "company-wide sso secret"
FAKE_SLACK = FakeSlack()  # only for its default token and secret, never started


@pytest.fixture(scope="session", autouse=True)
def _no_secret_in_any_app_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the whole run, scan every log every app under test wrote (all at DEBUG)."""
    log_dir = tmp_path_factory.mktemp("web-logs")
    os.environ[LOG_DIR_VARIABLE] = str(log_dir)
    yield
    del os.environ[LOG_DIR_VARIABLE]
    secrets = {
        "the shared auth code": AUTH_CODE,
        "the encryption key": ENCRYPTION_KEY,
        "the bot token": FAKE_SLACK.bot_token,
        "the signing secret": FAKE_SLACK.signing_secret,
        "a Rescue password": PASSWORD,
        "the SSO password": SSO_PASSWORD,
    }
    for path in sorted(log_dir.glob("*.log")):
        text = path.read_text(errors="replace")
        leaked = [name for name, value in secrets.items() if value in text]
        assert not leaked, f"{path.name} holds {', '.join(leaked)}"


@pytest.fixture(scope="session", autouse=True)
def _drop_test_schemas() -> Iterator[None]:
    yield
    if _SCHEMAS:
        engine = make_engine(POSTGRES_URL)
        with engine.begin() as connection:
            for schema in _SCHEMAS:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


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
        **overrides,
    }


@pytest.fixture(scope="session")
def web(slack_server: FakeSlack, rescue_server: FakeRescue) -> Iterator[WebProcess]:
    with WebProcess(app_env(slack_server, rescue_server)) as process:
        yield process
