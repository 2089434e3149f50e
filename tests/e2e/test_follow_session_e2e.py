"""End to end through the Procfile's web process: a PIN's message follows its Rescue session.

One web process (two workers, each with its watcher) on PostgreSQL when the tests have one
(else SQLite), a one-second LENSPIN_WATCH_INTERVAL and a five-second LENSPIN_PIN_VALIDITY.
The stand-in Rescue's queues run on a ManualClock: a scripted customer comes when the test
moves the clock on, once lenspin has read the queue after the PIN (what was there before
is never the PIN's), and each stage of their session ends the same way, never by waiting.
Every technician is the test's own, and so is every customer's name: news meant for one
test can never satisfy another.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import text

from bot import texts
from bot.slack import ids
from bot.store import Keyring, make_engine
from bot.texts import session as words
from tests.support import (
    AUTH_CODE,
    ENCRYPTION_KEY,
    PICKED_UP,
    POSTGRES_URL,
    WAITING,
    Customer,
    FakeRescue,
    FakeSlack,
    Hang,
    HttpError,
    ManualClock,
    Result,
    Stage,
    WebProcess,
    app_env,
    click_in_message,
    database_dump,
    fresh_database,
    next_tech,
    open_pin_modal,
    submit_pin_modal,
)
from tests.support.follow import (
    INTERVAL,
    Asked,
    ask_pin,
    block_texts,
    buttons_in,
    news,
    sentence,
    wait_for_first_look,
)

VALIDITY = 5.0
SMS_NUMBER = "+44 7911 123456"
# On the stand-in's clock: when a scripted customer comes after their PIN, how long a stage
# lasts until the test moves the clock on.
COMES = 1.0
STAGE = 60.0


@dataclass
class World:
    slack: FakeSlack
    rescue: FakeRescue
    web: WebProcess
    database_url: str
    node: int  # the shared code's technician: the queue every allowlisted PIN lands in
    clock: ManualClock  # the stand-in's queues' time
    # What every test's PINs showed that the logs must not: names, fields, PINs, URLs.
    private: set[str] = field(default_factory=set)
    pins: set[str] = field(default_factory=set)

    def ask(
        self, tech: str, name: str, values: dict[str, Any] | None = None, **kwargs: Any
    ) -> Asked:
        asked = ask_pin(self.slack, self.web, tech, name, values=values, **kwargs)
        typed = [v for v in (values or {}).values() if isinstance(v, str)]
        self.private.update([name, asked.response_url.rsplit("/", 1)[1], *typed])
        self.pins.add(asked.pin)
        return asked

    def customers_come(self, *techs: str, waited: float = 0.0) -> None:
        """Once lenspin read the queue for each tech's PIN, the scripted customers come (and
        have waited this long when lenspin next looks)."""
        for tech in techs:
            wait_for_first_look(self.database_url, tech)
        self.clock.advance(COMES + waited)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    database_url = fresh_database("postgresql" if POSTGRES_URL else "sqlite")
    clock = ManualClock(1000.0)
    with (
        FakeSlack() as slack,
        FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None, clock=clock) as rescue,
    ):
        env = app_env(
            slack,
            rescue,
            DATABASE_URL=database_url,
            LENSPIN_WATCH="on",
            LENSPIN_WATCH_INTERVAL=f"{INTERVAL:g}",
            LENSPIN_PIN_VALIDITY=f"{VALIDITY:g}",
        )
        with WebProcess(env) as web:
            yield World(slack, rescue, web, database_url, rescue.tech_id(AUTH_CODE), clock)


@pytest.fixture
def w(world: World) -> World:
    world.slack.reset()
    world.rescue.reset()
    return world


def test_the_pin_message_says_the_customer_waits_then_that_the_session_started(
    w: World, tech: str
) -> None:
    w.rescue.sessions.on_pin(
        w.node, Customer(after=COMES, stages=(Stage(WAITING, STAGE), Stage(PICKED_UP)))
    )
    asked = w.ask(tech, "Jane Doe")
    assert asked.message["route"] == "response_url"

    w.customers_come(tech, waited=7)
    waiting = news(w.slack, tech, "has connected")
    found = sentence(words.WAITING, name="Jane Doe").fullmatch(waiting["text"])
    assert found is not None
    assert int(found.group(1)) in (7, 8)  # as long as Rescue says they waited
    # The same message, replaced through the command's response_url: the PIN and the
    # customer's steps as first shown, and the news under them.
    assert (waiting["ts"], waiting["route"], waiting["edits"]) == (
        asked.message["ts"],
        "response_url",
        1,
    )
    assert waiting["blocks"][:-1] == asked.message["blocks"]
    assert waiting["blocks"][-1]["text"]["text"] == waiting["text"]

    w.clock.advance(STAGE)
    started = news(w.slack, tech, "Picked up")
    assert started["text"] == words.PICKED_UP.format(name="Jane Doe")
    assert (started["ts"], started["edits"]) == (asked.message["ts"], 2)
    # Once the session started the customer needs neither the PIN nor the steps.
    assert asked.pin not in block_texts(started)
    assert buttons_in(started) == {}
    assert [m["ts"] for m in w.slack.shown_to(tech)] == [asked.message["ts"]]


def test_a_customer_who_leaves_before_the_pick_up_gets_a_new_pin_button(
    w: World, tech: str
) -> None:
    # Waiting a while, then gone from the queue without being picked up.
    w.rescue.sessions.on_pin(w.node, Customer(after=COMES, stages=(Stage(WAITING, STAGE),)))
    asked = w.ask(tech, "Lee Leaver")
    w.customers_come(tech)
    news(w.slack, tech, "has connected")
    w.clock.advance(STAGE)
    left = news(w.slack, tech, "left before")
    assert left["text"] == words.LEFT.format(name="Lee Leaver")
    assert left["ts"] == asked.message["ts"]
    assert buttons_in(left) == {ids.AGAIN_ACTION: words.NEW_PIN_BUTTON}
    assert asked.pin not in block_texts(left)


def test_a_pin_nobody_used_says_so_and_its_buttons_reopen_the_form(w: World, tech: str) -> None:
    values = {ids.field_block("custom1"): "Printer on floor 3", ids.SMS_NUMBER_BLOCK: SMS_NUMBER}
    asked = w.ask(tech, "Una Used", values)
    unused = news(w.slack, tech, "was not used")
    assert unused["text"] == words.UNUSED.format(pin=asked.pin, duration="5 seconds")
    assert unused["ts"] == asked.message["ts"]
    assert buttons_in(unused) == {
        ids.AGAIN_ACTION: words.NEW_PIN_BUTTON,
        ids.TEXT_AGAIN_ACTION: words.TEXT_AGAIN_BUTTON,
    }
    # New PIN opens the form as it was sent; Text a new PIN, with the number as well.
    for action, number in ((ids.AGAIN_ACTION, ""), (ids.TEXT_AGAIN_ACTION, "+447911123456")):
        clicked_at = time.monotonic()
        ack, _ = click_in_message(
            w.slack,
            w.web.events_url,
            user_id=tech,
            channel_id="C0GENERAL",
            message=unused,
            action_id=action,
        )
        assert ack.status == 200
        opened = w.slack.wait_for_call("views.open", lambda c, t=clicked_at: c.received_at > t)
        fields = _inputs(opened.args["view"])
        assert fields[ids.field_block("name")]["initial_value"] == "Una Used"
        assert fields[ids.field_block("custom1")]["initial_value"] == "Printer on floor 3"
        assert fields[ids.SMS_NUMBER_BLOCK].get("initial_value", "") == number


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def test_two_technicians_on_one_queue_each_hear_only_of_their_own_customer(w: World) -> None:
    ann, bob = next_tech(), next_tech()
    # Ann's customer is in a status lenspin has no words for: Rescue's own are shown.
    scanning = Stage("SESSION_UACCESS_SCAN", text="Scanning the customer's device")
    w.rescue.sessions.on_pin(w.node, Customer(after=COMES, stages=(scanning,)))
    w.rescue.sessions.on_pin(
        w.node, Customer(after=COMES, stages=(Stage(WAITING, STAGE), Stage(PICKED_UP)))
    )
    asked_ann = w.ask(ann, "Ann Archer")
    asked_bob = w.ask(bob, "Bob Baker")
    w.customers_come(ann, bob)
    said = news(w.slack, ann, "Rescue says")
    assert said["text"] == words.OTHER.format(
        name="Ann Archer", status="Scanning the customer's device"
    )
    assert said["blocks"][:-1] == asked_ann.message["blocks"]  # not started: the PIN stays
    news(w.slack, bob, "has connected")
    w.clock.advance(STAGE)
    started = news(w.slack, bob, "Picked up")
    assert started["text"] == words.PICKED_UP.format(name="Bob Baker")
    assert started["ts"] == asked_bob.message["ts"]
    # Every post either of them ever got names only their own customer.
    assert "Bob Baker" not in str(w.slack.messages_for(ann))
    assert "Ann Archer" not in str(w.slack.messages_for(bob))


def test_a_lookalike_already_waiting_is_not_taken_for_the_pins_customer(
    w: World, tech: str
) -> None:
    # Someone with the same name has waited half a minute already when the PIN is issued.
    w.rescue.sessions.add(w.node, Customer(after=-30), fields={"sCustomField0": "Pat Doe"})
    w.rescue.sessions.on_pin(w.node, Customer(after=COMES, stages=(Stage(WAITING),)))
    asked = w.ask(tech, "Pat Doe")
    wait_for_first_look(w.database_url, tech)
    # That look and the next saw the lookalike in the queue, and nothing was said.
    w.rescue.sessions.wait_for_polls(w.node, len(w.rescue.sessions.polls(w.node)) + 1)
    assert [m["edits"] for m in w.slack.shown_to(tech)] == [0]
    w.clock.advance(COMES)
    connected = news(w.slack, tech, "has connected")
    found = sentence(words.WAITING, name="Pat Doe").fullmatch(connected["text"])
    assert found is not None
    assert int(found.group(1)) < 30  # the PIN's customer's wait, not the lookalike's
    assert (connected["ts"], connected["edits"]) == (asked.message["ts"], 1)


def test_a_queue_that_fails_or_hangs_delays_no_pin_and_is_read_again(w: World, tech: str) -> None:
    other = next_tech()
    w.rescue.sessions.on_pin(w.node, Customer(after=COMES, stages=(Stage(WAITING),)))
    w.rescue.sessions.queue(w.node, HttpError(500), Result("getSession_Error"))
    w.rescue.sessions.set_default(w.node, Hang())
    w.ask(tech, "Hal Hanger")
    w.rescue.sessions.wait_for_polls(w.node, 3, timeout=10)  # the third hangs
    started = time.monotonic()
    w.ask(other, "Otto Other")
    # Slack's 3 s: with or without watching, no PIN comes near it here.
    assert time.monotonic() - started < 3.0
    # The customer comes while the queue cannot be read, then Rescue answers again: the
    # first good look, seconds after the PIN, knows them for the PIN's by how long they waited.
    w.clock.advance(COMES)
    w.rescue.sessions.set_default(w.node, None)
    waiting = news(w.slack, tech, "has connected")
    assert sentence(words.WAITING, name="Hal Hanger").fullmatch(waiting["text"])


def test_a_code_refused_for_the_queue_stops_the_watch_and_asks_to_reconnect(
    w: World, tech: str
) -> None:
    code = f"followcode{tech.lower()}"
    w.rescue.add_auth_code(code)
    _connect(w, tech, code)
    w.rescue.sessions.queue(w.rescue.tech_id(code), Result("getSession_Invalid_SecretAuthCode"))
    asked = w.ask(tech, "Rex Refused")
    (pin_call,) = [c for c in w.rescue.calls if c.operation == "requestLensPINCodeV2"]
    assert pin_call.fields["sAuthCode"] == code
    stopped = news(w.slack, tech, words.STOPPED)
    assert stopped["ts"] == asked.message["ts"]
    assert stopped["blocks"][:-1] == asked.message["blocks"]
    w.slack.send_command(w.web.events_url, user_id=tech, text="status")
    status = news(w.slack, tech, texts.STATUS_STALE.split("(", 1)[0])
    assert "Run `/lenspin connect` to connect it again." in status["text"]


def _connect(w: World, user: str, code: str) -> None:
    w.slack.send_command(w.web.events_url, user_id=user, text="connect")
    opened = w.slack.wait_for_call(
        "views.open", lambda c: c.args["view"]["callback_id"] == ids.CONNECT_MODAL
    )
    values = {ids.CONNECT_CODE_BLOCK: code}
    w.slack.submit_view(w.web.events_url, opened.args["view"], user_id=user, values=values)
    done = w.slack.wait_for_call("views.update").args["view"]
    assert done["title"]["text"] == texts.CONNECT_DONE_TITLE


def test_where_the_response_url_fails_the_pin_and_its_news_are_one_dm(w: World, tech: str) -> None:
    w.rescue.sessions.on_pin(w.node, Customer(after=COMES, stages=(Stage(WAITING),)))
    # In a private channel the app is not in, with the command's response_url refused
    # (Slack's expired_url): neither that URL nor an ephemeral post can carry the PIN.
    opened = open_pin_modal(
        w.slack, w.web.events_url, user_id=tech, text="Dee Direct", channel_id="G0SECRET"
    )
    w.slack.fail_response_url(opened.response_url)
    submit_pin_modal(w.slack, w.web.events_url, opened, user_id=tech, values={})
    pin_message = news(w.slack, tech, texts.PIN_HEADING.format(name="Dee Direct"))
    assert pin_message["route"] == "dm"
    w.private.update(["Dee Direct", opened.response_url.rsplit("/", 1)[1]])
    w.customers_come(tech)

    connected = news(w.slack, tech, "has connected")
    assert (connected["route"], connected["ts"], connected["edits"]) == (
        "dm",
        pin_message["ts"],
        1,
    )
    assert connected["blocks"][:-1] == pin_message["blocks"]
    update = w.slack.wait_for_call("chat.update", lambda c: c.args.get("ts") == pin_message["ts"])
    assert update.args["channel"] == pin_message["channel"]
    assert len(w.slack.shown_to(tech)) == 1


def test_nothing_of_a_watch_reaches_the_logs_and_its_secrets_are_stored_encrypted(
    w: World, tech: str
) -> None:
    name, note = "Quentin Quill", "Quill's laptop fan"
    w.rescue.sessions.on_pin(w.node, Customer(after=COMES, stages=(Stage(WAITING),)))
    asked = w.ask(tech, name, {ids.field_block("custom1"): note})
    w.customers_come(tech)
    news(w.slack, tech, "has connected")
    # This test's PIN, and every earlier one's: the names, fields, PINs and response_urls
    # (a bearer secret: the random last part) never reach the web process's output.
    logs = w.web.output()
    assert AUTH_CODE not in logs
    assert sorted(value for value in w.private if value in logs) == []
    assert sorted(pin for pin in w.pins if re.search(rf"(?<!\d){pin}(?!\d)", logs)) == []

    # In the database, the reply handle and the code are there encrypted, and only so.
    url_token = asked.response_url.rsplit("/", 1)[1]
    assert url_token not in database_dump(w.database_url)
    (row,) = _watch_rows(w.database_url, tech)
    plain = str({k: v for k, v in row.items() if not k.endswith("_encrypted")})
    assert url_token not in plain
    assert AUTH_CODE not in plain
    assert re.search(rf"(?<!\d){asked.pin}(?!\d)", plain) is None
    keyring = Keyring.from_setting(ENCRYPTION_KEY)
    assert keyring.decrypt(str(row["auth_code_encrypted"])) == AUTH_CODE
    reply = keyring.decrypt(str(row["reply_encrypted"]))
    assert url_token in reply
    assert asked.pin in reply


def _watch_rows(url: str, user: str) -> list[dict[str, object]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            query = text("SELECT * FROM lenspin_watches WHERE user_id = :user")
            return [dict(r) for r in connection.execute(query, {"user": user}).mappings()]
    finally:
        engine.dispose()
