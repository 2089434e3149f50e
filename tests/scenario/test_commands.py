"""/lenspin and each subcommand, in-process: the ack, the modal opened, the private answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import texts
from bot.domain import LinkSource
from bot.slack import ids
from tests.support import entry
from tests.support.inprocess import CHANNEL, STRANGER, TECH, InProcessBot, MakeBot


def ack_json(body: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(body)
    return decoded


def initial_values(view: dict[str, Any]) -> dict[str, str]:
    """Each input block's initial text, by block_id."""
    return {
        block["block_id"]: block["element"].get("initial_value", "")
        for block in view["blocks"]
        if block.get("type") == "input" and "initial_value" in block.get("element", {})
    }


def connect(bot: InProcessBot, user_id: str, code: str = "own-code") -> None:
    """user_id has their own Rescue account connected, which Rescue knows."""
    bot.rescue.add_account(code, email="tech@example.com", organization="Example Support")
    bot.store.save_link(
        team_id=bot.team_id,
        user_id=user_id,
        auth_code=code,
        email="tech@example.com",
        organization="Example Support",
        source=LinkSource.TOKEN,
    )


def test_help_is_the_ack_itself_and_opens_nothing(bot: InProcessBot) -> None:
    sent = bot.command(TECH, "help")
    assert sent.response.status == 200
    assert ack_json(sent.response.body) == {"response_type": "ephemeral", "text": texts.HELP}
    bot.settle()
    assert bot.slack.calls_to("views.open") == []


def test_subcommands_are_read_without_case_or_spaces(bot: InProcessBot) -> None:
    sent = bot.command(TECH, "  HeLp ")
    assert ack_json(sent.response.body)["text"] == texts.HELP


def test_connect_opens_the_connect_form_with_the_commands_trigger(bot: InProcessBot) -> None:
    sent = bot.command(STRANGER, "connect")
    assert (sent.response.status, sent.response.body) == (200, "")
    view = bot.opened_with(sent.trigger_id).args["view"]
    assert view["callback_id"] == ids.CONNECT_MODAL
    blocks = {b.get("block_id") for b in view["blocks"]}
    assert ids.CONNECT_CODE_BLOCK in blocks


def test_connect_with_linking_off_says_so_in_the_ack(make_bot: MakeBot) -> None:
    bot = make_bot(LENSPIN_LINKING="false")
    sent = bot.command(TECH, "connect")
    assert ack_json(sent.response.body) == {"response_type": "ephemeral", "text": texts.CONNECT_OFF}
    bot.settle()
    assert bot.slack.calls_to("views.open") == []


def test_status_of_a_shared_code_user(bot: InProcessBot) -> None:
    sent = bot.command(TECH, "status")
    assert (sent.response.status, sent.response.body) == (200, "")
    message = bot.slack.wait_for_message(TECH)
    assert message["route"] == "response_url"
    assert message["text"] == texts.STATUS_SHARED
    assert message["raw"]["response_type"] == "ephemeral"


def test_status_of_a_connected_user_asks_rescue_about_the_account(bot: InProcessBot) -> None:
    connect(bot, STRANGER)
    bot.command(STRANGER, "status")
    text = bot.slack.wait_for_message(STRANGER)["text"]
    assert "*tech@example.com* (Example Support)" in text
    assert texts.CONSOLE_RUNNING in text


def test_status_of_a_user_with_nothing(bot: InProcessBot) -> None:
    bot.command(STRANGER, "status")
    assert bot.slack.wait_for_message(STRANGER)["text"] == texts.STATUS_NOTHING


def test_disconnect_forgets_the_account(bot: InProcessBot) -> None:
    connect(bot, STRANGER)
    sent = bot.command(STRANGER, "disconnect")
    assert (sent.response.status, sent.response.body) == (200, "")
    assert bot.slack.wait_for_message(STRANGER)["text"] == texts.DISCONNECTED
    assert bot.store.get_link(bot.team_id, STRANGER) is None


def test_disconnect_without_an_account_says_there_was_nothing(bot: InProcessBot) -> None:
    bot.command(TECH, "disconnect")
    assert bot.slack.wait_for_message(TECH)["text"] == texts.NOT_CONNECTED


def test_history_lists_the_users_own_requests_newest_first(bot: InProcessBot) -> None:
    now = datetime.now(UTC)
    bot.store.record_request(
        entry(
            team_id=bot.team_id,
            user_id=TECH,
            name="Older Customer",
            requested_at=now - timedelta(minutes=5),
        )
    )
    bot.store.record_request(
        entry(
            team_id=bot.team_id, user_id=TECH, name="Newer Customer", requested_at=now, pin="112233"
        )
    )
    bot.store.record_request(entry(team_id=bot.team_id, user_id=STRANGER, name="Not Yours"))
    bot.command(TECH, "history")
    message = bot.slack.wait_for_message(TECH)
    assert message["text"] == texts.HISTORY_TITLE
    shown = json.dumps(message["blocks"], ensure_ascii=False)
    assert shown.index("Newer Customer") < shown.index("Older Customer")
    assert "112233" in shown
    assert "Not Yours" not in shown


def test_history_when_there_is_none(bot: InProcessBot) -> None:
    bot.command(TECH, "history")
    message = bot.slack.wait_for_message(TECH)
    assert texts.HISTORY_EMPTY in json.dumps(message["blocks"], ensure_ascii=False)


def test_any_other_text_opens_the_pin_form_with_that_name(bot: InProcessBot) -> None:
    sent = bot.command(TECH, "Jane Doe", channel_id=CHANNEL)
    assert (sent.response.status, sent.response.body) == (200, "")
    view = bot.opened_with(sent.trigger_id).args["view"]
    assert view["callback_id"] == ids.PIN_MODAL
    assert initial_values(view)[ids.field_block("name")] == "Jane Doe"
    # The answer will come back by this command's response_url, in this channel.
    metadata = json.loads(view["private_metadata"])
    assert sent.response_url in metadata.values()
    assert CHANNEL in metadata.values()


def test_a_bare_command_opens_an_empty_pin_form(bot: InProcessBot) -> None:
    sent = bot.command(TECH)
    view = bot.opened_with(sent.trigger_id).args["view"]
    assert view["callback_id"] == ids.PIN_MODAL
    assert initial_values(view).get(ids.field_block("name"), "") == ""


def test_without_linking_a_user_not_allowed_is_refused_in_the_ack(make_bot: MakeBot) -> None:
    bot = make_bot(LENSPIN_ALLOWED_USERS=TECH, LENSPIN_LINKING="false")
    sent = bot.command(STRANGER, "Jane Doe")
    assert ack_json(sent.response.body) == {
        "response_type": "ephemeral",
        "text": texts.NOT_ALLOWED.format(user_id=STRANGER),
    }
    bot.settle()
    assert bot.slack.calls_to("views.open") == []


def test_with_linking_a_user_not_allowed_is_told_to_connect(bot: InProcessBot) -> None:
    sent = bot.command(STRANGER, "Jane Doe")
    assert (sent.response.status, sent.response.body) == (200, "")
    assert bot.slack.wait_for_message(STRANGER)["text"] == texts.NEEDS_CONNECT
    bot.settle()
    assert bot.slack.calls_to("views.open") == []


def test_a_user_not_allowed_but_connected_gets_the_form(bot: InProcessBot) -> None:
    connect(bot, STRANGER)
    sent = bot.command(STRANGER)
    assert bot.opened_with(sent.trigger_id).args["view"]["callback_id"] == ids.PIN_MODAL


def test_when_slack_refuses_the_modal_the_user_is_told(bot: InProcessBot) -> None:
    bot.slack.fail("views.open", "expired_trigger_id")
    bot.command(TECH, "Jane Doe")
    assert bot.slack.wait_for_message(TECH)["text"] == texts.MODAL_FAILED
