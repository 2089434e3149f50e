"""Button clicks, in-process: Home's Connect and Disconnect, Share and New PIN under a PIN."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import texts
from bot.domain import LinkSource
from bot.rescue.models import Pin
from bot.slack import ids
from bot.slack.blocks.messages import customer_post, share_failed
from bot.slack.forms import PinButtons
from tests.support import entry
from tests.support.inprocess import CHANNEL, STRANGER, TECH, InProcessBot, MakeBot

FIELDS = {
    "name": "Jane Doe",
    "custom1": "Acme Ltd",
    "custom2": "printer jam",
    "custom3": "",
    "custom4": "floor 3",
    "custom5": "",
    "tracking": "INC-42",
}


def action_ids(view_or_message: dict[str, Any]) -> set[str]:
    return {
        element.get("action_id", "")
        for block in view_or_message["blocks"]
        if block.get("type") == "actions"
        for element in block["elements"]
    }


def a_pin(bot: InProcessBot, user_id: str = TECH) -> dict[str, Any]:
    """Ask for a PIN through the form; return the private message that brought it."""
    opened = bot.open_pin_form(user_id)
    values = {
        **{ids.field_block(key): text for key, text in FIELDS.items()},
        ids.NO_TECH_CONSOLE_BLOCK: [ids.NO_TECH_CONSOLE_OPTION],
        ids.SMS_NUMBER_BLOCK: "+44 20 7946 0958",
        ids.SMS_LANGUAGE_BLOCK: "de",
    }
    assert bot.submit(opened.view, user_id=user_id, values=values).body == ""
    return bot.slack.wait_for_message(user_id)


def link(bot: InProcessBot, user_id: str) -> None:
    bot.rescue.add_account("own-code", email="tech@example.com")
    bot.store.save_link(
        team_id=bot.team_id,
        user_id=user_id,
        auth_code="own-code",
        email="tech@example.com",
        organization="Example Support",
        source=LinkSource.TOKEN,
    )


# The Home tab's buttons


def test_home_connect_opens_the_connect_form(bot: InProcessBot) -> None:
    sent = bot.click(STRANGER, ids.HOME_CONNECT_ACTION)
    assert (sent.response.status, sent.response.body) == (200, "")
    assert bot.opened_with(sent.trigger_id).args["view"]["callback_id"] == ids.CONNECT_MODAL


def test_home_connect_with_linking_off_says_so_instead_of_the_form(make_bot: MakeBot) -> None:
    # A Home tab published before LENSPIN_LINKING was turned off still shows the button.
    bot = make_bot(LENSPIN_ALLOWED_USERS=TECH, LENSPIN_LINKING="false")
    sent = bot.click(STRANGER, ids.HOME_CONNECT_ACTION)
    assert (sent.response.status, sent.response.body) == (200, "")
    view = bot.opened_with(sent.trigger_id).args["view"]
    # A notice, not the form: nothing to fill in.
    assert [b for b in view["blocks"] if b["type"] == "input"] == []
    assert texts.CONNECT_OFF in json.dumps(view, ensure_ascii=False)


def test_home_disconnect_forgets_the_account_and_refreshes_the_tab(bot: InProcessBot) -> None:
    link(bot, STRANGER)
    sent = bot.click(STRANGER, ids.HOME_DISCONNECT_ACTION)
    assert (sent.response.status, sent.response.body) == (200, "")
    home = bot.published_home(STRANGER)
    assert bot.store.get_link(bot.team_id, STRANGER) is None
    assert action_ids(home) == {ids.HOME_CONNECT_ACTION}
    assert texts.STATUS_NOTHING in json.dumps(home, ensure_ascii=False)


# Under a PIN: Share


def test_share_posts_only_the_customer_steps_and_updates_the_private_message(
    bot: InProcessBot,
) -> None:
    message = a_pin(bot)
    assert action_ids(message) == {ids.SHARE_ACTION, ids.AGAIN_ACTION}
    sent = bot.click_in_message(TECH, message, ids.SHARE_ACTION)
    assert (sent.response.status, sent.response.body) == (200, "")
    post = bot.slack.wait_for_call("chat.postMessage")
    assert post.args["channel"] == CHANNEL
    assert post.args["text"] == customer_post(Pin("004821"))["text"]
    assert "Jane Doe" not in json.dumps(post.args)
    assert "INC-42" not in json.dumps(post.args)
    updated = bot.slack.wait_for_response_post(sent.response_url).body
    assert updated["replace_original"] is True
    assert texts.SHARED_NOTE in json.dumps(updated["blocks"])
    assert action_ids(updated) == {ids.AGAIN_ACTION}


def test_where_lenspin_cannot_post_the_tech_gets_the_steps_to_copy(bot: InProcessBot) -> None:
    message = a_pin(bot)
    bot.slack.fail("chat.postMessage", "not_in_channel")
    sent = bot.click_in_message(TECH, message, ids.SHARE_ACTION)
    answer = bot.slack.wait_for_response_post(sent.response_url).body
    assert answer["replace_original"] is False
    assert answer["text"] == share_failed(Pin("004821"), "en")["text"]


@pytest.mark.parametrize("value", ["not json", '{"pin": "12ab56", "name": "x"}', '{"name": "x"}'])
def test_share_with_a_value_lenspin_did_not_write_does_nothing(
    bot: InProcessBot, value: str
) -> None:
    response_url = bot.slack.new_response_url(TECH, CHANNEL)
    sent = bot.click(
        TECH, ids.SHARE_ACTION, value=value, channel_id=CHANNEL, response_url=response_url
    )
    assert (sent.response.status, sent.response.body) == (200, "")
    bot.settle()
    assert bot.slack.calls_to("chat.postMessage") == []
    assert bot.slack.response_posts == []


# Under a PIN: New PIN for the same customer


def test_new_pin_reopens_the_form_with_every_value_sent_last_time(bot: InProcessBot) -> None:
    message = a_pin(bot)
    sent = bot.click_in_message(TECH, message, ids.AGAIN_ACTION)
    assert (sent.response.status, sent.response.body) == (200, "")
    view = bot.opened_with(sent.trigger_id).args["view"]
    assert view["callback_id"] == ids.PIN_MODAL
    initial = {
        block["block_id"]: block["element"]
        for block in view["blocks"]
        if block.get("type") == "input"
    }
    for key, text in FIELDS.items():
        assert initial[ids.field_block(key)].get("initial_value", "") == text
    assert initial[ids.SMS_NUMBER_BLOCK]["initial_value"] == "+442079460958"
    assert initial[ids.SMS_LANGUAGE_BLOCK]["initial_option"]["value"] == "de"
    assert initial[ids.NO_TECH_CONSOLE_BLOCK]["initial_options"][0]["value"] == (
        ids.NO_TECH_CONSOLE_OPTION
    )
    # The new PIN will come back where this click came from.
    metadata = json.loads(view["private_metadata"])
    assert sent.response_url in metadata.values()
    assert CHANNEL in metadata.values()


def test_new_pin_for_someone_elses_request_is_refused(bot: InProcessBot) -> None:
    theirs = bot.store.record_request(entry(team_id=bot.team_id, user_id=TECH))
    value = PinButtons(theirs, "004821", "Jane Doe").to_value()
    response_url = bot.slack.new_response_url(STRANGER, CHANNEL)
    sent = bot.click(
        STRANGER, ids.AGAIN_ACTION, value=value, channel_id=CHANNEL, response_url=response_url
    )
    assert (sent.response.status, sent.response.body) == (200, "")
    answer = bot.slack.wait_for_response_post(response_url).body
    assert answer["text"] == texts.AGAIN_GONE
    assert answer["replace_original"] is False
    bot.settle()
    assert bot.slack.calls_to("views.open") == []


@pytest.mark.parametrize(
    "value",
    [
        "forged",
        PinButtons(None, "004821", "Jane Doe").to_value(),
        PinButtons(999, "004821", "Jane Doe").to_value(),
    ],
    ids=["unreadable", "no-audit-row", "unknown-audit-row"],
)
def test_new_pin_without_a_request_of_ones_own_says_it_is_gone(
    bot: InProcessBot, value: str
) -> None:
    response_url = bot.slack.new_response_url(TECH, CHANNEL)
    bot.click(TECH, ids.AGAIN_ACTION, value=value, channel_id=CHANNEL, response_url=response_url)
    assert bot.slack.wait_for_response_post(response_url).body["text"] == texts.AGAIN_GONE
    bot.settle()
    assert bot.slack.calls_to("views.open") == []
