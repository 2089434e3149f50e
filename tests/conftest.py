"""Shared fixtures: the Slack and Rescue stand-ins, and the app started as the Procfile does."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.devtools.fake_rescue import FakeRescue
from bot.devtools.fake_slack import FakeSlack
from bot.devtools.web_process import WebProcess

AUTH_CODE = "e2eauthcode0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop"
# Every test takes technicians of its own, so late answers can never cross tests.
TECHS = [f"U0TECH{i:04d}" for i in range(400)]
STRANGER = "U0STRANGER"
E2E_RESCUE_TIMEOUT = "2"

_tech_ids = itertools.count()


def settings_for(**env: str) -> Settings:
    """Settings from the fewest variables that make a valid bot, plus env."""
    minimal = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "RESCUE_AUTH_CODE": "c",
        "LENSPIN_ALLOWED_USERS": "*",
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


@pytest.fixture
def tech() -> str:
    return TECHS[next(_tech_ids)]


def app_env(slack: FakeSlack, rescue: FakeRescue, **overrides: str) -> dict[str, str]:
    """The config vars an admin would set, pointing at the stand-ins."""
    return {
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
