"""bot/slack/clients.py and tokens.py: each workspace's token for background work, refreshed.

The installs hold tokens the stand-in Slack issued (token rotation on), and refreshes go to its
oauth.v2.access as SLACK_API_URL.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.domain import Installation, Requester, Workspace
from bot.slack.clients import Clients
from bot.slack.installs import BOT_SCOPES
from bot.slack.tokens import Tokens
from tests.support import FakeSlack
from tests.support.doubles import MemoryWorkspaces, installation

SOON = timedelta(minutes=30)  # within the two hours before expiry when a token is refreshed
TEAM_A, TEAM_B = Workspace("", "T0A"), Workspace("", "T0B")


@pytest.fixture
def slack(slack: FakeSlack) -> FakeSlack:
    """The stand-in Slack playing T0A, T0B and the org E0GRID (its team T0GRIDTEAM)."""
    slack.add_workspace("T0A", name="Team A")
    slack.add_workspace("T0B", name="Team B")
    slack.add_workspace("T0GRIDTEAM", name="Grid Team", enterprise_id="E0GRID")
    return slack


@pytest.fixture
def kept() -> MemoryWorkspaces:
    return MemoryWorkspaces()


def tokens_for(kept: MemoryWorkspaces, slack: FakeSlack) -> Tokens:
    client = WebClient(base_url=slack.api_url, timeout=2)
    rotator = TokenRotator(
        client_id=slack.client_id, client_secret=slack.client_secret, client=client
    )
    return Tokens(kept, rotator)


def clients_for(kept: MemoryWorkspaces, slack: FakeSlack) -> Clients:
    return Clients.installed(tokens_for(kept, slack).install_of, slack_api_url=slack.api_url)


def token_of(clients: Clients, who: Requester) -> str | None:
    side = clients.for_(who)
    return None if side is None else side.client.token


def installed(slack: FakeSlack, workspace: Workspace) -> Installation:
    """An install the stand-in Slack made in workspace, as lenspin keeps it."""
    record = slack.install(
        workspace.team_id or "T0GRIDTEAM", scopes=BOT_SCOPES, org_wide=workspace.org_wide
    )
    return installation(workspace, bot_token=record.bot_token)


def expiring(slack: FakeSlack, workspace: Workspace, *, within: timedelta = SOON) -> Installation:
    """A rotating install whose token expires within this, as lenspin kept it."""
    slack.enable_token_rotation()
    record = slack.install(workspace.team_id, scopes=BOT_SCOPES)
    return installation(
        workspace,
        bot_token=record.bot_token,
        refresh_token=record.refresh_token,
        expires_at=datetime.now(UTC) + within,
    )


def refreshes(slack: FakeSlack) -> list[str]:
    """The refresh tokens lenspin handed oauth.v2.access, each answered ok."""
    calls = slack.calls_to("oauth.v2.access")
    assert all(c.args["grant_type"] == "refresh_token" and c.error is None for c in calls)
    return [c.args["refresh_token"] for c in calls]


def test_each_workspace_gets_its_own_token(
    slack: FakeSlack, kept: MemoryWorkspaces, caplog: pytest.LogCaptureFixture
) -> None:
    team_a, team_b = installed(slack, TEAM_A), installed(slack, TEAM_B)
    grid = installed(slack, Workspace("E0GRID", ""))
    for install in (team_a, team_b, grid):
        kept.save_installation(install)
    clients = clients_for(kept, slack)
    assert token_of(clients, Requester("T0A", "U1")) == team_a.bot_token
    assert token_of(clients, Requester("T0B", "U1")) == team_b.bot_token
    # A team of an org installed org-wide uses the org's install.
    assert token_of(clients, Requester("T0GRIDTEAM", "U1", "E0GRID")) == grid.bot_token
    side = clients.for_(Requester("T0A", "U1"))
    assert side is not None
    assert side.client.base_url == slack.api_url
    assert side.client.auth_test()["team_id"] == "T0A"
    assert side.lookups is not None
    caplog.set_level(logging.INFO, logger="bot.slack.clients")
    assert clients.for_(Requester("T0GONE", "U1")) is None
    (line,) = [r.getMessage() for r in caplog.records if r.name == "bot.slack.clients"]
    assert "team=T0GONE" in line
    assert "xoxb" not in line
    assert refreshes(slack) == []  # nothing needed refreshing


def test_one_workspace_has_the_same_clients_for_everyone(slack: FakeSlack) -> None:
    clients = Clients.single(slack.bot_token, slack_api_url=slack.api_url)
    first = clients.for_(Requester("T0A", "U1"))
    assert first is not None
    assert first.client.token == slack.bot_token
    assert clients.for_(Requester("T0ANY", "U2")) is first


def test_an_expiring_token_is_refreshed_and_kept(slack: FakeSlack, kept: MemoryWorkspaces) -> None:
    old = expiring(slack, TEAM_A)
    kept.save_installation(old)
    clients = clients_for(kept, slack)
    fresh = token_of(clients, Requester("T0A", "U1"))
    # The client credentials were right (the stand-in refuses others), and the token is new.
    assert refreshes(slack) == [old.bot_refresh_token]
    now = slack.installation("T0A")
    assert now is not None
    assert fresh == now.bot_token != old.bot_token
    assert slack.token_status(fresh) == "ok"
    saved = kept.find_installation(TEAM_A)
    assert saved is not None
    assert saved.bot_token == fresh
    assert saved.bot_refresh_token == now.refresh_token != old.bot_refresh_token
    assert saved.bot_token_expires_at is not None
    assert saved.bot_token_expires_at > datetime.now(UTC) + timedelta(hours=11)
    # Fresh now: the next piece of work uses it as it is.
    assert token_of(clients, Requester("T0A", "U1")) == fresh
    assert len(refreshes(slack)) == 1


def test_a_token_far_from_expiry_is_not_refreshed(slack: FakeSlack, kept: MemoryWorkspaces) -> None:
    later = expiring(slack, TEAM_A, within=timedelta(hours=5))
    kept.save_installation(later)
    assert token_of(clients_for(kept, slack), Requester("T0A", "U1")) == later.bot_token
    assert refreshes(slack) == []


def test_one_refresh_for_many_threads(slack: FakeSlack, kept: MemoryWorkspaces) -> None:
    kept.save_installation(expiring(slack, TEAM_A))
    clients = clients_for(kept, slack)
    got: list[str | None] = []
    start = threading.Barrier(6)

    def work() -> None:
        start.wait()
        got.append(token_of(clients, Requester("T0A", "U1")))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(got) == 6
    assert len(set(got)) == 1
    assert len(refreshes(slack)) == 1


def test_a_refresh_another_process_made_first_is_used(
    slack: FakeSlack, kept: MemoryWorkspaces
) -> None:
    stale = expiring(slack, TEAM_A)
    kept.save_installation(stale)
    # Another process sharing the database refreshed it first: the store holds the new token,
    # and the old refresh token is spent.
    newer = tokens_for(kept, slack).fresh(stale)
    assert newer is not None
    assert newer.bot_token != stale.bot_token
    fresh = tokens_for(kept, slack).fresh(stale)
    assert fresh == newer
    assert refreshes(slack) == [stale.bot_refresh_token]


def test_a_refused_refresh_keeps_a_token_that_still_works_and_drops_an_expired_one(
    slack: FakeSlack, kept: MemoryWorkspaces, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    valid = expiring(slack, TEAM_A)
    gone = expiring(slack, TEAM_B, within=-SOON)
    # Slack refuses both refresh tokens: each was spent behind lenspin's back.
    for install in (valid, gone):
        WebClient(base_url=slack.api_url).oauth_v2_access(
            client_id=slack.client_id,
            client_secret=slack.client_secret,
            grant_type="refresh_token",
            refresh_token=install.bot_refresh_token,
        )
    kept.save_installation(valid)
    kept.save_installation(gone)
    clients = clients_for(kept, slack)
    assert token_of(clients, Requester("T0A", "U1")) == valid.bot_token
    assert token_of(clients, Requester("T0B", "U1")) is None
    refused = slack.calls_to("oauth.v2.access")[2:]
    assert [c.error for c in refused] == ["invalid_refresh_token"] * 2
    failures = [r.getMessage() for r in caplog.records if "Refreshing" in r.getMessage()]
    assert failures == [
        "Refreshing the token of team=T0A failed: invalid_refresh_token",
        "Refreshing the token of team=T0B failed: invalid_refresh_token",
    ]
    assert "xoxe" not in caplog.text
