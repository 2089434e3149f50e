"""SessionNews and its handle (bot/slack/follow.py): in place while Slack allows, else a DM."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain import CodeSource, Credential, Requester, SessionState, Watch, session_fields
from bot.rescue.models import Pin
from bot.slack.blocks.session import PinMessage, followed_message
from bot.slack.follow import (
    RESPONSE_URL_LIFETIME,
    RESPONSE_URL_POSTS,
    Reply,
    SessionNews,
    reply_for,
)
from bot.slack.forms import PinButtons
from bot.slack.io.delivery import Delivered

T0 = 1_780_000_000.0
VALIDITY = 1200.0
# A response_url is a bearer secret: it must never reach a log.
SECRET_URL = "https://hooks.slack.com/actions/T1/123/secret-part-of-the-response-url"


def shown(sms: str = "+442079460958") -> PinMessage:
    pin = Pin("004821")
    return PinMessage(
        pin=pin,
        name="Jane <Doe> & Co",
        language="de",
        sms_number=sms,
        shared=False,
        buttons=PinButtons(41, pin.code, "Jane <Doe> & Co", sms, "de").to_value(),
        again=PinButtons(41, pin.code, "Jane <Doe> & Co", "", "de").to_value(),
        text_again=PinButtons(41, pin.code, "Jane <Doe> & Co", sms, "de").to_value(),
    )


def reply(**changes: Any) -> Reply:
    """The handle of a PIN delivered by response_url at T0, after a place-in-line note."""
    made = reply_for("U1", Delivered("response_url"), SECRET_URL, shown(), posts=2)
    return replace(made, sent_at=T0, **changes)  # reply_for's sent_at is now


def watch(handle: str, *, uses: int = 0, state: SessionState = SessionState.WAITING) -> Watch:
    issued = datetime.fromtimestamp(T0, UTC)
    return Watch(
        id=7,
        requester=Requester("T1", "U1"),
        audit_id=41,
        node_id=2001,
        credential=Credential("code", CodeSource.SHARED),
        fields=session_fields({"name": "Jane <Doe> & Co"}),
        issued_at=issued,
        expires_at=issued + timedelta(seconds=VALIDITY),
        state=state,
        status_text="Waiting",
        status_since=issued,
        updated_at=issued,
        reply=handle,
        reply_uses=uses,
    )


class FakeDelivery:
    """Delivery's three calls SessionNews makes, recorded; each answers as told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, dict[str, Any]]] = []
        self.replaced = True
        self.updated = True
        self.posted: Delivered | None = Delivered("dm", "D0DM", "1700000000.000200")

    def replace(self, response_url: str, message: dict[str, Any]) -> bool:
        self.calls.append(("replace", response_url, message))
        return self.replaced

    def update_dm(self, channel: str, ts: str, message: dict[str, Any]) -> bool:
        self.calls.append(("update_dm", (channel, ts), message))
        return self.updated

    def post_dm(self, user_id: str, message: dict[str, Any]) -> Delivered | None:
        self.calls.append(("post_dm", user_id, message))
        return self.posted


class Rig:
    def __init__(self, now: float = T0 + 60) -> None:
        self.delivery = FakeDelivery()
        self.refreshed: list[Watch] = []
        self.now = now
        self.news = SessionNews(
            lambda _who: self.delivery,  # type: ignore[arg-type,return-value]
            validity=VALIDITY,
            refresh=self.refreshed.append,
            clock=lambda: self.now,
        )

    def tell(self, w: Watch) -> str | None:
        return self.news.on_change(w, w.reply)

    def routes(self) -> list[str]:
        return [name for name, _, _ in self.delivery.calls]


# The handle


def test_a_handle_round_trips_whole() -> None:
    original = reply()
    assert Reply.from_handle(original.to_handle()) == original
    dm = replace(original, route="dm", response_url="", channel="D0DM", ts="1.2", posts=0)
    assert Reply.from_handle(dm.to_handle()) == dm
    no_sms = reply(shown=replace(shown(), sms_number="", text_again=None, buttons=None))
    assert Reply.from_handle(no_sms.to_handle()) == no_sms
    assert original.shown == shown()


def test_the_handle_keeps_the_response_url_only_for_that_route() -> None:
    by_url = reply_for("U1", Delivered("response_url"), SECRET_URL, shown(), posts=1)
    assert by_url.response_url == SECRET_URL
    by_dm = reply_for("U1", Delivered("dm", "D0DM", "1.2"), SECRET_URL, shown(), posts=0)
    assert (by_dm.response_url, by_dm.channel, by_dm.ts) == ("", "D0DM", "1.2")
    ephemeral = reply_for("U1", Delivered("ephemeral"), SECRET_URL, shown(), posts=0)
    assert ephemeral.response_url == ""


UNREADABLE = [
    "",
    "not json",
    "null",
    "5",
    '"a string"',
    "[]",
    json.dumps({"user_id": "U1", "response_url": SECRET_URL}),
    json.dumps({**asdict(reply()), "unknown": 1}),
    json.dumps({**asdict(reply()), "response_url": SECRET_URL})[:-5],
]


@pytest.mark.parametrize("handle", UNREADABLE)
def test_anything_to_handle_did_not_write_reads_as_none(handle: str) -> None:
    assert Reply.from_handle(handle) is None


@pytest.mark.parametrize("handle", UNREADABLE)
def test_an_unreadable_handle_is_a_warning_that_shows_none_of_it(
    handle: str, caplog: pytest.LogCaptureFixture
) -> None:
    rig = Rig()
    with caplog.at_level(logging.DEBUG):
        assert rig.tell(watch(handle)) is None
    assert rig.delivery.calls == []
    (record,) = [r for r in caplog.records if r.name == "bot.slack.follow"]
    assert record.levelno == logging.WARNING
    assert "7" in record.getMessage()  # the watch, by id
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "secret-part" not in logged
    # The message names the watch; nothing of the handle (beyond a digit or two) is in it.
    if len(handle) > 2:
        assert handle not in logged


# In place while the response_url lasts


@pytest.mark.parametrize(
    ("posts", "uses", "left"),
    [
        (1, 0, True),  # the PIN alone, no news yet
        (1, 3, True),  # the PIN and three updates: one post left
        (1, 4, False),  # the PIN and four updates: five posts
        (2, 2, True),  # the note, the PIN and two updates: one post left
        (2, 3, False),  # the note, the PIN and three updates: five posts
        (0, RESPONSE_URL_POSTS - 1, True),
        (0, RESPONSE_URL_POSTS, False),
    ],
)
def test_the_response_url_takes_five_posts_in_all(posts: int, uses: int, left: bool) -> None:
    now = T0 + 60
    assert SessionNews._url_left(reply(posts=posts), uses, now) is left


@pytest.mark.parametrize(
    ("age", "left"),
    [
        (0.0, True),
        (RESPONSE_URL_LIFETIME - 0.001, True),
        (RESPONSE_URL_LIFETIME, False),
        (RESPONSE_URL_LIFETIME + 1, False),
        (30 * 60.0, False),  # Slack's own half hour: a minute's margin is kept
    ],
)
def test_the_response_url_is_used_for_29_minutes_at_most(age: float, left: bool) -> None:
    assert RESPONSE_URL_LIFETIME == 29 * 60.0
    assert SessionNews._url_left(reply(posts=1), 0, T0 + age) is left


def test_news_replaces_the_pin_message_while_the_url_lasts() -> None:
    rig = Rig()
    w = watch(reply().to_handle())
    assert rig.tell(w) is None  # the same handle goes on
    ((route, url, message),) = rig.delivery.calls
    assert (route, url) == ("replace", SECRET_URL)
    expected = followed_message(
        w, shown(), now=datetime.fromtimestamp(rig.now, UTC), validity=VALIDITY
    )
    assert message == expected
    assert rig.refreshed == [w]


def test_after_five_posts_a_dm_says_it_and_the_next_news_edits_that_dm() -> None:
    rig = Rig()
    handle = reply(posts=2).to_handle()
    # The note and the PIN went by the URL; three updates follow it.
    for uses in range(3):
        assert rig.tell(watch(handle, uses=uses)) is None
    assert rig.routes() == ["replace"] * 3
    moved = rig.tell(watch(handle, uses=3))
    assert rig.routes()[-1] == "post_dm"
    assert moved is not None
    dm = Reply.from_handle(moved)
    assert dm is not None
    assert (dm.route, dm.channel, dm.ts) == ("dm", "D0DM", "1700000000.000200")
    assert dm.shown == shown()  # drawn the same way from here on
    # The watcher keeps the new handle; its uses start again.
    assert rig.tell(watch(moved, uses=0, state=SessionState.PICKED_UP)) is None
    assert rig.delivery.calls[-1][:2] == ("update_dm", ("D0DM", "1700000000.000200"))
    assert len(rig.refreshed) == 5


def test_a_url_past_its_half_hour_hands_over_to_a_dm() -> None:
    rig = Rig(now=T0 + RESPONSE_URL_LIFETIME)
    assert rig.tell(watch(reply(posts=1).to_handle())) is not None
    assert rig.routes() == ["post_dm"]


def test_a_url_slack_refuses_hands_over_to_a_dm() -> None:
    rig = Rig()
    rig.delivery.replaced = False
    moved = rig.tell(watch(reply().to_handle()))
    assert rig.routes() == ["replace", "post_dm"]
    assert moved is not None
    assert Reply.from_handle(moved).route == "dm"  # type: ignore[union-attr]


def test_an_ephemeral_pin_gets_its_news_by_dm() -> None:
    rig = Rig()
    ephemeral = reply(route="ephemeral", response_url="", posts=0)
    moved = rig.tell(watch(ephemeral.to_handle()))
    assert rig.routes() == ["post_dm"]
    assert Reply.from_handle(moved or "").route == "dm"  # type: ignore[union-attr]


def test_a_dm_that_cannot_be_edited_gets_a_new_one() -> None:
    rig = Rig()
    rig.delivery.updated = False
    dm = reply(route="dm", response_url="", channel="D0OLD", ts="1.1", posts=0)
    moved = rig.tell(watch(dm.to_handle()))
    assert rig.routes() == ["update_dm", "post_dm"]
    assert Reply.from_handle(moved or "").ts == "1700000000.000200"  # type: ignore[union-attr]


def test_when_no_route_works_the_handle_stays() -> None:
    rig = Rig()
    rig.delivery.posted = None
    ephemeral = reply(route="ephemeral", response_url="", posts=0)
    assert rig.tell(watch(ephemeral.to_handle())) is None
    # The Home tab still shows the news.
    assert len(rig.refreshed) == 1
