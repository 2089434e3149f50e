"""Several workspaces: the teams, which team each user and channel belongs to, and token grants.

Slack ids are unique across workspaces: a user or channel belongs to one team, and a token sees
only its team's (an org-wide install's token sees every team of its Enterprise Grid org).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Team:
    """One workspace the fake plays, and its Enterprise Grid org when it has one."""

    team_id: str
    name: str
    domain: str
    enterprise_id: str = ""
    enterprise_name: str = ""


@dataclass(frozen=True)
class Grant:
    """What a bot token acts on: one team, or (org-wide) every team of an enterprise."""

    team_id: str  # "" for an org-wide install
    enterprise_id: str
    bot_user_id: str
    bot_id: str

    @property
    def org_wide(self) -> bool:
        """True for an org-wide install's token."""
        return not self.team_id


def stable_id(prefix: str, *parts: str) -> str:
    """An id derived from parts: stable across resets and runs, so tests can predict it."""
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest().upper()
    return prefix + digest[:10]


def default_installer(team: Team) -> str:
    """Who approves an install when no test said: a made-up admin of the workspace."""
    return stable_id("U", team.team_id, "installer")


def domain_of(name: str) -> str:
    """The domain Slack would suggest for a workspace name."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "workspace"


class Teams:
    """The workspaces, and who and what belongs to which; callers hold the fake's lock."""

    def __init__(self, default: Team) -> None:
        self.default = default
        self._teams: dict[str, Team] = {default.team_id: default}
        # Team id of each user and channel Slack has seen; a channel first used by an org-wide
        # token belongs to its enterprise (by enterprise id) and so to every team of it.
        self._user_team: dict[str, str] = {}
        # The other workspaces of their Enterprise Grid org each user is also a member of.
        self._also_in: dict[str, tuple[str, ...]] = {}
        self._channel_owner: dict[str, str] = {}

    # --- teams -----------------------------------------------------------------------------------

    def add(self, team: Team) -> None:
        """Add or redefine a workspace (never the default one)."""
        if team.team_id == self.default.team_id:
            raise ValueError(f"{team.team_id} is the default workspace; it cannot be redefined")
        if not team.team_id.startswith("T"):
            raise ValueError(f"a workspace id starts with T, not {team.team_id!r}")
        if team.enterprise_id and not team.enterprise_id.startswith("E"):
            raise ValueError(f"an enterprise id starts with E, not {team.enterprise_id!r}")
        for other in self._teams.values():
            same_org = other.enterprise_id == team.enterprise_id and team.enterprise_id
            if same_org and other.enterprise_name != team.enterprise_name:
                raise ValueError(
                    f"{team.enterprise_id} is already called {other.enterprise_name!r}, "
                    f"not {team.enterprise_name!r}"
                )
        self._teams[team.team_id] = team

    def get(self, team_id: str | None) -> Team:
        """The workspace with this id (None: the default one); ValueError if unknown."""
        if team_id is None:
            return self.default
        team = self._teams.get(team_id)
        if team is None:
            raise ValueError(f"no workspace {team_id!r}: add it with add_workspace() first")
        return team

    def has(self, team_id: str) -> bool:
        """True for the id of a workspace the fake plays."""
        return team_id in self._teams

    def all(self) -> list[Team]:
        """Every workspace, the default one first."""
        return list(self._teams.values())

    def of_enterprise(self, enterprise_id: str) -> list[Team]:
        """The workspaces of an Enterprise Grid org."""
        return [
            t for t in self._teams.values() if enterprise_id and t.enterprise_id == enterprise_id
        ]

    def enterprise_name(self, enterprise_id: str) -> str:
        """The org's name; ValueError when no workspace belongs to it."""
        teams = self.of_enterprise(enterprise_id)
        if not teams:
            raise ValueError(f"no workspace belongs to enterprise {enterprise_id!r}")
        return teams[0].enterprise_name

    # --- users -----------------------------------------------------------------------------------

    def user_team(self, user_id: str) -> Team:
        """The user's workspace: where they were added or first acted, else the default one."""
        return self._teams.get(self._user_team.get(user_id, ""), self.default)

    def knows_user(self, user_id: str) -> bool:
        """True once a user was added or acted in some workspace."""
        return user_id in self._user_team

    def place_user(self, user_id: str, team: Team, also_in: tuple[str, ...] = ()) -> None:
        """Say the user belongs to team, and is a member of its org's also_in too (add_user)."""
        for other in also_in:
            if self.get(other).enterprise_id != team.enterprise_id or not team.enterprise_id:
                raise ValueError(f"{other} is no other workspace of {team.team_id}'s org")
        self._user_team[user_id] = team.team_id
        self._also_in[user_id] = also_in

    def memberships(self, user_id: str) -> tuple[str, ...]:
        """The workspaces the user is a member of: theirs first, then the rest of their org's."""
        return (self.user_team(user_id).team_id, *self._also_in.get(user_id, ()))

    def claim_user(self, user_id: str, team: Team) -> None:
        """A request is sent as user_id from team: they belong to it; ValueError if elsewhere."""
        known = self._user_team.setdefault(user_id, team.team_id)
        if team.team_id not in self.memberships(user_id):
            raise ValueError(
                f"user {user_id} belongs to workspace {known}, so Slack never sends a request "
                f"as them from {team.team_id} (user ids are unique across workspaces)"
            )

    # --- channels --------------------------------------------------------------------------------

    def claim_channel(self, channel_id: str, team: Team) -> None:
        """A request comes from channel_id in team: it belongs there; ValueError if elsewhere."""
        owner = self._channel_owner.setdefault(channel_id, team.team_id)
        if not self._owner_in_team(owner, team):
            raise ValueError(
                f"channel {channel_id} belongs to {owner}, so Slack never sends a request from "
                f"it in {team.team_id} (channel ids are unique across workspaces; pass another "
                "channel_id)"
            )

    def channel_visible(self, channel_id: str, grant: Grant) -> bool:
        """True when the grant's bot can see channel_id; a channel never seen joins its team."""
        owner = self._channel_owner.get(channel_id)
        if owner is None:
            self._channel_owner[channel_id] = grant.team_id or grant.enterprise_id
            return True
        return self.covers(grant, owner)

    def note_channel(self, channel_id: str, owner: str) -> None:
        """Say channel_id belongs to owner (a DM or group conversations.open made there)."""
        self._channel_owner[channel_id] = owner

    def channel_team(self, channel_id: str) -> str | None:
        """The team (or org) id a channel belongs to, if Slack has seen it."""
        return self._channel_owner.get(channel_id)

    # --- grants ----------------------------------------------------------------------------------

    def covers(self, grant: Grant, owner: str) -> bool:
        """True when a token with grant may act on what belongs to owner (a team or org id)."""
        if owner == grant.team_id or (owner and owner == grant.enterprise_id):
            return True
        if not grant.org_wide:
            return False
        team = self._teams.get(owner)
        return team is not None and team.enterprise_id == grant.enterprise_id

    def sees_user(self, grant: Grant, user_id: str) -> bool:
        """True when the grant's bot can see the user (a member of a workspace it acts on)."""
        return any(self.covers(grant, team_id) for team_id in self.memberships(user_id))

    def _owner_in_team(self, owner: str, team: Team) -> bool:
        return owner == team.team_id or bool(team.enterprise_id and owner == team.enterprise_id)
