"""Fixtures and hooks only: the stand-ins, the tier markers, the end-of-session checks.

Shared constants and helpers live in tests/support (import them from there, never from here).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.rescue.client import RescueClient
from tests.support import (
    AUTH_CODE,
    ENCRYPTION_KEY,
    LOG_DIR_VARIABLE,
    PASSWORD,
    SSO_PASSWORD,
    TEST_APPLICATION,
    FakeRescue,
    FakeSlack,
    MakeClient,
    WebProcess,
    app_env,
    drop_test_schemas,
    next_tech,
)

# This process's PostgreSQL sessions are told apart from the apps' in pg_stat_activity.
os.environ.setdefault("PGAPPNAME", TEST_APPLICATION)

# Each folder under tests/ is a tier, and its tests carry the tier's marker (pyproject.toml).
TIERS = ("unit", "scenario", "integration", "e2e", "faults", "deploy", "devtools", "browser")
_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test with its folder's tier, so `pytest -m "unit or scenario"` selects."""
    for item in items:
        try:
            tier = item.path.resolve().relative_to(_TESTS).parts[0]
        except ValueError:
            continue
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


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
    return next_tech()


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
    drop_test_schemas()


@pytest.fixture(scope="session")
def web(slack_server: FakeSlack, rescue_server: FakeRescue) -> Iterator[WebProcess]:
    with WebProcess(app_env(slack_server, rescue_server)) as process:
        yield process
