"""Every log record is made redacted and on one line, whichever library logs it."""

from __future__ import annotations

import json
import logging
import sys

from bot.logs import JsonFormatter, LibraryFloors, Redactor

RESPONSE_URL = "https://hooks.slack.com/commands/T0AAA/123456/abcdefSECRETPART"


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
