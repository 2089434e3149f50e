"""Settings read from the environment once at start-up, with every problem named at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from dotenv import find_dotenv, load_dotenv

from bot.domain import Policy
from bot.env import ALL_USERS, EnvReader
from bot.fields import CUSTOM_KEYS, PIN_FIELDS, FieldSpec
from bot.rescue.models import SMS_LANGUAGES
from bot.texts import CUSTOMER_LANGUAGES

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_SLACK_OAUTH_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
DEFAULT_RESCUE_API_URL = "https://secure.logmeinrescue.com/API/API.asmx"
DEFAULT_PORT = 3000
# The web process's health check: the PaaS, `python -m bot check` and the tests ask it.
HEALTH_PATH = "/healthz"
# Serving several workspaces: the "Add to Slack" page, and where Slack sends the admin back.
INSTALL_PATH = "/slack/install"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
# gunicorn: two worker processes of eight threads each fit a small dyno (docs/PERFORMANCE.md).
DEFAULT_WEB_CONCURRENCY = 2
DEFAULT_GUNICORN_THREADS = 8
# A file in the working directory: `python -m bot` works with nothing else installed.
DEFAULT_DATABASE_URL = "sqlite:///lenspin.sqlite3"
DEFAULT_RESCUE_TIMEOUT = 15.0
# Watching issued PINs (bot/watch.py): one getSession_V3 per watched technician this often at
# most, and how long a PIN may go unused before the technician is told so.
DEFAULT_WATCH_INTERVAL = 5.0
MIN_WATCH_INTERVAL = 1.0
MAX_WATCH_INTERVAL = 3600.0
DEFAULT_PIN_VALIDITY = 1200.0
# A day: finished watches are kept that long (the purge), so a longer wait could not be shown.
MAX_PIN_VALIDITY = 86400.0


DEFAULT_NO_TECH_CONSOLE_LABEL = "Allow the session even if my Technician Console is not running"


class StartRefused(Exception):
    """The web process cannot serve (its database, its key): the message says what to do."""


class DatabaseAway(StartRefused):
    """The database did not answer or could not be reached: it may come back by itself."""


class ConfigError(Exception):
    """The environment does not describe a runnable bot; lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            "lenspin cannot start: its configuration is incomplete.\n"
            "Set these environment variables (or put them in a .env file; "
            ".env.example lists them all):\n" + lines
        )


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs to know about its surroundings, validated."""

    slack_bot_token: str
    slack_signing_secret: str
    rescue_auth_code: str
    allowed_users: frozenset[str]
    slack_app_token: str = ""
    slack_api_url: str = DEFAULT_SLACK_API_URL
    rescue_api_url: str = DEFAULT_RESCUE_API_URL
    rescue_soap_version: str = "1.1"
    rescue_timeout: float = DEFAULT_RESCUE_TIMEOUT
    fields: tuple[FieldSpec, ...] = ()
    no_tech_console_label: str = DEFAULT_NO_TECH_CONSOLE_LABEL
    show_no_tech_console: bool = True
    port: int = DEFAULT_PORT
    web_concurrency: int = DEFAULT_WEB_CONCURRENCY
    gunicorn_threads: int = DEFAULT_GUNICORN_THREADS
    log_level: str = "INFO"
    log_format: str = "text"
    database_url: str = DEFAULT_DATABASE_URL
    encryption_key: str = ""
    linking: bool = True
    pin_visible_minutes: int = 20
    audit_days: int = 90
    sso_company_id: str = ""
    sso_password: str = ""
    sso_ids: Mapping[str, str] = field(default_factory=dict)
    customer_language: str = "en"
    sms_language: str = "en"
    show_sms: bool = True
    message_link_field: str = "custom1"
    # Where people's browsers reach this deployment (the connect page); "" = no pages.
    public_url: str = ""
    # Serving several workspaces ("Add to Slack"): the app's OAuth client, instead of one
    # SLACK_BOT_TOKEN, and where Slack's authorize page is (a stand-in's, in tests).
    slack_client_id: str = ""
    slack_client_secret: str = ""
    slack_oauth_authorize_url: str = DEFAULT_SLACK_OAUTH_AUTHORIZE_URL
    watch: bool = True
    watch_interval: float = DEFAULT_WATCH_INTERVAL
    pin_validity: float = DEFAULT_PIN_VALIDITY

    def __repr__(self) -> str:
        # Only what is named here: none of `secrets` may reach a log line through a stray repr().
        return (
            f"Settings(slack_api_url={self.slack_api_url!r}, "
            f"rescue_api_url={self.rescue_api_url!r}, soap={self.rescue_soap_version}, "
            f"socket_mode={self.socket_mode}, multi_workspace={self.multi_workspace}, "
            f"port={self.port})"
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret these settings hold (for logs.never_log): tokens, codes, passwords, keys."""
        held = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.slack_client_secret,
            self.rescue_auth_code,
            self.sso_password,
            *self.encryption_key.split(","),
        )
        return tuple(value for value in held if value)

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set, so the bot connects out to Slack."""
        return bool(self.slack_app_token)

    @property
    def multi_workspace(self) -> bool:
        """True when lenspin serves every workspace that installs it (SLACK_CLIENT_ID is set)."""
        return bool(self.slack_client_id)

    @property
    def install_url(self) -> str:
        """Where a workspace's admin adds lenspin to Slack, serving several workspaces."""
        return self.public_url + INSTALL_PATH

    @property
    def oauth_redirect_url(self) -> str:
        """Where Slack sends an installing admin back: the app's OAuth Redirect URL."""
        return self.public_url + OAUTH_REDIRECT_PATH

    @property
    def policy(self) -> Policy:
        """The workspace settings the environment gives (single-workspace mode's only ones)."""
        return Policy(
            allowed_users=self.allowed_users,
            shared_code=self.rescue_auth_code,
            sso_company_id=self.sso_company_id,
            sso_password=self.sso_password,
            customer_language=self.customer_language,
            audit_days=self.audit_days,
        )

    @property
    def connect_page(self) -> bool:
        """True when technicians connect Rescue on lenspin's own page, not in Slack."""
        return bool(self.public_url) and self.linking

    @property
    def visible_fields(self) -> tuple[FieldSpec, ...]:
        """The text fields the modal shows, in order."""
        return tuple(f for f in self.fields if not f.hidden)

    @property
    def sso_enabled(self) -> bool:
        """True when technicians' codes come from the company's single sign-on."""
        return bool(self.sso_company_id)

    def is_allowed(self, user_id: str) -> bool:
        """Tell whether this Slack user may get PINs with the shared auth code."""
        return ALL_USERS in self.allowed_users or user_id in self.allowed_users

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the settings; raise ConfigError naming every problem."""
        env = os.environ if environ is None else environ
        reader = EnvReader(env)

        app_token = reader.text("SLACK_APP_TOKEN")
        client_id, client_secret = (
            reader.text("SLACK_CLIENT_ID"),
            reader.text("SLACK_CLIENT_SECRET"),
        )
        # Either one names the mode: a missing other half is a problem of that mode.
        several = bool(client_id or client_secret)
        if several:
            bot_token = reader.text("SLACK_BOT_TOKEN")
        else:
            bot_token = reader.required(
                "SLACK_BOT_TOKEN",
                "the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page",
            )
            if bot_token and not bot_token.startswith("xoxb-"):
                reader.problem("SLACK_BOT_TOKEN: must be a bot token starting with xoxb-")
        if app_token and not several and not app_token.startswith("xapp-"):
            reader.problem("SLACK_APP_TOKEN: must be an app-level token starting with xapp-")
        signing_secret = reader.text("SLACK_SIGNING_SECRET")
        if not signing_secret and (several or not app_token):
            reader.problem(
                "SLACK_SIGNING_SECRET: missing; the Signing Secret from your Slack app's "
                "Basic Information page"
                + ("" if several else " (or set SLACK_APP_TOKEN to use Socket Mode)")
            )

        linking = reader.switch("LENSPIN_LINKING", default=True)
        encryption_key = reader.encryption_key()
        public_url = reader.public_url("LENSPIN_PUBLIC_URL")
        if several:
            reader.serving_several(bot_token=bot_token, app_token=app_token)
            if not reader.text("LENSPIN_PUBLIC_URL").rstrip("/"):
                reader.problem(
                    "LENSPIN_PUBLIC_URL: missing; serving several workspaces needs this "
                    f"deployment's https:// address: admins install lenspin at LENSPIN_PUBLIC_URL"
                    f"{INSTALL_PATH}, and Slack sends them back to LENSPIN_PUBLIC_URL"
                    f"{OAUTH_REDIRECT_PATH}"
                )
            # Each workspace's own (its admins set them, bot.workspaces): none from here.
            auth_code = sso_company = sso_password = ""
            allowed: frozenset[str] = frozenset()
            sso_ids: dict[str, str] = {}
        else:
            auth_code = reader.text("RESCUE_AUTH_CODE")
            allowed = reader.allowed_users(required=bool(auth_code))
            sso_company, sso_password = reader.sso()
            sso_ids = reader.sso_ids()
            if not (auth_code or linking or sso_company):
                reader.problem(
                    "RESCUE_AUTH_CODE: missing, and LENSPIN_LINKING is off with no single "
                    "sign-on: nothing could make PINs. Set a shared Rescue auth code (README, "
                    "step 2), or turn LENSPIN_LINKING on so technicians connect their own accounts"
                )
            if public_url and app_token:
                reader.problem(
                    "LENSPIN_PUBLIC_URL: the connect page is served by the web process, which "
                    "Socket Mode (SLACK_APP_TOKEN) does not run; unset one of the two"
                )

        hidden = reader.hidden_fields()
        fields = tuple(reader.field_spec(f, hidden=f.key in hidden) for f in PIN_FIELDS)

        settings = cls(
            slack_bot_token=bot_token,
            slack_signing_secret=signing_secret,
            slack_app_token=app_token,
            slack_api_url=reader.url("SLACK_API_URL", DEFAULT_SLACK_API_URL, trailing_slash=True),
            rescue_auth_code=auth_code,
            rescue_api_url=reader.url("RESCUE_API_URL", DEFAULT_RESCUE_API_URL),
            rescue_soap_version=reader.choice("RESCUE_SOAP_VERSION", ("1.1", "1.2"), "1.1"),
            rescue_timeout=reader.seconds("RESCUE_TIMEOUT", DEFAULT_RESCUE_TIMEOUT),
            allowed_users=allowed,
            fields=fields,
            no_tech_console_label=reader.label(
                "LENSPIN_LABEL_NO_TECH_CONSOLE", DEFAULT_NO_TECH_CONSOLE_LABEL, limit=75
            ),
            show_no_tech_console="no_tech_console" not in hidden,
            port=reader.port("PORT", DEFAULT_PORT),
            web_concurrency=reader.whole_number(
                "WEB_CONCURRENCY", DEFAULT_WEB_CONCURRENCY, minimum=1
            ),
            gunicorn_threads=reader.whole_number(
                "GUNICORN_THREADS", DEFAULT_GUNICORN_THREADS, minimum=1
            ),
            database_url=reader.text("DATABASE_URL", DEFAULT_DATABASE_URL),
            encryption_key=encryption_key,
            linking=linking,
            pin_visible_minutes=reader.whole_number("LENSPIN_PIN_VISIBLE_MINUTES", 20, minimum=0),
            audit_days=reader.whole_number("LENSPIN_AUDIT_DAYS", 90, minimum=1),
            sso_company_id=sso_company,
            sso_password=sso_password,
            sso_ids=sso_ids,
            customer_language=reader.choice("LENSPIN_CUSTOMER_LANGUAGE", CUSTOMER_LANGUAGES, "en"),
            sms_language=reader.choice("LENSPIN_SMS_LANGUAGE", SMS_LANGUAGES, "en"),
            show_sms="sms" not in hidden,
            message_link_field=reader.choice(
                "LENSPIN_MESSAGE_LINK_FIELD", (*CUSTOM_KEYS, "none"), "custom1"
            ),
            public_url=public_url,
            slack_client_id=client_id,
            slack_client_secret=client_secret,
            slack_oauth_authorize_url=reader.authorize_url(
                "SLACK_OAUTH_AUTHORIZE_URL", DEFAULT_SLACK_OAUTH_AUTHORIZE_URL
            ),
            watch=reader.switch("LENSPIN_WATCH", default=True),
            watch_interval=reader.decimal_seconds(
                "LENSPIN_WATCH_INTERVAL",
                DEFAULT_WATCH_INTERVAL,
                minimum=MIN_WATCH_INTERVAL,
                maximum=MAX_WATCH_INTERVAL,
            ),
            pin_validity=reader.decimal_seconds(
                "LENSPIN_PIN_VALIDITY",
                DEFAULT_PIN_VALIDITY,
                minimum=0,
                maximum=MAX_PIN_VALIDITY,
                above=True,
            ),
            log_level=reader.choice(
                "LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", upper=True
            ),
            log_format=reader.choice("LOG_FORMAT", ("text", "json"), "text"),
        )
        if reader.problems:
            raise ConfigError(reader.problems)
        return settings


def load_settings() -> Settings:
    """Read .env (platform variables win) and validate the settings for HTTP mode."""
    load_dotenv(find_dotenv(usecwd=True), override=False)
    settings = Settings.from_env()
    if not settings.slack_signing_secret:
        raise ConfigError(
            ["SLACK_SIGNING_SECRET: missing; HTTP mode cannot verify Slack's requests without it"]
        )
    return settings


def database_unreachable(error: Exception) -> str:
    """Say the database can't be reached, without echoing DATABASE_URL (it holds a password)."""
    return (
        "lenspin cannot reach its database. Check DATABASE_URL and that the database is "
        f"running ({type(error).__name__})."
    )
