"""lenspin's database failing while technicians use it: every listener answers in plain words."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import texts
from bot.domain import SecretUnreadable, StoreError, StoreUnavailable
from bot.slack import ids
from bot.slack.blocks.modals import connect_modal
from tests.support.inprocess import STRANGER, TECH, InProcessBot

FAILURES = [
    pytest.param(StoreUnavailable("the database did not answer"), id="hung"),
    pytest.param(SecretUnreadable("no key can read this"), id="wrong-key"),
]
WORDS = {StoreUnavailable: texts.DATABASE_NOT_ANSWERING, SecretUnreadable: texts.SECRET_UNREADABLE}


def words_for(failure: StoreError) -> str:
    return WORDS[type(failure)]


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("subcommand", ["status", "history", "disconnect"])
def test_a_subcommand_says_the_database_failed(
    bot: InProcessBot, subcommand: str, failure: StoreError
) -> None:
    bot.store.down = failure
    sent = bot.command(STRANGER, subcommand)
    assert (sent.response.status, sent.response.body) == (200, "")
    message = bot.slack.wait_for_message(STRANGER)
    assert message["text"] == words_for(failure)
    assert message["raw"]["response_type"] == "ephemeral"


@pytest.mark.parametrize("failure", FAILURES)
def test_the_home_tab_says_the_database_failed(bot: InProcessBot, failure: StoreError) -> None:
    bot.store.down = failure
    response = bot.event({"type": "app_home_opened", "user": TECH, "channel": "D0", "tab": "home"})
    assert response.status == 200
    view = bot.published_home(TECH)
    shown = json.dumps(view, ensure_ascii=False)
    assert json.dumps(words_for(failure), ensure_ascii=False)[1:-1] in shown
    # Nothing on the tab offers to do what the database cannot do now.
    assert ids.HOME_CONNECT_ACTION not in shown
    assert ids.HOME_DISCONNECT_ACTION not in shown


def test_home_disconnect_with_the_database_down_shows_it_on_the_tab(bot: InProcessBot) -> None:
    bot.store.down = StoreUnavailable("the database did not answer")
    sent = bot.click(STRANGER, ids.HOME_DISCONNECT_ACTION)
    assert (sent.response.status, sent.response.body) == (200, "")
    view: dict[str, Any] = bot.published_home(STRANGER)
    assert texts.DATABASE_NOT_ANSWERING.split(",")[0] in json.dumps(view, ensure_ascii=False)


def test_new_pin_with_the_database_down_says_so_instead_of_nothing(bot: InProcessBot) -> None:
    opened = bot.open_pin_form(TECH)
    bot.submit(opened.view, user_id=TECH, values={ids.field_block("name"): "Jane"})
    message = bot.slack.wait_for_message(TECH)
    bot.store.down = StoreUnavailable("the database did not answer")
    sent = bot.click_in_message(TECH, message, ids.AGAIN_ACTION)
    assert (sent.response.status, sent.response.body) == (200, "")
    post = bot.slack.wait_for_response_post(sent.response_url)
    assert post.body["text"] == texts.DATABASE_NOT_ANSWERING
    assert post.body.get("replace_original") is False


def test_a_connect_that_cannot_be_kept_says_so_instead_of_checking_forever(
    bot: InProcessBot,
) -> None:
    bot.rescue.add_account("pasted-code", email="tech@example.com")
    bot.store.down = StoreUnavailable("the database did not answer")
    sent = bot.command(STRANGER, "connect")
    assert bot.opened_with(sent.trigger_id).args["view"]["callback_id"] == ids.CONNECT_MODAL
    bot.submit(connect_modal(), user_id=STRANGER, values={ids.CONNECT_CODE_BLOCK: "pasted-code"})
    outcome = bot.slack.wait_for_call("views.update").args["view"]
    assert outcome["title"]["text"] == texts.CONNECT_FAILED_TITLE
    assert texts.DATABASE_NOT_ANSWERING in json.dumps(outcome, ensure_ascii=False)
