"""app_home_opened, in-process: a fresh Home tab for the Home tab, nothing for Messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot import texts
from bot.domain import LinkSource
from bot.slack import ids
from tests.support import entry
from tests.support.inprocess import STRANGER, TECH, InProcessBot, MakeBot


def action_ids(view: dict[str, Any]) -> set[str]:
    return {
        element["action_id"]
        for block in view["blocks"]
        if block.get("type") == "actions"
        for element in block["elements"]
    }


def home_opened(bot: InProcessBot, user_id: str, tab: str = "home") -> None:
    response = bot.event(
        {"type": "app_home_opened", "user": user_id, "channel": "D0HOME", "tab": tab}
    )
    assert response.status == 200


def test_the_home_tab_shows_the_shared_code_and_offers_to_connect(bot: InProcessBot) -> None:
    home_opened(bot, TECH)
    view = bot.published_home(TECH)
    assert view["type"] == "home"
    assert view["blocks"][0]["text"]["text"] == texts.HOME_TITLE
    shown = json.dumps(view, ensure_ascii=False)
    assert texts.STATUS_SHARED in shown
    assert texts.HISTORY_EMPTY in shown
    assert action_ids(view) == {ids.HOME_CONNECT_ACTION}


def test_a_connected_tech_sees_their_account_history_and_disconnect(bot: InProcessBot) -> None:
    bot.rescue.add_account("own-code", email="tech@example.com", organization="Helpdesk")
    bot.store.save_link(
        team_id=bot.team_id,
        user_id=STRANGER,
        auth_code="own-code",
        email="tech@example.com",
        organization="Helpdesk",
        source=LinkSource.TOKEN,
    )
    bot.store.record_request(
        entry(
            team_id=bot.team_id, user_id=STRANGER, name="Jane Doe", requested_at=datetime.now(UTC)
        )
    )
    home_opened(bot, STRANGER)
    view = bot.published_home(STRANGER)
    shown = json.dumps(view, ensure_ascii=False)
    assert "*tech@example.com* (Helpdesk)" in shown
    assert "Jane Doe" in shown
    assert action_ids(view) == {ids.HOME_DISCONNECT_ACTION}


def test_without_linking_the_home_tab_offers_no_connect_button(make_bot: MakeBot) -> None:
    bot = make_bot(LENSPIN_ALLOWED_USERS=TECH, LENSPIN_LINKING="false")
    home_opened(bot, TECH)
    assert action_ids(bot.published_home(TECH)) == set()


def test_the_messages_tab_is_left_alone(bot: InProcessBot) -> None:
    home_opened(bot, TECH, tab="messages")
    bot.settle()
    assert bot.slack.calls_to("views.publish") == []
