"""lenspin serving several workspaces, in this process: settings, installs, browser requests."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bot.app import create_app
from bot.config import Settings
from bot.domain import Installation, Workspace
from tests.support.connect_page import Page
from tests.support.doubles import MemoryRescue
from tests.support.inprocess import InProcessBot
from tests.support.oauth_standin import BOT_ID, BOT_USER_ID, CLIENT_ID, CLIENT_SECRET
from tests.support.standins import FakeSlack
from tests.support.workspaces_double import MemoryWorkspaces, WorkspacesStore
from tests.support.world import settings_for

PUBLIC_URL = "https://lenspin.example.com"
AUTHORIZE_URL = "https://slack.example.com/oauth/v2/authorize"


def multi_settings(*, signing_secret: str, api_url: str, **env: str) -> Settings:
    """Settings for serving several workspaces: the OAuth client instead of SLACK_BOT_TOKEN.

    Built from the single-workspace minimum, as Settings.from_env does not read the client's
    variables yet (that is being added alongside); nothing shared from the environment.
    """
    base = settings_for(
        SLACK_SIGNING_SECRET=signing_secret,
        SLACK_API_URL=api_url,
        **{"LENSPIN_WATCH": "off", **env},
    )
    return replace(
        base,
        slack_bot_token="",
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_oauth_authorize_url=AUTHORIZE_URL,
        public_url=PUBLIC_URL,
        rescue_auth_code="",
        allowed_users=frozenset(),
    )


def installation(
    team_id: str,
    token: str,
    *,
    enterprise_id: str = "",
    name: str = "",
    refresh_token: str = "",
    expires_at: datetime | None = None,
) -> Installation:
    """An install as "Add to Slack" leaves it (team_id "" for an org-wide one)."""
    return Installation(
        workspace=Workspace(enterprise_id, team_id),
        team_name=name or team_id,
        app_id="A0LENSPIN",
        bot_id=BOT_ID,
        bot_user_id=BOT_USER_ID,
        bot_scopes="commands,chat:write,users:read,users:read.email",
        bot_token=token,
        bot_refresh_token=refresh_token,
        bot_token_expires_at=expires_at,
        installer_user_id="U0ADMIN",
        installed_at=datetime.now(UTC),
    )


@dataclass
class TeamBot(InProcessBot):
    """The in-process bot, its requests sent from team (the fake Slack's own if "")."""

    team: str = ""

    @property
    def team_id(self) -> str:
        return self.team or self.slack.team_id

    @property
    def kept(self) -> MemoryWorkspaces:
        """What the store keeps of installs, states and settings."""
        assert isinstance(self.store, WorkspacesStore)
        return self.store.kept

    def from_team(self, team: str) -> TeamBot:
        """The same bot, its requests sent from another workspace."""
        return replace(self, team=team)


@contextmanager
def multi_bot(
    slack: FakeSlack, *, store: WorkspacesStore | None = None, api_url: str = "", **env: str
) -> Iterator[TeamBot]:
    """lenspin serving several workspaces, its Web API calls to api_url (slack's by default)."""
    settings = multi_settings(
        signing_secret=slack.signing_secret, api_url=api_url or slack.api_url, **env
    )
    store = store if store is not None else WorkspacesStore()
    rescue = MemoryRescue()
    lenspin = create_app(settings, rescue=rescue, store=store, pin_workers=2)
    bot = TeamBot(lenspin, slack, store, rescue, settings)
    try:
        yield bot
    finally:
        bot.settle()


@dataclass
class Browsed:
    """A browser's request answered: the page, and the raw headers (Set-Cookie included)."""

    page: Page
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    @property
    def cookies(self) -> list[str]:
        return [v for k, v in self.headers if k.lower() == "set-cookie"]


def browse(
    app: Callable[..., Iterable[bytes]],
    path: str,
    query: str = "",
    *,
    cookie: str = "",
    method: str = "GET",
) -> Browsed:
    """One request from a browser to a WSGI app in this process."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": "",
        "CONTENT_LENGTH": "",
        "wsgi.input": io.BytesIO(b""),
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    started: list[Any] = []
    chunks = app(environ, lambda status, headers: started.extend((status, headers)))
    html = b"".join(chunks).decode()
    headers: list[tuple[str, str]] = list(started[1])
    # Bolt names headers in lower case: the page reads them as a browser would, whatever case.
    canonical = {k.lower(): v for k, v in headers}
    named = {"-".join(p.capitalize() for p in k.split("-")): v for k, v in canonical.items()}
    return Browsed(Page.parse(int(started[0].split()[0]), named, html), headers)
