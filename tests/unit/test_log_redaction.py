"""Every log record is made redacted and on one line, whichever library logs it."""

from __future__ import annotations

import json
import logging
import secrets
import sys

import pytest

from bot.edge import describe
from bot.logs import JsonFormatter, LibraryFloors, Redactor

RESPONSE_URL = "https://hooks.slack.com/commands/T0AAA/123456/abcdefSECRETPART"
# As bot.connect makes them: 32 random bytes, URL-safe base64, 43 characters; "-" and "_" in it.
LINK_TOKEN = "Ab-_" + secrets.token_urlsafe(32)[4:]
# bot/gunicorn_conf.py's access_log_format, and gunicorn's default one (with the protocol).
ACCESS_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
DEFAULT_ACCESS_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


def record(name: str, msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    redactor = Redactor()
    redactor.secrets = ("the-configured-auth-code",)
    exc_info = sys.exc_info() if exc else None
    return redactor(name, logging.INFO, __file__, 1, msg, args, exc_info)


def test_slack_tokens_of_every_kind_are_redacted() -> None:
    message = record("x", "tokens %s %s %s", "xoxb-1-2-abc", "xoxp-9-zz", "xapp-1-A-2-f").msg
    assert message == "tokens xoxb-[redacted] xoxp-[redacted] xapp-[redacted]"


def test_response_urls_are_redacted_whole_or_as_a_path() -> None:
    retry = record(
        "slack_sdk.webhook.client", "Going to retry the same request: POST %s", RESPONSE_URL
    )
    assert retry.getMessage() == "Going to retry the same request: POST [slack url]"
    # urllib3 names only the path when it retries.
    path = record("urllib3", "Retrying after broken connection: /actions/T0AAA/1/abcdef")
    assert "abcdef" not in path.getMessage()


def test_configured_secrets_are_redacted_anywhere() -> None:
    assert record("zeep", "<authCode>the-configured-auth-code</authCode>").msg == (
        "<authCode>[redacted]</authCode>"
    )


def test_control_characters_cannot_start_a_line() -> None:
    message = record("bot", "user=%s", "U1\n2026-01-01 ERROR forged\r\x1b[31m\u2028").getMessage()
    assert not {"\n", "\r", "\u2028"} & set(message)
    assert message == "user=U1\\n2026-01-01 ERROR forged\\r\\x1b[31m\\u2028"


def test_bolt_lines_keep_their_summary_and_drop_the_request() -> None:
    unhandled = "Unhandled request ({'type': 'view_submission', 'value': 'pw'})\n---\n[Suggestion]"
    assert record("slack_bolt.App", unhandled).msg == "Unhandled request"
    responding = 'Responding with status: 200 body: "secret" (1 millis)'
    assert record("slack_bolt.App", responding).msg == "Responding with status: 200"


def test_a_traceback_keeps_its_lines_but_not_a_token() -> None:
    try:
        raise ValueError("bad token xoxb-123-456")
    except ValueError:
        made = record("bot", "failed", exc=True)
    assert made.exc_text is not None
    assert "xoxb-123" not in made.exc_text
    assert "Traceback" in made.exc_text


def test_arguments_that_do_not_fit_do_not_break_logging() -> None:
    assert record("bot", "%s and %s", "one").msg.endswith("(its arguments did not fit)")


def test_a_json_line_is_one_line_and_redacted() -> None:
    try:
        raise ValueError("xoxb-1-2")
    except ValueError:
        made = record("bot", "line\nbreak %s", RESPONSE_URL, exc=True)
    line = JsonFormatter().format(made)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "line\\nbreak [slack url]"
    assert "xoxb-1-2" not in parsed["error"]


def test_library_floors_hold_even_where_bolt_resets_its_loggers_levels() -> None:
    floors = LibraryFloors(logging.DEBUG)
    bolt_debug = logging.LogRecord("slack_bolt.App", logging.DEBUG, __file__, 1, "x", None, None)
    bolt_warning = logging.LogRecord(
        "slack_bolt.App", logging.WARNING, __file__, 1, "x", None, None
    )
    ours = logging.LogRecord("bot.pins", logging.DEBUG, __file__, 1, "x", None, None)
    assert not floors.filter(bolt_debug)
    assert floors.filter(bolt_warning)
    assert floors.filter(ours)


def test_the_link_token_is_43_characters_like_the_ones_lenspin_makes() -> None:
    assert len(LINK_TOKEN) == 43


@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
def test_gunicorns_access_lines_never_show_a_connect_links_token(method: str) -> None:
    atoms = {
        "h": "127.0.0.1",
        "l": "-",
        "u": "-",
        "t": "[28/Nov/2026:11:00:00 +0000]",
        "m": method,
        "U": f"/connect/{LINK_TOKEN}",
        "r": f"{method} /connect/{LINK_TOKEN} HTTP/1.1",
        "s": "200",
        "b": "2817",
        "f": "-",
        "a": "Mozilla/5.0",
        "M": "12",
    }
    ours = record("gunicorn.access", ACCESS_FORMAT, atoms).getMessage()
    assert ours == f'127.0.0.1 "{method} /connect/[link]" 200 2817 12ms'
    default = record("gunicorn.access", DEFAULT_ACCESS_FORMAT, atoms).getMessage()
    assert LINK_TOKEN not in default
    assert f'"{method} /connect/[link] HTTP/1.1" 200 2817' in default


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (
            "Connect link: http://127.0.0.1:1234/connect/{token}",
            "Connect link: http://127.0.0.1:1234/connect/[link]",
        ),
        (
            "<https://lenspin.example.com/tools/connect/{token}>",
            "<https://lenspin.example.com/tools/connect/[link]>",
        ),
        (
            "Error handling request /connect/{token}?x=1",
            "Error handling request /connect/[link]?x=1",
        ),
        (
            "url='https://h.example/connect/{token}', ok",
            "url='https://h.example/connect/[link]', ok",
        ),
        ('{{"url": "/connect/{token}"}}', '{{"url": "/connect/[link]"}}'),
    ],
)
def test_a_connect_link_anywhere_in_a_line_loses_its_token(line: str, shown: str) -> None:
    message = record("bot", "%s", line.format(token=LINK_TOKEN)).getMessage()
    assert message == shown.format()
    assert LINK_TOKEN not in message


def test_a_connect_links_token_stays_out_of_tracebacks_and_json_lines() -> None:
    url = f"https://lenspin.example.com/connect/{LINK_TOKEN}"
    try:
        raise ValueError(f"cannot open {url}")
    except ValueError:
        made = record("bot", "failed on %s", url, exc=True)
    line = JsonFormatter().format(made)
    assert LINK_TOKEN not in line
    assert made.exc_text is not None
    assert LINK_TOKEN not in made.exc_text
    assert json.loads(line)["message"] == "failed on https://lenspin.example.com/connect/[link]"


@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
def test_edge_describe_hides_the_token_of_a_refused_request(method: str) -> None:
    line = describe(method, f"/connect/{LINK_TOKEN}", 17_000)
    assert line == f"{method} /connect/[link] 17000 bytes"
    assert LINK_TOKEN[:8] not in line
    # Other paths are shown as they are (up to 80 characters), so the hiding is on purpose.
    assert describe("POST", "/slack/events", 10) == "POST /slack/events 10 bytes"


def test_oauth_codes_and_states_are_redacted_wherever_they_show() -> None:
    # gunicorn's access log with its default format, which prints the query.
    access = record(
        "gunicorn.access", "GET /slack/oauth_redirect?code=1.2.abc&state=Ab-_x HTTP/1.1"
    )
    assert access.msg == "GET /slack/oauth_redirect?code=[redacted]&state=[redacted] HTTP/1.1"
    # Bolt's line on a code Slack refused, and a request's arguments as slack_sdk prints them.
    bolt = record(
        "slack_bolt.OAuthFlow", "Failed to fetch oauth.v2.access result with code: 1.2.abc"
    )
    assert "1.2.abc" not in bolt.msg
    sdk = record("slack_sdk.web", "body_params: {'code': '1.2.abc', 'client_id': '9'}")
    assert "1.2.abc" not in sdk.msg
    assert "'client_id': '9'" in sdk.msg
    # Words that merely say "state" stay.
    assert record("bot", "the session state: waiting").msg == "the session state: waiting"


def test_a_rotating_token_and_its_refresh_token_are_redacted() -> None:
    message = record("x", "%s %s", "xoxe.xoxb-1-abc", "xoxe-1-def").msg
    assert "abc" not in message
    assert "def" not in message
