"""A database that hangs (connections open, no answers) is a fault with an answer, not a stall."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import texts
from bot.front import WORKER_SERVES, WORKER_WAITS
from tests.support import (
    AUTH_CODE,
    POSTGRES_URL,
    FakeRescue,
    FakeSlack,
    WebProcess,
    app_env,
    fresh_database,
    open_pin_modal,
    run_bot,
    submit_pin_modal,
)
from tests.support.proxy import Proxy, postgres_proxy
from tests.support.workspaces_e2e import wait_until

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="LENSPIN_TEST_DATABASE_URL is not set")

# Slack gives up on an ack after 3 s.
ACK_LIMIT = 3.0
# The technician hears why within this long, however the database hangs.
ANSWER_LIMIT = 10.0

ALLOWED = [f"U0HANGOK{i:02d}" for i in range(60)]
STRANGERS = [f"U0HANGNO{i:02d}" for i in range(6)]


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    with postgres_proxy() as proxy:
        yield proxy


def test_a_hung_database_gets_every_technician_an_answer_and_lenspin_recovers(
    proxy: Proxy,
) -> None:
    through_proxy = proxy.url_for(fresh_database("postgresql"))
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        env = app_env(
            slack, rescue, DATABASE_URL=through_proxy, LENSPIN_ALLOWED_USERS=",".join(ALLOWED)
        )
        with WebProcess(env) as web:

            def ask(user: str) -> tuple[str, float]:
                """A PIN request; its message and the seconds from submitting to the answer."""
                opened = open_pin_modal(slack, web.events_url, user_id=user, text=user)
                assert opened.ack.elapsed < ACK_LIMIT
                submitted = time.monotonic()
                ack = submit_pin_modal(slack, web.events_url, opened, user_id=user, values={})
                assert ack.status == 200
                assert ack.elapsed < ACK_LIMIT
                text = slack.wait_for_message(user, timeout=30)["text"]
                return text, time.monotonic() - submitted

            def command(user: str, text: str = "") -> None:
                ack, _, _ = slack.send_command(web.events_url, user_id=user, text=text)
                assert ack.status == 200, ack.body
                assert ack.elapsed < ACK_LIMIT, (user, ack.elapsed)

            assert "Rescue Lens PIN" in ask(ALLOWED[0])[0]
            calls_before = len(rescue.calls)
            proxy.freeze()

            # Members who are not allowed send /lenspin while an allowed technician asks:
            # each of them makes lenspin look in the database.
            sent = time.monotonic()
            for stranger in STRANGERS[:4]:
                command(stranger, "Jane")
            during, took = ask(ALLOWED[1])
            assert texts.DATABASE_NOT_ANSWERING in during
            assert took < ANSWER_LIMIT, took
            for stranger in STRANGERS[:4]:
                answer = slack.wait_for_message(stranger, timeout=30)["text"]
                assert answer == texts.DATABASE_NOT_ANSWERING
            assert time.monotonic() - sent < 2 * ANSWER_LIMIT
            assert len(rescue.calls) == calls_before  # no code was known, so nothing was sent

            # Still hung: later commands are acked and answered at once, not queued behind.
            command(STRANGERS[4], "help")
            command(STRANGERS[5], "Jane")
            answer = slack.wait_for_message(STRANGERS[5], timeout=ANSWER_LIMIT)["text"]
            assert answer == texts.DATABASE_NOT_ANSWERING
            assert texts.DATABASE_NOT_ANSWERING in ask(ALLOWED[2])[0]

            proxy.thaw()
            # Back by itself: once lenspin asks the database again (it stops asking for a few
            # seconds after a time-out), PINs come. Each try is a technician's real request.
            deadline = time.monotonic() + 3 * ANSWER_LIMIT
            for user in ALLOWED[3:]:
                answer, _ = ask(user)
                if "Rescue Lens PIN" in answer or time.monotonic() > deadline:
                    break
                assert texts.DATABASE_NOT_ANSWERING in answer
            assert "Rescue Lens PIN" in answer
            assert "Traceback" not in web.output()


def test_a_worker_started_while_the_database_hangs_waits_and_the_server_keeps_serving(
    proxy: Proxy,
) -> None:
    through_proxy = proxy.url_for(fresh_database("postgresql"))
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        env = app_env(
            slack,
            rescue,
            DATABASE_URL=through_proxy,
            LENSPIN_ALLOWED_USERS=",".join(ALLOWED),
            WEB_CONCURRENCY="1",
        )
        with WebProcess(env) as web:
            assert web.process is not None
            master = web.process.pid
            children = Path(f"/proc/{master}/task/{master}/children")
            (first,) = children.read_text().split()
            proxy.freeze()
            # gunicorn adds a worker on SIGTTIN, as it replaces one that died or was recycled:
            # this one boots while the database hangs.
            os.kill(master, signal.SIGTTIN)
            wait_until(lambda: WORKER_WAITS in web.output(), timeout=20)
            # The server did not stop: the first worker still acks and answers.
            ack, _, _ = slack.send_command(web.events_url, user_id=STRANGERS[0], text="Jane")
            assert ack.status == 200
            assert ack.elapsed < ACK_LIMIT
            answer = slack.wait_for_message(STRANGERS[0], timeout=ANSWER_LIMIT)["text"]
            assert answer == texts.DATABASE_NOT_ANSWERING
            assert web.process.poll() is None
            assert first in children.read_text().split()

            proxy.thaw()
            wait_until(lambda: WORKER_SERVES in web.output(), timeout=20)
            assert len(children.read_text().split()) == 2
            # lenspin stops asking the database for a few seconds after a time-out.
            deadline = time.monotonic() + 3 * ANSWER_LIMIT
            for user in ALLOWED:
                opened = open_pin_modal(slack, web.events_url, user_id=user, text=user)
                submit_pin_modal(slack, web.events_url, opened, user_id=user, values={})
                answer = slack.wait_for_message(user, timeout=30)["text"]
                if "Rescue Lens PIN" in answer or time.monotonic() > deadline:
                    break
            assert "Rescue Lens PIN" in answer
            assert web.output().count(WORKER_WAITS) == 1
            assert "Traceback" not in web.output()


def test_a_worker_waiting_for_the_database_stops_with_the_server(proxy: Proxy) -> None:
    through_proxy = proxy.url_for(fresh_database("postgresql"))
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,)) as rescue:
        env = app_env(slack, rescue, DATABASE_URL=through_proxy, WEB_CONCURRENCY="1")
        web = WebProcess(env).start()
        try:
            assert web.process is not None
            proxy.freeze()
            os.kill(web.process.pid, signal.SIGTTIN)
            wait_until(lambda: WORKER_WAITS in web.output(), timeout=20)
            stopping = time.monotonic()
        finally:
            web.stop()
        # Stopped by SIGTERM like any deploy, not killed after WebProcess's 10 s.
        assert web.process.returncode == 0, web.output()
        assert time.monotonic() - stopping < 10
        assert "Traceback" not in web.output()


def test_check_says_a_hung_database_did_not_answer(proxy: Proxy, tmp_path: Path) -> None:
    through_proxy = proxy.url_for(fresh_database("postgresql"))
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,)) as rescue:
        env = app_env(slack, rescue, DATABASE_URL=through_proxy)
        proxy.freeze()
        started = time.monotonic()
        result = run_bot(["check"], tmp_path, env)
        took = time.monotonic() - started
    assert result.returncode == 1
    (line,) = [line for line in result.stdout.splitlines() if "DATABASE_URL" in line]
    assert line.startswith("FAIL  The database did not answer within 3 s at DATABASE_URL")
    assert "Traceback" not in result.stdout + result.stderr
    assert took < 20
