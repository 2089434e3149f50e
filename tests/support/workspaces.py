"""bot.workspaces.WorkspaceStore in memory: installs, OAuth states, settings and their changes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from bot.domain import Installation, Policy, PolicyChange, StoreError, Workspace


def installation(workspace: Workspace, *, name: str = "") -> Installation:
    """An install of workspace, as "Add to Slack" would leave it."""
    return Installation(
        workspace=workspace,
        team_name=name or workspace.team_id,
        bot_token=f"xoxb-{workspace.enterprise_id}-{workspace.team_id}",
        installed_at=datetime.now(UTC),
    )


class MemoryWorkspaces:
    """The database's workspace tables in one process; down makes every call raise it."""

    def __init__(self, *installs: Workspace) -> None:
        self._lock = threading.Lock()
        self._installs: dict[Workspace, Installation] = {}
        self._states: dict[str, datetime] = {}
        self._policies: dict[Workspace, Policy] = {}
        self._changes: list[PolicyChange] = []
        self.down: StoreError | None = None
        for workspace in installs:
            self.save_installation(installation(workspace))

    def _up(self) -> None:
        if self.down is not None:
            raise self.down

    def save_installation(self, installation: Installation) -> None:
        self._up()
        with self._lock:
            self._installs[installation.workspace] = installation

    def find_installation(self, workspace: Workspace) -> Installation | None:
        self._up()
        with self._lock:
            return self._installs.get(workspace)

    def installations(self) -> list[Installation]:
        self._up()
        with self._lock:
            return sorted(self._installs.values(), key=lambda i: i.installed_at)

    def issue_state(self, state: str, expires_at: datetime) -> None:
        self._up()
        with self._lock:
            self._states[state] = expires_at

    def consume_state(self, state: str) -> bool:
        self._up()
        with self._lock:
            expires_at = self._states.pop(state, None)
        return expires_at is not None and expires_at > datetime.now(UTC)

    def get_policy(self, workspace: Workspace) -> Policy | None:
        self._up()
        with self._lock:
            return self._policies.get(workspace)

    def save_policy(self, workspace: Workspace, policy: Policy, change: PolicyChange) -> None:
        self._up()
        with self._lock:
            self._policies[workspace] = policy
            self._changes.append(change)

    def policy_changes(self, workspace: Workspace, limit: int = 20) -> list[PolicyChange]:
        self._up()
        with self._lock:
            own = [c for c in self._changes if c.workspace == workspace]
        return sorted(own, key=lambda c: c.changed_at, reverse=True)[:limit]

    def forget_workspace(self, workspace: Workspace) -> None:
        self._up()
        with self._lock:
            self._installs.pop(workspace, None)
            self._policies.pop(workspace, None)

    @property
    def changes(self) -> list[PolicyChange]:
        """Every change saved, oldest first."""
        with self._lock:
            return list(self._changes)
