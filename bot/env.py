"""Reading environment variables for Settings, collecting every problem instead of the first."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from bot.fields import PIN_FIELDS, FieldSpec, PinField

ALL_USERS = "*"
# Slack gives up on a modal after 3 s, but the Rescue call runs after ack(): only the
# technician's patience bounds it. Two minutes is far beyond any healthy answer.
MAX_RESCUE_TIMEOUT = 120.0

# What LENSPIN_HIDDEN_FIELDS may hide: every field but the name, the checkbox and SMS.
HIDEABLE: tuple[str, ...] = (
    *(f.key for f in PIN_FIELDS if not f.required),
    "no_tech_console",
    "sms",
)

KEY_SETTING = "LENSPIN_ENCRYPTION_KEY"
# A Fernet key is 32 bytes in URL-safe base64 (cryptography's own test of a key).
_FERNET_KEY_BYTES = 32


def key_problem(keys: Sequence[str]) -> str | None:
    """Why keys (LENSPIN_ENCRYPTION_KEY's, newest first) cannot be Fernet keys, or None.

    Plain base64 arithmetic, so that checking the settings loads no cryptography: the web
    process's master checks them and never encrypts anything.
    """
    if not keys:
        return f"{KEY_SETTING}: no key given; make one with `python -m bot keygen`"
    for position, key in enumerate(keys, start=1):
        try:
            decoded = base64.urlsafe_b64decode(key)
        except (binascii.Error, ValueError):
            decoded = b""
        if len(decoded) != _FERNET_KEY_BYTES:
            return (
                f"{KEY_SETTING}: key {position} of {len(keys)} is not a Fernet key "
                "(44 characters of URL-safe base64); make one with `python -m bot keygen`"
            )
    return None


def split_keys(value: str) -> list[str]:
    """LENSPIN_ENCRYPTION_KEY's comma-separated keys, the newest first."""
    return [part.strip() for part in value.split(",") if part.strip()]


# Hosts that never leave this machine: the only ones a browser is sent to over http://
# (LENSPIN_PUBLIC_URL, SLACK_OAUTH_AUTHORIZE_URL).
LOOPBACK_HOSTS = frozenset(("localhost", "127.0.0.1", "::1"))

# Serving several workspaces: why the settings of one workspace cannot come from the environment.
_SEVERAL = (
    "cannot be set when lenspin serves several workspaces (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)"
)
_ADMINS = "each workspace's admins set their own in lenspin's Home tab (Admin)"
_NEVER_SHARED = "must never reach every workspace that installs lenspin"

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
# The longest a PIN field's label may be (LENSPIN_LABEL_*, or a workspace's own): Slack cuts
# labels at 2000 characters, and a label that long helps nobody.
LABEL_LIMIT = 150
# Seconds with an optional fraction, in ASCII digits only: float() would also take "1e3",
# "inf", "nan", other scripts' digits and "5_0".
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _is_loopback(host: str) -> bool:
    """localhost or a loopback IP address (127.0.0.0/8, ::1), never a name like 127.0.0.1.nip.io."""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_user_id(text: str) -> bool:
    """True for a Slack member id (U… or, in Enterprise Grid, W…)."""
    return bool(_USER_ID.match(text))


def is_company_id(text: str) -> bool:
    """True for what Rescue's single sign-on takes as a company id: ASCII digits."""
    return _is_number(text)


def _is_number(raw: str) -> bool:
    """ASCII digits only: str.isdigit() also takes '²' (which int() refuses) and '١٢'."""
    return raw.isascii() and raw.isdigit()


class EnvReader:
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

    def public_url(self, name: str) -> str:
        """An https:// address people's browsers reach (http:// only on this machine), or ""."""
        value = self.text(name).rstrip("/")
        if not value:
            return ""
        return self._browser_address(
            name,
            value,
            like="https://my-lenspin.example.com",
            why="people type passwords on its pages",
        )

    def authorize_url(self, name: str, default: str) -> str:
        """Slack's page that admins' browsers are sent to for an install: https:// (or loopback)."""
        value = self.text(name, default)
        why = "admins approve lenspin's install there"
        return self._browser_address(name, value, like=default, why=why) or default

    def _browser_address(self, name: str, value: str, *, like: str, why: str) -> str:
        """value if a browser may be sent there (https://, or http:// on this machine), else ""."""
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        try:
            parts.port  # noqa: B018 (a port out of range raises here)
        except ValueError:
            host = ""
        odd = parts.query or parts.fragment or parts.username or parts.password
        if not host or odd or any(c.isspace() for c in value):
            self.problem(f"{name}: {value!r} is not an address like {like}")
            return ""
        if parts.scheme != "https" and not (parts.scheme == "http" and _is_loopback(host)):
            self.problem(
                f"{name}: {value!r} must start with https:// ({why}); http:// is allowed only "
                "for this machine (localhost, 127.0.0.1, ::1)"
            )
            return ""
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
        if not _is_number(raw) or not 0 < int(raw) < 65536:
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

    def field_spec(self, pin_field: PinField, *, hidden: bool) -> FieldSpec:
        return FieldSpec(
            key=pin_field.key,
            label=self.label(
                f"LENSPIN_LABEL_{pin_field.setting}", pin_field.label, limit=LABEL_LIMIT
            ),
            hint=self.label(f"LENSPIN_HINT_{pin_field.setting}", pin_field.hint, limit=2000),
            max_length=pin_field.limit,
            required=pin_field.required,
            hidden=hidden,
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
        if not _is_number(raw) or int(raw) < minimum:
            self.problem(f"{name}: {raw!r} must be a whole number of at least {minimum}")
            return default
        return int(raw)

    def decimal_seconds(
        self, name: str, default: float, *, minimum: float, maximum: float, above: bool = False
    ) -> float:
        """Seconds like 5 or 2.5, at least minimum (above it, with above) and at most maximum."""
        raw = self.text(name)
        if not raw:
            return default
        value = float(raw) if _DECIMAL.fullmatch(raw) else None
        low_ok = value is not None and (value > minimum if above else value >= minimum)
        if value is None or not low_ok or value > maximum:
            floor = f"above {minimum:g}" if above else f"at least {minimum:g}"
            self.problem(
                f"{name}: {raw!r} must be a number of seconds (like 5 or 2.5) {floor} "
                f"and at most {maximum:g}"
            )
            return default
        return value

    def encryption_key(self) -> str:
        raw = self.text("LENSPIN_ENCRYPTION_KEY")
        if not raw:
            self.problem(
                "LENSPIN_ENCRYPTION_KEY: missing; it encrypts connected Rescue accounts and the "
                "PINs kept in the history. Create one with: python -m bot keygen"
            )
            return ""
        problem = key_problem(split_keys(raw))
        if problem is not None:
            self.problem(problem)
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
        if company and not _is_number(company):
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
        for key in sorted(set(unknown) & {f.key for f in PIN_FIELDS if f.required}):
            self.problem(f"LENSPIN_HIDDEN_FIELDS: the {key} field is required by Rescue")
            unknown.remove(key)
        if unknown:
            self.problem(
                f"LENSPIN_HIDDEN_FIELDS: unknown {', '.join(unknown)}; "
                f"choose from {', '.join(HIDEABLE)}"
            )
        return names & set(HIDEABLE)

    def serving_several(self, *, bot_token: str, app_token: str) -> None:
        """Name what serving several workspaces needs, and each one-workspace setting it refuses."""
        for name, other in (
            ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"),
            ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID"),
        ):
            if not self.text(name):
                self.problem(
                    f"{name}: missing; serving several workspaces needs it with {other} "
                    "(your Slack app's Basic Information → App Credentials)"
                )
        if bot_token:
            self.problem(
                "SLACK_BOT_TOKEN: set one: SLACK_BOT_TOKEN for one workspace, or SLACK_CLIENT_ID "
                "and SLACK_CLIENT_SECRET to offer lenspin to several"
            )
        if app_token:
            self.problem(
                f"SLACK_APP_TOKEN: {_SEVERAL}: Socket Mode cannot serve the install pages, and a "
                "distributed app must use HTTP; unset it"
            )
        if self.text("RESCUE_AUTH_CODE"):
            self.problem(
                f"RESCUE_AUTH_CODE: {_SEVERAL}: {_ADMINS}, and an operator's shared code "
                f"{_NEVER_SHARED}; unset it"
            )
        if self.text("LENSPIN_ALLOWED_USERS"):
            self.problem(
                f"LENSPIN_ALLOWED_USERS: {_SEVERAL}: {_ADMINS}, choosing who may use their "
                "shared code; unset it"
            )
        sso = [n for n in ("RESCUE_SSO_COMPANY_ID", "RESCUE_SSO_PASSWORD") if self.text(n)]
        if sso:
            self.problem(
                f"{' and '.join(sso)}: {_SEVERAL}: {_ADMINS}, and an operator's SSO password "
                f"{_NEVER_SHARED}; unset {'them' if len(sso) > 1 else 'it'}"
            )
        if self.text("LENSPIN_SSO_IDS"):
            self.problem(
                f"LENSPIN_SSO_IDS: {_SEVERAL}: its member IDs belong to one workspace, and each "
                "workspace's admins set their own single sign-on in lenspin's Home tab (Admin); "
                "unset it"
            )
