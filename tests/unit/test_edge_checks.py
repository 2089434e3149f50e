"""The edge's checks on a request, before Bolt: the cap, the headers, the raw-bytes signature."""

from __future__ import annotations

import hashlib
import hmac
import io
import time
from typing import Any

import pytest

from bot.edge import BODY_CAP, Refused, Signature, read_signed

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BODY = b"payload=%7B%22type%22%3A%22view_submission%22%7D"


class Unreadable(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the body was read")


def environ(body: bytes = BODY, *, timestamp: int | None = None, **overrides: Any) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": ts,
        "HTTP_X_SLACK_SIGNATURE": "v0=" + mac.hexdigest(),
        "wsgi.input": io.BytesIO(body),
        **overrides,
    }


def refusal(env: dict) -> Refused:
    with pytest.raises(Refused) as raised:
        read_signed(env, Signature(SECRET))
    return raised.value


def test_a_signed_request_is_read_whole() -> None:
    assert read_signed(environ(), Signature(SECRET)) == BODY.decode()


def test_a_body_over_the_cap_is_refused_unread() -> None:
    big = environ(CONTENT_LENGTH=str(BODY_CAP + 1), **{"wsgi.input": Unreadable()})
    assert refusal(big).status == 413


def test_an_unsigned_body_is_refused_after_reading_only_its_declared_length() -> None:
    env = environ(HTTP_X_SLACK_SIGNATURE="v0=" + "0" * 64)
    assert refusal(env).status == 401


@pytest.mark.parametrize("age", [-301, 301])
def test_a_signature_outside_five_minutes_is_refused(age: int) -> None:
    assert refusal(environ(timestamp=int(time.time()) - age)).status == 401


def test_a_replay_inside_five_minutes_is_accepted_as_slack_intends() -> None:
    assert read_signed(environ(timestamp=int(time.time()) - 290), Signature(SECRET))


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"CONTENT_LENGTH": ""}, 411),
        ({"CONTENT_LENGTH": "12x"}, 400),
        ({"CONTENT_TYPE": "text/plain"}, 415),
        ({"HTTP_X_SLACK_SIGNATURE": ""}, 401),
        ({"HTTP_X_SLACK_REQUEST_TIMESTAMP": "1e9"}, 401),
        ({"HTTP_X_SLACK_REQUEST_TIMESTAMP": "٣٣٣"}, 401),
        ({"HTTP_X_SLACK_SIGNATURE": "v0=é"}, 401),
        ({"wsgi.input": io.BytesIO(BODY[:5])}, 400),
    ],
)
def test_malformed_requests_are_refused_with_a_4xx(overrides: dict, status: int) -> None:
    assert refusal(environ(**overrides)).status == status


def test_a_signed_body_that_is_not_utf8_is_refused() -> None:
    assert refusal(environ(b"payload=\xff")).status == 400
