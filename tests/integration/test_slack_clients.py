"""bot/slack/clients.py and tokens.py: each workspace's token for background work, refreshed.

Refreshes go to a loopback oauth.v2.access (tests/support/oauth_standin.py) as SLACK_API_URL.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.domain import Installation, Requester, Workspace
from bot.slack.clients import Clients
from bot.slack.tokens import Tokens
from tests.support.oauth_bot import installation
from tests.support.oauth_standin import CLIENT_ID, CLIENT_SECRET, OAuthSlack, oauth_slack
from tests.support.workspaces_double import MemoryWorkspaces

SOON = timedelta(minutes=30)  # within the two hours before expiry when a token is refreshed


@pytest.fixture
def oauth() -> Iterator[OAuthSlack]:
    with oauth_slack() as server:
        yield server


@pytest.fixture
def kept() -> MemoryWorkspaces:
    return MemoryWorkspaces()


def tokens_for(kept: MemoryWorkspaces, oauth: OAuthSlack) -> Tokens:
    client = WebClient(base_url=oauth.api_url, timeout=2)
    rotator = TokenRotator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, client=client)
    return Tokens(kept, rotator)


def clients_for(kept: MemoryWorkspaces, oauth: OAuthSlack) -> Clients:
    return Clients.installed(tokens_for(kept, oauth).install_of, slack_api_url=oauth.api_url)


def token_of(clients: Clients, who: Requester) -> str | None:
    side = clients.for_(who)
    return None if side is None else side.client.token


def expiring(
    team: str, token: str, refresh: str, oauth: OAuthSlack, *, within: timedelta = SOON
) -> Installation:
    oauth.refresh_tokens[refresh] = team
    expires_at = datetime.now(UTC) + within
    return installation(team, token, refresh_token=refresh, expires_at=expires_at)


def test_each_workspace_gets_its_own_token(
    kept: MemoryWorkspaces, oauth: OAuthSlack, caplog: pytest.LogCaptureFixture
) -> None:
    kept.save_installation(installation("T0A", "xoxb-team-a"))
    kept.save_installation(installation("T0B", "xoxb-team-b"))
    kept.save_installation(installation("", "xoxb-grid-org", enterprise_id="E0GRID"))
    clients = clients_for(kept, oauth)
    assert token_of(clients, Requester("T0A", "U1")) == "xoxb-team-a"
    assert token_of(clients, Requester("T0B", "U1")) == "xoxb-team-b"
    # A team of an org installed org-wide uses the org's install.
    assert token_of(clients, Requester("T0GRIDTEAM", "U1", "E0GRID")) == "xoxb-grid-org"
    side = clients.for_(Requester("T0A", "U1"))
    assert side is not None
    assert side.client.base_url == oauth.api_url
    assert side.lookups is not None
    caplog.set_level(logging.INFO, logger="bot.slack.clients")
    assert clients.for_(Requester("T0GONE", "U1")) is None
    (line,) = [r.getMessage() for r in caplog.records if r.name == "bot.slack.clients"]
    assert "team=T0GONE" in line
    assert "xoxb" not in line
    assert oauth.calls == []  # nothing needed refreshing


def test_one_workspace_has_the_same_clients_for_everyone(oauth: OAuthSlack) -> None:
    clients = Clients.single("xoxb-the-one", slack_api_url=oauth.api_url)
    first = clients.for_(Requester("T0A", "U1"))
    assert first is not None
    assert first.client.token == "xoxb-the-one"
    assert clients.for_(Requester("T0ANY", "U2")) is first


def test_an_expiring_token_is_refreshed_and_kept(kept: MemoryWorkspaces, oauth: OAuthSlack) -> None:
    kept.save_installation(expiring("T0A", "xoxe.xoxb-old", "xoxe-1-old", oauth))
    clients = clients_for(kept, oauth)
    fresh = token_of(clients, Requester("T0A", "U1"))
    assert fresh is not None
    assert fresh.startswith("xoxe.xoxb-refreshed-")
    (call,) = oauth.calls_to("oauth.v2.access")
    assert call.client == f"{CLIENT_ID}:{CLIENT_SECRET}"
    assert call.fields["grant_type"] == "refresh_token"
    assert call.fields["refresh_token"] == "xoxe-1-old"
    saved = kept.find_installation(Workspace("", "T0A"))
    assert saved is not None
    assert saved.bot_token == fresh
    assert saved.bot_refresh_token not in ("", "xoxe-1-old")
    assert saved.bot_token_expires_at is not None
    assert saved.bot_token_expires_at > datetime.now(UTC) + timedelta(hours=11)
    # Fresh now: the next piece of work uses it as it is.
    assert token_of(clients, Requester("T0A", "U1")) == fresh
    assert len(oauth.calls_to("oauth.v2.access")) == 1


def test_a_token_far_from_expiry_is_not_refreshed(
    kept: MemoryWorkspaces, oauth: OAuthSlack
) -> None:
    later = timedelta(hours=5)
    kept.save_installation(expiring("T0A", "xoxe.xoxb-old", "xoxe-1-old", oauth, within=later))
    assert token_of(clients_for(kept, oauth), Requester("T0A", "U1")) == "xoxe.xoxb-old"
    assert oauth.calls == []


def test_one_refresh_for_many_threads(kept: MemoryWorkspaces, oauth: OAuthSlack) -> None:
    kept.save_installation(expiring("T0A", "xoxe.xoxb-old", "xoxe-1-old", oauth))
    clients = clients_for(kept, oauth)
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
    assert len(oauth.calls_to("oauth.v2.access")) == 1


def test_a_refresh_another_process_made_first_is_used(
    kept: MemoryWorkspaces, oauth: OAuthSlack
) -> None:
    stale = expiring("T0A", "xoxe.xoxb-old", "xoxe-1-old", oauth)
    # Another process refreshed it: the store holds the new token, and the old refresh token
    # is spent.
    newer = installation(
        "T0A",
        "xoxe.xoxb-by-another",
        refresh_token="xoxe-1-theirs",
        expires_at=datetime.now(UTC) + timedelta(hours=12),
    )
    kept.save_installation(newer)
    del oauth.refresh_tokens["xoxe-1-old"]
    fresh = tokens_for(kept, oauth).fresh(stale)
    assert fresh == newer
    assert oauth.calls == []


def test_a_refused_refresh_keeps_a_token_that_still_works_and_drops_an_expired_one(
    kept: MemoryWorkspaces, oauth: OAuthSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    valid = expiring("T0A", "xoxe.xoxb-still-good", "xoxe-1-revoked", oauth)
    gone = expiring("T0B", "xoxe.xoxb-expired", "xoxe-1-revoked-too", oauth, within=-SOON)
    oauth.refresh_tokens.clear()  # Slack refuses both refresh tokens
    kept.save_installation(valid)
    kept.save_installation(gone)
    clients = clients_for(kept, oauth)
    assert token_of(clients, Requester("T0A", "U1")) == "xoxe.xoxb-still-good"
    assert token_of(clients, Requester("T0B", "U1")) is None
    assert len(oauth.calls_to("oauth.v2.access")) == 2
    failures = [r.getMessage() for r in caplog.records if "Refreshing" in r.getMessage()]
    assert failures == [
        "Refreshing the token of team=T0A failed: invalid_refresh_token",
        "Refreshing the token of team=T0B failed: invalid_refresh_token",
    ]
    assert "xoxe" not in caplog.text
