"""lenspin's own records, shared by use cases and the store: who asked, which code, what came."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.fields import NAME, PIN_FIELDS


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
class Finished:
    """A PIN request's end, besides its outcome: its audit row and the code it used."""

    audit_id: int | None
    credential: Credential | None


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
    # The requester's Enterprise Grid ("" outside one); keyword-only, so that AuditRecord's
    # own fields can follow without defaults.
    enterprise_id: str = field(default="", kw_only=True)

    @property
    def name(self) -> str:
        """The customer's name as the technician typed it."""
        return self.fields.get(NAME, "")


@dataclass(frozen=True)
class AuditRecord(AuditEntry):
    """An AuditEntry as stored, with its id and, once its watch ended, what became of the PIN."""

    id: int
    # The watch's final SessionState value (None while watched, or never watched), and the
    # whole seconds from the PIN to the customer connecting and to the pick-up.
    session_state: str | None = None
    connect_seconds: int | None = None
    pickup_seconds: int | None = None


class SessionState(enum.Enum):
    """What became of an issued PIN's Rescue session, in a technician's terms."""

    PENDING = "pending"  # no session of this PIN seen yet
    WAITING = "waiting"  # the customer connected; the session waits in the queue
    OTHER = "other"  # a status lenspin does not know: Watch.status_text says it
    PICKED_UP = "picked_up"  # final: a technician took the session
    LEFT = "left"  # final: left, closed or timed out before the pick-up, or vanished
    UNUSED = "unused"  # final: nothing matched within the PIN's validity
    STOPPED = "stopped"  # final: the code was refused, watching was turned off, or gave up

    @property
    def final(self) -> bool:
        """True when nothing more will be watched for this PIN."""
        return self in _FINAL_STATES


_FINAL_STATES = frozenset(
    {SessionState.PICKED_UP, SessionState.LEFT, SessionState.UNUSED, SessionState.STOPPED}
)


@dataclass(frozen=True, kw_only=True)
class Watch:
    """One delivered PIN whose session lenspin looks for in its technician's Rescue queue."""

    id: int  # 0 until stored
    requester: Requester
    audit_id: int | None  # the PIN request's audit row, if it was recorded
    node_id: int  # the Rescue technician whose code made the PIN (getAccount_v2's iTechID)
    credential: Credential  # the code that made the PIN, which asks for the queue
    # The Name and custom fields as submitted, by key (bot.fields; never the tracking field,
    # which Rescue's queue does not carry). Customer data: kept out of repr.
    fields: Mapping[str, str] = field(repr=False)
    issued_at: datetime
    # When watching ends: the PIN's validity, then (once a session matched) a while longer.
    expires_at: datetime
    state: SessionState = SessionState.PENDING
    status_text: str = ""  # Rescue's sStatus of the session last seen ("" before any)
    status_since: datetime | None = None  # when that status began, by iWaitingTimeInSec
    # Two or more new sessions matched: the state is then "a session for <name>", never a guess.
    ambiguous: bool = False
    session_id: int | None = None  # the one session matched, when exactly one did
    # Every session matched and the last state it was seen in (one, or several if ambiguous).
    sessions: Mapping[int, SessionState] = field(default_factory=dict)
    # The session ids in the queue at the first look after the PIN was issued (None before).
    baseline: frozenset[int] | None = None
    connected_at: datetime | None = None
    picked_up_at: datetime | None = None
    updated_at: datetime
    # The caller's handle for telling the technician (a Slack response_url: a bearer secret),
    # and how many changes were reported with it so far.
    reply: str = field(repr=False)
    reply_uses: int = 0

    @property
    def final(self) -> bool:
        """True when this PIN is no longer watched."""
        return self.state.final

    @property
    def name(self) -> str:
        """The customer's name as the technician typed it."""
        return self.fields.get(NAME, "")

    @property
    def connect_seconds(self) -> int | None:
        """Whole seconds from the PIN to the customer connecting, once seen."""
        return elapsed_seconds(self.issued_at, self.connected_at)

    @property
    def pickup_seconds(self) -> int | None:
        """Whole seconds from the PIN to the pick-up, once seen."""
        return elapsed_seconds(self.issued_at, self.picked_up_at)

    def waited(self, now: datetime) -> int | None:
        """Whole seconds the session has been in its present status, as of now."""
        return elapsed_seconds(self.status_since, now)


# The PIN fields a queued session carries (all but the tracking field), in Rescue's order.
SESSION_KEYS: tuple[str, ...] = tuple(f.key for f in PIN_FIELDS if f.session_element)


def session_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """The fields of a PIN request that its session in the queue carries, by key."""
    return {key: fields.get(key, "") for key in SESSION_KEYS}


def elapsed_seconds(start: datetime | None, end: datetime | None) -> int | None:
    """Whole seconds from start to end (never below 0), or None if either is unknown."""
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds()))


@dataclass(frozen=True)
class NodeLease:
    """This process's turn to ask Rescue about one technician's queue (see bot.watch)."""

    node_id: int
    token: str


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


@dataclass(frozen=True)
class Workspace:
    """Where lenspin is installed: one Slack workspace, or a whole Enterprise Grid org.

    An org-wide install (Slack's is_enterprise_install) has an enterprise_id and team_id "";
    a workspace has its team_id, and its enterprise_id when it belongs to an Enterprise Grid.
    """

    enterprise_id: str = ""
    team_id: str = ""

    @property
    def org_wide(self) -> bool:
        """True for an Enterprise Grid org-wide install (requests come from any of its teams)."""
        return bool(self.enterprise_id) and not self.team_id

    @staticmethod
    def candidates(who: Requester) -> tuple[Workspace, ...]:
        """The installs a request may belong to, the closest first (its team, then its org)."""
        own = Workspace(who.enterprise_id, who.team_id)
        if who.enterprise_id:
            return (own, Workspace(who.enterprise_id, ""))
        return (own,)

    def holds(self, who: Requester) -> bool:
        """True when a request from who belongs to this install."""
        if self.org_wide:
            return who.enterprise_id == self.enterprise_id
        return who.team_id == self.team_id


@dataclass(frozen=True, kw_only=True)
class Installation:
    """lenspin installed in a workspace or org through "Add to Slack": its bot and its token."""

    workspace: Workspace
    team_name: str = ""
    enterprise_name: str = ""
    app_id: str = ""
    bot_id: str = ""
    bot_user_id: str = ""
    bot_scopes: str = ""  # comma-separated, as oauth.v2.access says them
    bot_token: str = field(repr=False)
    # With token rotation on: the refresh token and when the bot token expires (else "", None).
    bot_refresh_token: str = field(default="", repr=False)
    bot_token_expires_at: datetime | None = None
    installer_user_id: str = ""
    installed_at: datetime

    @property
    def name(self) -> str:
        """What people call the install: the workspace's name, or the org's."""
        return self.team_name or self.enterprise_name or self.workspace.team_id


@dataclass(frozen=True)
class Policy:
    """A workspace's own settings: who may use the shared code, which codes, how the form reads.

    In single-workspace mode the environment gives the one Policy; serving several workspaces,
    each workspace's admins set theirs in the Home tab (bot.workspaces.Policies).
    """

    allowed_users: frozenset[str] = frozenset()  # Slack user ids, or {"*"} for everyone
    shared_code: str = field(default="", repr=False)
    sso_company_id: str = ""
    sso_password: str = field(default="", repr=False)
    # A PIN field's label by key (bot.fields); a key not here keeps the deployment's label.
    labels: Mapping[str, str] = field(default_factory=dict)
    customer_language: str = "en"
    audit_days: int = 90

    def allows(self, user_id: str) -> bool:
        """True when this Slack user may get PINs with the shared code (when there is one)."""
        # "*" is bot.env.ALL_USERS: the domain imports nothing of the configuration.
        return "*" in self.allowed_users or user_id in self.allowed_users


@dataclass(frozen=True)
class PolicyChange:
    """One change an admin made to a workspace's settings: who, when, what (never a secret)."""

    workspace: Workspace
    changed_by: Requester
    changed_at: datetime
    # The settings changed, by name (Policy's field names); a secret's new value is never here.
    changed: tuple[str, ...]
    # The new values of the changed settings that are not secrets, as text, by name.
    values: Mapping[str, str] = field(default_factory=dict)
