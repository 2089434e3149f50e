"""What the fake Slack knows: who it is, and every record and live id, behind one lock."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, TypeVar

from devtools.fake_slack.installs import (
    CODE_TTL,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    Installs,
)
from devtools.fake_slack.oauth import OAuthBook
from devtools.fake_slack.records import ApiCall, ResponsePost
from devtools.fake_slack.screens import Screens
from devtools.fake_slack.views import ViewRegistry
from devtools.fake_slack.workspaces import Grant, Team, Teams, default_installer, stable_id

DEFAULT_BOT_TOKEN = "xoxb-fake-bot-token"
DEFAULT_SIGNING_SECRET = "fake-signing-secret"
BOT_USER_ID = "U0LENSPINBOT"
BOT_ID = "B0LENSPINBOT"
RESPONSE_URL_MAX_POSTS = 5
RESPONSE_URL_TTL = 30 * 60.0


@dataclass(frozen=True)
class Workspace:
    """Who the fake is: the app's credentials and ids, and how long its one-time ids live."""

    bot_token: str = DEFAULT_BOT_TOKEN
    signing_secret: str = DEFAULT_SIGNING_SECRET
    team_id: str = "T0LENSPIN"
    team_domain: str = "lenspin-test"
    # What auth.test calls "team": the workspace's name as people see it.
    team_name: str = "Lenspin Test & Co"
    api_app_id: str = "A0LENSPIN"
    bot_user_id: str = BOT_USER_ID
    bot_id: str = BOT_ID
    trigger_ttl: float = 3.0
    response_url_ttl: float = RESPONSE_URL_TTL
    # The app's OAuth credentials, and how long an OAuth code can be exchanged.
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    code_ttl: float = CODE_TTL
    # Checking Block Kit costs the fake milliseconds of CPU a call: the benchmark, which
    # measures the apps rather than their Block Kit, turns it off.
    check_blocks: bool = True


@dataclass
class Failure:
    """A scripted Web API failure: the next `remaining` calls (None: all) get this answer."""

    error: str
    remaining: int | None
    status: int
    retry_after: int | None


@dataclass
class UrlFailure:
    """A scripted response_url refusal."""

    status: int
    body: str
    remaining: int | None


@dataclass
class Trigger:
    """A trigger_id handed to the app: views.open or views.push may use it once, soon."""

    issued_at: float
    # The view an interaction came from, so views.push can link the stack.
    view_id: str | None
    # The workspace the interaction happened in: only its tokens may use the trigger.
    team_id: str
    used: bool = False


@dataclass
class ResponseUrl:
    """A response_url handed to the app, and how many posts it took."""

    user_id: str
    channel_id: str
    issued_at: float
    team_id: str
    posts: int = 0


_Rule = TypeVar("_Rule", Failure, UrlFailure)


def consume(rules: list[_Rule] | None) -> _Rule | None:
    """The failure rule that applies now, counting it down; None when no rule is left."""
    if not rules:
        return None
    rule = rules[0]
    if rule.remaining is not None:
        rule.remaining -= 1
        if rule.remaining <= 0:
            rules.pop(0)
    return rule


class SlackState:
    """Every record and live id of the fake; `cond` guards them all and wakes the waiters."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.default_team = Team(workspace.team_id, workspace.team_name, workspace.team_domain)
        self.cond = threading.Condition()
        self.counter = 0
        self.clear()

    def clear(self) -> None:
        """Forget every record, rule, id, override, added workspace and install.

        The counter goes on, so ids stay new.
        """
        self.calls: list[ApiCall] = []
        self.posts: list[ResponsePost] = []
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.screens = Screens()
        self.failures: dict[str, list[Failure]] = {}
        self.url_failures: dict[str, list[UrlFailure]] = {}
        self.access: dict[str, bool] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.views = ViewRegistry(self.workspace)
        self.dm_users: dict[str, str] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.teams = Teams(self.default_team)
        self.installs = Installs(self.workspace.bot_token, self.bot_grant(self.default_team))
        self.oauth = OAuthBook()

    def bot_grant(self, team: Team) -> Grant:
        """The bot of an install in team: the default workspace's is the fake's own bot user."""
        if team.team_id == self.default_team.team_id:
            return Grant(
                team.team_id, team.enterprise_id, self.workspace.bot_user_id, self.workspace.bot_id
            )
        bot_user_id, bot_id = (
            stable_id("U", team.team_id, "bot"),
            stable_id("B", team.team_id, "bot"),
        )
        return Grant(team.team_id, team.enterprise_id, bot_user_id, bot_id)

    def install_grant(self, team: Team, *, org_wide: bool) -> Grant:
        """The bot of an install in team, or org-wide in its org (a bot of the org's own)."""
        if org_wide:
            owner = team.enterprise_id
            return Grant("", owner, stable_id("U", owner, "bot"), stable_id("B", owner, "bot"))
        return self.bot_grant(team)

    def admit_default_installer(self, team: Team) -> str:
        """The made-up admin who installs in team when no test named one; hold cond."""
        installer = default_installer(team)
        if installer not in self.users:
            self.users[installer] = self.user_object(installer, team=team, admin=True)
            self.teams.place_user(installer, team)
        return installer

    def next_number(self) -> int:
        """A number no earlier id used."""
        with self.cond:
            self.counter += 1
            return self.counter

    def ts(self) -> str:
        """A fresh message timestamp; call with cond held."""
        self.counter += 1
        return f"{int(time.time())}.{self.counter % 1_000_000:06d}"

    def issue_trigger(self, view_id: str | None, team_id: str | None = None) -> str:
        """A fresh trigger_id, from an interaction with view_id (None: a command or shortcut)."""
        trigger_id = f"{int(time.time())}.{self.next_number()}.{secrets.token_hex(16)}"
        team = team_id or self.default_team.team_id
        with self.cond:
            self.triggers[trigger_id] = Trigger(time.monotonic(), view_id, team)
        return trigger_id

    def issue_response_url(self, user_id: str, channel_id: str, team_id: str | None = None) -> str:
        """The path of a fresh response_url for a command user_id ran in channel_id."""
        team = team_id or self.default_team.team_id
        path = f"/commands/{team}/{self.next_number()}/{secrets.token_hex(12)}"
        with self.cond:
            self.response_urls[path] = ResponseUrl(user_id, channel_id, time.monotonic(), team)
        return path

    def dm_channel_id(self, user_id: str) -> str:
        """The DM channel id conversations.open returns for user_id (stable, in their team)."""
        with self.cond:
            team = self.teams.user_team(user_id)
        return stable_id("D", team.team_id, user_id)

    def record_message(
        self, user_id: str, route: str, channel: str, raw: dict[str, Any]
    ) -> dict[str, Any]:
        """Remember a message that reached user_id privately, and return it; hold cond."""
        raw = {k: v for k, v in raw.items() if k != "token"}
        message = {
            "route": route,
            "text": raw.get("text"),
            "blocks": raw.get("blocks") or [],
            "channel": channel,
            "user": user_id,
            "raw": raw,
        }
        self.messages.append((user_id, message))
        return message

    def user_name(self, user_id: str) -> str:
        """The user's handle, as payloads carry it."""
        with self.cond:
            known = self.users.get(user_id)
        return str(known["name"]) if known else f"user.{user_id.lower()}"

    def user_object(
        self,
        user_id: str,
        *,
        team: Team | None = None,
        name: str | None = None,
        real_name: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        admin: bool = False,
        owner: bool = False,
        org_admin: bool = False,
        org_owner: bool = False,
        also_in: tuple[str, ...] = (),
        deleted: bool = False,
    ) -> dict[str, Any]:
        """A users.info user of team (None: theirs), with made-up details where none are given.

        admin, owner: their role in the workspace; org_admin, org_owner: in its Enterprise Grid
        org (enterprise_user), which they are a member of the also_in workspaces of too.
        """
        if team is None:
            with self.cond:
                team = self.teams.user_team(user_id)
        name = name or f"user.{user_id.lower()}"
        real_name = real_name or f"User {user_id}"
        profile = {
            "real_name": real_name,
            "display_name": display_name if display_name is not None else name,
            "email": email or f"{name}@{team.domain}.example.com",
        }
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": team.team_id,
            "name": name,
            "real_name": real_name,
            "deleted": deleted,
            "is_bot": False,
            # Slack's roles: an owner is also an admin; the primary owner is the owner here.
            "is_admin": admin or owner,
            "is_owner": owner,
            "is_primary_owner": owner,
            "tz": "Europe/Budapest",
            "profile": profile,
        }
        if team.enterprise_id:
            user["enterprise_user"] = {
                "id": user_id,
                "enterprise_id": team.enterprise_id,
                "enterprise_name": team.enterprise_name,
                "is_admin": org_admin or org_owner,
                "is_owner": org_owner,
                "teams": [team.team_id, *also_in],
            }
        return user
