"""Serving several workspaces, in the database: installs and their tokens, OAuth states used
once, each workspace's settings and the log of their changes (bot.workspaces.WorkspaceStore).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, bindparam, delete, insert, select
from sqlalchemy.orm import InstrumentedAttribute

from bot.domain import Installation, Policy, PolicyChange, Requester, Workspace
from bot.store.crypto import Keyring
from bot.store.db import immediate, upsert
from bot.store.models import (
    ConnectLinkRow,
    InstallationRow,
    LinkRow,
    OAuthStateRow,
    SettingsChangeRow,
    WatchRow,
    WorkspaceSettingsRow,
    require_aware,
)

# The columns that name a workspace in the installs and settings tables (their primary key).
_KEY = ("enterprise_id", "team_id")


class DatabaseWorkspaces:
    """bot.workspaces.WorkspaceStore on PostgreSQL or SQLite; failures raise StoreUnavailable."""

    def __init__(
        self,
        engine: Engine,
        keyring: Keyring,
        *,
        guard: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        # On SQLite the write lock (BEGIN IMMEDIATE) makes each write's reads and writes one.
        self._engine = immediate(engine)
        self._reader = engine
        self._keyring = keyring
        self._guard = guard
        # Read before every request's ack when serving several workspaces: built once, as
        # the PIN path's statements are (bot/store/seats.py).
        self._installation = select(InstallationRow).where(*one_workspace(InstallationRow))
        self._policy = select(WorkspaceSettingsRow).where(*one_workspace(WorkspaceSettingsRow))

    # Installs

    def save_installation(self, installation: Installation) -> None:
        """Keep an install (insert, or replace the one of the same workspace)."""
        values = _installation_values(installation, self._keyring)
        statement = upsert(self._engine)(InstallationRow).values(values)
        # An upsert: a re-install (new scopes, a new token) replaces the row whole.
        statement = statement.on_conflict_do_update(
            index_elements=[InstallationRow.enterprise_id, InstallationRow.team_id],
            set_={name: statement.excluded[name] for name in values if name not in _KEY},
        )
        with self._guard(), self._engine.begin() as connection:
            connection.execute(statement)

    def find_installation(self, workspace: Workspace) -> Installation | None:
        """The install of exactly this workspace or org, or None."""
        with self._guard(), self._reader.connect() as connection:
            row = connection.execute(self._installation, _ids(workspace)).first()
        return None if row is None else _installation(row._mapping, self._keyring)

    def installations(self) -> list[Installation]:
        """Every install, oldest first."""
        statement = select(InstallationRow).order_by(
            InstallationRow.installed_at, InstallationRow.enterprise_id, InstallationRow.team_id
        )
        with self._guard(), self._reader.connect() as connection:
            rows = connection.execute(statement).all()
        return [_installation(row._mapping, self._keyring) for row in rows]

    # OAuth states

    def issue_state(self, state: str, expires_at: datetime) -> None:
        """Remember an OAuth state until expires_at (by its hash: the state is never kept)."""
        row = {
            "state_hash": state_hash(state),
            "expires_at": require_aware(expires_at, "expires_at"),
        }
        with self._guard(), self._engine.begin() as connection:
            connection.execute(insert(OAuthStateRow).values(row))

    def consume_state(self, state: str) -> bool:
        """True once for a state issued and not yet expired; it is gone afterwards."""
        # One DELETE: of two callers at once, only the one whose DELETE removed the row wins.
        statement = delete(OAuthStateRow).where(
            OAuthStateRow.state_hash == state_hash(state),
            OAuthStateRow.expires_at > datetime.now(UTC),
        )
        with self._guard(), self._engine.begin() as connection:
            return bool(connection.execute(statement).rowcount)

    # Each workspace's settings

    def get_policy(self, workspace: Workspace) -> Policy | None:
        """The settings this workspace's admins saved, or None if they saved none."""
        with self._guard(), self._reader.connect() as connection:
            row = connection.execute(self._policy, _ids(workspace)).first()
        return None if row is None else _policy(row._mapping, self._keyring)

    def save_policy(self, workspace: Workspace, policy: Policy, change: PolicyChange) -> None:
        """Replace the workspace's settings and record the change, in one transaction."""
        if change.workspace != workspace:
            raise ValueError("a settings change is recorded in the workspace it changed")
        secrets = {policy.shared_code, policy.sso_password} - {""}
        if any(value in secrets for value in change.values.values()):
            # The change log is read by admins and exported: a secret's value never goes in.
            raise ValueError("a settings change names a secret setting, never its value")
        values = _policy_values(workspace, policy, change.changed_at, self._keyring)
        statement = upsert(self._engine)(WorkspaceSettingsRow).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[WorkspaceSettingsRow.enterprise_id, WorkspaceSettingsRow.team_id],
            set_={name: statement.excluded[name] for name in values if name not in _KEY},
        )
        who = change.changed_by
        logged = {
            "enterprise_id": workspace.enterprise_id,
            "team_id": workspace.team_id,
            "changed_by_enterprise_id": who.enterprise_id,
            "changed_by_team_id": who.team_id,
            "changed_by_user_id": who.user_id,
            "changed_at": values["updated_at"],
            "changed": json.dumps(list(change.changed)),
            "changed_values": json.dumps(dict(change.values), sort_keys=True),
        }
        with self._guard(), self._engine.begin() as connection:
            connection.execute(statement)
            connection.execute(insert(SettingsChangeRow).values(logged))

    def policy_changes(self, workspace: Workspace, limit: int = 20) -> list[PolicyChange]:
        """The workspace's latest setting changes, newest first."""
        statement = (
            select(SettingsChangeRow)
            .where(*exactly(workspace, SettingsChangeRow))
            .order_by(SettingsChangeRow.changed_at.desc(), SettingsChangeRow.id.desc())
            .limit(limit)
        )
        with self._guard(), self._reader.connect() as connection:
            rows = connection.execute(statement).all()
        return [_change(workspace, row._mapping) for row in rows]

    # Uninstalling

    def forget_workspace(self, workspace: Workspace) -> None:
        """Delete the install, its settings, and its people's links, connect links and watches.

        An org-wide install's people are every row of its enterprise; a workspace's, every
        row of its team. Audit rows and settings changes stay, purged by retention.
        """
        statements = (
            delete(InstallationRow).where(*exactly(workspace, InstallationRow)),
            delete(WorkspaceSettingsRow).where(*exactly(workspace, WorkspaceSettingsRow)),
            delete(LinkRow).where(scope(workspace, LinkRow.enterprise_id, LinkRow.team_id)),
            delete(ConnectLinkRow).where(
                scope(workspace, ConnectLinkRow.enterprise_id, ConnectLinkRow.team_id)
            ),
            delete(WatchRow).where(scope(workspace, WatchRow.enterprise_id, WatchRow.team_id)),
        )
        # One transaction: an uninstall never leaves a token without its people, or the reverse.
        with self._guard(), self._engine.begin() as connection:
            for statement in statements:
                connection.execute(statement)


def state_hash(state: str) -> str:
    """The SHA-256 (hex) an OAuth state is kept by."""
    return hashlib.sha256(state.encode()).hexdigest()


def scope(
    workspace: Workspace,
    enterprise_id: InstrumentedAttribute[str],
    team_id: InstrumentedAttribute[str],
) -> ColumnElement[bool]:
    """The rows of workspace's people: its enterprise's for an org-wide install, else its team's.

    enterprise_id and team_id are the table's columns for them.
    """
    if workspace.org_wide:
        return enterprise_id == workspace.enterprise_id
    if not workspace.team_id:
        # Workspace() would be every row outside Enterprise Grid: never what anyone means.
        raise ValueError("a workspace has a team id, or an enterprise id for an org-wide install")
    return team_id == workspace.team_id


def exactly(workspace: Workspace, table: Any) -> tuple[ColumnElement[bool], ...]:
    """The rows of exactly this workspace or org in a table with enterprise_id and team_id."""
    return (table.enterprise_id == workspace.enterprise_id, table.team_id == workspace.team_id)


def one_workspace(table: Any) -> tuple[ColumnElement[bool], ...]:
    """exactly()'s condition with the ids left as parameters, for a statement built once."""
    return (
        table.enterprise_id == bindparam("enterprise_id"),
        table.team_id == bindparam("team_id"),
    )


def _ids(workspace: Workspace) -> dict[str, str]:
    return {"enterprise_id": workspace.enterprise_id, "team_id": workspace.team_id}


def _seal(text: str, keyring: Keyring) -> str:
    # "" stays "": the table then shows a secret was never set, and there is nothing to rotate.
    return keyring.encrypt(text) if text else ""


def _open(token: str, keyring: Keyring) -> str:
    return keyring.decrypt(token) if token else ""


def _installation_values(installation: Installation, keyring: Keyring) -> dict[str, Any]:
    expires = installation.bot_token_expires_at
    return {
        "enterprise_id": installation.workspace.enterprise_id,
        "team_id": installation.workspace.team_id,
        "team_name": installation.team_name,
        "enterprise_name": installation.enterprise_name,
        "app_id": installation.app_id,
        "bot_id": installation.bot_id,
        "bot_user_id": installation.bot_user_id,
        "bot_scopes": installation.bot_scopes,
        "installer_user_id": installation.installer_user_id,
        "bot_token_encrypted": keyring.encrypt(installation.bot_token),
        "bot_refresh_token_encrypted": _seal(installation.bot_refresh_token, keyring),
        "bot_token_expires_at": None
        if expires is None
        else require_aware(expires, "bot_token_expires_at"),
        "installed_at": require_aware(installation.installed_at, "installed_at"),
    }


def _installation(row: Any, keyring: Keyring) -> Installation:
    return Installation(
        workspace=Workspace(row["enterprise_id"], row["team_id"]),
        team_name=row["team_name"],
        enterprise_name=row["enterprise_name"],
        app_id=row["app_id"],
        bot_id=row["bot_id"],
        bot_user_id=row["bot_user_id"],
        bot_scopes=row["bot_scopes"],
        bot_token=keyring.decrypt(row["bot_token_encrypted"]),
        bot_refresh_token=_open(row["bot_refresh_token_encrypted"], keyring),
        bot_token_expires_at=row["bot_token_expires_at"],
        installer_user_id=row["installer_user_id"],
        installed_at=row["installed_at"],
    )


def _policy_values(
    workspace: Workspace, policy: Policy, at: datetime, keyring: Keyring
) -> dict[str, Any]:
    return {
        "enterprise_id": workspace.enterprise_id,
        "team_id": workspace.team_id,
        "allowed_users": json.dumps(sorted(policy.allowed_users)),
        "shared_code_encrypted": _seal(policy.shared_code, keyring),
        "sso_company_id": policy.sso_company_id,
        "sso_password_encrypted": _seal(policy.sso_password, keyring),
        "labels": json.dumps(dict(policy.labels), sort_keys=True),
        "customer_language": policy.customer_language,
        "audit_days": policy.audit_days,
        "updated_at": require_aware(at, "changed_at"),
    }


def _policy(row: Any, keyring: Keyring) -> Policy:
    return Policy(
        allowed_users=frozenset(json.loads(row["allowed_users"])),
        shared_code=_open(row["shared_code_encrypted"], keyring),
        sso_company_id=row["sso_company_id"],
        sso_password=_open(row["sso_password_encrypted"], keyring),
        labels=json.loads(row["labels"]),
        customer_language=row["customer_language"],
        audit_days=row["audit_days"],
    )


def _change(workspace: Workspace, row: Any) -> PolicyChange:
    return PolicyChange(
        workspace=workspace,
        changed_by=Requester(
            team_id=row["changed_by_team_id"],
            user_id=row["changed_by_user_id"],
            enterprise_id=row["changed_by_enterprise_id"],
        ),
        changed_at=row["changed_at"],
        changed=tuple(json.loads(row["changed"])),
        values=json.loads(row["changed_values"]),
    )
