"""Several workspaces in one lenspin: each request on its install's token, uninstall forgets.

The fake Slack knows one workspace (its team and bot token); a second install's token is one
it refuses, which is enough to see which token each call carried.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_bolt import BoltResponse

from bot.domain import LinkSource, Workspace
from bot.slack import ids
from bot.texts import install as install_texts
from tests.support import FakeSlack
from tests.support.inprocess import TECH, WAIT, in_process_bot
from tests.support.oauth_bot import TeamBot, installation, multi_bot
from tests.support.oauth_standin import BOT_USER_ID, oauth_slack
from tests.support.workspaces_double import WorkspacesStore

OTHER_TEAM = "T0OTHER"
OTHER_TOKEN = "xoxb-other-workspace-token"
GRID, GRID_TEAM = "E0GRID", "T0GRIDTEAM"
GRID_TOKEN = "xoxb-grid-org-token"


@pytest.fixture
def bot(slack: FakeSlack) -> Iterator[TeamBot]:
    """Installed in the fake Slack's workspace (its own token) and in OTHER_TEAM."""
    store = WorkspacesStore()
    store.kept.save_installation(installation(slack.team_id, slack.bot_token))
    store.kept.save_installation(installation(OTHER_TEAM, OTHER_TOKEN))
    with multi_bot(slack, store=store) as bot:
        yield bot


def event_body(
    event: dict[str, Any], *, team_id: str, enterprise_id: str = "", org_wide: bool = False
) -> str:
    """An Events API callback as Slack sends it to the app, for team (or the org)."""
    authorization: dict[str, Any] = {
        "enterprise_id": enterprise_id or None,
        "team_id": None if org_wide else team_id,
        "user_id": BOT_USER_ID,
        "is_bot": True,
        "is_enterprise_install": org_wide,
    }
    return json.dumps(
        {
            "token": "fake-verification-token",
            "team_id": team_id,
            "enterprise_id": enterprise_id or None,
            "api_app_id": "A0LENSPIN",
            "event": {"event_ts": f"{time.time():.6f}", **event},
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [authorization],
            "is_ext_shared_channel": False,
        }
    )


def send_event(bot: TeamBot, event: dict[str, Any], **where: Any) -> BoltResponse:
    where.setdefault("team_id", bot.team_id)
    return bot.dispatch(event_body(event, **where), content_type="application/json")


UNINSTALLED = {"type": "app_uninstalled"}


def revoked(*, bots: list[str], users: list[str] | None = None) -> dict[str, Any]:
    return {"type": "tokens_revoked", "tokens": {"oauth": users or [], "bot": bots}}


def test_each_request_carries_its_own_workspaces_token(slack: FakeSlack, bot: TeamBot) -> None:
    ours = bot.click(TECH, ids.HOME_CONNECT_ACTION)
    assert ours.response.status == 200
    opened = bot.opened_with(ours.trigger_id)
    assert opened.token == slack.bot_token
    assert opened.error is None
    # The background work after it (names for the connect page) is on that install's token.
    updated = slack.wait_for_call("views.update", timeout=WAIT)
    assert updated.token == slack.bot_token
    assert updated.error is None
    other = bot.from_team(OTHER_TEAM).click(TECH, ids.HOME_CONNECT_ACTION)
    assert other.response.status == 200
    refused = bot.opened_with(other.trigger_id)
    assert refused.token == OTHER_TOKEN
    assert refused.error == "invalid_auth"
    bot.settle()
    # Authorizing asked Slack nothing: the other workspace's token went to views.open only.
    assert [c.method for c in slack.calls if c.token == OTHER_TOKEN] == ["views.open"]


def test_a_workspace_without_an_install_gets_the_plain_refusal(
    slack: FakeSlack, bot: TeamBot
) -> None:
    sent = bot.from_team("T0NOBODY").command(TECH, "help")
    assert sent.response.status == 200
    post = slack.wait_for_response_post(sent.response_url, timeout=WAIT)
    assert post.body["text"] == install_texts.NOT_INSTALLED
    bot.settle()
    # No listener ran, and no Slack call was made for it.
    assert slack.calls == []


def test_an_org_wide_install_serves_every_team_of_the_org(slack: FakeSlack) -> None:
    store = WorkspacesStore()
    store.kept.save_installation(installation("", GRID_TOKEN, enterprise_id=GRID))
    with multi_bot(slack, store=store) as bot:
        payload = {
            "type": "shortcut",
            "callback_id": ids.GLOBAL_SHORTCUT,
            "trigger_id": slack.new_trigger_id(),
            "team": {"id": GRID_TEAM, "domain": "grid", "enterprise_id": GRID},
            "enterprise": {"id": GRID, "name": "Grid Corp"},
            "user": {"id": TECH, "username": "tech", "team_id": GRID_TEAM},
            "token": "fake-verification-token",
            "is_enterprise_install": True,
        }
        assert bot.interact(payload).status == 200
        # Nobody may use a shared code in a new workspace: the refusal goes as a DM, on the
        # org's token.
        dm = slack.wait_for_call("chat.postMessage", timeout=WAIT)
        assert dm.token == GRID_TOKEN


def test_app_uninstalled_forgets_the_workspace_and_its_people(
    slack: FakeSlack, bot: TeamBot
) -> None:
    bot.store.save_link(
        team_id=slack.team_id,
        user_id=TECH,
        auth_code="tech-code",
        email="t@example.com",
        organization="Example",
        source=LinkSource.TOKEN,
    )
    bot.store.save_link(
        team_id=OTHER_TEAM,
        user_id=TECH,
        auth_code="other-code",
        email="t@example.com",
        organization="Other",
        source=LinkSource.TOKEN,
    )
    answer = send_event(bot, UNINSTALLED)
    assert (answer.status, answer.body) == (200, "")
    assert bot.kept.wait_forgotten() == [Workspace("", slack.team_id)]
    assert bot.kept.find_installation(Workspace("", slack.team_id)) is None
    assert bot.store.get_link(slack.team_id, TECH) is None
    # The other workspace keeps its install and its people.
    assert bot.kept.find_installation(Workspace("", OTHER_TEAM)) is not None
    assert bot.store.get_link(OTHER_TEAM, TECH) is not None
    # Slack may send the event again (a retry): the install is gone, the answer the same.
    assert send_event(bot, UNINSTALLED).status == 200
    after = bot.command(TECH, "help")
    post = slack.wait_for_response_post(after.response_url, timeout=WAIT)
    assert post.body["text"] == install_texts.NOT_INSTALLED


def test_tokens_revoked_forgets_the_workspace_only_for_the_bots_token(bot: TeamBot) -> None:
    assert send_event(bot, revoked(bots=[], users=["U0SOMEONE"])).status == 200
    assert send_event(bot, revoked(bots=[BOT_USER_ID])).status == 200
    assert bot.kept.wait_forgotten() == [Workspace("", bot.team_id)]
    bot.settle()
    assert bot.kept.forgotten == [Workspace("", bot.team_id)]


def test_an_org_wide_uninstall_forgets_the_org(slack: FakeSlack) -> None:
    store = WorkspacesStore()
    store.kept.save_installation(installation("", GRID_TOKEN, enterprise_id=GRID))
    with multi_bot(slack, store=store) as bot:
        where = {"team_id": GRID_TEAM, "enterprise_id": GRID, "org_wide": True}
        assert send_event(bot, UNINSTALLED, **where).status == 200
        assert bot.kept.wait_forgotten() == [Workspace(GRID, "")]
        assert bot.kept.installations() == []


def test_one_workspace_forgets_its_people_when_uninstalled(slack: FakeSlack) -> None:
    store = WorkspacesStore()
    with in_process_bot(slack, store=store) as bot:
        store.save_link(
            team_id=slack.team_id,
            user_id=TECH,
            auth_code="tech-code",
            email="t@example.com",
            organization="Example",
            source=LinkSource.TOKEN,
        )
        answer = bot.event(UNINSTALLED)
        assert (answer.status, answer.body) == (200, "")
        assert store.kept.wait_forgotten() == [Workspace("", slack.team_id)]
        assert store.get_link(slack.team_id, TECH) is None


def test_a_request_refreshes_its_installs_token_before_it_expires(slack: FakeSlack) -> None:
    with oauth_slack() as oauth:
        oauth.refresh_tokens["xoxe-1-old"] = "T0ROTATE"
        store = WorkspacesStore()
        soon = datetime.now(UTC) + timedelta(minutes=30)
        expiring = installation(
            "T0ROTATE", "xoxe.xoxb-old", refresh_token="xoxe-1-old", expires_at=soon
        )
        store.kept.save_installation(expiring)
        with multi_bot(slack, store=store, api_url=oauth.api_url) as bot:
            answer = bot.from_team("T0ROTATE").command(TECH, "help")
            assert answer.response.status == 200
            assert answer.response.body != ""  # /lenspin help is answered in the ack
        (refresh,) = oauth.calls_to("oauth.v2.access")
        assert refresh.fields["grant_type"] == "refresh_token"
        assert refresh.fields["refresh_token"] == "xoxe-1-old"
        kept = store.kept.find_installation(Workspace("", "T0ROTATE"))
        assert kept is not None
        assert kept.bot_token.startswith("xoxe.xoxb-refreshed-")
        assert kept.bot_refresh_token != "xoxe-1-old"
        assert kept.bot_token_expires_at is not None
        assert kept.bot_token_expires_at > soon + timedelta(hours=10)
