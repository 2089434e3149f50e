"""The Admin section and its settings modal, in-process, serving several workspaces: admins only
(Slack asked each time), the workspace from the signed request, never from the view or button.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import BoltResponse
from slack_sdk import WebClient

from bot import texts
from bot.domain import Policy, Workspace
from bot.fields import NAME
from bot.slack import ids
from bot.slack.installs import BOT_SCOPES
from bot.slack.io.users import Lookups
from bot.texts import admin as words
from devtools.fake_slack import view_errors
from tests.support import FakeSlack
from tests.support.inprocess import TECH, InProcessBot, in_process_bot

ADMIN = "U0SCENADMIN"
OWNER = "U0SCENOWNER"
SECRET_CODE = "alpha-shared-code-never-shown"
SECRET_SSO = "alpha-sso-password-never-shown"
OTHER_TEAM = "T0OTHERTEAM"
# An admin of OTHER_TEAM, and someone of it who is none.
OTHER_ADMIN, OTHER_TECH = "U0OTHERADMIN", "U0OTHERTECH"


@pytest.fixture
def several(slack: FakeSlack) -> Iterator[InProcessBot]:
    """lenspin serving several workspaces: the stand-in's own and another, both installed."""
    slack.add_workspace(OTHER_TEAM, name="Other Team")
    slack.add_user(ADMIN, admin=True)
    slack.add_user(OWNER, owner=True)
    slack.add_user(OTHER_ADMIN, team_id=OTHER_TEAM, admin=True)
    installs = [Workspace(team_id=slack.team_id), Workspace(team_id=OTHER_TEAM)]
    with in_process_bot(slack, workspaces=installs) as bot:
        yield bot


def home_of(bot: InProcessBot, user_id: str) -> dict[str, Any]:
    response = bot.event({"type": "app_home_opened", "user": user_id, "tab": "home"})
    assert response.status == 200
    return bot.published_home(user_id)


def action_ids(view: dict[str, Any]) -> set[str]:
    return {
        element["action_id"]
        for block in view["blocks"]
        if block.get("type") == "actions"
        for element in block["elements"]
    }


def open_settings(bot: InProcessBot, user_id: str) -> dict[str, Any]:
    """Click Change settings; the modal opened with that click's trigger."""
    sent = bot.click(user_id, ids.ADMIN_OPEN_ACTION)
    assert sent.response.status == 200
    view: dict[str, Any] = bot.opened_with(sent.trigger_id).args["view"]
    return view


def answer_of(response: BoltResponse) -> dict[str, Any]:
    assert response.status == 200
    body: dict[str, Any] = json.loads(response.body)
    return body


def notice_text(view: dict[str, Any]) -> str:
    assert view_errors(view) == []
    return str(view["blocks"][0]["text"]["text"])


def test_an_admin_sees_the_section_changes_settings_and_the_change_is_recorded(
    several: InProcessBot,
) -> None:
    bot, workspaces = several, several.store.installs
    home = home_of(bot, ADMIN)
    assert ids.ADMIN_OPEN_ACTION in action_ids(home)
    assert words.CODE_NOT_SET in json.dumps(home)
    modal = open_settings(bot, ADMIN)
    assert view_errors(modal) == []
    values = {
        ids.ADMIN_USERS_MODE_BLOCK: ids.ADMIN_USERS_CHOSEN,
        ids.ADMIN_USERS_BLOCK: [TECH],
        ids.ADMIN_CODE_BLOCK: SECRET_CODE,
        ids.ADMIN_SSO_COMPANY_BLOCK: "1234",
        ids.ADMIN_SSO_PASSWORD_BLOCK: SECRET_SSO,
        ids.admin_label_block(NAME): "Caller <&> name",
        ids.ADMIN_LANGUAGE_BLOCK: "de",
        ids.ADMIN_AUDIT_DAYS_BLOCK: "14",
    }
    answer = answer_of(bot.submit(modal, user_id=ADMIN, values=values))
    assert answer["response_action"] == "update"
    assert notice_text(answer["view"]) == words.SAVING
    saved = bot.slack.wait_for_call(
        "views.update", lambda c: words.SAVED in json.dumps(c.args["view"])
    )
    assert saved.error is None
    workspace = Workspace(team_id=bot.team_id)
    assert workspaces.get_policy(workspace) == Policy(
        allowed_users=frozenset({TECH}),
        shared_code=SECRET_CODE,
        sso_company_id="1234",
        sso_password=SECRET_SSO,
        labels={NAME: "Caller <&> name"},
        customer_language="de",
        audit_days=14,
    )
    [change] = workspaces.changes
    assert (change.workspace, change.changed_by.user_id) == (workspace, ADMIN)
    assert "shared_code" in change.changed
    assert "shared_code" not in change.values
    # The other workspace keeps a new install's settings.
    assert workspaces.get_policy(Workspace(team_id=OTHER_TEAM)) is None
    # The refreshed Home tab says what changed and who did, and no secret reached Slack.
    refreshed = bot.slack.wait_for_call(
        "views.publish",
        lambda c: c.args.get("user_id") == ADMIN and f"<@{ADMIN}> changed" in json.dumps(c.args),
    )
    assert refreshed.error is None
    sent = json.dumps([c.args for c in bot.slack.calls])
    assert SECRET_CODE not in sent
    assert SECRET_SSO not in sent


def test_the_pin_form_follows_the_workspaces_labels_language_and_shared_code(
    several: InProcessBot,
) -> None:
    bot = several
    modal = open_settings(bot, OWNER)
    values = {
        ids.ADMIN_USERS_MODE_BLOCK: ids.ADMIN_USERS_EVERYONE,
        ids.ADMIN_CODE_BLOCK: SECRET_CODE,
        ids.admin_label_block(NAME): "Caller",
        ids.ADMIN_LANGUAGE_BLOCK: "fr",
    }
    assert answer_of(bot.submit(modal, user_id=OWNER, values=values))["response_action"] == "update"
    bot.slack.wait_for_call("views.update", lambda c: words.SAVED in json.dumps(c.args["view"]))
    form = bot.open_pin_form(TECH, "Jane")
    labels = [b["label"]["text"] for b in form.view["blocks"] if b["type"] == "input"]
    assert labels[0] == "Caller"
    assert bot.submit(form.view, user_id=TECH).status == 200
    [call] = bot.rescue.wait_for_pin_calls(1)
    assert call.auth_code == SECRET_CODE
    message = bot.slack.wait_for_message(TECH)
    assert texts.CUSTOMER_STEPS["fr"].split("\n")[0] in json.dumps(message, ensure_ascii=False)


def test_a_new_workspace_has_no_shared_code_until_its_admins_set_one(
    several: InProcessBot,
) -> None:
    # Serving several, the environment holds no operator's code (Settings refuses one), and a
    # workspace whose admins saved nothing has none either: technicians connect their own.
    sent = several.command(TECH)
    assert sent.response.status == 200
    told = several.slack.wait_for_message(TECH)
    assert told["text"] == f"{texts.NEEDS_CONNECT} {texts.CONNECT_LINK_INTRO}"
    several.settle()
    assert several.rescue.pin_calls == []


def test_bad_values_come_back_inline_and_nothing_is_saved(several: InProcessBot) -> None:
    modal = open_settings(several, ADMIN)
    values = {
        ids.ADMIN_SSO_COMPANY_BLOCK: "acme",
        ids.ADMIN_AUDIT_DAYS_BLOCK: "0",
        ids.ADMIN_LANGUAGE_BLOCK: "xx",
    }
    answer = answer_of(several.submit(modal, user_id=ADMIN, values=values))
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {
        ids.ADMIN_SSO_COMPANY_BLOCK,
        ids.ADMIN_SSO_PASSWORD_BLOCK,
        ids.ADMIN_AUDIT_DAYS_BLOCK,
        ids.ADMIN_LANGUAGE_BLOCK,
    }
    assert answer["errors"][ids.ADMIN_AUDIT_DAYS_BLOCK] == words.AUDIT_DAYS_RANGE.format(most=90)
    assert several.store.installs.changes == []


def test_a_non_admin_sees_no_section_and_cannot_open_it_even_forged(
    several: InProcessBot,
) -> None:
    home = home_of(several, TECH)
    assert ids.ADMIN_OPEN_ACTION not in action_ids(home)
    assert words.HEADING not in [b["text"]["text"] for b in home["blocks"] if b["type"] == "header"]
    sent = several.click(TECH, ids.ADMIN_OPEN_ACTION)
    opened = several.opened_with(sent.trigger_id).args["view"]
    assert opened["callback_id"] != ids.ADMIN_MODAL
    assert notice_text(opened) == words.NOT_ADMIN


def test_a_forged_submission_by_a_non_admin_changes_nothing(several: InProcessBot) -> None:
    forged = open_settings(several, ADMIN)
    values = {ids.ADMIN_USERS_MODE_BLOCK: ids.ADMIN_USERS_EVERYONE, ids.ADMIN_CODE_BLOCK: "mine"}
    answer = answer_of(several.submit(forged, user_id=TECH, values=values))
    assert answer["response_action"] == "update"
    assert notice_text(answer["view"]) == words.NOT_ADMIN
    assert several.store.installs.changes == []


def test_the_workspace_is_the_signed_requests_never_the_views_metadata(
    several: InProcessBot,
) -> None:
    workspaces = several.store.installs
    modal = open_settings(several, ADMIN)
    # The modal as Slack holds it: its id, and the install that opened it (this one).
    held = several.slack.view_submission_payload(modal, user_id=ADMIN)["view"]
    # private_metadata naming the other workspace (lenspin never puts any there) is ignored.
    forged = {**modal, "private_metadata": json.dumps({"team_id": OTHER_TEAM})}
    answer = answer_of(
        several.submit(forged, user_id=ADMIN, values={ids.ADMIN_AUDIT_DAYS_BLOCK: "5"})
    )
    assert answer["response_action"] == "update"
    first = several.slack.wait_for_call(
        "views.update", lambda c: words.SAVED in json.dumps(c.args["view"])
    )
    own = workspaces.get_policy(Workspace(team_id=several.team_id))
    assert own is not None
    assert own.audit_days == 5
    assert workspaces.get_policy(Workspace(team_id=OTHER_TEAM)) is None
    # The other workspace's modal, opened there by its own install: its settings only.
    other_team = several.from_team(OTHER_TEAM)
    theirs = open_settings(other_team, OTHER_ADMIN)
    late = {ids.ADMIN_AUDIT_DAYS_BLOCK: "6"}
    # Someone of theirs who is no admin changes nothing.
    answer = answer_of(other_team.submit(theirs, user_id=OTHER_TECH, values=late))
    assert notice_text(answer["view"]) == words.NOT_ADMIN
    # This workspace's modal submitted from there is still this install's (Slack says which
    # install opened a view), whose token sees nobody of theirs: nothing changes either.
    answer = answer_of(other_team.submit(held, user_id=OTHER_ADMIN, values=late))
    assert notice_text(answer["view"]) == words.ADMIN_UNKNOWN
    assert workspaces.get_policy(Workspace(team_id=OTHER_TEAM)) is None
    assert workspaces.get_policy(Workspace(team_id=several.team_id)) == own
    # Their own admin changes theirs, and only theirs.
    answer = answer_of(other_team.submit(theirs, user_id=OTHER_ADMIN, values=late))
    assert answer["response_action"] == "update"
    several.slack.wait_for_call(
        "views.update",
        lambda c: c.received_at > first.received_at and words.SAVED in json.dumps(c.args["view"]),
    )
    other = workspaces.get_policy(Workspace(team_id=OTHER_TEAM))
    assert other is not None
    assert other.audit_days == 6
    assert [c.workspace.team_id for c in workspaces.changes] == [several.team_id, OTHER_TEAM]
    assert workspaces.get_policy(Workspace(team_id=several.team_id)) == own


def test_an_org_wide_install_is_changed_by_the_orgs_admins_only(slack: FakeSlack) -> None:
    grid = Workspace(enterprise_id="E0SCENGRID")
    slack.add_workspace("T0SCENGRIDA", name="Grid A", enterprise_id=grid.enterprise_id)
    # A workspace admin of one of the org's teams, and an admin of the whole org.
    slack.add_user("W0SCENTEAMADMIN", team_id="T0SCENGRIDA", admin=True)
    slack.add_user("W0SCENORGADMIN", team_id="T0SCENGRIDA", org_admin=True)
    with in_process_bot(slack, workspaces=[grid]) as bot:
        from_grid = bot.from_team("T0SCENGRIDA")
        assert notice_text(open_settings(from_grid, "W0SCENTEAMADMIN")) == words.NOT_ADMIN
        assert open_settings(from_grid, "W0SCENORGADMIN")["callback_id"] == ids.ADMIN_MODAL


def test_when_slack_will_not_say_who_is_an_admin_nothing_opens(several: InProcessBot) -> None:
    several.slack.fail("users.info", "internal_error")
    sent = several.click(ADMIN, ids.ADMIN_OPEN_ACTION)
    opened = several.opened_with(sent.trigger_id).args["view"]
    assert notice_text(opened) == words.ADMIN_UNKNOWN


def test_serving_one_workspace_the_home_tab_is_as_before_and_forgeries_change_nothing(
    bot: InProcessBot,
) -> None:
    bot.slack.add_user(ADMIN, admin=True)
    home = home_of(bot, ADMIN)
    assert ids.ADMIN_OPEN_ACTION not in action_ids(home)
    # Nobody was asked about: the section never shows serving one workspace.
    assert bot.slack.calls_to("users.info") == []
    sent = bot.click(ADMIN, ids.ADMIN_OPEN_ACTION)
    assert notice_text(bot.opened_with(sent.trigger_id).args["view"]) == words.FROM_ENVIRONMENT
    forged = {
        "type": "modal",
        "callback_id": ids.ADMIN_MODAL,
        "title": {"type": "plain_text", "text": "x"},
        "blocks": [],
    }
    answer = answer_of(bot.submit(forged, user_id=ADMIN))
    assert notice_text(answer["view"]) == words.FROM_ENVIRONMENT


@pytest.mark.parametrize(
    ("admin", "owner"),
    [(True, False), (False, True), (False, False)],
    ids=["admin", "owner", "member"],
)
def test_slack_says_who_is_an_admin_or_owner(slack: FakeSlack, admin: bool, owner: bool) -> None:
    slack.add_user("U0SCENROLE", admin=admin, owner=owner)
    lookups = Lookups(WebClient(token=slack.bot_token, base_url=slack.api_url, timeout=2))
    assert lookups.is_admin("U0SCENROLE") is (admin or owner)
    assert lookups.is_admin("U0SCENPLAIN") is False


def test_an_admin_of_another_workspace_is_none_of_this_ones(slack: FakeSlack) -> None:
    for team_id in ("T0SCENGA", "T0SCENGB"):
        slack.add_workspace(team_id, name=team_id, enterprise_id="E0SCENG", enterprise_name="G")
    slack.add_user("W0SCENAWAY", team_id="T0SCENGA", admin=True)
    slack.add_user("W0SCENBOTH", team_id="T0SCENGA", admin=True, also_in=["T0SCENGB"])
    # The org's token sees the people of each of its workspaces.
    org = slack.install("T0SCENGA", scopes=BOT_SCOPES, org_wide=True)
    lookups = Lookups(WebClient(token=org.bot_token, base_url=slack.api_url, timeout=2))
    assert lookups.is_admin("W0SCENAWAY", team_id="T0SCENGB", enterprise_id="E0SCENG") is False
    assert lookups.is_admin("W0SCENAWAY", team_id="T0SCENGA", enterprise_id="E0SCENG") is True
    # In an Enterprise Grid org a member of several workspaces is theirs in each.
    assert lookups.is_admin("W0SCENBOTH", team_id="T0SCENGB", enterprise_id="E0SCENG") is True
    # An org-wide install takes the org's admins, never a workspace's.
    assert lookups.is_admin("W0SCENBOTH", enterprise_id="E0SCENG") is False


def test_a_deleted_admin_is_no_admin_and_a_failed_answer_says_nothing(slack: FakeSlack) -> None:
    slack.add_user("U0SCENGONE", admin=True, deleted=True)
    lookups = Lookups(WebClient(token=slack.bot_token, base_url=slack.api_url, timeout=2))
    assert lookups.is_admin("U0SCENGONE") is False
    slack.fail("users.info", "user_not_found")
    assert lookups.is_admin("U0SCENADMIN") is None
    # Asked with another workspace's token, the stand-in refuses like Slack: no answer either.
    slack.add_workspace("T0SCENELSE", name="Elsewhere")
    elsewhere = slack.install("T0SCENELSE", scopes=BOT_SCOPES)
    other = Lookups(WebClient(token=elsewhere.bot_token, base_url=slack.api_url, timeout=2))
    assert other.is_admin("U0SCENGONE") is None
