"""Serving several workspaces: where installs, OAuth states and each workspace's settings live,
and the settings each request follows (Policies)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from bot.accounts import CODE_MAX_LENGTH, PASSWORD_MAX_LENGTH
from bot.domain import Installation, Policy, PolicyChange, Requester, Workspace
from bot.env import ALL_USERS, LABEL_LIMIT, is_company_id, is_user_id
from bot.fields import PIN_FIELDS
from bot.rescue.models import is_xml_safe
from bot.texts import CUSTOMER_LANGUAGES

# Policy's fields whose values are secrets: a change to them is audited by name only.
SECRET_SETTINGS = frozenset({"shared_code", "sso_password"})
# Rescue's single sign-on company ids are numbers; none is anywhere near this long.
COMPANY_MAX_LENGTH = 20


class WorkspaceStore(Protocol):
    """What serving several workspaces keeps (bot.store.Store, or an in-memory double)."""

    def save_installation(self, installation: Installation) -> None:
        """Keep an install (insert, or replace the one of the same workspace)."""
        ...

    def find_installation(self, workspace: Workspace) -> Installation | None:
        """The install of exactly this workspace or org, or None."""
        ...

    def installations(self) -> list[Installation]:
        """Every install, oldest first."""
        ...

    def issue_state(self, state: str, expires_at: datetime) -> None:
        """Remember an OAuth state until expires_at."""
        ...

    def consume_state(self, state: str) -> bool:
        """True once for a state issued and not yet expired; it is gone afterwards."""
        ...

    def get_policy(self, workspace: Workspace) -> Policy | None:
        """The settings this workspace's admins saved, or None if they saved none."""
        ...

    def save_policy(self, workspace: Workspace, policy: Policy, change: PolicyChange) -> None:
        """Replace the workspace's settings and record the change, in one transaction."""
        ...

    def policy_changes(self, workspace: Workspace, limit: int = 20) -> list[PolicyChange]:
        """The workspace's latest setting changes, newest first."""
        ...

    def forget_workspace(self, workspace: Workspace) -> None:
        """Delete the install, its settings, and its people's links, connect links and watches.

        Audit rows stay, purged by the deployment's retention (LENSPIN_AUDIT_DAYS).
        """
        ...


def install_of(store: WorkspaceStore, who: Requester) -> Installation | None:
    """The install a request belongs to (its workspace's, else its org's), or None."""
    for workspace in Workspace.candidates(who):
        installation = store.find_installation(workspace)
        if installation is not None:
            return installation
    return None


class Problem(enum.Enum):
    """Why a workspace setting's new value is refused (the Slack layer says it in words)."""

    NOT_USER_IDS = "not_user_ids"
    CODE_UNUSABLE = "code_unusable"
    COMPANY_NOT_NUMBER = "company_not_number"
    SSO_NEEDS_PASSWORD = "sso_needs_password"  # noqa: S105 (a name)
    PASSWORD_UNUSABLE = "password_unusable"  # noqa: S105
    LABEL_EMPTY = "label_empty"
    LABEL_TOO_LONG = "label_too_long"
    UNKNOWN_FIELD = "unknown_field"
    UNKNOWN_LANGUAGE = "unknown_language"
    AUDIT_DAYS = "audit_days"


class InvalidPolicy(ValueError):
    """New settings that Policies.problems refuses; problems says which and why."""

    def __init__(self, problems: Mapping[str, Problem]) -> None:
        super().__init__("invalid workspace settings: " + ", ".join(sorted(problems)))
        self.problems = dict(problems)


class NotEditable(Exception):
    """Serving one workspace, the environment is the only source of its settings."""


def label_setting(key: str) -> str:
    """The name a PIN field's label goes by among the settings' problems (labels.<key>)."""
    return f"labels.{key}"


POLICY_SETTINGS = tuple(f.name for f in dataclasses.fields(Policy))
_FIELD_KEYS = frozenset(f.key for f in PIN_FIELDS)


class Policies:
    """Each request's workspace settings, and the one place new settings are checked and saved.

    Serving one workspace, the environment's settings are the only ones. Serving several,
    each install has the settings its admins saved, else those of a new workspace: nothing
    shared, nobody on the allowlist, no single sign-on, the environment's labels, customer
    language and audit retention.
    """

    def __init__(
        self,
        store: WorkspaceStore | None,
        default: Policy,
        *,
        multi: bool,
        label_limit: int = LABEL_LIMIT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if multi and store is None:
            raise ValueError("serving several workspaces needs a WorkspaceStore")
        self._store = store
        self._default = default
        self._multi = multi
        self._label_limit = label_limit
        self._clock = clock
        # An operator's shared code or SSO must never reach a workspace that just installed.
        self._new_workspace = Policy(
            labels=default.labels,
            customer_language=default.customer_language,
            audit_days=default.audit_days,
        )

    @property
    def multi(self) -> bool:
        """True when lenspin serves several workspaces, each with settings of its own."""
        return self._multi

    @property
    def max_audit_days(self) -> int:
        """The longest any workspace may keep its audit rows (LENSPIN_AUDIT_DAYS)."""
        return self._default.audit_days

    @property
    def label_limit(self) -> int:
        """The longest a PIN field's label may be."""
        return self._label_limit

    def for_(self, who: Requester) -> Policy:
        """The settings a request from who follows (one database read or two when serving many)."""
        if self._store is None or not self._multi:
            return self._default
        installation = install_of(self._store, who)
        if installation is None:
            return self._new_workspace
        return self._store.get_policy(installation.workspace) or self._new_workspace

    def workspace_of(self, who: Requester) -> Workspace:
        """The install who's request belongs to (its team's, else its org's), else its team."""
        if self._store is not None and self._multi:
            installation = install_of(self._store, who)
            if installation is not None:
                return installation.workspace
        return Workspace(who.enterprise_id, who.team_id)

    def changes(self, who: Requester, limit: int = 10) -> list[PolicyChange]:
        """The latest changes to who's workspace settings, newest first (none serving one)."""
        if self._store is None or not self._multi:
            return []
        return self._store.policy_changes(self.workspace_of(who), limit)

    def retentions(self) -> list[tuple[Workspace, int]]:
        """Each install's own audit retention in days, where its admins saved settings."""
        if self._store is None or not self._multi:
            return []
        kept = []
        for installation in self._store.installations():
            policy = self._store.get_policy(installation.workspace)
            if policy is not None:
                kept.append((installation.workspace, policy.audit_days))
        return kept

    def problems(self, policy: Policy) -> dict[str, Problem]:
        """What is wrong with these settings, by setting name (label_setting for a label)."""
        found: dict[str, Problem] = {}
        if any(u != ALL_USERS and not is_user_id(u) for u in policy.allowed_users):
            found["allowed_users"] = Problem.NOT_USER_IDS
        if not _fits(policy.shared_code, CODE_MAX_LENGTH):
            found["shared_code"] = Problem.CODE_UNUSABLE
        company = policy.sso_company_id
        if company and not (is_company_id(company) and len(company) <= COMPANY_MAX_LENGTH):
            found["sso_company_id"] = Problem.COMPANY_NOT_NUMBER
        if not _fits(policy.sso_password, PASSWORD_MAX_LENGTH):
            found["sso_password"] = Problem.PASSWORD_UNUSABLE
        elif policy.sso_company_id and not policy.sso_password:
            found["sso_password"] = Problem.SSO_NEEDS_PASSWORD
        for key, label in policy.labels.items():
            if key not in _FIELD_KEYS:
                found["labels"] = Problem.UNKNOWN_FIELD
            elif not label.strip():
                found[label_setting(key)] = Problem.LABEL_EMPTY
            elif len(label) > self._label_limit:
                found[label_setting(key)] = Problem.LABEL_TOO_LONG
        if policy.customer_language not in CUSTOMER_LANGUAGES:
            found["customer_language"] = Problem.UNKNOWN_LANGUAGE
        if not 1 <= policy.audit_days <= self.max_audit_days:
            found["audit_days"] = Problem.AUDIT_DAYS
        return found

    def change(self, who: Requester, new: Policy) -> PolicyChange:
        """Save who's workspace's new settings with a record of the change; nothing if equal.

        Raises InvalidPolicy for settings problems() refuses, NotEditable serving one workspace.
        Only an admin of that workspace may call this (the Slack layer asks Slack first).
        """
        if self._store is None or not self._multi:
            raise NotEditable("the environment holds this deployment's settings")
        problems = self.problems(new)
        if problems:
            raise InvalidPolicy(problems)
        workspace = self.workspace_of(who)
        old = self._store.get_policy(workspace) or self._new_workspace
        changed = tuple(n for n in POLICY_SETTINGS if getattr(old, n) != getattr(new, n))
        change = PolicyChange(
            workspace=workspace,
            changed_by=who,
            changed_at=self._clock(),
            changed=changed,
            # A secret's new value is never kept beside it, not even in the change log.
            values={n: _as_text(getattr(new, n)) for n in changed if n not in SECRET_SETTINGS},
        )
        if changed:
            self._store.save_policy(workspace, new, change)
        return change


def _fits(secret: str, limit: int) -> bool:
    # Rescue gets these in XML: a character it cannot carry would fail every request.
    return len(secret) <= limit and is_xml_safe(secret)


def _as_text(value: object) -> str:
    """A setting's value as the change log keeps it."""
    if isinstance(value, frozenset):
        return ",".join(sorted(value))
    if isinstance(value, Mapping):
        return "; ".join(f"{key}={value[key]}" for key in sorted(value))
    return str(value)
