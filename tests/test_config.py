"""Settings.from_env: defaults, validation, and one error naming every problem."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings

BASE = {
    "SLACK_BOT_TOKEN": "xoxb-123-abc",
    "SLACK_SIGNING_SECRET": "secret-for-config-tests",
    "RESCUE_AUTH_CODE": "rescue-code-for-config-tests",
    "LENSPIN_ALLOWED_USERS": "U0123ABCD, U0456EFGH",
}


def test_defaults_make_a_runnable_http_bot() -> None:
    settings = Settings.from_env(BASE)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.rescue_api_url == "https://secure.logmeinrescue.com/API/API.asmx"
    assert settings.rescue_soap_version == "1.1"
    assert settings.rescue_timeout == 15.0
    assert settings.port == 3000
    assert not settings.socket_mode
    assert [f.key for f in settings.visible_fields] == [
        "name",
        "custom1",
        "custom2",
        "custom3",
        "custom4",
        "custom5",
        "tracking",
    ]
    assert [f.max_length for f in settings.visible_fields] == [64, 512, 512, 256, 64, 64, 64]
    assert settings.show_no_tech_console


def test_an_empty_environment_names_every_missing_variable_at_once() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({})
    message = str(caught.value)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "RESCUE_AUTH_CODE"):
        assert name in message
    assert len(caught.value.problems) == 3


def test_auth_code_without_allowlist_is_refused() -> None:
    env = {k: v for k, v in BASE.items() if k != "LENSPIN_ALLOWED_USERS"}
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert [p.split(":")[0] for p in caught.value.problems] == ["LENSPIN_ALLOWED_USERS"]


def test_every_invalid_value_is_named() -> None:
    env = {
        **BASE,
        "SLACK_BOT_TOKEN": "xoxp-user-token",
        "SLACK_API_URL": "ftp://example",
        "RESCUE_API_URL": "not a url",
        "RESCUE_SOAP_VERSION": "2.0",
        "RESCUE_TIMEOUT": "soon",
        "PORT": "99999",
        "LENSPIN_ALLOWED_USERS": "U0123ABCD,jane",
        "LENSPIN_HIDDEN_FIELDS": "name,custom9",
        "LOG_LEVEL": "chatty",
        "LENSPIN_LABEL_CUSTOM1": "x" * 151,
    }
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    named = {p.split(":")[0] for p in caught.value.problems}
    assert named == {
        "SLACK_BOT_TOKEN",
        "SLACK_API_URL",
        "RESCUE_API_URL",
        "RESCUE_SOAP_VERSION",
        "RESCUE_TIMEOUT",
        "PORT",
        "LENSPIN_ALLOWED_USERS",
        "LENSPIN_HIDDEN_FIELDS",
        "LOG_LEVEL",
        "LENSPIN_LABEL_CUSTOM1",
    }


def test_socket_mode_needs_no_signing_secret() -> None:
    env = {k: v for k, v in BASE.items() if k != "SLACK_SIGNING_SECRET"}
    settings = Settings.from_env({**env, "SLACK_APP_TOKEN": "xapp-1-A1-1-abc"})
    assert settings.socket_mode


def test_labels_hints_and_hidden_fields_come_from_the_environment() -> None:
    env = {
        **BASE,
        "LENSPIN_LABEL_NAME": "Caller",
        "LENSPIN_HINT_NAME": "As on the ticket",
        "LENSPIN_LABEL_CUSTOM1": "Ticket URL",
        "LENSPIN_HIDDEN_FIELDS": "custom4, custom5,no_tech_console",
        "SLACK_API_URL": "http://127.0.0.1:9/api",
    }
    settings = Settings.from_env(env)
    fields = {f.key: f for f in settings.visible_fields}
    assert fields["name"].label == "Caller"
    assert fields["name"].hint == "As on the ticket"
    assert fields["custom1"].label == "Ticket URL"
    assert "custom4" not in fields
    assert "custom5" not in fields
    assert not settings.show_no_tech_console
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"


def test_allowlist_star_means_everyone() -> None:
    settings = Settings.from_env({**BASE, "LENSPIN_ALLOWED_USERS": "*"})
    assert settings.is_allowed("U999999")
    listed = Settings.from_env(BASE)
    assert listed.is_allowed("U0456EFGH")
    assert not listed.is_allowed("U999999")


def test_repr_hides_secrets() -> None:
    shown = repr(Settings.from_env(BASE))
    for secret in (BASE["SLACK_BOT_TOKEN"], BASE["SLACK_SIGNING_SECRET"], BASE["RESCUE_AUTH_CODE"]):
        assert secret not in shown
