"""Logs that cannot leak or lie: no body, no response_url, no forged line, whatever logs it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from bot.slack import ids
from tests.support import (
    AUTH_CODE,
    TECHS,
    FakeRescue,
    FakeSlack,
    WebProcess,
    app_env,
    open_pin_modal,
)
from tests.support.raw_http import wait_for_log

# Letters and dashes only, so it reads the same URL-encoded, JSON-escaped or raw.
CANARY_PASSWORD = "canary-password-never-logged"
ROTATED_SECRET = "0123456789abcdef0123456789abcdef"
FORGED = "2026-01-01 00:00:00,000 ERROR bot.pins: forged by a request body"


@dataclass
class World:
    slack: FakeSlack
    web: WebProcess


@pytest.fixture(scope="module")
def w() -> Iterator[World]:
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        # Every line any library writes, at DEBUG, in text format: the most a log could hold.
        # Without linking, a stranger's /lenspin is refused with a log line naming them.
        env = app_env(slack, rescue, LOG_FORMAT="text", LENSPIN_LINKING="false")
        with WebProcess(env) as web:
            yield World(slack, web)


# The blocks of the email and password form lenspin's Slack modal had before issue 12: a
# forged or stale submission may still carry them.
PASSWORD_BLOCK = "lenspin_connect_password"


def connect_submission(password: str) -> dict[str, object]:
    """A connect form submitted with a Rescue password, as Slack would post it."""
    values = {
        "lenspin_connect_email": {"field": {"type": "email_text_input", "value": "t@example.com"}},
        PASSWORD_BLOCK: {"field": {"type": "plain_text_input", "value": password}},
    }
    return {
        "type": "view_submission",
        "team": {"id": "T0EDGE"},
        "user": {"id": TECHS[0], "team_id": "T0EDGE"},
        "view": {"id": "V0EDGE", "callback_id": ids.CONNECT_MODAL, "state": {"values": values}},
    }


def test_a_connect_form_signed_with_a_rotated_secret_leaves_no_password_in_the_log(
    w: World,
) -> None:
    answer = w.slack.send_payload(
        w.web.events_url, connect_submission(CANARY_PASSWORD), signing_secret=ROTATED_SECRET
    )
    assert answer.status == 401
    output = wait_for_log(w.web, '"POST /slack/events" 401')
    assert CANARY_PASSWORD not in output
    assert PASSWORD_BLOCK not in output  # nor any other part of the body


def test_a_newline_in_a_request_cannot_start_a_log_line(w: World) -> None:
    user = "U0NOTALLOWED\n" + FORGED
    ack, _, _ = w.slack.send_command(w.web.events_url, user_id=user)
    assert ack.status == 200
    output = wait_for_log(w.web, "Refused /lenspin for user=U0NOTALLOWED")
    lines = output.splitlines()
    assert not [line for line in lines if line.startswith(FORGED)]
    assert [line for line in lines if "U0NOTALLOWED\\n" + FORGED in line]


def test_a_response_url_is_never_logged_even_when_slack_sdk_retries_it(w: World) -> None:
    user = TECHS[1]
    opened = open_pin_modal(w.slack, w.web.events_url, user_id=user, text="Jane")
    w.slack.reset_response_url(opened.response_url, times=1)
    w.slack.submit_view(w.web.events_url, opened.view, user_id=user, values={})
    message = w.slack.wait_for_message(user, timeout=15)
    assert "Rescue Lens PIN" in message["text"]
    # The reset was met and retried (the retry delivered), and the log has had its say.
    assert [p.status for p in w.slack.response_posts if p.url == opened.response_url] == [0, 200]
    output = wait_for_log(w.web, f"Answer delivered to user={user} via response_url")
    assert urlsplit(opened.response_url).path not in output
    assert opened.response_url.rsplit("/", 1)[1] not in output


def test_no_token_or_secret_in_the_log(w: World) -> None:
    output = w.web.output()
    assert w.slack.bot_token not in output
    assert w.slack.signing_secret not in output
    assert "xoxb-" not in output.replace("xoxb-[redacted]", "")
