"""End to end: following sessions across web processes, restarts, and with watching off.

Each test runs web processes of its own (the Procfile's line) on a database of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import pytest

from bot import texts
from bot.slack import ids
from bot.texts import session as words
from tests.support import (
    AUTH_CODE,
    POSTGRES_URL,
    WAITING,
    Customer,
    FakeRescue,
    FakeSlack,
    Stage,
    WebProcess,
    app_env,
    fresh_database,
    next_tech,
)
from tests.support.follow import ARRIVES, INTERVAL, ask_pin, news, sentence

# Long enough that no PIN here ends unused while a test looks.
VALIDITY = "60"


@contextmanager
def stand_ins() -> Iterator[tuple[FakeSlack, FakeRescue]]:
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        yield slack, rescue


def watching_env(slack: FakeSlack, rescue: FakeRescue, **overrides: str) -> dict[str, str]:
    overrides.setdefault("LENSPIN_WATCH", "on")
    return app_env(
        slack,
        rescue,
        LENSPIN_WATCH_INTERVAL=f"{INTERVAL:g}",
        LENSPIN_PIN_VALIDITY=VALIDITY,
        **overrides,
    )


def test_a_watch_lives_in_the_database_and_outlives_a_restart() -> None:
    tech = next_tech()
    with stand_ins() as (slack, rescue):
        env = watching_env(slack, rescue)
        node = rescue.tech_id(AUTH_CODE)
        with WebProcess(env) as first:
            asked = ask_pin(slack, first, tech, "Rita Restart")
            # A second look means the first one (what the queue held at the PIN) was saved.
            rescue.sessions.wait_for_polls(node, 2, timeout=10)
        # Stopped as a deploy stops it. The customer comes while no process is running: to a
        # process that did not know the queue before the PIN, they would look already there.
        rescue.sessions.add(node, Customer(), fields={"sCustomField0": "Rita Restart"})
        assert slack.shown_to(tech)[0]["edits"] == 0
        with WebProcess(env):
            connected = news(slack, tech, "has connected")
    assert sentence(words.WAITING, name="Rita Restart").fullmatch(connected["text"])
    assert (connected["ts"], connected["edits"]) == (asked.message["ts"], 1)
    assert connected["blocks"][:-1] == asked.message["blocks"]


@pytest.mark.skipif(not POSTGRES_URL, reason="LENSPIN_TEST_DATABASE_URL is not set")
def test_two_web_processes_on_one_database_read_each_queue_once_an_interval() -> None:
    ann, bob, cy = next_tech(), next_tech(), next_tech()
    with stand_ins() as (slack, rescue), ExitStack() as stack:
        env = watching_env(slack, rescue, DATABASE_URL=fresh_database("postgresql"))
        # Each with its two workers (WEB_CONCURRENCY's default): four watchers, one database.
        one, two = WebProcess(env), WebProcess(env)
        with ThreadPoolExecutor(2) as starting:
            for web in starting.map(lambda process: process.start(), (one, two)):
                stack.callback(web.stop)
        shared = rescue.tech_id(AUTH_CODE)
        own_code = f"followcode{cy.lower()}"
        rescue.add_auth_code(own_code)
        own = rescue.tech_id(own_code)
        _connect(slack, two, cy, own_code)
        waiting = Customer(after=ARRIVES, stages=(Stage(WAITING),))
        for node in (shared, shared, own):
            rescue.sessions.on_pin(node, waiting)
        ask_pin(slack, one, ann, "Ann Archer")
        ask_pin(slack, two, bob, "Bob Baker")
        ask_pin(slack, two, cy, "Cy Cooper")
        # Every technician hears of their own customer, whichever process asked for the PIN.
        for tech, name in ((ann, "Ann Archer"), (bob, "Bob Baker"), (cy, "Cy Cooper")):
            said = news(slack, tech, "has connected")
            assert sentence(words.WAITING, name=name).fullmatch(said["text"])
        # From the first PIN on (the watches added, the leases raced for), each queue was
        # read an interval apart at least: by one process at a time, each turn once.
        for node in (shared, own):
            polls = rescue.sessions.wait_for_polls(node, 6, timeout=20)
            gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(polls)]
            assert min(gaps) >= INTERVAL - 0.05, gaps


def _connect(slack: FakeSlack, web: WebProcess, user: str, code: str) -> None:
    slack.send_command(web.events_url, user_id=user, text="connect")
    opened = slack.wait_for_call(
        "views.open", lambda c: c.args["view"]["callback_id"] == ids.CONNECT_MODAL
    )
    slack.submit_view(
        web.events_url, opened.args["view"], user_id=user, values={ids.CONNECT_CODE_BLOCK: code}
    )
    done = slack.wait_for_call("views.update").args["view"]
    assert done["title"]["text"] == texts.CONNECT_DONE_TITLE


def test_with_watching_off_no_queue_is_read_and_the_pin_message_stays() -> None:
    tech = next_tech()
    with stand_ins() as (slack, rescue):
        node = rescue.tech_id(AUTH_CODE)
        rescue.sessions.on_pin(node, Customer(after=0.2, stages=(Stage(WAITING),)))
        with WebProcess(watching_env(slack, rescue, LENSPIN_WATCH="off")) as web:
            asked = ask_pin(slack, web, tech, "Otis Off")
            # A watcher would have looked at the queue within an interval of the PIN.
            with pytest.raises(AssertionError):
                rescue.sessions.wait_for_polls(node, 1, timeout=2 * INTERVAL)
    assert [c.operation for c in rescue.calls] == ["requestLensPINCodeV2"]
    (shown,) = slack.shown_to(tech)
    assert shown == asked.message
    assert [p.body.get("replace_original") for p in slack.response_posts] == [False]
