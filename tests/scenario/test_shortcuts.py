"""Both shortcuts, in-process: the form prefilled from a message, or empty from anywhere."""

from __future__ import annotations

import json
from typing import Any

from bot import texts
from bot.slack import ids
from tests.support.inprocess import CHANNEL, STRANGER, TECH, InProcessBot, MakeBot

AUTHOR = "U0CUSTOMER"
MESSAGE = {"ts": "1700000000.000200", "user": AUTHOR, "text": "My printer is broken"}
PERMALINK = "https://lenspin-test.slack.com/archives/C0GENERAL/p1700000000000200"


def initial_values(view: dict[str, Any]) -> dict[str, str]:
    return {
        block["block_id"]: block["element"]["initial_value"]
        for block in view["blocks"]
        if block.get("type") == "input" and "initial_value" in block.get("element", {})
    }


def test_the_message_shortcut_prefills_author_reference_and_link(bot: InProcessBot) -> None:
    bot.slack.add_user(AUTHOR, real_name="Jane Customer")
    sent = bot.message_shortcut(TECH, MESSAGE)
    assert (sent.response.status, sent.response.body) == (200, "")
    view = bot.opened_with(sent.trigger_id).args["view"]
    assert view["callback_id"] == ids.PIN_MODAL
    assert initial_values(view) == {
        ids.field_block("name"): "Jane Customer",
        ids.field_block("tracking"): f"slack:{CHANNEL}/1700000000.000200",
        ids.field_block("custom1"): PERMALINK,
    }
    metadata = json.loads(view["private_metadata"])
    assert sent.response_url in metadata.values()
    assert CHANNEL in metadata.values()


def test_the_message_link_goes_where_the_admin_says_or_nowhere(make_bot: MakeBot) -> None:
    bot = make_bot(LENSPIN_ALLOWED_USERS=TECH, LENSPIN_MESSAGE_LINK_FIELD="none")
    sent = bot.message_shortcut(TECH, {"ts": "1700000000.000300"})
    view = bot.opened_with(sent.trigger_id).args["view"]
    # No author to name, no link asked for: only the reference to the message.
    assert initial_values(view) == {
        ids.field_block("tracking"): f"slack:{CHANNEL}/1700000000.000300"
    }
    assert bot.slack.calls_to("chat.getPermalink") == []


def test_the_message_shortcut_then_the_form_brings_the_pin_back_there(bot: InProcessBot) -> None:
    sent = bot.message_shortcut(TECH, MESSAGE)
    view = bot.opened_with(sent.trigger_id).args["view"]
    response = bot.submit(view, user_id=TECH, values={ids.field_block("name"): "Jane Doe"})
    assert (response.status, response.body) == (200, "")
    post = bot.slack.wait_for_response_post(sent.response_url)
    assert "004821" in post.body["text"]
    (call,) = bot.rescue.pin_calls
    assert call.request.fields["tracking"] == f"slack:{CHANNEL}/1700000000.000200"


def test_the_message_shortcut_refuses_someone_not_allowed(make_bot: MakeBot) -> None:
    bot = make_bot(LENSPIN_ALLOWED_USERS=TECH, LENSPIN_LINKING="false")
    sent = bot.message_shortcut(STRANGER, MESSAGE)
    assert (sent.response.status, sent.response.body) == (200, "")
    message = bot.slack.wait_for_message(STRANGER)
    assert message["text"] == texts.NOT_ALLOWED.format(user_id=STRANGER)
    assert message["route"] == "response_url"
    bot.settle()
    assert bot.slack.calls_to("views.open") == []


def test_the_message_shortcut_tells_someone_unconnected_to_connect(bot: InProcessBot) -> None:
    bot.message_shortcut(STRANGER, MESSAGE)
    assert bot.slack.wait_for_message(STRANGER)["text"] == texts.NEEDS_CONNECT
    bot.settle()
    assert bot.slack.calls_to("views.open") == []


def test_the_global_shortcut_opens_the_empty_form_and_answers_by_dm(bot: InProcessBot) -> None:
    sent = bot.global_shortcut(TECH)
    assert (sent.response.status, sent.response.body) == (200, "")
    view = bot.opened_with(sent.trigger_id).args["view"]
    assert view["callback_id"] == ids.PIN_MODAL
    assert initial_values(view) == {}
    response = bot.submit(view, user_id=TECH, values={ids.field_block("name"): "Jane Doe"})
    assert response.body == ""
    message = bot.slack.wait_for_message(TECH)
    assert message["route"] == "dm"
    assert message["text"] == texts.PIN_FALLBACK.format(name="Jane Doe", pin="004821")


def test_the_global_shortcut_refuses_by_dm(make_bot: MakeBot) -> None:
    bot = make_bot(LENSPIN_ALLOWED_USERS=TECH, LENSPIN_LINKING="false")
    sent = bot.global_shortcut(STRANGER)
    assert (sent.response.status, sent.response.body) == (200, "")
    message = bot.slack.wait_for_message(STRANGER)
    assert message["route"] == "dm"
    assert message["text"] == texts.NOT_ALLOWED.format(user_id=STRANGER)
    bot.settle()
    assert bot.slack.calls_to("views.open") == []


def test_the_global_shortcut_says_so_by_dm_when_slack_refuses_the_form(
    bot: InProcessBot,
) -> None:
    bot.slack.fail("views.open", "expired_trigger_id")
    bot.global_shortcut(TECH)
    message = bot.slack.wait_for_message(TECH)
    assert (message["route"], message["text"]) == ("dm", texts.MODAL_FAILED)
