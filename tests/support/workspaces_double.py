"""bot.workspaces.WorkspaceStore in memory, and a MemoryStore that has one (workspaces()).

The store's own MemoryWorkspaces (tests/support/doubles.py, being written alongside) will take
its place; this one keeps the same rules for what the OAuth tests touch: an install per
Workspace, single-use states that expire, and forget_workspace deleting that workspace's
install, settings and people's links.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from bot.domain import Installation, Policy, PolicyChange, Workspace
from tests.support.doubles import MemoryStore


class MemoryWorkspaces:
    """Installs, OAuth states and settings in memory; clock stands for the database's."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        forget_people: Callable[[Workspace], None] = lambda workspace: None,
    ) -> None:
        self._clock = clock
        self._forget_people = forget_people
        self._lock = threading.Lock()
        self._forgotten = threading.Condition(self._lock)
        self._installs: dict[Workspace, Installation] = {}
        self._states: dict[str, datetime] = {}
        self._policies: dict[Workspace, Policy] = {}
        self._changes: list[PolicyChange] = []
        self.forgotten: list[Workspace] = []
        self.saves = 0

    def save_installation(self, installation: Installation) -> None:
        with self._lock:
            self._installs[installation.workspace] = installation
            self.saves += 1

    def find_installation(self, workspace: Workspace) -> Installation | None:
        with self._lock:
            return self._installs.get(workspace)

    def installations(self) -> list[Installation]:
        with self._lock:
            return sorted(self._installs.values(), key=lambda i: i.installed_at)

    def issue_state(self, state: str, expires_at: datetime) -> None:
        with self._lock:
            self._states[state] = expires_at

    def consume_state(self, state: str) -> bool:
        with self._lock:
            expires_at = self._states.pop(state, None)
            return expires_at is not None and expires_at > self._clock()

    @property
    def states(self) -> list[str]:
        """The states issued and not yet consumed."""
        with self._lock:
            return list(self._states)

    def get_policy(self, workspace: Workspace) -> Policy | None:
        with self._lock:
            return self._policies.get(workspace)

    def save_policy(self, workspace: Workspace, policy: Policy, change: PolicyChange) -> None:
        with self._lock:
            self._policies[workspace] = policy
            self._changes.append(change)

    def policy_changes(self, workspace: Workspace, limit: int = 20) -> list[PolicyChange]:
        with self._lock:
            own = [c for c in self._changes if c.workspace == workspace]
        return sorted(own, key=lambda c: c.changed_at, reverse=True)[:limit]

    def forget_workspace(self, workspace: Workspace) -> None:
        with self._lock:
            self._installs.pop(workspace, None)
            self._policies.pop(workspace, None)
        self._forget_people(workspace)
        with self._lock:
            self.forgotten.append(workspace)
            self._forgotten.notify_all()

    def wait_forgotten(self, count: int = 1, timeout: float = 5.0) -> list[Workspace]:
        """The first count workspaces forgotten, waiting for them."""
        with self._lock:
            if not self._forgotten.wait_for(lambda: len(self.forgotten) >= count, timeout):
                raise AssertionError(f"{len(self.forgotten)} of {count} workspaces forgotten")
            return self.forgotten[:count]


class WorkspacesStore(MemoryStore):
    """MemoryStore with workspaces(): forgetting a workspace deletes its people's links."""

    def __init__(self, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__()
        self.kept = MemoryWorkspaces(clock=clock, forget_people=self._forget_people)

    def workspaces(self) -> MemoryWorkspaces:
        return self.kept

    def _forget_people(self, workspace: Workspace) -> None:
        # MemoryStore's links know their team only: an org-wide forget is the store's to test.
        with self._lock:
            for key in [k for k in self._links if k[0] == workspace.team_id]:
                del self._links[key]
