"""Several workspaces in one lenspin: each request on its install's token, uninstall forgets.

Each workspace is installed through 'Add to Slack' and the stand-in Slack's authorize step, so
each has a token of its own, which the stand-in refuses for any other workspace's triggers,
users and channels. Slack's uninstall reaches the app over HTTP: the web process's WSGI app is
served on loopback for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain import LinkSource, Workspace
from bot.slack import ids
from bot.texts import install as install_texts
from bot.web import SLACK_PATH
from tests.support import FakeSlack, MemoryStore
from tests.support.inprocess import TECH, WAIT, InProcessBot, in_process_bot
from tests.support.served import WsgiApp

OTHER_TEAM, OTHER_TECH = "T0OTHER", "U0OTHERTECH"
# An Enterprise Grid org installed org-wide (through its first team), used from another team.
GRID, GRID_HQ, GRID_TEAM, GRID_TECH = "E0GRID", "T0GRIDHQ", "T0GRIDTEAM", "W0GRIDTECH"


@pytest.fixture
def bot(slack: FakeSlack) -> Iterator[InProcessBot]:
    """Installed in the stand-in Slack's own workspace and in OTHER_TEAM."""
    slack.add_workspace(OTHER_TEAM, name="Other Shop")
    installs = [Workspace(team_id=slack.team_id), Workspace(team_id=OTHER_TEAM)]
    with in_process_bot(slack, workspaces=installs) as bot:
        yield bot


@pytest.fixture
def grid(slack: FakeSlack) -> Iterator[InProcessBot]:
    """Installed org-wide in GRID; its requests come from GRID_TEAM, not the installing team."""
    for team_id in (GRID_HQ, GRID_TEAM):
        slack.add_workspace(team_id, name=team_id, enterprise_id=GRID, enterprise_name="Grid")
    with in_process_bot(slack, workspaces=[Workspace(GRID, "")]) as bot:
        yield bot.from_team(GRID_TEAM)


def token_of(slack: FakeSlack, team_id: str | None = None, *, enterprise_id: str = "") -> str:
    """The bot token the stand-in Slack issued to the install of team_id (or of the org)."""
    made = slack.installation(team_id, enterprise_id=enterprise_id or None)
    assert made is not None
    assert made.installed
    return made.bot_token


def uninstall(slack: FakeSlack, bot: InProcessBot, *, enterprise_id: str | None = None) -> None:
    """Uninstall lenspin from the stand-in's own workspace (or with enterprise_id, that org) as
    Slack does: tokens revoked, then its signed events, each acked."""
    with WsgiApp(bot.web) as served:
        answers = slack.uninstall(served.url + SLACK_PATH, enterprise_id=enterprise_id)
    assert [(a.status, a.body) for a in answers] == [(200, ""), (200, "")]


UNINSTALLED = {"type": "app_uninstalled"}


def revoked(*, bots: list[str], users: list[str] | None = None) -> dict[str, Any]:
    return {"type": "tokens_revoked", "tokens": {"oauth": users or [], "bot": bots}}


def save_link(bot: InProcessBot, team_id: str, user_id: str) -> None:
    bot.store.save_link(
        team_id=team_id,
        user_id=user_id,
        auth_code=f"{user_id}-code",
        email="t@example.com",
        organization="Example",
        source=LinkSource.TOKEN,
    )


def test_each_request_carries_its_own_workspaces_token(slack: FakeSlack, bot: InProcessBot) -> None:
    before = len(slack.calls)
    ours = bot.click(TECH, ids.HOME_CONNECT_ACTION)
    assert ours.response.status == 200
    opened = bot.opened_with(ours.trigger_id)
    assert (opened.token, opened.error) == (token_of(slack), None)
    # The background work after it (the connect page's link) is on that install's token.
    updated = slack.wait_for_call("views.update", timeout=WAIT)
    assert (updated.token, updated.error) == (token_of(slack), None)
    other = bot.from_team(OTHER_TEAM).click(OTHER_TECH, ids.HOME_CONNECT_ACTION)
    assert other.response.status == 200
    # A trigger of OTHER_TEAM works with its token only: the stand-in refuses any other.
    theirs = bot.opened_with(other.trigger_id)
    assert (theirs.token, theirs.error) == (token_of(slack, OTHER_TEAM), None)
    bot.settle()
    # Authorizing asked Slack nothing (no auth.test before the ack), and each workspace's calls
    # (the form, then the names on the connect page and its link) went with its own token.
    for team_id in (None, OTHER_TEAM):
        used = [c for c in slack.calls[before:] if c.token == token_of(slack, team_id)]
        assert used[0].method == "views.open"
        assert sorted(c.method for c in used) == [
            "auth.test",
            "users.info",
            "views.open",
            "views.update",
        ]
        assert [c.error for c in used] == [None] * 4
    assert all(
        c.token in (token_of(slack), token_of(slack, OTHER_TEAM)) for c in slack.calls[before:]
    )


def test_a_workspace_without_an_install_gets_the_plain_refusal(
    slack: FakeSlack, bot: InProcessBot
) -> None:
    slack.add_workspace("T0NOBODY", name="Nobody's")
    before = len(slack.calls)
    sent = bot.from_team("T0NOBODY").command("U0NOBODYTECH", "help")
    assert sent.response.status == 200
    post = slack.wait_for_response_post(sent.response_url, timeout=WAIT)
    assert post.body["text"] == install_texts.NOT_INSTALLED
    bot.settle()
    # No listener ran, and no Slack call was made for it.
    assert slack.calls[before:] == []


def test_an_org_wide_install_serves_every_team_of_the_org(
    slack: FakeSlack, grid: InProcessBot
) -> None:
    assert grid.global_shortcut(GRID_TECH).response.status == 200
    # Nobody may use a shared code in a new workspace: the refusal goes as a DM, on the
    # org's token.
    dm = slack.wait_for_call("chat.postMessage", timeout=WAIT)
    assert (dm.token, dm.error) == (token_of(slack, enterprise_id=GRID), None)


def test_app_uninstalled_forgets_the_workspace_and_its_people(
    slack: FakeSlack, bot: InProcessBot
) -> None:
    save_link(bot, slack.team_id, TECH)
    save_link(bot, OTHER_TEAM, OTHER_TECH)
    ours = token_of(slack)
    uninstall(slack, bot)
    assert slack.token_status(ours) == "token_revoked"
    installs = bot.store.installs
    assert installs.wait_forgotten() == [Workspace("", slack.team_id)]
    assert installs.find_installation(Workspace("", slack.team_id)) is None
    assert bot.store.get_link(slack.team_id, TECH) is None
    # The other workspace keeps its install and its people.
    assert installs.find_installation(Workspace("", OTHER_TEAM)) is not None
    assert bot.store.get_link(OTHER_TEAM, OTHER_TECH) is not None
    # Slack may send the event again (a retry): the install is gone, the answer the same.
    answer = bot.event(UNINSTALLED)
    assert (answer.status, answer.body) == (200, "")
    after = bot.command(TECH, "help")
    post = slack.wait_for_response_post(after.response_url, timeout=WAIT)
    assert post.body["text"] == install_texts.NOT_INSTALLED
    # The other workspace is served as before.
    theirs = bot.from_team(OTHER_TEAM).command(OTHER_TECH, "help")
    assert theirs.response.status == 200
    assert theirs.response.body != ""  # /lenspin help is answered in the ack


def test_tokens_revoked_forgets_the_workspace_only_for_the_bots_token(
    slack: FakeSlack, bot: InProcessBot
) -> None:
    installed = slack.installation()
    assert installed is not None
    assert bot.event(revoked(bots=[], users=["U0SOMEONE"])).status == 200
    assert bot.event(revoked(bots=[installed.bot_user_id])).status == 200
    assert bot.store.installs.wait_forgotten() == [Workspace("", bot.team_id)]
    bot.settle()
    assert bot.store.installs.forgotten == [Workspace("", bot.team_id)]


def test_an_org_wide_uninstall_forgets_the_org(slack: FakeSlack, grid: InProcessBot) -> None:
    uninstall(slack, grid, enterprise_id=GRID)
    assert grid.store.installs.wait_forgotten() == [Workspace(GRID, "")]
    assert grid.store.installs.installations() == []


def test_one_workspace_forgets_its_people_when_uninstalled(slack: FakeSlack) -> None:
    store = MemoryStore()
    with in_process_bot(slack, store=store) as bot:
        save_link(bot, slack.team_id, TECH)
        uninstall(slack, bot)
        assert store.installs.wait_forgotten() == [Workspace("", slack.team_id)]
        assert store.get_link(slack.team_id, TECH) is None


def test_a_request_refreshes_its_installs_token_before_it_expires(slack: FakeSlack) -> None:
    slack.add_workspace("T0ROTATE", name="Rotating")
    # Under the two hours before expiry when lenspin refreshes: due from the install on.
    slack.enable_token_rotation(lifetime=30 * 60)
    with in_process_bot(slack, workspaces=[Workspace("", "T0ROTATE")]) as bot:
        installed = slack.installation("T0ROTATE")
        assert installed is not None
        # Tokens issued from now on last Slack's twelve hours.
        slack.enable_token_rotation()
        answer = bot.from_team("T0ROTATE").command("U0ROTATETECH", "help")
        assert answer.response.status == 200
        assert answer.response.body != ""  # /lenspin help is answered in the ack
    refresh = slack.calls_to("oauth.v2.access")[-1]
    assert (refresh.args["grant_type"], refresh.error) == ("refresh_token", None)
    assert refresh.args["refresh_token"] == installed.refresh_token
    assert slack.token_refreshes == 1
    kept = bot.store.installs.find_installation(Workspace("", "T0ROTATE"))
    assert kept is not None
    assert kept.bot_token == token_of(slack, "T0ROTATE") != installed.bot_token
    assert kept.bot_refresh_token not in ("", installed.refresh_token)
    assert kept.bot_token_expires_at is not None
    assert kept.bot_token_expires_at > datetime.now(UTC) + timedelta(hours=11)
