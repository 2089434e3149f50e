"""Log set-up for the entry points: our lines at the chosen level, libraries' bodies never."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# At DEBUG these print whole requests: zeep its SOAP envelopes (the auth code), slack_sdk
# and urllib3 message bodies and response_url paths (a PIN, a URL that can post as the app),
# Bolt the bodies of requests it refuses or cannot route (a connect form's password).
# LOG_LEVEL=DEBUG is for lenspin's own lines; these stay at their floor whatever it says.
QUIET_LIBRARIES = {
    "zeep": logging.WARNING,
    "slack_sdk": logging.INFO,
    # The Web API client tests its own logger's level, not the effective one, before it
    # formats every request's whole body into a DEBUG line (4 KB with the PIN form): set
    # here, that line is no longer built for every call only to be dropped.
    "slack_sdk.web.base_client": logging.INFO,
    "urllib3": logging.INFO,
    "slack_bolt": logging.WARNING,
}

# The PIN request a log line belongs to, so one request's lines can be found together.
request_id: ContextVar[str] = ContextVar("request_id", default="")

# Structured fields a log call may pass in `extra`; only these reach the JSON line.
FIELDS = ("user", "team", "result", "latency_ms", "attempts", "route", "operation")

# Slack tokens of every kind (bot, user, app-level, refresh), whoever logs one.
_TOKEN = re.compile(r"\b(xox[a-z]|xapp)-[0-9A-Za-z-]+")
# response_urls and webhooks (slack_sdk's retry lines print them): each can post as the app.
_SLACK_URL = re.compile(
    r"(?:https?://[^\s/'\"]+)?/(?:commands|actions|services)/[^\s'\"()<>,]+"
    r"|https?://hooks\.slack(?:-gov)?\.com/[^\s'\"()<>,]*"
)
# A connect page link's token (gunicorn's access log prints the path): it opens the page.
_CONNECT_LINK = re.compile(r"/connect/[^\s'\"()<>,?#]+")
# An OAuth code or state (Slack's redirect to /slack/oauth_redirect, which gunicorn's access
# log prints with its query; Bolt's line on a refused code; a request's arguments): each
# could complete someone's install.
_OAUTH = re.compile(
    r"""(?P<key>[?&](?:code|state)=|\bcode: |['"](?:code|state)['"]:\s*\[?\s*['"])"""
    r"""[^\s&'"#,;()]+"""
)
# Line breaks and other control characters: user text must not be able to start a log line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Where Bolt's lines start quoting the request ("Unhandled request ({...})", "body: ...").
_BOLT_DETAIL = re.compile(r"\(\{|: \{|\sbody:", re.IGNORECASE)
# A value shorter than this is no secret worth a search through every line.
_SHORTEST_SECRET = 8


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _ESCAPES.get(char) or (
        f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    )


class Redactor:
    """Rewrites every LogRecord as it is made, whichever library made it and however it is shown."""

    def __init__(self) -> None:
        self.secrets: tuple[str, ...] = ()
        self.make = logging.getLogRecordFactory()
        self._tracebacks = logging.Formatter()

    def redact(self, text: str) -> str:
        """text without the configured secrets, Slack tokens, response_urls, connect links or
        OAuth codes and states."""
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        text = _TOKEN.sub(lambda m: f"{m.group(1)}-[redacted]", text)
        text = _CONNECT_LINK.sub("/connect/[link]", text)
        text = _OAUTH.sub(lambda m: f"{m.group('key')}[redacted]", text)
        return _SLACK_URL.sub("[slack url]", text)

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        """A LogRecord whose message is final: redacted, on one line, its arguments merged."""
        record = self.make(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg} (its arguments did not fit)"
        if record.name.startswith("slack_bolt"):
            message = _BOLT_DETAIL.split(message.split("\n", 1)[0], 1)[0].rstrip()
        record.msg = _CONTROL.sub(_escape, self.redact(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            # A traceback keeps its lines; what it quotes is redacted all the same.
            record.exc_text = self.redact(self._tracebacks.formatException(record.exc_info))
        return record


_REDACTOR = Redactor()


def never_log(*values: str) -> None:
    """Keep these values (tokens, secrets, the auth code) out of every log line from now on."""
    found = {v.strip() for v in (*_REDACTOR.secrets, *values) if len(v.strip()) >= _SHORTEST_SECRET}
    _REDACTOR.secrets = tuple(sorted(found, key=len, reverse=True))


class LibraryFloors(logging.Filter):
    """Holds QUIET_LIBRARIES' floors at the handler: Bolt sets its loggers to the root's level."""

    def __init__(self, chosen: int) -> None:
        super().__init__()
        self._chosen = chosen

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether record is at or above its library's floor (always, for lenspin's own)."""
        for name, floor in QUIET_LIBRARIES.items():
            if record.name == name or record.name.startswith(name + "."):
                return record.levelno >= max(floor, self._chosen)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and known fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Render record as a single line of JSON."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id.get():
            line["request_id"] = request_id.get()
        line |= {name: getattr(record, name) for name in FIELDS if hasattr(record, name)}
        if record.exc_info:
            line["error"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send logs to stderr at level, as text or JSON lines; libraries' bodies stay out."""
    chosen = logging.getLevelName(level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(FORMAT))
    handler.addFilter(LibraryFloors(chosen))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name, floor in QUIET_LIBRARIES.items():
        logging.getLogger(name).setLevel(max(floor, chosen))
    # Every record from here on, gunicorn's own included, is made redacted and on one line.
    if logging.getLogRecordFactory() is not _REDACTOR:
        logging.setLogRecordFactory(_REDACTOR)
