"""Faults while serving: Rescue and Slack misbehave; the technician is told, nothing leaks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import texts
from tests.support import (
    AUTH_CODE,
    E2E_RESCUE_TIMEOUT,
    Drip,
    FakeRescue,
    FakeSlack,
    Garbage,
    Hang,
    HttpError,
    Huge,
    Reset,
    Result,
    WebProcess,
    app_env,
    open_pin_modal,
    submit_pin_modal,
)

TIMED_OUT = texts.TIMEOUT.format(seconds=E2E_RESCUE_TIMEOUT)
HTML = "<html><body><h1>Service Unavailable</h1></body></html>"
RESCUE_FAULTS = [
    pytest.param(Hang(), TIMED_OUT, id="hang"),
    pytest.param(Reset(), texts.UNAVAILABLE, id="reset"),
    pytest.param(Drip(0.05), TIMED_OUT, id="drip"),
    pytest.param(Huge(), texts.UNAVAILABLE, id="10MB"),
    pytest.param(HttpError(503, HTML), texts.UNAVAILABLE, id="503-html"),
    pytest.param(
        Garbage(HTML.encode(), content_type="text/html"), texts.UNAVAILABLE, id="200-html"
    ),
]


@dataclass
class World:
    slack: FakeSlack
    rescue: FakeRescue
    web: WebProcess
    users: Iterator[str]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    # One worker process, so its threads and sockets can be counted.
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        env = app_env(slack, rescue, LENSPIN_ALLOWED_USERS="*", WEB_CONCURRENCY="1")
        with WebProcess(env) as web:
            yield World(slack, rescue, web, (f"U0FAULT{i:03d}" for i in range(1000)))


@pytest.fixture
def w(world: World) -> World:
    world.slack.reset()
    world.rescue.reset()
    return world


def ask(w: World, **submit: object) -> dict:
    """One technician's whole request; returns the message they got."""
    user = next(w.users)
    opened = open_pin_modal(w.slack, w.web.events_url, user_id=user, text="Jane")
    submit_pin_modal(w.slack, w.web.events_url, opened, user_id=user, values={})
    return w.slack.wait_for_message(user, timeout=15)


def worker_pid(web: WebProcess) -> int:
    assert web.process is not None
    children = Path(f"/proc/{web.process.pid}/task/{web.process.pid}/children").read_text()
    (pid,) = children.split()
    return int(pid)


def resources(pid: int) -> tuple[int, int]:
    """How many threads and open sockets the worker has."""
    threads = len(os.listdir(f"/proc/{pid}/task"))
    sockets = sum(1 for fd in os.listdir(f"/proc/{pid}/fd") if _is_socket(f"/proc/{pid}/fd/{fd}"))
    return threads, sockets


def _is_socket(path: str) -> bool:
    try:
        return os.readlink(path).startswith("socket:")
    except FileNotFoundError:  # closed between listing and reading: it was no leak
        return False


@pytest.mark.parametrize(("fault", "told"), RESCUE_FAULTS)
def test_a_misbehaving_rescue_gets_a_plain_message_and_the_next_request_works(
    w: World, fault: object, told: str
) -> None:
    w.rescue.queue(fault)
    message = ask(w)
    assert told in message["text"]
    assert "Traceback" not in message["text"]
    w.rescue.queue(Result(pin="4821"))
    assert "004821" in ask(w)["text"]


def test_rescue_faults_leak_no_threads_or_sockets(w: World) -> None:
    pid = worker_pid(w.web)

    def round_of_faults() -> tuple[int, int]:
        for param in RESCUE_FAULTS:
            w.rescue.queue(param.values[0])
            ask(w)
        ask(w)  # a good one, so every pool has settled back into use
        return resources(pid)

    # Pools grow lazily to their size in the first round; a leak keeps growing after it, by
    # at least one per fault (six a round). Keep-alive connections and a deadline timer that
    # is just ending make the counts wobble by one or two, which is no leak.
    first = round_of_faults()
    round_of_faults()
    third = round_of_faults()
    assert third[0] - first[0] <= 2, f"threads grew from {first[0]} to {third[0]}"
    assert third[1] - first[1] <= 2, f"sockets grew from {first[1]} to {third[1]}"


def test_slack_rate_limits_and_errors_are_retried_or_routed_around(w: World) -> None:
    user = next(w.users)
    opened = open_pin_modal(w.slack, w.web.events_url, user_id=user, text="Jane")
    w.slack.fail_response_url(opened.response_url, status=500, body="internal_error")
    # 429 once with Retry-After, then a 500 once: both retried on the ephemeral route.
    w.slack.fail("chat.postEphemeral", status=429, retry_after=1)
    w.slack.fail("chat.postEphemeral", status=500)
    submit_pin_modal(w.slack, w.web.events_url, opened, user_id=user, values={})
    message = w.slack.wait_for_message(user, timeout=15)
    assert message["route"] == "ephemeral"
    assert "Rescue Lens PIN for Jane" in message["text"]
    attempts = w.slack.calls_to("chat.postEphemeral")
    assert [c.error for c in attempts][:2] == ["ratelimited", "internal_error"]


def test_channel_not_found_falls_back_to_a_dm(w: World) -> None:
    user = next(w.users)
    opened = open_pin_modal(w.slack, w.web.events_url, user_id=user, text="Jane")
    w.slack.fail_response_url(opened.response_url, status=404, body="expired_url")
    w.slack.fail("chat.postEphemeral", "channel_not_found")
    submit_pin_modal(w.slack, w.web.events_url, opened, user_id=user, values={})
    message = w.slack.wait_for_message(user, timeout=15)
    assert message["route"] == "dm"
