"""With LENSPIN_PUBLIC_URL: every way into connecting gives the link to lenspin's own page."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import texts
from bot.domain import LinkSource, StoreUnavailable
from bot.page.connect_page import ConnectPage
from bot.slack import ids
from bot.texts import page as page_texts
from bot.web import WSGIApplication
from tests.support.connect_page import Page, call_page, link_in
from tests.support.inprocess import STRANGER, TECH, WAIT, InProcessBot, MakeBot

PUBLIC_URL = "https://lenspin.example.com"
EMAIL = "stranger@helpdesk.example"
PASSWORD = "s3cret password"


@pytest.fixture
def bot(make_bot: MakeBot) -> InProcessBot:
    """lenspin with a public address: the shared code for TECH only, linking on."""
    return make_bot(LENSPIN_ALLOWED_USERS=TECH, LENSPIN_PUBLIC_URL=PUBLIC_URL)


def page_of(bot: InProcessBot) -> ConnectPage:
    assert bot.lenspin.connect_links is not None
    return ConnectPage(
        bot.lenspin.connect_links,
        shared_code=lambda who: bool(bot.settings.rescue_auth_code),
        on_connected=bot.lenspin.connected,
    )


def path_of(url: str) -> str:
    assert url.startswith(PUBLIC_URL + "/connect/")
    return url[len(PUBLIC_URL) :]


def message_for(bot: InProcessBot, user_id: str, text: str) -> dict[str, Any]:
    return bot.slack.wait_for_message(user_id, timeout=WAIT, predicate=lambda m: text in m["text"])


def test_lenspin_connect_answers_privately_with_a_link_and_no_modal(bot: InProcessBot) -> None:
    bot.slack.add_user(STRANGER, real_name="Sam <Stranger>")
    sent = bot.command(STRANGER, "connect")
    assert (sent.response.status, sent.response.body) == (200, "")
    message = message_for(bot, STRANGER, texts.CONNECT_LINK_INTRO[:40])
    assert message["route"] == "response_url"
    page = call_page(page_of(bot), "GET", path_of(link_in(message)))
    assert page.status == 200
    assert "Connect Rescue for Sam <Stranger> in Lenspin Test & Co" in page.text
    assert bot.slack.calls_to("views.open") == []


def test_the_link_connects_and_slack_hears_of_it(bot: InProcessBot) -> None:
    bot.rescue.add_account("login-code", email=EMAIL, login=PASSWORD)
    bot.command(STRANGER, "connect")
    path = path_of(link_in(message_for(bot, STRANGER, texts.CONNECT_LINK_INTRO[:40])))
    page = page_of(bot)
    form = call_page(page, "GET", path)
    fields = {"form_token": form.form_token, "method": "password"}
    done = call_page(page, "POST", path, {**fields, "email": EMAIL, "password": PASSWORD})
    assert done.by_id["account-email"] == EMAIL
    link = bot.store.get_link(bot.team_id, STRANGER)
    assert link is not None
    assert (link.auth_code, link.source) == ("login-code", LinkSource.PASSWORD)
    confirmation = message_for(bot, STRANGER, "Connected to Rescue")
    assert confirmation["route"] == "dm"
    assert EMAIL in json.dumps(bot.published_home(STRANGER))


def test_the_shared_accounts_password_is_refused_before_rescue_sees_it(bot: InProcessBot) -> None:
    # "c" is the shared code (settings_for); its account is the team's shared seat.
    bot.rescue.add_account("c", email="Shared.Seat@helpdesk.example")
    bot.command(STRANGER, "connect")
    path = path_of(link_in(message_for(bot, STRANGER, texts.CONNECT_LINK_INTRO[:40])))
    page = page_of(bot)
    form = call_page(page, "GET", path)
    assert page_texts.SHARED_NOTE in form.text  # said before anyone types
    fields = {"form_token": form.form_token, "method": "password", "password": PASSWORD}
    refused = call_page(page, "POST", path, {**fields, "email": " shared.seat@HELPDESK.example "})
    assert refused.by_id["error"] == page_texts.SHARED_ACCOUNT
    assert bot.rescue.sign_ins == []
    assert bot.store.get_link(bot.team_id, STRANGER) is None


def test_home_connect_opens_a_modal_at_once_then_shows_the_link(bot: InProcessBot) -> None:
    sent = bot.click(STRANGER, ids.HOME_CONNECT_ACTION)
    opened = bot.opened_with(sent.trigger_id)
    assert texts.CONNECT_LINK_PREPARING in json.dumps(opened.args["view"], ensure_ascii=False)
    updated = bot.slack.wait_for_call("views.update", timeout=WAIT)
    link = link_in(updated.args["view"])
    assert call_page(page_of(bot), "GET", path_of(link)).status == 200
    # The link's button is acked like any click, and does nothing else.
    clicked = bot.click(STRANGER, ids.CONNECT_LINK_ACTION)
    assert clicked.response.status == 200


def test_a_stranger_who_must_connect_first_gets_the_link_with_the_reason(
    bot: InProcessBot,
) -> None:
    bot.command(STRANGER, "Jane Doe")
    message = message_for(bot, STRANGER, texts.NEEDS_CONNECT)
    assert message["blocks"][0]["text"]["text"] == texts.NEEDS_CONNECT
    assert call_page(page_of(bot), "GET", path_of(link_in(message))).status == 200
    bot.global_shortcut(STRANGER)
    direct = bot.slack.wait_for_message(
        STRANGER, timeout=WAIT, predicate=lambda m: m["route"] == "dm"
    )
    assert direct["blocks"][0]["text"]["text"] == texts.NEEDS_CONNECT
    assert link_in(direct) != link_in(message)  # each answer, its own link


def test_a_pin_refused_for_want_of_an_account_comes_with_the_link(bot: InProcessBot) -> None:
    bot.store.save_link(
        team_id=bot.team_id,
        user_id=STRANGER,
        auth_code="own-code",
        email=EMAIL,
        organization="Helpdesk",
        source=LinkSource.TOKEN,
    )
    opened = bot.open_pin_form(STRANGER, "Jane Doe")
    # Disconnected between opening the form and sending it.
    bot.store.delete_link(bot.team_id, STRANGER)
    bot.submit(opened.view, user_id=STRANGER)
    message = message_for(bot, STRANGER, "Jane Doe")
    assert texts.NEEDS_CONNECT in json.dumps(message)
    assert call_page(page_of(bot), "GET", path_of(link_in(message))).status == 200


def test_no_link_while_the_database_is_down_just_plain_words(bot: InProcessBot) -> None:
    bot.store.down = StoreUnavailable("the database did not answer within 3 s", timed_out=True)
    bot.command(STRANGER, "connect")
    message = message_for(bot, STRANGER, "database")
    assert message["text"] == texts.DATABASE_NOT_ANSWERING
    down = call_page(page_of(bot), "GET", "/connect/" + "A" * 43)
    assert (down.status, down.by_id["message"]) == (503, page_texts.DATABASE)


def test_without_a_public_url_there_is_no_page_and_the_form_takes_a_code(
    make_bot: MakeBot,
) -> None:
    bot = make_bot(LENSPIN_ALLOWED_USERS=TECH)
    assert bot.lenspin.connect_links is None
    app = WSGIApplication(bot.lenspin, bot.settings.slack_signing_secret)
    assert call_page(app, "GET", "/connect/" + "A" * 43).status == 404
    sent = bot.command(STRANGER, "connect")
    view = bot.opened_with(sent.trigger_id).args["view"]
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == [
        ids.CONNECT_CODE_BLOCK
    ]


def test_with_linking_off_a_public_url_opens_no_page(make_bot: MakeBot) -> None:
    bot = make_bot(LENSPIN_ALLOWED_USERS=TECH, LENSPIN_PUBLIC_URL=PUBLIC_URL, LENSPIN_LINKING="off")
    assert bot.lenspin.connect_links is None
    sent = bot.command(STRANGER, "connect")
    assert texts.CONNECT_OFF in sent.response.body


def test_every_page_answer_carries_the_headers(bot: InProcessBot) -> None:
    page = page_of(bot)
    answers: list[Page] = [
        call_page(page, "GET", "/connect/" + "A" * 43),
        call_page(page, "POST", "/connect/" + "A" * 43, {"form_token": "x"}),
        call_page(page, "PUT", "/connect/" + "A" * 43),
        call_page(page, "HEAD", "/connect/x"),
    ]
    for answer in answers:
        answer.assert_headers()
    assert [a.status for a in answers] == [404, 404, 405, 404]
    assert answers[2].headers["Allow"] == "GET, HEAD, POST"
    assert answers[3].html == ""
