"""Settings.from_env: defaults, validation, and one error naming every problem."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings
from tests.support import ENCRYPTION_KEY

BASE = {
    "SLACK_BOT_TOKEN": "xoxb-123-abc",
    "SLACK_SIGNING_SECRET": "secret-for-config-tests",
    "RESCUE_AUTH_CODE": "rescue-code-for-config-tests",
    "LENSPIN_ALLOWED_USERS": "U0123ABCD, U0456EFGH",
    "LENSPIN_ENCRYPTION_KEY": ENCRYPTION_KEY,
}


def test_defaults_make_a_runnable_http_bot() -> None:
    settings = Settings.from_env(BASE)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.rescue_api_url == "https://secure.logmeinrescue.com/API/API.asmx"
    assert settings.rescue_soap_version == "1.1"
    assert settings.rescue_timeout == 15.0
    assert settings.port == 3000
    assert (settings.web_concurrency, settings.gunicorn_threads) == (2, 8)
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
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "LENSPIN_ENCRYPTION_KEY"):
        assert name in message
    assert "python -m bot keygen" in message
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
        "WEB_CONCURRENCY": "two",
        "GUNICORN_THREADS": "0",
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
        "WEB_CONCURRENCY",
        "GUNICORN_THREADS",
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


def test_storage_linking_and_retention_settings() -> None:
    settings = Settings.from_env(BASE)
    assert settings.database_url == "sqlite:///lenspin.sqlite3"
    assert settings.linking
    assert settings.pin_visible_minutes == 20
    assert settings.audit_days == 90
    assert not settings.sso_enabled
    custom = Settings.from_env(
        {
            **BASE,
            "DATABASE_URL": "postgres://u:p@db:5432/x?sslmode=require",
            "LENSPIN_LINKING": "off",
            "LENSPIN_PIN_VISIBLE_MINUTES": "0",
            "LENSPIN_AUDIT_DAYS": "30",
            "RESCUE_SSO_COMPANY_ID": "12345",
            "RESCUE_SSO_PASSWORD": "sso-secret",
            "LENSPIN_SSO_IDS": "U0123ABCD=jane@corp.example, U0456EFGH = bob",
        }
    )
    assert custom.database_url == "postgres://u:p@db:5432/x?sslmode=require"
    assert not custom.linking
    assert custom.pin_visible_minutes == 0
    assert custom.audit_days == 30
    assert custom.sso_enabled
    assert custom.sso_ids == {"U0123ABCD": "jane@corp.example", "U0456EFGH": "bob"}
    assert "sso-secret" not in repr(custom)


def test_storage_and_sso_mistakes_are_named() -> None:
    env = {
        **BASE,
        "LENSPIN_ENCRYPTION_KEY": "not-a-fernet-key",
        "LENSPIN_LINKING": "maybe",
        "LENSPIN_PIN_VISIBLE_MINUTES": "-1",
        "LENSPIN_AUDIT_DAYS": "0",
        "RESCUE_SSO_COMPANY_ID": "12345",
        "LENSPIN_SSO_IDS": "jane@corp",
    }
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    named = {p.split(":")[0] for p in caught.value.problems}
    assert named == {
        "LENSPIN_ENCRYPTION_KEY",
        "LENSPIN_LINKING",
        "LENSPIN_PIN_VISIBLE_MINUTES",
        "LENSPIN_AUDIT_DAYS",
        "RESCUE_SSO_COMPANY_ID and RESCUE_SSO_PASSWORD",
        "LENSPIN_SSO_IDS",
    }
    assert "not-a-fernet-key" not in str(caught.value)
    # Named once, with one way out.
    key_line = next(p for p in caught.value.problems if p.startswith("LENSPIN_ENCRYPTION_KEY"))
    assert key_line.count("LENSPIN_ENCRYPTION_KEY") == 1
    assert key_line.count("keygen") == 1


def test_without_any_way_to_make_pins_it_says_so() -> None:
    env = {k: v for k, v in BASE.items() if k not in ("RESCUE_AUTH_CODE", "LENSPIN_ALLOWED_USERS")}
    assert Settings.from_env(env).rescue_auth_code == ""  # linking alone is enough
    with pytest.raises(ConfigError, match="nothing could make PINs"):
        Settings.from_env({**env, "LENSPIN_LINKING": "off"})


def test_customer_sms_and_message_link_settings() -> None:
    settings = Settings.from_env(BASE)
    assert (settings.customer_language, settings.sms_language) == ("en", "en")
    assert settings.message_link_field == "custom1"
    assert settings.show_sms
    custom = Settings.from_env(
        {
            **BASE,
            "LENSPIN_CUSTOMER_LANGUAGE": "de",
            "LENSPIN_SMS_LANGUAGE": "pt-br",
            "LENSPIN_MESSAGE_LINK_FIELD": "none",
            "LENSPIN_HIDDEN_FIELDS": "sms",
        }
    )
    assert (custom.customer_language, custom.sms_language) == ("de", "pt-br")
    assert custom.message_link_field == "none"
    assert not custom.show_sms
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {
                **BASE,
                "LENSPIN_CUSTOMER_LANGUAGE": "tlh",
                "LENSPIN_SMS_LANGUAGE": "xx",
                "LENSPIN_MESSAGE_LINK_FIELD": "name",
            }
        )
    named = {p.split(":")[0] for p in caught.value.problems}
    assert named == {
        "LENSPIN_CUSTOMER_LANGUAGE",
        "LENSPIN_SMS_LANGUAGE",
        "LENSPIN_MESSAGE_LINK_FIELD",
    }


@pytest.mark.parametrize("digits", ["²", "١٢", "\uff11\uff12", "3²"])
def test_numbers_in_other_scripts_are_named_not_a_traceback(digits: str) -> None:
    # str.isdigit() accepts all of these; int() raises on '²' and reads '١٢' as 12.
    env = {
        **BASE,
        "PORT": digits,
        "WEB_CONCURRENCY": digits,
        "GUNICORN_THREADS": digits,
        "LENSPIN_PIN_VISIBLE_MINUTES": digits,
        "LENSPIN_AUDIT_DAYS": digits,
        "RESCUE_SSO_COMPANY_ID": digits,
        "RESCUE_SSO_PASSWORD": "sso-secret",
    }
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    named = {p.split(":")[0] for p in caught.value.problems}
    assert named == {
        "PORT",
        "WEB_CONCURRENCY",
        "GUNICORN_THREADS",
        "LENSPIN_PIN_VISIBLE_MINUTES",
        "LENSPIN_AUDIT_DAYS",
        "RESCUE_SSO_COMPANY_ID",
    }


# LENSPIN_PUBLIC_URL: where technicians' browsers reach the connect page.


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("https://lenspin.example.com", "https://lenspin.example.com"),
        ("https://lenspin.example.com/", "https://lenspin.example.com"),
        ("  https://lenspin.example.com//  ", "https://lenspin.example.com"),
        ("https://example.com/tools/lenspin/", "https://example.com/tools/lenspin"),
        ("https://lenspin.example.com:8443/x", "https://lenspin.example.com:8443/x"),
        ("http://localhost:3000/", "http://localhost:3000"),
        ("http://LOCALHOST:3000", "http://LOCALHOST:3000"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("http://127.5.6.7", "http://127.5.6.7"),
        ("http://[::1]:3000/lenspin", "http://[::1]:3000/lenspin"),
    ],
)
def test_a_public_url_over_https_or_on_this_machine_is_kept_without_a_trailing_slash(
    raw: str, kept: str
) -> None:
    settings = Settings.from_env({**BASE, "LENSPIN_PUBLIC_URL": raw})
    assert settings.public_url == kept
    assert settings.connect_page


@pytest.mark.parametrize("raw", ["", "   ", "/"])
def test_an_empty_public_url_means_no_connect_page(raw: str) -> None:
    settings = Settings.from_env({**BASE, "LENSPIN_PUBLIC_URL": raw})
    assert settings.public_url == ""
    assert not settings.connect_page


@pytest.mark.parametrize(
    "raw",
    [
        "http://lenspin.example.com",
        "http://10.0.0.5:3000",
        "http://192.168.1.2",
        # Names that only start like a loopback address resolve wherever their owner says.
        "http://127.0.0.1.nip.io",
        "http://127.attacker.example",
        "http://localhost.attacker.example",
        "ftp://lenspin.example.com",
        "lenspin.example.com",
    ],
)
def test_a_public_url_that_would_carry_passwords_in_the_clear_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**BASE, "LENSPIN_PUBLIC_URL": raw})
    (problem,) = caught.value.problems
    assert problem.startswith("LENSPIN_PUBLIC_URL: ")
    assert "https://" in problem


@pytest.mark.parametrize(
    "raw",
    [
        "https://",
        "https:///lenspin",
        "https://lenspin.example.com/?team=1",
        "https://lenspin.example.com/#top",
        "https://admin:hunter2@lenspin.example.com",
        "https://admin@lenspin.example.com",
        "https://lenspin.example.com:99999",
        "https://lenspin example.com",
    ],
)
def test_a_public_url_that_is_not_a_plain_address_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**BASE, "LENSPIN_PUBLIC_URL": raw})
    (problem,) = caught.value.problems
    assert problem.startswith("LENSPIN_PUBLIC_URL: ")
    assert "not an address like https://" in problem


def test_the_connect_page_and_socket_mode_cannot_go_together() -> None:
    env = {**BASE, "SLACK_APP_TOKEN": "xapp-1-A1-1-abc"}
    assert Settings.from_env(env).socket_mode  # each alone is fine
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**env, "LENSPIN_PUBLIC_URL": "https://lenspin.example.com"})
    (problem,) = caught.value.problems
    assert problem.startswith("LENSPIN_PUBLIC_URL: ")
    assert "SLACK_APP_TOKEN" in problem
    assert "Socket Mode" in problem


def test_with_linking_off_the_public_url_is_kept_but_there_is_no_connect_page() -> None:
    settings = Settings.from_env(
        {**BASE, "LENSPIN_PUBLIC_URL": "https://lenspin.example.com", "LENSPIN_LINKING": "off"}
    )
    assert settings.public_url == "https://lenspin.example.com"
    assert not settings.connect_page


@pytest.mark.parametrize(
    ("public_url", "app_token"),
    [
        ("http://lenspin.example.com", ""),
        ("https://lenspin.example.com/?x=1", ""),
        ("https://lenspin.example.com", "xapp-1-A1-1-abc"),
    ],
)
def test_a_public_url_problem_is_listed_with_every_other_one(
    public_url: str, app_token: str
) -> None:
    env = {
        **BASE,
        "LENSPIN_PUBLIC_URL": public_url,
        "SLACK_APP_TOKEN": app_token,
        "PORT": "99999",
        "LENSPIN_AUDIT_DAYS": "0",
        "LOG_LEVEL": "chatty",
    }
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    named = [p.split(":")[0] for p in caught.value.problems]
    assert sorted(named) == ["LENSPIN_AUDIT_DAYS", "LENSPIN_PUBLIC_URL", "LOG_LEVEL", "PORT"]
    assert "LENSPIN_PUBLIC_URL" in str(caught.value)


def test_watching_is_on_every_five_seconds_with_twenty_minute_pins_by_default() -> None:
    settings = Settings.from_env(BASE)
    assert settings.watch
    assert settings.watch_interval == 5.0
    assert settings.pin_validity == 1200.0


def test_watching_settings_take_decimals_and_off() -> None:
    settings = Settings.from_env(
        {
            **BASE,
            "LENSPIN_WATCH": "off",
            "LENSPIN_WATCH_INTERVAL": "2.5",
            "LENSPIN_PIN_VALIDITY": "0.5",
        }
    )
    assert not settings.watch
    assert settings.watch_interval == 2.5
    assert settings.pin_validity == 0.5
    edges = Settings.from_env(
        {
            **BASE,
            "LENSPIN_WATCH": "ON",
            "LENSPIN_WATCH_INTERVAL": "1",
            "LENSPIN_PIN_VALIDITY": "86400",
        }
    )
    assert edges.watch
    assert (edges.watch_interval, edges.pin_validity) == (1.0, 86400.0)


@pytest.mark.parametrize(
    ("interval", "validity"),
    [
        ("0.9", "0"),  # below the floors
        ("1e3", "inf"),  # float() reads both; they are no plain numbers of seconds
        ("nan", "-5"),
        ("\u0665", "1_200"),  # other scripts' digits, and Python's digit separator
        ("5.", ".5"),
        ("3600.5", "86401"),  # above the ceilings
        ("9" * 400, "9" * 400),  # float() would answer inf
    ],
)
def test_every_bad_watching_value_is_named_in_the_one_error(interval: str, validity: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {
                **BASE,
                "LENSPIN_WATCH": "sometimes",
                "LENSPIN_WATCH_INTERVAL": interval,
                "LENSPIN_PIN_VALIDITY": validity,
                "PORT": "0",
            }
        )
    named = {p.split(":")[0] for p in caught.value.problems}
    assert named == {"LENSPIN_WATCH", "LENSPIN_WATCH_INTERVAL", "LENSPIN_PIN_VALIDITY", "PORT"}
    interval_problem = next(p for p in caught.value.problems if p.startswith("LENSPIN_WATCH_I"))
    assert "at least 1" in interval_problem
    assert "like 5 or 2.5" in interval_problem


# Serving several workspaces: the app's OAuth client instead of one workspace's bot token.

SEVERAL = {
    "SLACK_CLIENT_ID": "1234567890.9876543210",
    "SLACK_CLIENT_SECRET": "client-secret-for-config-tests",
    "SLACK_SIGNING_SECRET": "secret-for-config-tests",
    "LENSPIN_PUBLIC_URL": "https://lenspin.example.com",
    "LENSPIN_ENCRYPTION_KEY": ENCRYPTION_KEY,
}


def problems_of(env: dict[str, str]) -> dict[str, str]:
    """Each problem of env by the variable it names first."""
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    found = {p.split(":")[0]: p for p in caught.value.problems}
    assert len(found) == len(caught.value.problems)
    return found


def test_the_oauth_client_alone_serves_several_workspaces_with_slacks_authorize_page() -> None:
    settings = Settings.from_env(SEVERAL)
    assert settings.multi_workspace
    assert settings.slack_client_id == "1234567890.9876543210"
    assert settings.slack_client_secret == "client-secret-for-config-tests"
    assert settings.slack_oauth_authorize_url == "https://slack.com/oauth/v2/authorize"
    assert settings.slack_bot_token == ""
    assert settings.install_url == "https://lenspin.example.com/slack/install"
    assert settings.oauth_redirect_url == "https://lenspin.example.com/slack/oauth_redirect"
    # Nothing of one workspace comes from the environment: each sets its own.
    assert settings.rescue_auth_code == ""
    assert settings.allowed_users == frozenset()
    assert not settings.sso_enabled
    assert settings.sso_ids == {}
    assert not Settings.from_env(BASE).multi_workspace


def test_a_public_url_with_a_path_prefixes_the_install_pages() -> None:
    settings = Settings.from_env({**SEVERAL, "LENSPIN_PUBLIC_URL": "https://example.com/lenspin/"})
    assert settings.install_url == "https://example.com/lenspin/slack/install"
    assert settings.oauth_redirect_url == "https://example.com/lenspin/slack/oauth_redirect"


def test_labels_language_and_audit_days_stay_every_workspaces_defaults() -> None:
    settings = Settings.from_env(
        {
            **SEVERAL,
            "LENSPIN_LABEL_CUSTOM1": "Ticket URL",
            "LENSPIN_CUSTOMER_LANGUAGE": "de",
            "LENSPIN_AUDIT_DAYS": "30",
            "LENSPIN_LINKING": "off",  # workspaces' own shared codes can still make PINs
        }
    )
    assert {f.key: f.label for f in settings.fields}["custom1"] == "Ticket URL"
    assert settings.policy.customer_language == "de"
    assert settings.policy.audit_days == 30
    assert settings.policy.shared_code == ""
    assert settings.policy.allowed_users == frozenset()


@pytest.mark.parametrize(
    ("present", "missing"),
    [("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"), ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID")],
)
def test_either_half_of_the_client_names_the_other_as_missing(present: str, missing: str) -> None:
    env = {k: v for k, v in SEVERAL.items() if k != missing}
    found = problems_of(env)
    assert set(found) == {missing}
    assert present in found[missing]
    assert "Basic Information" in found[missing]
    # Serving several workspaces needs no SLACK_BOT_TOKEN: it is not named missing.
    assert "SLACK_BOT_TOKEN" not in str(found)


def test_a_bot_token_beside_the_client_asks_to_set_one() -> None:
    found = problems_of({**SEVERAL, "SLACK_BOT_TOKEN": "xoxb-123-abc"})
    assert found == {
        "SLACK_BOT_TOKEN": "SLACK_BOT_TOKEN: set one: SLACK_BOT_TOKEN for one workspace, or "
        "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to offer lenspin to several"
    }


@pytest.mark.parametrize("raw", ["", "   ", "/"])
def test_serving_several_workspaces_needs_the_public_url_slack_sends_admins_back_to(
    raw: str,
) -> None:
    found = problems_of({**SEVERAL, "LENSPIN_PUBLIC_URL": raw})
    assert set(found) == {"LENSPIN_PUBLIC_URL"}
    assert "missing" in found["LENSPIN_PUBLIC_URL"]
    assert "LENSPIN_PUBLIC_URL/slack/oauth_redirect" in found["LENSPIN_PUBLIC_URL"]
    assert "LENSPIN_PUBLIC_URL/slack/install" in found["LENSPIN_PUBLIC_URL"]


def test_a_bad_public_url_is_named_once_not_also_missing() -> None:
    found = problems_of({**SEVERAL, "LENSPIN_PUBLIC_URL": "http://lenspin.example.com"})
    assert set(found) == {"LENSPIN_PUBLIC_URL"}
    assert "must start with https://" in found["LENSPIN_PUBLIC_URL"]


def test_socket_mode_is_refused_and_the_signing_secret_stays_required() -> None:
    env = {k: v for k, v in SEVERAL.items() if k != "SLACK_SIGNING_SECRET"}
    found = problems_of({**env, "SLACK_APP_TOKEN": "xapp-1-A1-1-abc"})
    assert set(found) == {"SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"}
    assert "Socket Mode cannot serve the install pages" in found["SLACK_APP_TOKEN"]
    assert "must use HTTP" in found["SLACK_APP_TOKEN"]
    # Socket Mode is no way out here, so it is not offered as one.
    assert "SLACK_APP_TOKEN" not in found["SLACK_SIGNING_SECRET"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"RESCUE_AUTH_CODE": "an-operators-code"}, "RESCUE_AUTH_CODE"),
        ({"LENSPIN_ALLOWED_USERS": "*"}, "LENSPIN_ALLOWED_USERS"),
        (
            {"RESCUE_SSO_COMPANY_ID": "12345", "RESCUE_SSO_PASSWORD": "sso-secret"},
            "RESCUE_SSO_COMPANY_ID and RESCUE_SSO_PASSWORD",
        ),
        ({"RESCUE_SSO_PASSWORD": "sso-secret"}, "RESCUE_SSO_PASSWORD"),
        ({"LENSPIN_SSO_IDS": "U0123ABCD=jane@corp"}, "LENSPIN_SSO_IDS"),
    ],
)
def test_each_workspaces_own_settings_are_refused_from_the_environment(
    env: dict[str, str], named: str
) -> None:
    found = problems_of({**SEVERAL, **env})
    assert set(found) == {named}
    assert "Home tab (Admin)" in found[named]
    assert "unset" in found[named]
    for value in env.values():
        assert value not in found[named]


def test_a_shared_code_and_sso_password_are_refused_as_never_for_every_workspace() -> None:
    found = problems_of(
        {
            **SEVERAL,
            "RESCUE_AUTH_CODE": "c",
            "RESCUE_SSO_COMPANY_ID": "1",
            "RESCUE_SSO_PASSWORD": "p",
        }
    )
    for name in ("RESCUE_AUTH_CODE", "RESCUE_SSO_COMPANY_ID and RESCUE_SSO_PASSWORD"):
        assert "must never reach every workspace that installs lenspin" in found[name]


def test_every_problem_of_serving_several_workspaces_is_named_at_once() -> None:
    found = problems_of(
        {
            "SLACK_CLIENT_ID": "1234567890.9876543210",
            "SLACK_BOT_TOKEN": "xoxb-123-abc",
            "SLACK_APP_TOKEN": "xapp-1-A1-1-abc",
            "RESCUE_AUTH_CODE": "an-operators-code",
            "LENSPIN_ALLOWED_USERS": "U0123ABCD",
            "RESCUE_SSO_COMPANY_ID": "12345",
            "RESCUE_SSO_PASSWORD": "sso-secret",
            "LENSPIN_SSO_IDS": "U0123ABCD=jane@corp",
            "SLACK_OAUTH_AUTHORIZE_URL": "http://slack.example.com/oauth/v2/authorize",
            "LENSPIN_AUDIT_DAYS": "0",
        }
    )
    assert set(found) == {
        "SLACK_CLIENT_SECRET",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "LENSPIN_ENCRYPTION_KEY",
        "LENSPIN_PUBLIC_URL",
        "RESCUE_AUTH_CODE",
        "LENSPIN_ALLOWED_USERS",
        "RESCUE_SSO_COMPANY_ID and RESCUE_SSO_PASSWORD",
        "LENSPIN_SSO_IDS",
        "SLACK_OAUTH_AUTHORIZE_URL",
        "LENSPIN_AUDIT_DAYS",
    }
    # Nothing could make PINs from the environment, and that is as it should be here.
    assert "nothing could make PINs" not in str(found)


@pytest.mark.parametrize(
    "url",
    [
        "https://slack.com/oauth/v2/authorize",
        "http://127.0.0.1:8123/oauth/v2/authorize",
        "http://localhost:8123/oauth/v2/authorize",
    ],
)
def test_the_authorize_page_may_be_a_stand_in_on_this_machine(url: str) -> None:
    settings = Settings.from_env({**SEVERAL, "SLACK_OAUTH_AUTHORIZE_URL": url})
    assert settings.slack_oauth_authorize_url == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://slack.example.com/oauth/v2/authorize", "must start with https://"),
        ("http://127.0.0.1.nip.io/oauth/v2/authorize", "must start with https://"),
        ("https://slack.com/oauth/v2/authorize?team=T1", "is not an address like"),
        ("https://user:pw@slack.com/oauth/v2/authorize", "is not an address like"),
        ("slack.com/oauth/v2/authorize", "is not an address like"),
    ],
)
def test_an_authorize_page_a_browser_should_not_be_sent_to_is_named(url: str, says: str) -> None:
    found = problems_of({**SEVERAL, "SLACK_OAUTH_AUTHORIZE_URL": url})
    assert set(found) == {"SLACK_OAUTH_AUTHORIZE_URL"}
    assert says in found["SLACK_OAUTH_AUTHORIZE_URL"]


def test_repr_and_secrets_name_the_client_secret_as_a_secret() -> None:
    settings = Settings.from_env(SEVERAL)
    assert SEVERAL["SLACK_CLIENT_SECRET"] in settings.secrets
    assert SEVERAL["SLACK_SIGNING_SECRET"] in settings.secrets
    assert ENCRYPTION_KEY in settings.secrets
    assert "" not in settings.secrets
    shown = repr(settings)
    assert "multi_workspace=True" in shown
    for secret in settings.secrets:
        assert secret not in shown
    single = Settings.from_env({**BASE, "RESCUE_SSO_COMPANY_ID": "1", "RESCUE_SSO_PASSWORD": "p-w"})
    assert {BASE["SLACK_BOT_TOKEN"], BASE["RESCUE_AUTH_CODE"], "p-w"} <= set(single.secrets)
