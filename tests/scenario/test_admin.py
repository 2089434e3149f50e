"""The Admin section and its settings modal, in-process, serving several workspaces: admins only
(Slack asked each time), the workspace from the signed request, never from the view or button.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from slack_bolt import BoltResponse
from slack_sdk import WebClient

from bot import texts
from bot.domain import Policy, Workspace
from bot.fields import NAME
from bot.slack import ids
from bot.slack.io.users import Lookups
from bot.texts import admin as words
from devtools.fake_slack import view_errors
from tests.support import FakeSlack
from tests.support.inprocess import TECH, InProcessBot, in_process_bot
from tests.support.workspaces import MemoryWorkspaces

ADMIN = "U0SCENADMIN"
OWNER = "U0SCENOWNER"
SECRET_CODE = "alpha-shared-code-never-shown"
SECRET_SSO = "alpha-sso-password-never-shown"
OTHER_TEAM = "T0OTHERTEAM"


def make_admin(slack: FakeSlack, user_id: str, *roles: str, **details: Any) -> None:
    """users.info says user_id has these roles (is_admin by default), and these details.

    FakeSlack.add_user takes no roles, so they are set in the stand-in's record of its users.
    """
    slack.add_user(user_id)
    state = slack._state
    with state.cond:
        state.users[user_id].update({role: True for role in roles or ("is_admin",)}, **details)


@pytest.fixture
def several(slack: FakeSlack) -> Iterator[InProcessBot]:
    """lenspin serving several workspaces: the stand-in's own and another, both installed."""
    workspaces = MemoryWorkspaces(Workspace(team_id=slack.team_id), Workspace(team_id=OTHER_TEAM))
    make_admin(slack, ADMIN)
    make_admin(slack, OWNER, "is_primary_owner")
    with ExitStack() as stack:
        yield stack.enter_context(in_process_bot(slack, workspaces=workspaces))


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


def submit_from(
    bot: InProcessBot, view: dict[str, Any], user_id: str, values: dict[str, Any], team_id: str
) -> BoltResponse:
    """A view submission as Slack sends it for a modal that team_id's install opened."""
    payload = bot.slack.view_submission_payload(view, user_id=user_id, values=values)
    payload["team"]["id"] = payload["user"]["team_id"] = team_id
    payload["view"]["team_id"] = payload["view"]["app_installed_team_id"] = team_id
    return bot.interact(payload)


def test_an_admin_sees_the_section_changes_settings_and_the_change_is_recorded(
    several: InProcessBot,
) -> None:
    bot, workspaces = several, several.workspaces
    assert workspaces is not None
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
    bot, workspaces = several, several.workspaces
    assert workspaces is not None
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


def test_a_new_workspace_gets_nothing_of_the_operators_shared_code(several: InProcessBot) -> None:
    # The environment names a shared code and everyone; a workspace's admins never chose it.
    assert several.settings.rescue_auth_code
    sent = several.command(TECH)
    assert sent.response.status == 200
    assert several.slack.wait_for_message(TECH)["text"] == texts.NEEDS_CONNECT
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
    assert several.workspaces is not None
    assert several.workspaces.changes == []


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
    assert several.workspaces is not None
    assert several.workspaces.changes == []


def test_the_workspace_is_the_signed_requests_never_the_views_metadata(
    several: InProcessBot,
) -> None:
    workspaces = several.workspaces
    assert workspaces is not None
    modal = open_settings(several, ADMIN)
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
    # The same modal as the other workspace's install opened it: this admin is none of theirs.
    answer = answer_of(
        submit_from(several, modal, ADMIN, {ids.ADMIN_AUDIT_DAYS_BLOCK: "6"}, OTHER_TEAM)
    )
    assert notice_text(answer["view"]) == words.NOT_ADMIN
    # Their own admin changes theirs, and only theirs.
    make_admin(several.slack, "U0OTHERADMIN", team_id=OTHER_TEAM)
    answer = answer_of(
        submit_from(several, modal, "U0OTHERADMIN", {ids.ADMIN_AUDIT_DAYS_BLOCK: "6"}, OTHER_TEAM)
    )
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
    workspaces = MemoryWorkspaces(grid)
    # A workspace admin of one of the org's teams, and an admin of the whole org.
    make_admin(slack, ADMIN)
    make_admin(
        slack, OWNER, enterprise_user={"enterprise_id": grid.enterprise_id, "is_admin": True}
    )
    with in_process_bot(slack, workspaces=workspaces) as bot:

        def click(user_id: str) -> dict[str, Any]:
            trigger_id = slack.new_trigger_id()
            payload = {
                "type": "block_actions",
                "team": {"id": bot.team_id, "domain": slack.team_domain},
                "enterprise": {"id": grid.enterprise_id, "name": "Grid"},
                "is_enterprise_install": True,
                "user": {"id": user_id, "team_id": bot.team_id},
                "api_app_id": slack.api_app_id,
                "container": {"type": "view", "view_id": "VHOME"},
                "trigger_id": trigger_id,
                "actions": [
                    {"action_id": ids.ADMIN_OPEN_ACTION, "block_id": "b", "type": "button"}
                ],
            }
            assert bot.interact(payload).status == 200
            view: dict[str, Any] = bot.opened_with(trigger_id).args["view"]
            return view

        assert notice_text(click(ADMIN)) == words.NOT_ADMIN
        assert click(OWNER)["callback_id"] == ids.ADMIN_MODAL


def test_when_slack_will_not_say_who_is_an_admin_nothing_opens(several: InProcessBot) -> None:
    several.slack.fail("users.info", "internal_error")
    sent = several.click(ADMIN, ids.ADMIN_OPEN_ACTION)
    opened = several.opened_with(sent.trigger_id).args["view"]
    assert notice_text(opened) == words.ADMIN_UNKNOWN


def test_serving_one_workspace_the_home_tab_is_as_before_and_forgeries_change_nothing(
    bot: InProcessBot,
) -> None:
    make_admin(bot.slack, ADMIN)
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
    ("role", "admin"),
    [("is_admin", True), ("is_owner", True), ("is_primary_owner", True), ("is_bot", False)],
)
def test_slack_says_who_is_an_admin_or_owner(slack: FakeSlack, role: str, admin: bool) -> None:
    make_admin(slack, "U0SCENROLE", role)
    lookups = Lookups(WebClient(token=slack.bot_token, base_url=slack.api_url, timeout=2))
    assert lookups.is_admin("U0SCENROLE") is admin
    assert lookups.is_admin("U0SCENPLAIN") is False


def test_an_admin_of_another_workspace_is_none_of_this_ones(slack: FakeSlack) -> None:
    make_admin(slack, "U0SCENAWAY", team_id="T0ELSEWHERE")
    make_admin(slack, "W0SCENGRID", team_id="T0HOME", enterprise_user={"teams": ["T0HERE"]})
    lookups = Lookups(WebClient(token=slack.bot_token, base_url=slack.api_url, timeout=2))
    assert lookups.is_admin("U0SCENAWAY", team_id=slack.team_id) is False
    assert lookups.is_admin("U0SCENAWAY", team_id="T0ELSEWHERE") is True
    # In an Enterprise Grid org a member of several workspaces is theirs in each.
    assert lookups.is_admin("W0SCENGRID", team_id="T0HERE", enterprise_id="E0G") is True
    # An org-wide install takes the org's admins, never a workspace's.
    assert lookups.is_admin("W0SCENGRID", enterprise_id="E0G") is False


def test_a_deleted_admin_is_no_admin_and_a_failed_answer_says_nothing(slack: FakeSlack) -> None:
    make_admin(slack, "U0SCENGONE", "is_admin", "deleted")
    lookups = Lookups(WebClient(token=slack.bot_token, base_url=slack.api_url, timeout=2))
    assert lookups.is_admin("U0SCENGONE") is False
    slack.fail("users.info", "user_not_found")
    assert lookups.is_admin("U0SCENADMIN") is None
    # Asked with another workspace's token, the stand-in refuses like Slack: no answer either.
    other = Lookups(WebClient(token="xoxb-someone-else", base_url=slack.api_url, timeout=2))
    assert other.is_admin("U0SCENGONE") is None
