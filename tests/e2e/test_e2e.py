"""End to end: the app as the Procfile starts it, signed requests as Slack sends them."""

from __future__ import annotations

import time

import requests

from bot import texts
from bot.rescue.errors import Rejected
from bot.rescue.models import ResultCode
from bot.slack import ids
from bot.slack.blocks.outcomes import pin_failure
from tests.support import (
    AUTH_CODE,
    STRANGER,
    FakeRescue,
    FakeSlack,
    Hang,
    Result,
    WebProcess,
    app_env,
    open_pin_modal,
    submit_pin_modal,
)

SLACK_DEADLINE = 3.0

ALL_FIELDS = {
    ids.field_block("name"): "Zoë <Doe> & \"Sons\" 'Ltd'",
    ids.field_block("custom1"): "東京 office, floor 3 😀",
    ids.field_block("custom2"): "printer ]]> jam",
    ids.field_block("custom3"): "c3",
    ids.field_block("custom4"): "c4",
    ids.field_block("custom5"): "c5",
    ids.field_block("tracking"): "INC-0042",
}


def test_healthz_answers_and_unknown_paths_do_not(web: WebProcess) -> None:
    assert requests.get(f"{web.url}/healthz", timeout=5).status_code == 200
    assert requests.get(f"{web.url}/nothing", timeout=5).status_code == 404


def test_command_opens_a_prefilled_modal_within_slacks_deadline(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, tech: str
) -> None:
    started = time.monotonic()
    opened = open_pin_modal(slack, web.events_url, user_id=tech, text="Jane Doe")
    assert time.monotonic() - started < SLACK_DEADLINE
    assert opened.ack.status == 200
    assert opened.ack.body == ""
    view = opened.view
    assert view["callback_id"] == ids.PIN_MODAL
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == [
        *ALL_FIELDS,
        ids.NO_TECH_CONSOLE_BLOCK,
        ids.SMS_NUMBER_BLOCK,
        ids.SMS_LANGUAGE_BLOCK,
    ]
    assert inputs[0]["element"]["initial_value"] == "Jane Doe"
    assert [b["element"].get("max_length") for b in inputs[:7]] == [64, 512, 512, 256, 64, 64, 64]
    # The form is the slow part's front door: nothing reached Rescue yet.
    assert rescue.calls == []


def test_submission_reaches_rescue_byte_exact_and_the_padded_pin_reaches_the_tech(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, tech: str
) -> None:
    rescue.queue(Result(pin="4821"))
    opened = open_pin_modal(slack, web.events_url, user_id=tech)
    values = {**ALL_FIELDS, ids.NO_TECH_CONSOLE_BLOCK: [ids.NO_TECH_CONSOLE_OPTION]}
    ack = submit_pin_modal(slack, web.events_url, opened, user_id=tech, values=values)
    assert ack.status == 200
    assert ack.body == ""  # a plain ack closes the modal

    (call,) = rescue.wait_for_calls(1)
    assert call.operation == "requestLensPINCodeV2"
    assert call.soap_version == "1.1"
    assert call.soap_action == "https://secure.logmeinrescue.com/API/API.asmx/requestLensPINCodeV2"
    names = ["sCField0", "sCField1", "sCField2", "sCField3", "sCField4", "sCField5", "sTracking0"]
    assert [call.fields[n] for n in names] == list(ALL_FIELDS.values())
    assert call.fields["bNoTechConsole"] == "true"
    assert call.fields["sAuthCode"] == AUTH_CODE

    message = slack.wait_for_message(tech)
    assert message["route"] == "response_url"
    assert message["raw"]["response_type"] == "ephemeral"
    assert "004821" in message["text"]
    assert "Zoë" in message["text"]
    rendered = str(message["blocks"])
    assert "004821" in rendered
    assert "Rescue Lens app" in rendered
    # One answer per submission, by one route.
    assert len(slack.messages_for(tech)) == 1
    assert slack.calls_to("chat.postEphemeral") == []
    assert slack.calls_to("chat.postMessage") == []


def test_checkbox_left_empty_sends_false(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, tech: str
) -> None:
    opened = open_pin_modal(slack, web.events_url, user_id=tech, text="Jane")
    submit_pin_modal(slack, web.events_url, opened, user_id=tech, values={})
    (call,) = rescue.wait_for_calls(1)
    assert call.fields["sCField0"] == "Jane"
    assert call.fields["bNoTechConsole"] == "false"
    assert call.fields["sCField1"] == ""
    assert slack.wait_for_message(tech)["route"] == "response_url"


def test_a_rescue_refusal_becomes_a_plain_message(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, tech: str
) -> None:
    rescue.queue(Result(code=ResultCode.NO_TECH_CONSOLE_RUNNING.value))
    opened = open_pin_modal(slack, web.events_url, user_id=tech, text="Jane")
    submit_pin_modal(slack, web.events_url, opened, user_id=tech, values={})
    message = slack.wait_for_message(tech)
    expected = pin_failure(Rejected(ResultCode.NO_TECH_CONSOLE_RUNNING), timeout_seconds=2)
    assert expected in message["text"]
    assert "requestPINCode" not in str(message)


def test_bad_and_stale_signatures_get_401_and_nothing_else(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, tech: str
) -> None:
    forged, _, _ = slack.send_command(web.events_url, user_id=tech, signing_secret="wrong")
    stale, _, _ = slack.send_command(
        web.events_url, user_id=tech, timestamp=int(time.time()) - 6 * 60
    )
    assert forged.status == 401
    assert stale.status == 401
    # A good request afterwards proves the app was listening all along.
    open_pin_modal(slack, web.events_url, user_id=tech)
    assert len(slack.calls_to("views.open")) == 1
    assert rescue.calls == []


def test_a_user_neither_allowed_nor_connected_is_told_to_connect_and_gets_no_modal(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue
) -> None:
    ack, _, _ = slack.send_command(web.events_url, user_id=STRANGER)
    assert ack.status == 200
    message = slack.wait_for_message(STRANGER)
    assert message["route"] == "response_url"
    assert message["text"] == texts.NEEDS_CONNECT
    assert slack.calls_to("views.open") == []
    assert rescue.calls == []


def test_without_linking_a_user_not_allowed_is_refused_in_the_ack(
    slack: FakeSlack, rescue: FakeRescue
) -> None:
    with WebProcess(app_env(slack, rescue, LENSPIN_LINKING="off")) as web:
        ack, _, _ = slack.send_command(web.events_url, user_id=STRANGER)
    assert ack.status == 200
    body = ack.json()
    assert body["response_type"] == "ephemeral"
    assert body["text"] == texts.NOT_ALLOWED.format(user_id=STRANGER)
    assert slack.calls_to("views.open") == []
    assert rescue.calls == []


def test_a_forged_submission_from_a_user_not_allowed_reaches_nothing(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, tech: str
) -> None:
    opened = open_pin_modal(slack, web.events_url, user_id=tech, text="Jane")
    ack = submit_pin_modal(slack, web.events_url, opened, user_id=STRANGER, values={})
    assert ack.status == 200
    # Not allowed, not connected: told how to connect (by DM: the view's routes were the
    # other technician's), and nothing reaches Rescue.
    message = slack.wait_for_message(STRANGER)
    assert message["route"] == "dm"
    assert message["text"].endswith(texts.NEEDS_CONNECT)
    assert slack.messages_for(tech) == []
    assert rescue.calls == []


def test_oversized_and_control_character_input_gets_inline_errors(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, tech: str
) -> None:
    opened = open_pin_modal(slack, web.events_url, user_id=tech)
    values = {
        ids.field_block("name"): "n" * 65,
        ids.field_block("custom3"): "y" * 300,
        ids.field_block("tracking"): "TCK\x00\x1b",
    }
    ack = submit_pin_modal(slack, web.events_url, opened, user_id=tech, values=values)
    assert ack.status == 200
    body = ack.json()
    assert body["response_action"] == "errors"
    assert body["errors"] == {
        ids.field_block("name"): texts.ERROR_TOO_LONG.format(limit=64, length=65),
        ids.field_block("custom3"): texts.ERROR_TOO_LONG.format(limit=256, length=300),
        ids.field_block("tracking"): texts.ERROR_UNSAFE,
    }
    # Fixing the input then works: the modal was never half-submitted.
    good = submit_pin_modal(
        slack, web.events_url, opened, user_id=tech, values={ids.field_block("name"): "Jane"}
    )
    assert good.body == ""
    assert rescue.wait_for_calls(1)[0].fields["sCField0"] == "Jane"
    assert "Rescue Lens PIN for Jane" in slack.wait_for_message(tech)["text"]
    assert len(rescue.calls) == 1


def test_a_failed_response_url_falls_back_to_an_ephemeral_post(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, tech: str
) -> None:
    opened = open_pin_modal(slack, web.events_url, user_id=tech, text="Jane")
    slack.fail_response_url(opened.response_url, status=404, body="expired_url")
    submit_pin_modal(slack, web.events_url, opened, user_id=tech, values={})
    message = slack.wait_for_message(tech)
    assert message["route"] == "ephemeral"
    assert message["channel"] == "C0GENERAL"
    assert "Rescue Lens PIN for Jane" in message["text"]
    (call,) = slack.calls_to("chat.postEphemeral")
    assert call.args["user"] == tech


def test_a_private_channel_without_the_bot_falls_back_to_a_dm(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, tech: str
) -> None:
    opened = open_pin_modal(slack, web.events_url, user_id=tech, channel_id="G0PRIVATE")
    slack.fail_response_url(opened.response_url, status=500, body="internal_error")
    submit_pin_modal(
        slack, web.events_url, opened, user_id=tech, values={ids.field_block("name"): "Jane"}
    )
    message = slack.wait_for_message(tech)
    assert message["route"] == "dm"
    (failed,) = slack.calls_to("chat.postEphemeral")
    assert failed.args["user"] == tech
    assert failed.error == "channel_not_found"
    assert len(slack.messages_for(tech)) == 1


def test_a_rescue_timeout_tells_the_tech_to_check_the_console(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, tech: str
) -> None:
    rescue.queue(Hang())
    opened = open_pin_modal(slack, web.events_url, user_id=tech, text="Jane")
    submit_pin_modal(slack, web.events_url, opened, user_id=tech, values={})
    message = slack.wait_for_message(tech, timeout=10)
    assert message["text"].endswith(texts.TIMEOUT.format(seconds="2"))


def test_a_modal_slack_would_not_open_gets_a_plain_reply(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, tech: str
) -> None:
    slack.fail("views.open", "expired_trigger_id")
    ack, _, _ = slack.send_command(web.events_url, user_id=tech)
    assert ack.status == 200
    message = slack.wait_for_message(tech)
    assert message["route"] == "response_url"
    assert message["text"] == texts.MODAL_FAILED
    assert rescue.calls == []


def test_a_forged_submission_of_any_shape_gets_an_answer_never_a_500(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, tech: str
) -> None:
    opened = open_pin_modal(slack, web.events_url, user_id=tech, text="Jane")
    for state in ("garbage", {"values": []}, {"values": {ids.field_block("name"): "x"}}):
        payload = slack.view_submission_payload(opened.view, user_id=tech)
        payload["view"]["state"] = state
        payload["view"]["private_metadata"] = {"not": "a string"}
        answer = slack.send_payload(web.events_url, payload)
        assert answer.status == 200
        assert answer.json()["errors"] == {ids.field_block("name"): texts.ERROR_REQUIRED}
    assert rescue.calls == []
