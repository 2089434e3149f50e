"""lenspin serving several workspaces as the Procfile starts it: the world, installs, clicks.

The end-to-end tests of issue 14 share one web process per module and database kind. Each
test plays workspaces (Shops) of its own, with people of their own, so nothing one test
leaves behind (installs, settings, PINs) can make another pass or fail.
"""

from __future__ import annotations

import html
import itertools
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
from sqlalchemy import select, update

from bot.store import make_engine
from bot.store.models import Base
from bot.store.workspaces import state_hash
from devtools.fake_slack import TOKEN_LIFETIME
from devtools.web_process import free_port
from tests.support.standins import FakeRescue, FakeSlack, WebProcess
from tests.support.world import app_env, fresh_database

_T = TypeVar("_T")
TIMEOUT = 10.0
# The single-workspace settings serving several workspaces refuses (bot.env.serving_several).
SINGLE_ONLY = ("SLACK_BOT_TOKEN", "RESCUE_AUTH_CODE", "LENSPIN_ALLOWED_USERS")
_numbers = itertools.count(1)


def random_pins() -> Iterator[str]:
    """PINs no log line could hold by chance (six digits, never a run of one digit)."""
    while True:
        yield str(100_000 + secrets.randbelow(900_000))


@dataclass
class World:
    """The stand-ins, lenspin's web process, its database, and every secret seen on the way."""

    slack: FakeSlack
    rescue: FakeRescue
    web: WebProcess
    database_url: str
    env: dict[str, str]
    # What no log line and no table may hold in clear, by kind ("bot token", "PIN"...).
    secrets: dict[str, set[str]] = field(default_factory=dict)

    def keep_secret(self, kind: str, *values: str) -> None:
        """Remember values to look for in the logs and the database at the end."""
        self.secrets.setdefault(kind, set()).update(v for v in values if v)


def multi_env(
    slack: FakeSlack, rescue: FakeRescue, *, database_url: str, port: int
) -> dict[str, str]:
    """The config vars of a deployment serving several workspaces, pointed at the stand-ins."""
    env = app_env(
        slack,
        rescue,
        DATABASE_URL=database_url,
        SLACK_CLIENT_ID=slack.client_id,
        SLACK_CLIENT_SECRET=slack.client_secret,
        SLACK_OAUTH_AUTHORIZE_URL=slack.authorize_url,
        LENSPIN_PUBLIC_URL=f"http://127.0.0.1:{port}",
        # Watches are what uninstalling must delete too; each test's codes are its own.
        LENSPIN_WATCH="on",
    )
    for name in SINGLE_ONLY:
        env.pop(name)
    return env


@contextmanager
def serving_several(kind: str) -> Iterator[World]:
    """One web process serving several workspaces, on a fresh database of this kind."""
    database_url = fresh_database(kind)
    port = free_port()
    with (
        FakeSlack() as slack,
        FakeRescue(auth_codes=(), rate_limit=None, pins=random_pins()) as rescue,
    ):
        # The distributed manifest turns token rotation on: every install's token expires.
        slack.enable_token_rotation(TOKEN_LIFETIME)
        env = multi_env(slack, rescue, database_url=database_url, port=port)
        with WebProcess(env, port=port) as web:
            world = World(slack, rescue, web, database_url, env)
            world.keep_secret("client secret", slack.client_secret)
            yield world


# --- workspaces and people ------------------------------------------------------------------


@dataclass(frozen=True)
class Shop:
    """One workspace a test plays: its admin, two technicians and a shared code of its own."""

    team_id: str
    name: str
    admin: str
    techs: tuple[str, str]
    code: str
    enterprise_id: str = ""

    @property
    def tech(self) -> str:
        """The technician the shop's admin allows."""
        return self.techs[0]

    @property
    def outsider(self) -> str:
        """A technician of the shop the admin did not allow."""
        return self.techs[1]


def new_enterprise_id() -> str:
    """An Enterprise Grid org id no other test uses."""
    return f"E0GRID{next(_numbers):03d}"


def new_shop(w: World, name: str, *, enterprise_id: str = "", enterprise_name: str = "") -> Shop:
    """A workspace no other test uses, its people, and a code the stand-in Rescue accepts."""
    n = next(_numbers)
    tag = re.sub(r"[^A-Z0-9]", "", name.upper())[:6]
    team_id = f"T0{tag}{n:03d}"
    w.slack.add_workspace(
        team_id, name=name, enterprise_id=enterprise_id, enterprise_name=enterprise_name
    )
    admin, tech, outsider = (f"U0{tag}{role}{n:03d}" for role in ("ADM", "TEC", "OUT"))
    # In a Grid org the admin is also the org's: only they may set an org-wide install's settings.
    w.slack.add_user(
        admin, team_id=team_id, admin=True, org_admin=bool(enterprise_id), real_name=f"{name} Admin"
    )
    w.slack.add_user(tech, team_id=team_id, real_name=f"{name} Tech")
    w.slack.add_user(outsider, team_id=team_id, real_name=f"{name} Outsider")
    code = f"code{tag.lower()}{n:03d}{secrets.token_hex(16)}"
    w.rescue.add_auth_code(code)
    w.keep_secret("shared code", code)
    return Shop(team_id, name, admin, (tech, outsider), code, enterprise_id)


# --- installing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Install:
    """One "Add to Slack" as a browser goes through it: each page, the state and the code."""

    add_page: requests.Response
    cookie: str
    authorized: requests.Response
    redirect_url: str
    landed: requests.Response

    def again(self) -> requests.Response:
        """The browser follows Slack's redirect a second time (a replay)."""
        return requests.get(self.redirect_url, headers={"Cookie": self.cookie}, timeout=TIMEOUT)


def install(
    w: World,
    team_id: str,
    *,
    user_id: str,
    org_wide: bool = False,
    deny: bool = False,
    meanwhile: Callable[[str], object] = lambda state: None,
) -> Install:
    """Add to Slack from team_id: lenspin's page, the stand-in's authorize step, the redirect.

    meanwhile(state) runs before the browser follows Slack's redirect back to lenspin.
    """
    if deny:
        w.slack.deny_next_install()
    else:
        w.slack.next_install(team_id, user_id=user_id, org_wide=org_wide)
    add_page = requests.get(w.web.url + "/slack/install", timeout=TIMEOUT)
    assert add_page.status_code == 200, add_page.text
    # Bolt's state cookie is Secure: a browser sends it back to http://127.0.0.1 (a loopback
    # origin is secure), requests would not, so it is handed back by hand.
    cookie = add_page.headers["Set-Cookie"].split(";")[0]
    found = re.search(r'href="([^"]*/oauth/v2/authorize[^"]*)"', add_page.text)
    assert found is not None, "no link to Slack's authorize step on the Add to Slack page"
    authorized = requests.get(html.unescape(found.group(1)), allow_redirects=False, timeout=TIMEOUT)
    assert authorized.status_code == 302, authorized.text
    redirect_url = authorized.headers["Location"]
    assert redirect_url.startswith(w.web.url + "/slack/oauth_redirect?")
    query = dict(p.split("=", 1) for p in redirect_url.split("?", 1)[1].split("&"))
    w.keep_secret("OAuth state", query.get("state", ""), cookie.split("=", 1)[1])
    w.keep_secret("OAuth code", query.get("code", ""))
    meanwhile(query.get("state", ""))
    landed = requests.get(redirect_url, headers={"Cookie": cookie}, timeout=TIMEOUT)
    note_tokens(w)
    return Install(add_page, cookie, authorized, redirect_url, landed)


def note_tokens(w: World) -> None:
    """Remember every bot and refresh token the stand-in has issued so far."""
    for team in w.slack.workspaces:
        for record in (
            w.slack.installation(team.team_id),
            w.slack.installation(enterprise_id=team.enterprise_id) if team.enterprise_id else None,
        ):
            if record is not None:
                w.keep_secret("bot token", *record.tokens)
                w.keep_secret("refresh token", record.refresh_token)


# --- the database ---------------------------------------------------------------------------


def expire_state(w: World, state: str) -> None:
    """Make an OAuth state lenspin issued expired now, as if ten minutes had passed."""
    table = Base.metadata.tables["lenspin_oauth_states"]
    engine = make_engine(w.database_url)
    try:
        with engine.begin() as connection:
            changed = connection.execute(
                update(table)
                .where(table.c.state_hash == state_hash(state))
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        assert changed.rowcount == 1, "lenspin keeps no such state"
    finally:
        engine.dispose()


def rows(w: World, table: str, **where: str) -> list[dict[str, Any]]:
    """The rows of one of lenspin's tables (by name), those whose columns equal where."""
    model = Base.metadata.tables[table]
    statement = select(model).where(*(model.c[k] == v for k, v in where.items()))
    engine = make_engine(w.database_url)
    try:
        with engine.connect() as connection:
            return [dict(r) for r in connection.execute(statement).mappings()]
    finally:
        engine.dispose()


def wait_until(check: Callable[[], _T], timeout: float = TIMEOUT) -> _T:
    """check()'s first truthy answer, asked again until timeout.

    For what lenspin does in the database after an ack, where no Slack or Rescue call follows
    to wait for: the only way to see it is to look.
    """
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {check}")
        time.sleep(0.05)


def assert_no_secret_in(w: World, logs: str, dump: str) -> None:
    """No secret seen in the run is in a log line; none but a PIN is in a table in clear.

    A PIN is six digits: in the logs it is looked for as a number of its own; the tables'
    timestamps are full of such numbers (microseconds), so there its encryption is trusted to
    the store's own tests.
    """
    assert w.secrets.get("bot token")
    assert w.secrets.get("shared code")
    leaked = []
    for kind, values in sorted(w.secrets.items()):
        for value in values:
            if kind == "PIN":
                if re.search(rf"(?<![0-9A-Za-z]){value}(?![0-9A-Za-z])", logs):
                    leaked.append(f"a {kind} in the logs")
                continue
            leaked += [
                f"a {kind} in the {where}"
                for where, text in (("logs", logs), ("database", dump))
                if value in text
            ]
    # Named by kind only: the failure message must not print the secret either.
    assert not leaked, sorted(set(leaked))
