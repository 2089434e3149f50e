"""Serving several workspaces: where installs, OAuth states and each workspace's settings live."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain import Installation, Policy, PolicyChange, Requester, Workspace

# Policy's fields whose values are secrets: a change to them is audited by name only.
SECRET_SETTINGS = frozenset({"shared_code", "sso_password"})


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
