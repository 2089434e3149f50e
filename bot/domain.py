"""lenspin's own records, shared by use cases and the store: who asked, which code, what came."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.fields import NAME


@dataclass(frozen=True)
class Requester:
    """Who asked for a PIN, as Slack names them (enterprise_id is "" outside Enterprise Grid)."""

    team_id: str
    user_id: str
    enterprise_id: str = ""


class CodeSource(enum.Enum):
    """Where a request's auth code came from; recorded in the audit trail."""

    LINKED = "linked"
    SSO = "sso"
    SHARED = "shared"


class LinkSource(enum.Enum):
    """How a technician's own auth code was obtained."""

    PASSWORD = "password"  # noqa: S105 (a name, not a secret)
    TOKEN = "token"  # noqa: S105
    SSO = "sso"


@dataclass(frozen=True)
class Credential:
    """An auth code and where it came from."""

    auth_code: str = field(repr=False)
    source: CodeSource


@dataclass(frozen=True)
class Link:
    """A Slack user's own Rescue account, with the auth code decrypted."""

    team_id: str
    user_id: str
    auth_code: str = field(repr=False)
    email: str
    organization: str
    source: LinkSource
    linked_at: datetime
    stale: bool


@dataclass(frozen=True)
class AuditEntry:
    """One PIN request and its outcome, as lenspin records it."""

    team_id: str
    user_id: str
    requested_at: datetime
    # Each PIN field's text by key (bot.fields.PIN_FIELDS).
    fields: Mapping[str, str]
    no_tech_console: bool
    code_source: CodeSource
    result: str
    latency_ms: int | None
    pin: str | None = field(repr=False)

    @property
    def name(self) -> str:
        """The customer's name as the technician typed it."""
        return self.fields.get(NAME, "")


@dataclass(frozen=True)
class AuditRecord(AuditEntry):
    """An AuditEntry as stored, with its id."""

    id: int


@dataclass(frozen=True)
class ConnectLink:
    """A link to lenspin's connect page: whom it connects, until when, and its tries so far."""

    token_hash: str  # SHA-256 of the token in the link; the token itself is never kept
    requester: Requester
    team_name: str
    user_name: str
    expires_at: datetime
    attempts: int
    used: bool


class StoreError(Exception):
    """lenspin's own database failed a request; the message names no URL and no secret."""


class StoreUnavailable(StoreError):
    """The database did not answer in time (timed_out), or could not be reached at all."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class SecretUnreadable(StoreError, ValueError):
    """A stored auth code or PIN cannot be decrypted with any key in LENSPIN_ENCRYPTION_KEY."""
