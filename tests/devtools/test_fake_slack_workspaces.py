"""The fake Slack plays several workspaces: each token sees only its own, requests say theirs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from devtools.fake_slack import FakeSlack
from tests.devtools.fake_slack_support import AppSink, error_of, installed_client

HOME_USER = "U0HOME"
SECOND_USER = "U0SECOND"
HOME_TAB = {"type": "home", "blocks": [{"type": "divider"}]}
MODAL = {
    "type": "modal",
    "callback_id": "m",
    "title": {"type": "plain_text", "text": "Lens PIN"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}],
}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        running.add_workspace("T0SECOND", name="Second Shop")
        running.add_workspace(
            "T0GRIDA", name="Grid A", enterprise_id="E0GRID", enterprise_name="Grid"
        )
        running.add_workspace(
            "T0GRIDB", name="Grid B", enterprise_id="E0GRID", enterprise_name="Grid"
        )
        running.add_user(SECOND_USER, team_id="T0SECOND")
        yield running


@pytest.fixture
def home(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


@pytest.fixture
def second(fake: FakeSlack) -> WebClient:
    return installed_client(fake, "T0SECOND")


@pytest.fixture
def sink() -> Iterator[AppSink]:
    with AppSink() as running:
        yield running


# --- users ---------------------------------------------------------------------------------------


def test_users_have_a_workspace_and_a_role(fake: FakeSlack, home: WebClient) -> None:
    fake.add_user("U0OWNER", team_id="T0SECOND", owner=True, real_name="Olga Owner")
    fake.add_user("U0ADMIN", admin=True)
    owner = installed_client(fake, "T0SECOND").users_info(user="U0OWNER")["user"]
    assert (owner["team_id"], owner["real_name"]) == ("T0SECOND", "Olga Owner")
    assert (owner["is_admin"], owner["is_owner"], owner["is_primary_owner"]) == (True, True, True)
    admin = home.users_info(user="U0ADMIN")["user"]
    assert (admin["team_id"], admin["is_admin"], admin["is_owner"]) == ("T0LENSPIN", True, False)
    nobody = home.users_info(user="U0NEVERADDED")["user"]
    assert (nobody["team_id"], nobody["is_admin"], nobody["is_primary_owner"]) == (
        "T0LENSPIN",
        False,
        False,
    )
    assert "enterprise_user" not in nobody


def test_an_org_tells_its_own_roles_and_members_of_several_workspaces_apart(
    fake: FakeSlack,
) -> None:
    fake.add_user("W0WSADMIN", team_id="T0GRIDA", admin=True, also_in=["T0GRIDB"])
    fake.add_user("W0ORGADMIN", team_id="T0GRIDA", org_admin=True)
    fake.add_user("W0GONE", team_id="T0GRIDB", owner=True, org_owner=True, deleted=True)
    org = installed_client(fake, "T0GRIDA", org_wide=True)
    ws_admin = org.users_info(user="W0WSADMIN")["user"]
    assert (ws_admin["is_admin"], ws_admin["enterprise_user"]["is_admin"]) == (True, False)
    assert ws_admin["enterprise_user"]["teams"] == ["T0GRIDA", "T0GRIDB"]
    org_admin = org.users_info(user="W0ORGADMIN")["user"]
    assert (org_admin["is_admin"], org_admin["enterprise_user"]["is_admin"]) == (False, True)
    gone = org.users_info(user="W0GONE")["user"]
    assert gone["deleted"] is True
    assert (gone["enterprise_user"]["is_owner"], gone["is_primary_owner"]) == (True, True)
    # A member of two of the org's workspaces is seen by either's token, and acts from either.
    only_b = installed_client(fake, "T0GRIDB")
    assert only_b.users_info(user="W0WSADMIN")["user"]["team_id"] == "T0GRIDA"
    assert fake.payload_fields("W0WSADMIN", team_id="T0GRIDB")["user"]["team_id"] == "T0GRIDB"
    assert error_of(lambda: only_b.users_info(user="W0ORGADMIN")) == "user_not_found"
    with pytest.raises(ValueError, match="no other workspace"):
        fake.add_user("U0SOLO", team_id="T0SECOND", also_in=["T0GRIDA"])


def test_a_user_belongs_to_the_workspace_they_first_acted_in(fake: FakeSlack) -> None:
    assert fake.payload_fields("U0NEW", team_id="T0GRIDA")["user"]["team_id"] == "T0GRIDA"
    # Later requests as them, and their details, stay in that workspace.
    assert fake.payload_fields("U0NEW")["team"]["id"] == "T0GRIDA"
    fake.add_user("U0NEW", real_name="New Person")
    org = installed_client(fake, "T0GRIDA", org_wide=True)
    assert org.users_info(user="U0NEW")["user"]["team_id"] == "T0GRIDA"
    with pytest.raises(ValueError, match="belongs to workspace T0GRIDA"):
        fake.payload_fields("U0NEW", team_id="T0LENSPIN")


# --- tokens see only their workspace -------------------------------------------------------------


def test_another_workspaces_users_do_not_exist_for_a_token(
    fake: FakeSlack, home: WebClient, second: WebClient
) -> None:
    assert error_of(lambda: home.users_info(user=SECOND_USER)) == "user_not_found"
    assert error_of(lambda: second.users_info(user=HOME_USER)) == "user_not_found"
    assert error_of(lambda: second.conversations_open(users=HOME_USER)) == "user_not_found"
    assert error_of(lambda: second.chat_postMessage(channel=HOME_USER, text="x")) == (
        "channel_not_found"
    )
    general = fake.general_channel("T0SECOND")
    assert error_of(
        lambda: second.chat_postEphemeral(channel=general, user=HOME_USER, text="x")
    ) == ("user_not_in_channel")
    with pytest.raises(SlackApiError) as refused:
        second.views_publish(user_id=HOME_USER, view=HOME_TAB)
    assert refused.value.response.data == {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {"messages": ["invalid `user_id`"]},
    }
    # Each workspace's own people are there for its token.
    assert second.users_info(user=SECOND_USER)["user"]["team_id"] == "T0SECOND"
    dm = second.conversations_open(users=SECOND_USER)["channel"]["id"]
    assert dm == fake.dm_channel_id(SECOND_USER) != fake.dm_channel_id(HOME_USER)
    assert second.chat_postMessage(channel=dm, text="hi")["message"]["user"] != fake.bot_user_id
    assert second.chat_postEphemeral(channel=general, user=SECOND_USER, text="x")["ok"]
    assert second.views_publish(user_id=SECOND_USER, view=HOME_TAB)["ok"]
    assert home.views_publish(user_id=HOME_USER, view=HOME_TAB)["ok"]
    # A DM opened in one workspace is no channel of the other.
    assert error_of(lambda: home.chat_postMessage(channel=dm, text="x")) == "channel_not_found"


def test_another_workspaces_channels_and_messages_do_not_exist_for_a_token(
    home: WebClient, second: WebClient
) -> None:
    posted = home.chat_postMessage(channel="C0HOMEONLY", text="first here")
    ts = posted["ts"]
    assert error_of(lambda: second.chat_postMessage(channel="C0HOMEONLY", text="x")) == (
        "channel_not_found"
    )
    assert error_of(
        lambda: second.chat_postEphemeral(channel="C0HOMEONLY", user=SECOND_USER, text="x")
    ) == ("channel_not_found")
    assert error_of(lambda: second.chat_update(channel="C0HOMEONLY", ts=ts, text="x")) == (
        "channel_not_found"
    )
    assert error_of(lambda: second.chat_delete(channel="C0HOMEONLY", ts=ts)) == (
        "channel_not_found"
    )
    assert error_of(lambda: second.chat_getPermalink(channel="C0HOMEONLY", message_ts=ts)) == (
        "channel_not_found"
    )
    assert home.chat_update(channel="C0HOMEONLY", ts=ts, text="edited")["ok"] is True
    assert second.chat_postMessage(channel="C0SECONDONLY", text="x")["ok"] is True
    link = second.chat_getPermalink(channel="C0SECONDONLY", message_ts="1.2")["permalink"]
    assert link.startswith("https://second-shop.slack.com/archives/C0SECONDONLY/")


def test_another_workspaces_views_and_triggers_do_not_exist_for_a_token(
    fake: FakeSlack, home: WebClient, second: WebClient
) -> None:
    home_trigger = fake.new_trigger_id()
    assert error_of(lambda: second.views_open(trigger_id=home_trigger, view=MODAL)) == (
        "invalid_trigger_id"
    )
    opened = home.views_open(trigger_id=home_trigger, view=MODAL)["view"]  # still unused
    assert (opened["team_id"], opened["app_installed_team_id"]) == ("T0LENSPIN", "T0LENSPIN")
    assert error_of(lambda: second.views_update(view_id=opened["id"], view=MODAL)) == "not_found"
    submitted = fake.view_submission_payload(opened, user_id=HOME_USER)
    assert submitted["team"]["id"] == "T0LENSPIN"
    push = submitted["trigger_id"]
    assert error_of(lambda: second.views_push(trigger_id=push, view=MODAL)) == "invalid_trigger_id"
    assert home.views_push(trigger_id=push, view=MODAL)["view"]["previous_view_id"] == opened["id"]
    theirs = second.views_open(trigger_id=fake.new_trigger_id(team_id="T0SECOND"), view=MODAL)
    assert theirs["view"]["team_id"] == "T0SECOND"
    assert second.views_update(view_id=theirs["view"]["id"], view=MODAL)["ok"] is True
    assert error_of(lambda: home.views_update(view_id=theirs["view"]["id"], view=MODAL)) == (
        "not_found"
    )


def test_an_org_wide_token_acts_on_every_team_of_its_org(fake: FakeSlack) -> None:
    org = installed_client(fake, "T0GRIDA", org_wide=True)
    for team_id in ("T0GRIDA", "T0GRIDB"):
        trigger = fake.new_trigger_id(team_id=team_id)
        assert org.views_open(trigger_id=trigger, view=MODAL)["view"]["team_id"] == team_id
    fake.add_user("U0GB", team_id="T0GRIDB")
    assert org.chat_postMessage(channel="U0GB", text="x")["ok"] is True
    trigger = fake.new_trigger_id(team_id="T0SECOND")
    assert error_of(lambda: org.views_open(trigger_id=trigger, view=MODAL)) == "invalid_trigger_id"
    assert error_of(lambda: org.users_info(user=SECOND_USER)) == "user_not_found"


# --- requests come from a workspace --------------------------------------------------------------


def test_commands_come_from_their_workspace(
    fake: FakeSlack, second: WebClient, sink: AppSink
) -> None:
    fake.send_command(sink.url, user_id=HOME_USER)
    _, trigger, url = fake.send_command(sink.url, user_id=SECOND_USER, text="123456")
    installed_client(fake, "T0GRIDA", org_wide=True)
    fake.send_command(sink.url, user_id="U0GRIDUSER", team_id="T0GRIDB")
    at_home, there, in_grid = (r.form() for r in sink.wait_for(3))
    assert "enterprise_id" not in at_home
    assert (at_home["team_id"], at_home["channel_id"]) == ("T0LENSPIN", "C0GENERAL")
    assert at_home["is_enterprise_install"] == "false"
    assert (there["team_id"], there["team_domain"]) == ("T0SECOND", "second-shop")
    assert there["channel_id"] == fake.general_channel("T0SECOND") != "C0GENERAL"
    assert (there["trigger_id"], there["response_url"]) == (trigger, url)
    assert f"{fake.url}/commands/T0SECOND/" in url
    assert second.views_open(trigger_id=trigger, view=MODAL)["ok"] is True
    assert (in_grid["team_id"], in_grid["enterprise_id"]) == ("T0GRIDB", "E0GRID")
    assert (in_grid["enterprise_name"], in_grid["is_enterprise_install"]) == ("Grid", "true")
    with pytest.raises(ValueError, match="channel C0GENERAL belongs to T0LENSPIN"):
        fake.send_command(sink.url, user_id=SECOND_USER, channel_id="C0GENERAL")


def test_interactivity_payloads_carry_the_workspace_and_org(fake: FakeSlack) -> None:
    org = installed_client(fake, "T0GRIDA", org_wide=True)
    opened = org.views_open(trigger_id=fake.new_trigger_id(team_id="T0GRIDA"), view=MODAL)
    payload: dict[str, Any] = fake.view_submission_payload(opened["view"], user_id="U0GA")
    assert payload["team"] == {
        "id": "T0GRIDA",
        "domain": "grid-a",
        "enterprise_id": "E0GRID",
        "enterprise_name": "Grid",
    }
    assert payload["user"]["team_id"] == "T0GRIDA"
    assert payload["enterprise"] == {"id": "E0GRID", "name": "Grid"}
    assert payload["is_enterprise_install"] is True
    assert payload["view"]["team_id"] == "T0GRIDA"
    assert org.views_push(trigger_id=payload["trigger_id"], view=MODAL)["ok"] is True
    plain = fake.payload_fields(SECOND_USER)
    assert (plain["team"], plain["enterprise"], plain["is_enterprise_install"]) == (
        {"id": "T0SECOND", "domain": "second-shop"},
        None,
        False,
    )
    with pytest.raises(ValueError, match="no workspace"):
        fake.payload_fields("U0X", team_id="T0NOWHERE")


def test_unsent_requests_are_those_the_senders_post(fake: FakeSlack, sink: AppSink) -> None:
    body, trigger, url = fake.command_body(user_id=SECOND_USER, text="help")
    form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
    assert (form["team_id"], form["text"]) == ("T0SECOND", "help")
    assert (form["trigger_id"], form["response_url"]) == (trigger, url)
    installed_client(fake, "T0SECOND")
    event = {"type": "app_home_opened", "user": SECOND_USER, "event_ts": "1.0"}
    unsent = json.loads(fake.event_body(event, team_id="T0SECOND"))
    fake.send_event(sink.url, event, team_id="T0SECOND")
    (sent,) = sink.signed(fake.signing_secret, 1)
    installed = fake.installation("T0SECOND")
    assert installed is not None
    for body_of in (unsent, sent):
        assert (body_of["team_id"], body_of["event"]) == ("T0SECOND", event)
        assert body_of["authorizations"][0]["user_id"] == installed.bot_user_id
