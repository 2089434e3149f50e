"""Following a PIN's session, in-process (issue 13): the PIN's message, the Home tab, history.

lenspin runs with LENSPIN_WATCH=on on MemoryRescue, whose queues the tests script. The
watches' turns run on a VirtualClock: a queue is due again only when a test moves that
clock, and Watcher.poll_once() then looks at once on the test's thread. The Watcher's own
runner may take a turn first; whichever looks, the outcome is the same, so each step awaits
what Slack received, with a deadline, and never sleeps.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest

from bot import texts
from bot.domain import StoreUnavailable, Watch
from bot.rescue.models import SessionStatus
from bot.slack import ids
from bot.texts import session as words
from tests.support import FakeSlack, ResponsePost, VirtualClock, queued
from tests.support.doubles import MemoryStore
from tests.support.inprocess import CHANNEL, STRANGER, TECH, InProcessBot, in_process_bot

S = SessionStatus
NODE = 4242  # the Rescue technician whose code is the shared one ("c" in settings_for)
INTERVAL = 1.0
WAIT = 5.0
SMS = "+442079460958"


@dataclass
class Follow:
    """lenspin watching, the queue it watches, and the clock its turns run on."""

    bot: InProcessBot
    clock: VirtualClock

    @property
    def slack(self) -> FakeSlack:
        return self.bot.slack

    def pin(self, user_id: str = TECH, name: str = "Jane Doe", *, fail_url: bool = False) -> str:
        """Ask for a PIN through the form (with an SMS number); its response_url."""
        opened = self.bot.open_pin_form(user_id)
        if fail_url:
            self.slack.fail_response_url(opened.response_url)
        values = {ids.field_block("name"): name, ids.SMS_NUMBER_BLOCK: "+44 20 7946 0958"}
        assert self.bot.submit(opened.view, user_id=user_id, values=values).body == ""
        self.slack.wait_for_message(user_id, predicate=lambda m: name in str(m["text"]))
        return opened.response_url

    def watched(self, count: int = 1) -> None:
        """Wait until count PINs are watched and the queue was looked at since each came."""
        # The first watch's first look is at once; a later one's waits for the queue's turn.
        self.bot.store.watched.wait_until(lambda ws: len(ws) == count, WAIT)
        self.until(
            lambda ws: all(w.baseline is not None for w in ws),
            f"a first look for each of {count} PINs",
        )

    def queue(self, *sessions: Any) -> None:
        self.bot.rescue.queues[NODE] = list(sessions)

    def until(self, done: Callable[[list[Watch]], bool], what: str) -> None:
        """Make the queue due and look, until done(the watches); fail past the deadline.

        done runs with the watches' lock held (it is given them): it must not ask the store.
        """
        deadline = time.monotonic() + WAIT
        while not self._holds(done, 0):
            if time.monotonic() > deadline:
                raise AssertionError(f"never happened: {what}")
            self.clock.advance(INTERVAL)
            self.bot.lenspin.watcher.poll_once()  # type: ignore[union-attr]
            # The runner may have taken the turn: its writes (each look's) wake this early.
            if self._holds(done, 0.1):
                return

    def _holds(self, done: Callable[[list[Watch]], bool], timeout: float) -> bool:
        try:
            self.bot.store.watched.wait_until(done, timeout)
        except AssertionError:
            return False
        return True

    def posts(self, url: str) -> list[ResponsePost]:
        return [p for p in self.slack.response_posts if p.url == url]

    def next_post(self, url: str) -> dict[str, Any]:
        """Look until one more post reaches url; its body."""
        before = len(self.posts(url))
        self.until(lambda _: len(self.posts(url)) > before, f"post {before + 1} to the URL")
        post = self.posts(url)[before]
        assert post.status == 200
        return post.body

    def next_call(self, method: str) -> dict[str, Any]:
        """Look until one more call of method; its arguments."""
        before = len(self.slack.calls_to(method))
        self.until(lambda _: len(self.slack.calls_to(method)) > before, f"a {method} call")
        return self.slack.calls_to(method)[before].args


@pytest.fixture
def make_follow(slack: FakeSlack) -> Iterator[Callable[..., Follow]]:
    with ExitStack() as stack:

        def make(**env: str) -> Follow:
            clock = VirtualClock()
            settings = {
                "LENSPIN_ALLOWED_USERS": TECH,
                "LENSPIN_WATCH": "on",
                "LENSPIN_WATCH_INTERVAL": str(INTERVAL),
                "LENSPIN_PIN_VALIDITY": "30",
                **env,
            }
            bot = stack.enter_context(
                in_process_bot(slack, store=MemoryStore(watch_clock=clock.time), **settings)
            )
            bot.rescue.add_account("c", tech_id=NODE)
            return Follow(bot, clock)

        yield make


@pytest.fixture
def follow(make_follow: Callable[..., Follow]) -> Follow:
    return make_follow()


def news_of(message: dict[str, Any]) -> str:
    return str(message["text"])


def action_ids(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]


def home_opened(bot: InProcessBot, user_id: str) -> dict[str, Any]:
    before = len(bot.slack.calls_to("views.publish"))
    bot.event({"type": "app_home_opened", "user": user_id, "channel": "D0HOME", "tab": "home"})
    call = bot.slack.wait_for_call(
        "views.publish",
        lambda c: (
            c.args.get("user_id") == user_id
            and bot.slack.calls_to("views.publish").index(c) >= before
        ),
    )
    view: dict[str, Any] = call.args["view"]
    return view


def test_the_pin_message_is_replaced_in_place_as_the_session_moves(follow: Follow) -> None:
    url = follow.pin()
    follow.watched()
    follow.queue(queued(11, "Jane Doe", waiting=3))
    waiting = follow.next_post(url)
    assert waiting["replace_original"] is True
    assert news_of(waiting).startswith(words.WAITING.split("{seconds}")[0].format(name="Jane Doe"))
    assert "004821" in json.dumps(waiting["blocks"])  # the customer may still need the PIN
    follow.queue(queued(11, "Jane Doe", S.PICKED_UP))
    picked = follow.next_post(url)
    assert picked["replace_original"] is True
    assert news_of(picked) == words.PICKED_UP.format(name="Jane Doe")
    assert action_ids(picked) == []
    # All in place: no DM, and the URL took three posts of its five.
    assert follow.slack.calls_to("chat.postMessage") == []
    assert len(follow.posts(url)) == 3
    # The audit row keeps the outcome, and the history shows it.
    (record,) = follow.bot.store.audit
    assert record.session_state == "picked_up"
    assert record.connect_seconds is not None
    assert record.pickup_seconds is not None
    assert record.pickup_seconds >= record.connect_seconds
    sent = follow.bot.command(TECH, "history")
    history = follow.slack.wait_for_response_post(sent.response_url).body
    assert f"· {words.STATE_WORDS['picked_up']} (connected after " in json.dumps(
        history["blocks"], ensure_ascii=False
    )


def test_after_five_posts_the_news_goes_by_dm_and_then_edits_that_dm(follow: Follow) -> None:
    url = follow.pin()  # post 1
    follow.watched()
    steps = [
        (queued(11, "Jane Doe"), words.WAITING.split(" (")[0]),
        (queued(11, "Jane Doe", S.OFFLINE, text="Offline"), "Rescue says: Offline."),
        (queued(11, "Jane Doe", S.CONNECTION_PROBLEM, text="Reconnecting"), "Reconnecting"),
        (queued(11, "Jane Doe"), words.WAITING.split(" (")[0]),
    ]
    for session, said in steps:  # posts 2 to 5
        follow.queue(session)
        assert said.format(name="Jane Doe") in news_of(follow.next_post(url))
    follow.queue(queued(11, "Jane Doe", S.OFFLINE, text="Offline"))
    dm = follow.next_call("chat.postMessage")
    assert dm["channel"] == TECH
    assert "Rescue says: Offline." in dm["text"]
    follow.queue(queued(11, "Jane Doe", S.PICKED_UP))
    edit = follow.next_call("chat.update")
    assert (edit["channel"], edit["text"]) == (
        follow.slack.dm_channel_id(TECH),
        words.PICKED_UP.format(name="Jane Doe"),
    )
    assert edit["ts"]
    # Five posts to the URL, every one accepted; none tried past Slack's limit.
    assert [p.status for p in follow.posts(url)] == [200] * 5
    assert len(follow.slack.calls_to("chat.postMessage")) == 1


def test_a_pin_that_came_ephemeral_gets_its_news_by_dm(follow: Follow) -> None:
    url = follow.pin(fail_url=True)  # Slack refuses the URL: the PIN goes by postEphemeral
    (ephemeral,) = follow.slack.calls_to("chat.postEphemeral")
    assert (ephemeral.args["channel"], ephemeral.args["user"]) == (CHANNEL, TECH)
    follow.watched()
    follow.queue(queued(11, "Jane Doe"))
    dm = follow.next_call("chat.postMessage")
    assert dm["channel"] == TECH
    assert "004821" in json.dumps(dm["blocks"])
    follow.queue(queued(11, "Jane Doe", S.PICKED_UP))
    edit = follow.next_call("chat.update")
    assert edit["text"] == words.PICKED_UP.format(name="Jane Doe")
    # The refused URL was tried for the PIN only, never for the news.
    assert [p.status for p in follow.posts(url)] == [404]


def test_an_unused_pin_offers_a_new_one_and_the_form_comes_prefilled(
    make_follow: Callable[..., Follow],
) -> None:
    follow = make_follow(LENSPIN_PIN_VALIDITY="0.3")
    url = follow.pin()
    follow.watched()
    unused = follow.next_post(url)
    assert news_of(unused) == words.UNUSED.format(pin="004821", duration=words.ONE_SECOND)
    assert action_ids(unused) == [ids.AGAIN_ACTION, ids.TEXT_AGAIN_ACTION]
    assert follow.bot.store.audit[0].session_state == "unused"

    def form_after(action_id: str) -> dict[str, Any]:
        sent = follow.bot.click_in_message(TECH, unused, action_id)
        assert (sent.response.status, sent.response.body) == (200, "")
        view: dict[str, Any] = follow.bot.opened_with(sent.trigger_id).args["view"]
        assert view["callback_id"] == ids.PIN_MODAL
        return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}

    again = form_after(ids.AGAIN_ACTION)
    assert again[ids.field_block("name")]["initial_value"] == "Jane Doe"
    assert "initial_value" not in again[ids.SMS_NUMBER_BLOCK]
    text_again = form_after(ids.TEXT_AGAIN_ACTION)
    assert text_again[ids.field_block("name")]["initial_value"] == "Jane Doe"
    assert text_again[ids.SMS_NUMBER_BLOCK]["initial_value"] == SMS


def test_the_home_tab_refreshes_on_a_change_and_lists_the_pin(follow: Follow) -> None:
    follow.pin()
    follow.watched()
    assert follow.slack.calls_to("views.publish") == []  # no change yet, no refresh
    follow.queue(queued(11, "Jane Doe", waiting=0))
    published = follow.next_call("views.publish")
    assert published["user_id"] == TECH
    shown = json.dumps(published["view"], ensure_ascii=False)
    assert words.HOME_HEADING in shown
    assert f"Jane Doe · {words.STATE_WORDS['waiting']} (" in shown


def test_on_the_shared_code_each_technician_sees_only_their_own_pins(
    make_follow: Callable[..., Follow],
) -> None:
    follow = make_follow(LENSPIN_ALLOWED_USERS=f"{TECH},{STRANGER}")
    follow.pin(TECH, "Ada Lovelace")
    follow.pin(STRANGER, "Alan Turing")
    follow.watched(2)
    # (Names the Home tab's how-to does not use.)
    # The same queue, one code: the shared one.
    assert {w.node_id for w in follow.bot.store.watched.all} == {NODE}
    mine = json.dumps(home_opened(follow.bot, TECH), ensure_ascii=False)
    theirs = json.dumps(home_opened(follow.bot, STRANGER), ensure_ascii=False)
    assert words.HOME_HEADING in mine
    assert words.HOME_HEADING in theirs
    assert "Ada Lovelace" in mine
    assert "Alan Turing" not in mine
    assert "Alan Turing" in theirs
    assert "Ada Lovelace" not in theirs


def test_a_failing_read_of_the_pins_followed_leaves_the_rest_of_the_tab(follow: Follow) -> None:
    follow.bot.store.watched.down = StoreUnavailable("the database did not answer")
    shown = json.dumps(home_opened(follow.bot, TECH), ensure_ascii=False)
    assert f"{words.HOME_HEADING}\\n{texts.DATABASE_NOT_ANSWERING}" in shown
    assert texts.STATUS_SHARED in shown
    assert texts.HISTORY_EMPTY in shown
    assert ids.HOME_CONNECT_ACTION in shown


def test_with_watching_off_nothing_is_watched_and_the_tab_has_no_such_section(
    make_follow: Callable[..., Follow],
) -> None:
    follow = make_follow(LENSPIN_WATCH="off")
    follow.pin()
    shown = json.dumps(home_opened(follow.bot, TECH), ensure_ascii=False)
    assert words.HOME_HEADING not in shown
    assert "Jane Doe" in shown  # in the history, as before
    follow.bot.settle()
    assert follow.bot.store.watched.all == []
    assert follow.bot.rescue.account_lookups == []
    assert follow.bot.rescue.session_calls == []


def test_news_after_sharing_keeps_the_message_shared_and_goes_through_the_clicks_url(
    follow: Follow,
) -> None:
    url = follow.pin()
    follow.watched()
    message = follow.slack.wait_for_response_post(url).body
    sent = follow.bot.click_in_message(TECH, message, ids.SHARE_ACTION)
    shared = follow.slack.wait_for_response_post(sent.response_url).body
    assert texts.SHARED_NOTE in json.dumps(shared["blocks"], ensure_ascii=False)
    # The watch now knows: wait until its handle names the click's URL.
    follow.bot.store.watched.wait_until(
        lambda ws: sent.response_url in ws[0].reply and ws[0].reply_uses == 0, WAIT
    )
    follow.queue(queued(11, "Jane Doe", waiting=3))
    waiting = follow.next_post(sent.response_url)
    assert waiting["replace_original"] is True
    blocks = json.dumps(waiting["blocks"], ensure_ascii=False)
    assert texts.SHARED_NOTE in blocks  # still says the steps were shared
    assert ids.SHARE_ACTION not in action_ids(waiting)  # and offers no second share
    assert len(follow.posts(url)) == 1  # the command's URL took only the PIN
