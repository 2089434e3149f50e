"""Settings read from the environment once at start-up, with every problem named at once."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from bot.rescue.models import FIELD_LIMITS, SMS_LANGUAGES

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_RESCUE_API_URL = "https://secure.logmeinrescue.com/API/API.asmx"
DEFAULT_PORT = 3000
# A file in the working directory: `python -m bot` works with nothing else installed.
DEFAULT_DATABASE_URL = "sqlite:///lenspin.sqlite3"
DEFAULT_RESCUE_TIMEOUT = 15.0
# Slack gives up on a modal after 3 s, but the Rescue call runs after ack(): only the
# technician's patience bounds it. Two minutes is far beyond any healthy answer.
MAX_RESCUE_TIMEOUT = 120.0

ALL_USERS = "*"

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class FieldSpec:
    """One Rescue text field as the modal shows it: label, hint, limit, visibility."""

    key: str
    rescue_name: str
    label: str
    hint: str
    max_length: int
    required: bool = False
    hidden: bool = False


# The seven text fields in the order the modal shows them (Rescue's own order).
_FIELD_DEFAULTS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "name",
        "sCField0",
        "NAME",
        "Customer name",
        "Shows as the session's name in your Rescue queue.",
    ),
    ("custom1", "sCField1", "CUSTOM1", "Custom field 1", ""),
    ("custom2", "sCField2", "CUSTOM2", "Custom field 2", ""),
    ("custom3", "sCField3", "CUSTOM3", "Custom field 3", ""),
    ("custom4", "sCField4", "CUSTOM4", "Custom field 4", ""),
    ("custom5", "sCField5", "CUSTOM5", "Custom field 5", ""),
    (
        "tracking",
        "sTracking0",
        "TRACKING",
        "Tracking ID",
        "For example your ticket number, to find the session in reports.",
    ),
)
FIELD_KEYS: tuple[str, ...] = tuple(row[0] for row in _FIELD_DEFAULTS)
HIDEABLE: tuple[str, ...] = (*FIELD_KEYS[1:], "no_tech_console", "sms")
CUSTOMER_LANGUAGES = ("en", "de", "fr", "es")

DEFAULT_NO_TECH_CONSOLE_LABEL = "Allow the session even if my Technician Console is not running"


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

    def __repr__(self) -> str:
        # Tokens and the auth code must never reach a log line through a stray repr().
        return (
            f"Settings(slack_api_url={self.slack_api_url!r}, "
            f"rescue_api_url={self.rescue_api_url!r}, soap={self.rescue_soap_version}, "
            f"socket_mode={self.socket_mode}, port={self.port})"
        )

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set, so the bot connects out to Slack."""
        return bool(self.slack_app_token)

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
        reader = _Reader(env)

        app_token = reader.text("SLACK_APP_TOKEN")
        bot_token = reader.required(
            "SLACK_BOT_TOKEN",
            "the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page",
        )
        if bot_token and not bot_token.startswith("xoxb-"):
            reader.problem("SLACK_BOT_TOKEN: must be a bot token starting with xoxb-")
        if app_token and not app_token.startswith("xapp-"):
            reader.problem("SLACK_APP_TOKEN: must be an app-level token starting with xapp-")
        signing_secret = reader.text("SLACK_SIGNING_SECRET")
        if not signing_secret and not app_token:
            reader.problem(
                "SLACK_SIGNING_SECRET: missing; the Signing Secret from your Slack app's "
                "Basic Information page (or set SLACK_APP_TOKEN to use Socket Mode)"
            )

        auth_code = reader.text("RESCUE_AUTH_CODE")
        allowed = reader.allowed_users(required=bool(auth_code))
        linking = reader.switch("LENSPIN_LINKING", default=True)
        encryption_key = reader.encryption_key()
        sso_company, sso_password = reader.sso()
        if not (auth_code or linking or sso_company):
            reader.problem(
                "RESCUE_AUTH_CODE: missing, and LENSPIN_LINKING is off with no single sign-on: "
                "nothing could make PINs. Set a shared Rescue auth code (README, step 2), or "
                "turn LENSPIN_LINKING on so technicians connect their own accounts"
            )

        hidden = reader.hidden_fields()
        fields = tuple(
            replace(reader.field_spec(*row), hidden=row[0] in hidden) for row in _FIELD_DEFAULTS
        )

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
            database_url=reader.text("DATABASE_URL", DEFAULT_DATABASE_URL),
            encryption_key=encryption_key,
            linking=linking,
            pin_visible_minutes=reader.whole_number("LENSPIN_PIN_VISIBLE_MINUTES", 20, minimum=0),
            audit_days=reader.whole_number("LENSPIN_AUDIT_DAYS", 90, minimum=1),
            sso_company_id=sso_company,
            sso_password=sso_password,
            sso_ids=reader.sso_ids(),
            customer_language=reader.choice("LENSPIN_CUSTOMER_LANGUAGE", CUSTOMER_LANGUAGES, "en"),
            sms_language=reader.choice("LENSPIN_SMS_LANGUAGE", SMS_LANGUAGES, "en"),
            show_sms="sms" not in hidden,
            message_link_field=reader.choice(
                "LENSPIN_MESSAGE_LINK_FIELD", (*FIELD_KEYS[1:6], "none"), "custom1"
            ),
            log_level=reader.choice(
                "LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", upper=True
            ),
            log_format=reader.choice("LOG_FORMAT", ("text", "json"), "text"),
        )
        if reader.problems:
            raise ConfigError(reader.problems)
        return settings


class _Reader:
    """Reads variables and collects problems instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def text(self, name: str, default: str = "") -> str:
        return self.env.get(name, "").strip() or default

    def required(self, name: str, what: str) -> str:
        value = self.text(name)
        if not value:
            self.problem(f"{name}: missing; {what}")
        return value

    def url(self, name: str, default: str, *, trailing_slash: bool = False) -> str:
        value = self.text(name, default)
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.problem(f"{name}: {value!r} is not an http(s) URL")
            return default
        if trailing_slash and not value.endswith("/"):
            value += "/"
        return value

    def choice(
        self, name: str, options: tuple[str, ...], default: str, *, upper: bool = False
    ) -> str:
        value = self.text(name, default)
        value = value.upper() if upper else value
        if value not in options:
            self.problem(f"{name}: {value!r} is not one of {', '.join(options)}")
            return default
        return value

    def seconds(self, name: str, default: float) -> float:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0 < value <= MAX_RESCUE_TIMEOUT:
            self.problem(f"{name}: {raw!r} must be a number of seconds above 0 and at most 120")
            return default
        return value

    def port(self, name: str, default: int) -> int:
        raw = self.text(name)
        if not raw:
            return default
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            self.problem(f"{name}: {raw!r} is not a TCP port number")
            return default
        return int(raw)

    def allowed_users(self, *, required: bool) -> frozenset[str]:
        raw = self.text("LENSPIN_ALLOWED_USERS")
        if not raw:
            if required:
                self.problem(
                    "LENSPIN_ALLOWED_USERS: missing; who may get PINs with RESCUE_AUTH_CODE: "
                    "Slack member IDs separated by commas (U0123ABCD,U0456EFGH), or * for "
                    "everyone in the workspace"
                )
            return frozenset()
        ids = frozenset(part.strip() for part in raw.split(",") if part.strip())
        bad = sorted(i for i in ids if i != ALL_USERS and not _USER_ID.match(i))
        if bad:
            self.problem(
                f"LENSPIN_ALLOWED_USERS: {', '.join(bad)} not Slack member IDs "
                "(like U0123ABCD; find one under a profile's ⋮ menu, 'Copy member ID')"
            )
        return ids

    def label(self, name: str, default: str, *, limit: int) -> str:
        value = self.text(name, default)
        if len(value) > limit:
            self.problem(f"{name}: at most {limit} characters (has {len(value)})")
            return default
        return value

    def field_spec(
        self, key: str, rescue_name: str, suffix: str, label: str, hint: str
    ) -> FieldSpec:
        return FieldSpec(
            key=key,
            rescue_name=rescue_name,
            # Slack cuts labels at 2000 characters; a label that long helps nobody.
            label=self.label(f"LENSPIN_LABEL_{suffix}", label, limit=150),
            hint=self.label(f"LENSPIN_HINT_{suffix}", hint, limit=2000),
            max_length=FIELD_LIMITS[key],
            required=key == "name",
        )

    def switch(self, name: str, *, default: bool) -> bool:
        raw = self.text(name).lower()
        if not raw:
            return default
        if raw in ("1", "on", "true", "yes"):
            return True
        if raw in ("0", "off", "false", "no"):
            return False
        self.problem(f"{name}: {raw!r} is not on or off")
        return default

    def whole_number(self, name: str, default: int, *, minimum: int) -> int:
        raw = self.text(name)
        if not raw:
            return default
        if not raw.isdigit() or int(raw) < minimum:
            self.problem(f"{name}: {raw!r} must be a whole number of at least {minimum}")
            return default
        return int(raw)

    def encryption_key(self) -> str:
        from bot.store.crypto import Keyring  # noqa: PLC0415 (cryptography, only when set)

        raw = self.text("LENSPIN_ENCRYPTION_KEY")
        if not raw:
            self.problem(
                "LENSPIN_ENCRYPTION_KEY: missing; it encrypts connected Rescue accounts and the "
                "PINs kept in the history. Create one with: python -m bot keygen"
            )
            return ""
        try:
            Keyring.from_setting(raw)
        except ValueError as error:
            self.problem(f"LENSPIN_ENCRYPTION_KEY: {error}; create one with: python -m bot keygen")
            return ""
        return raw

    def sso(self) -> tuple[str, str]:
        company, password = self.text("RESCUE_SSO_COMPANY_ID"), self.text("RESCUE_SSO_PASSWORD")
        if bool(company) != bool(password):
            self.problem(
                "RESCUE_SSO_COMPANY_ID and RESCUE_SSO_PASSWORD: set both for single sign-on, "
                "or neither"
            )
            return "", ""
        if company and not company.isdigit():
            self.problem(f"RESCUE_SSO_COMPANY_ID: {company!r} is not Rescue's numeric company id")
            return "", ""
        return company, password

    def sso_ids(self) -> dict[str, str]:
        raw = self.text("LENSPIN_SSO_IDS")
        pairs = [p.strip() for p in raw.split(",") if p.strip()]
        result = {}
        for pair in pairs:
            user, sep, sso_id = (x.strip() for x in pair.partition("="))
            if not sep or not _USER_ID.match(user) or not sso_id:
                self.problem(
                    f"LENSPIN_SSO_IDS: {pair!r} is not MEMBER_ID=SSO_ID (like U0123ABCD=jane@corp)"
                )
                continue
            result[user] = sso_id
        return result

    def hidden_fields(self) -> frozenset[str]:
        raw = self.text("LENSPIN_HIDDEN_FIELDS")
        names = frozenset(p.strip().lower() for p in raw.split(",") if p.strip())
        unknown = sorted(names - set(HIDEABLE))
        if "name" in unknown:
            self.problem("LENSPIN_HIDDEN_FIELDS: the name field is required by Rescue")
            unknown.remove("name")
        if unknown:
            self.problem(
                f"LENSPIN_HIDDEN_FIELDS: unknown {', '.join(unknown)}; "
                f"choose from {', '.join(HIDEABLE)}"
            )
        return names & set(HIDEABLE)


def database_unreachable(error: Exception) -> str:
    """Say the database can't be reached, without echoing DATABASE_URL (it holds a password)."""
    return (
        "lenspin cannot reach its database. Check DATABASE_URL and that the database is "
        f"running ({type(error).__name__})."
    )
