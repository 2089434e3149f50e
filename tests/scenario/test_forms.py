"""The two forms' submissions, in-process: inline errors in the ack, then the outcome."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_bolt import BoltResponse

from bot import texts
from bot.accounts import NotConnected
from bot.domain import CodeSource, LinkSource
from bot.fields import FIELD_LIMITS
from bot.pins import outcome_label
from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import ResultCode
from bot.slack import ids
from bot.slack.blocks.messages import pin_failed
from bot.slack.blocks.modals import connect_modal
from bot.slack.forms import PinButtons
from tests.support import ApiCall
from tests.support.inprocess import STRANGER, TECH, InProcessBot, MakeBot

FIELDS = {
    "name": "Jane Doe",
    "custom1": "Acme Ltd",
    "custom2": "printer jam",
    "custom3": "",
    "custom4": "floor 3",
    "custom5": "",
    "tracking": "INC-42",
}
FORM = {ids.field_block(key): text for key, text in FIELDS.items()}
EMAIL = "jane.tech@helpdesk.example"
PASSWORD = "correct horse battery staple"


def errors_of(response: BoltResponse) -> dict[str, str]:
    assert response.status == 200
    body = json.loads(response.body)
    assert body["response_action"] == "errors"
    errors: dict[str, str] = body["errors"]
    return errors


def button_value(message: dict[str, Any], action_id: str) -> str:
    return str(
        next(
            element["value"]
            for block in message["blocks"]
            if block.get("type") == "actions"
            for element in block["elements"]
            if element["action_id"] == action_id
        )
    )


# The PIN form


def test_a_valid_form_is_acked_empty_and_the_pin_reaches_the_tech(bot: InProcessBot) -> None:
    opened = bot.open_pin_form(TECH)
    values = {
        **FORM,
        ids.NO_TECH_CONSOLE_BLOCK: [ids.NO_TECH_CONSOLE_OPTION],
        ids.SMS_NUMBER_BLOCK: "+44 20 7946 0958",
        ids.SMS_LANGUAGE_BLOCK: "fr",
    }
    response = bot.submit(opened.view, user_id=TECH, values=values)
    assert (response.status, response.body) == (200, "")

    message = bot.slack.wait_for_message(TECH)
    assert message["route"] == "response_url"
    assert message["text"] == texts.PIN_FALLBACK.format(name="Jane Doe", pin="004821")
    (call,) = bot.rescue.pin_calls
    assert call.auth_code == bot.settings.rescue_auth_code
    assert dict(call.request.fields) == FIELDS
    assert call.request.no_tech_console is True
    assert (call.request.sms_number, call.request.sms_language) == ("+442079460958", "fr")
    (row,) = bot.store.audit
    assert (row.user_id, row.team_id) == (TECH, bot.team_id)
    assert (row.result, row.code_source, row.pin) == ("OK", CodeSource.SHARED, "004821")
    assert dict(row.fields) == FIELDS
    # The buttons under the PIN point at that audit row.
    buttons = PinButtons.from_value(button_value(message, ids.AGAIN_ACTION))
    assert buttons is not None
    assert (buttons.audit_id, buttons.pin, buttons.name) == (row.id, "004821", "Jane Doe")


@pytest.mark.parametrize(
    "error",
    [Rejected(ResultCode.NO_TECH_CONSOLE_RUNNING), Timeout("slow"), Unavailable("down")],
    ids=["rejected", "timeout", "unavailable"],
)
def test_a_rescue_failure_reaches_the_tech_in_plain_words(
    bot: InProcessBot, error: RescueError
) -> None:
    bot.rescue.script(error)
    opened = bot.open_pin_form(TECH)
    assert bot.submit(opened.view, user_id=TECH, values=FORM).body == ""
    message = bot.slack.wait_for_message(TECH)
    expected = pin_failed(error, name="Jane Doe", timeout_seconds=bot.settings.rescue_timeout)
    assert message["text"] == expected["text"]
    bot.settle()
    (row,) = bot.store.audit
    assert (row.result, row.pin) == (outcome_label(error), None)


def test_invalid_fields_get_inline_errors_and_nothing_is_asked(bot: InProcessBot) -> None:
    opened = bot.open_pin_form(TECH)
    too_long = "x" * (FIELD_LIMITS["custom4"] + 1)
    values = {**FORM, ids.field_block("name"): "   ", ids.field_block("custom4"): too_long}
    errors = errors_of(bot.submit(opened.view, user_id=TECH, values=values))
    assert errors == {
        ids.field_block("name"): texts.ERROR_REQUIRED,
        ids.field_block("custom4"): texts.ERROR_TOO_LONG.format(
            limit=FIELD_LIMITS["custom4"], length=len(too_long)
        ),
    }
    bot.settle()
    assert bot.rescue.pin_calls == []
    assert bot.store.audit == []
    assert bot.slack.messages_for(TECH) == []


def test_a_bad_mobile_number_gets_an_inline_error(bot: InProcessBot) -> None:
    opened = bot.open_pin_form(TECH)
    errors = errors_of(
        bot.submit(opened.view, user_id=TECH, values={**FORM, ids.SMS_NUMBER_BLOCK: "call me"})
    )
    assert errors == {ids.SMS_NUMBER_BLOCK: texts.ERROR_PHONE}


def test_without_linking_a_forged_submission_by_someone_not_allowed_is_refused(
    make_bot: MakeBot,
) -> None:
    bot = make_bot(LENSPIN_ALLOWED_USERS=TECH, LENSPIN_LINKING="false")
    opened = bot.open_pin_form(TECH)
    errors = errors_of(bot.submit(opened.view, user_id=STRANGER, values=FORM))
    assert errors == {ids.field_block("name"): texts.ERROR_NOT_ALLOWED_SUBMIT}
    bot.settle()
    assert bot.rescue.pin_calls == []


def test_with_linking_someone_with_no_account_is_told_to_connect(bot: InProcessBot) -> None:
    opened = bot.open_pin_form(TECH)
    assert bot.submit(opened.view, user_id=STRANGER, values=FORM).body == ""
    # The form's answer route belongs to TECH: STRANGER's answer goes to their own DM.
    message = bot.slack.wait_for_message(STRANGER)
    assert message["route"] == "dm"
    expected = pin_failed(NotConnected("x"), name="Jane Doe", timeout_seconds=2)
    assert message["text"] == expected["text"]
    assert bot.rescue.pin_calls == []


def test_a_connected_tech_gets_the_pin_from_their_own_account(bot: InProcessBot) -> None:
    bot.rescue.add_account("own-code", email=EMAIL)
    bot.store.save_link(
        team_id=bot.team_id,
        user_id=STRANGER,
        auth_code="own-code",
        email=EMAIL,
        organization="Example Support",
        source=LinkSource.TOKEN,
    )
    opened = bot.open_pin_form(STRANGER)
    bot.submit(opened.view, user_id=STRANGER, values=FORM)
    assert "004821" in bot.slack.wait_for_message(STRANGER)["text"]
    (call,) = bot.rescue.pin_calls
    assert call.auth_code == "own-code"
    bot.settle()
    assert bot.store.audit[0].code_source is CodeSource.LINKED


# The connect form


def open_connect_form(bot: InProcessBot, user_id: str) -> dict[str, Any]:
    sent = bot.command(user_id, "connect")
    view: dict[str, Any] = bot.opened_with(sent.trigger_id).args["view"]
    return view


def outcome_view(bot: InProcessBot) -> ApiCall:
    return bot.slack.wait_for_call("views.update")


def assert_checking(response: BoltResponse) -> None:
    assert response.status == 200
    body = json.loads(response.body)
    assert body["response_action"] == "update"
    assert body["view"]["title"]["text"] == texts.CONNECT_TITLE
    assert texts.CONNECT_CHECKING in json.dumps(body["view"], ensure_ascii=False)


def test_a_pasted_code_connects_and_the_form_says_whose_account(bot: InProcessBot) -> None:
    bot.rescue.add_account("pasted-code", email=EMAIL, organization="Helpdesk")
    view = open_connect_form(bot, STRANGER)
    payload = bot.slack.view_submission_payload(
        view, user_id=STRANGER, values={ids.CONNECT_CODE_BLOCK: " pasted-code "}
    )
    assert_checking(bot.interact(payload))
    update = outcome_view(bot)
    # The very modal submitted is updated in place.
    assert update.args["view_id"] == payload["view"]["id"]
    assert update.args["view"]["title"]["text"] == texts.CONNECT_DONE_TITLE
    assert EMAIL in json.dumps(update.args["view"])
    link = bot.store.get_link(bot.team_id, STRANGER)
    assert link is not None
    assert (link.auth_code, link.source, link.email) == ("pasted-code", LinkSource.TOKEN, EMAIL)
    # The Home tab shows the new connection.
    home = bot.published_home(STRANGER)
    assert EMAIL in json.dumps(home)


def test_a_refused_code_is_explained_and_nothing_is_kept(bot: InProcessBot) -> None:
    bot.rescue.add_account("login-code", email=EMAIL, login=PASSWORD)
    view = open_connect_form(bot, STRANGER)
    values = {ids.CONNECT_CODE_BLOCK: "not-a-code"}
    assert_checking(bot.submit(view, user_id=STRANGER, values=values))
    outcome = outcome_view(bot).args["view"]
    assert outcome["title"]["text"] == texts.CONNECT_FAILED_TITLE
    assert texts.CONNECT_WRONG_CODE in json.dumps(outcome, ensure_ascii=False)
    assert bot.store.get_link(bot.team_id, STRANGER) is None


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({}, {ids.CONNECT_CODE_BLOCK: texts.CONNECT_NEED_CODE}),
        ({ids.CONNECT_CODE_BLOCK: " \n "}, {ids.CONNECT_CODE_BLOCK: texts.CONNECT_NEED_CODE}),
        ({ids.CONNECT_CODE_BLOCK: "code\x00"}, {ids.CONNECT_CODE_BLOCK: texts.ERROR_UNSAFE}),
    ],
    ids=["empty", "blank", "unsafe"],
)
def test_an_empty_or_unsafe_code_gets_an_inline_error(
    bot: InProcessBot, values: dict[str, str], errors: dict[str, str]
) -> None:
    view = open_connect_form(bot, STRANGER)
    assert errors_of(bot.submit(view, user_id=STRANGER, values=values)) == errors
    bot.settle()
    assert bot.slack.calls_to("views.update") == []
    assert bot.store.get_link(bot.team_id, STRANGER) is None


def test_with_linking_off_a_connect_form_submitted_anyway_keeps_nothing(
    make_bot: MakeBot,
) -> None:
    bot = make_bot(LENSPIN_ALLOWED_USERS=TECH, LENSPIN_LINKING="false")
    bot.rescue.add_account("pasted-code", email=EMAIL)
    view = connect_modal()
    sent = bot.submit(view, user_id=TECH, values={ids.CONNECT_CODE_BLOCK: "pasted-code"})
    bot.settle()
    assert bot.store.get_link(bot.team_id, TECH) is None
    answer = json.loads(sent.body)
    assert answer["response_action"] == "update"
    assert texts.CONNECT_OFF in json.dumps(answer["view"], ensure_ascii=False)


def test_the_slack_connect_form_asks_for_a_code_and_never_a_password(bot: InProcessBot) -> None:
    # Without LENSPIN_PUBLIC_URL there is no page: Slack carries codes, never passwords.
    view = open_connect_form(bot, STRANGER)
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert inputs == [ids.CONNECT_CODE_BLOCK]
    assert "password" not in json.dumps(view).lower()


def test_with_linking_off_an_account_connected_earlier_is_not_used(make_bot: MakeBot) -> None:
    bot = make_bot(LENSPIN_ALLOWED_USERS=TECH, LENSPIN_LINKING="off")
    bot.rescue.add_account("own-code", email=EMAIL)
    bot.store.save_link(
        team_id=bot.team_id,
        user_id=TECH,
        auth_code="own-code",
        email=EMAIL,
        organization="Example Support",
        source=LinkSource.TOKEN,
    )
    opened = bot.open_pin_form(TECH)
    bot.submit(opened.view, user_id=TECH, values=FORM)
    assert "004821" in bot.slack.wait_for_message(TECH)["text"]
    (call,) = bot.rescue.pin_calls
    assert call.auth_code == "c"
    bot.slack.reset()
    bot.command(TECH, "status")
    assert bot.slack.wait_for_message(TECH)["text"] == texts.STATUS_SHARED
    bot.settle()
    assert bot.store.audit[0].code_source is CodeSource.SHARED
