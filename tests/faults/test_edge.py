"""The HTTP edge: slow senders, huge bodies and malformed requests never reach a thread or Bolt."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import requests

from tests.support import TECHS, FakeRescue, FakeSlack, WebProcess, app_env
from tests.support.raw_http import (
    peak_rss_kib,
    read_status,
    request_head,
    slow_senders,
    worker_pids,
)

SLOW_SENDERS = 64
ACK_P99 = 1.0
# Past the edge's deadline for a half-sent request, so dropped senders reconnect meanwhile.
PRESSURE_SECONDS = 7.0
BIG_BODY = 64 * 1024 * 1024
# A refused body may cost a worker a buffer or two, never the body itself.
MEMORY_MARGIN_KIB = 4 * 1024


@dataclass
class World:
    slack: FakeSlack
    web: WebProcess


@pytest.fixture(scope="module")
def w() -> Iterator[World]:
    # The Procfile's defaults: 2 workers x 8 threads, the 16 threads the issue saw held.
    with (
        FakeSlack() as slack,
        FakeRescue(rate_limit=None) as rescue,
        WebProcess(app_env(slack, rescue)) as web,
    ):
        yield World(slack, web)


def timed(call: Callable[[], int]) -> tuple[int, float]:
    """The status call returns (0 if it failed) and the seconds it took."""
    started = time.monotonic()
    try:
        status = call()
    except requests.RequestException:
        status = 0
    return status, time.monotonic() - started


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def test_slow_senders_hold_no_thread_acks_and_healthz_stay_fast(w: World) -> None:
    def ack() -> int:
        return w.slack.send_command(w.web.events_url, user_id=TECHS[0], timeout=3)[0].status

    def health() -> int:
        return requests.get(f"{w.web.url}/healthz", timeout=3).status_code

    acks: list[tuple[int, float]] = []
    checks: list[tuple[int, float]] = []
    with slow_senders(w.web, SLOW_SENDERS) as senders:
        end = time.monotonic() + PRESSURE_SECONDS
        while time.monotonic() < end and len(acks) < 400:
            acks.append(timed(ack))
            checks.append(timed(health))
        reconnected = senders.connections - SLOW_SENDERS
    assert [s for s, _ in acks if s != 200] == []
    assert [s for s, _ in checks if s != 200] == []
    assert p99([t for _, t in acks]) < ACK_P99
    assert p99([t for _, t in checks]) < ACK_P99
    # The edge dropped the stalled requests at its deadline, and they came back for more.
    assert reconnected >= SLOW_SENDERS


def send_big_body(port: int, length: int) -> int:
    """POST length bytes unsigned, streaming the body while waiting for the answer."""
    head = request_head(port, "POST", "/slack/events", {"Content-Type": "application/json"}, length)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head)

        def stream() -> None:
            chunk = b"[" * 65536
            try:
                for _ in range(length // len(chunk)):
                    sock.sendall(chunk)
            except OSError:
                pass  # refused and closed: the point

        sender = threading.Thread(target=stream, daemon=True)
        sender.start()
        status = read_status(sock)
        with contextlib.suppress(OSError):  # already closed by the server
            sock.shutdown(socket.SHUT_RDWR)
        sender.join(timeout=10)
    return status


def test_a_64_mib_unsigned_body_is_refused_unread(w: World) -> None:
    pids = worker_pids(w.web)
    send_big_body(w.web.port, BIG_BODY)  # each worker's first refusal warms its code paths
    send_big_body(w.web.port, BIG_BODY)
    before = {pid: peak_rss_kib(pid) for pid in pids}
    statuses = [send_big_body(w.web.port, BIG_BODY) for _ in range(4)]
    grown = {pid: peak_rss_kib(pid) - before[pid] for pid in pids}
    assert statuses == [413] * 4
    assert max(grown.values()) < MEMORY_MARGIN_KIB, grown
    assert requests.get(f"{w.web.url}/healthz", timeout=3).status_code == 200


def form(payload: str) -> bytes:
    return b"payload=" + payload.encode()


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
VIEW = json.dumps({"type": "view_submission", "view": {"callback_id": "x"}})
# (body, content type, headers beyond the signature or None to sign, expected status)
MALFORMED = [
    pytest.param(form("not json"), FORM, None, 400, id="payload-not-json"),
    pytest.param(form("[" * 100_000), FORM, None, 413, id="100k-nested-over-the-cap"),
    pytest.param(form("[" * 60_000), FORM, None, 400, id="60k-nested-under-the-cap"),
    pytest.param(b"[" * 60_000, JSON, None, 400, id="json-60k-nested"),
    pytest.param(b"[1, 2]", JSON, None, 400, id="json-not-an-object"),
    pytest.param(form("[1]"), FORM, None, 400, id="payload-not-an-object"),
    pytest.param(b"\xff\xfe" + form(VIEW), FORM, None, 400, id="not-utf8"),
    pytest.param(form(VIEW), "text/plain", None, 415, id="wrong-content-type"),
    pytest.param(form("not json"), FORM, {}, 401, id="no-signature-headers"),
    pytest.param(
        form("not json"),
        FORM,
        {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
        401,
        id="timestamp-not-a-number",
    ),
    pytest.param(
        form(VIEW),
        FORM,
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"},
        401,
        id="bad-signature",
    ),
    pytest.param(
        form(VIEW),
        FORM,
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=\u00e9"},
        401,
        id="signature-not-ascii",
    ),
]


@pytest.mark.parametrize(("body", "content_type", "headers", "status"), MALFORMED)
def test_malformed_requests_get_a_4xx_and_one_warning_line(
    w: World, body: bytes, content_type: str, headers: dict[str, str] | None, status: int
) -> None:
    if headers is None:
        sent = w.slack.signed_headers(body, content_type=content_type)
    else:
        sent = {"Content-Type": content_type, **headers}
    lines_before = len(w.web.output().splitlines())
    answer = requests.post(w.web.events_url, data=body, headers=sent, timeout=10)
    assert answer.status_code == status
    new = w.web.output().splitlines()[lines_before:]
    refusals = [line for line in new if " WARNING bot.edge: " in line]
    assert len(refusals) == 1, new
    assert f"POST /slack/events {len(body)} bytes" in refusals[0]
    assert not [line for line in new if "Traceback" in line or '" 500 ' in line], new


def test_only_post_reaches_the_slack_path(w: World) -> None:
    assert requests.get(w.web.events_url, timeout=5).status_code == 405
    assert requests.post(f"{w.web.url}/elsewhere", data=b"x", timeout=5).status_code == 404


def test_no_request_left_a_traceback_or_a_500(w: World) -> None:
    output = w.web.output()
    assert "Traceback" not in output
    assert '" 500 ' not in output
