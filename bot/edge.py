"""The HTTP edge: a request reaches Bolt only size-capped, signed on its raw bytes, and parsable."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Mapping
from typing import Any

from bot.connect import CONNECT_PATH

logger = logging.getLogger("bot.edge")

# Slack's commands are under 1 kB; an interaction carries its whole view, and the largest the
# e2e tests send (lenspin's biggest views) is 17 kB URL-encoded. 64 KiB is nearly four times
# that, and bounds what the worker buffers per connection while a request arrives.
BODY_CAP = 64 * 1024
# The two bodies Slack sends: slash commands and interactions as a form, events as JSON.
CONTENT_TYPES = frozenset(("application/x-www-form-urlencoded", "application/json"))
# Unix seconds have ten digits until 2286; more is not a timestamp Slack sent.
TIMESTAMP_DIGITS = 12
# Slack's scheme: a request signed more than five minutes ago (or ahead) is refused. A replay
# inside the window is accepted, as Slack's own libraries do.
SIGNATURE_WINDOW = 5 * 60


class Refused(Exception):
    """A request turned away at the edge: its HTTP status and the reason, for the log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def describe(method: str, path: str, length: int | str) -> str:
    """Method, path (never the query, nor a link's token) and declared length, for one line."""
    if path.startswith(CONNECT_PATH):
        # A link's token is in its path: never written to a log.
        path = CONNECT_PATH + "[link]"
    printable = "".join(c if c.isprintable() and c != " " else "?" for c in path[:80])
    return f"{method[:10]} {printable} {length} bytes"


def log_refusal(method: str, path: str, length: int | str, status: int, reason: str) -> None:
    """The one WARNING line a refused request leaves: what it was and why, nothing it held."""
    logger.warning("Refused %s: %s (%s)", describe(method, path, length), reason, status)


def declared_length(environ: Mapping[str, Any], cap: int = BODY_CAP) -> int:
    """The request's Content-Length, checked against the cap before any byte is read."""
    raw = str(environ.get("CONTENT_LENGTH") or "")
    if not raw:
        raise Refused(411, "no Content-Length")
    if not (raw.isascii() and raw.isdigit()):
        raise Refused(400, "Content-Length is not a number")
    length = int(raw)
    if length > cap:
        raise Refused(413, f"body over the {cap}-byte cap")
    return length


class Signature:
    """Slack's v0 signature, checked on the raw bytes (slack_sdk's needs UTF-8 and ASCII)."""

    def __init__(self, signing_secret: str) -> None:
        self._secret = signing_secret.encode()

    def matches(self, body: bytes, timestamp: str, signature: str) -> bool:
        """Whether signature is v0=HMAC-SHA256(secret, v0:timestamp:body), made recently."""
        if abs(time.time() - int(timestamp)) > SIGNATURE_WINDOW:
            return False
        signed = b"v0:" + timestamp.encode() + b":" + body
        expected = b"v0=" + hmac.new(self._secret, signed, hashlib.sha256).hexdigest().encode()
        return hmac.compare_digest(expected, signature.encode("utf-8", "surrogateescape"))


def read_signed(environ: Mapping[str, Any], signature_check: Signature) -> str:
    """The body of a request Slack signed, as text; raises Refused for anything else."""
    length = declared_length(environ)
    content_type = str(environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
    if content_type not in CONTENT_TYPES:
        raise Refused(415, "not a form or JSON body")
    timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
    signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
    if not timestamp or not signature:
        raise Refused(401, "no Slack signature headers")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= TIMESTAMP_DIGITS):
        raise Refused(401, "timestamp is not a number")
    body = environ["wsgi.input"].read(length) if length else b""
    if len(body) != length:
        raise Refused(400, "body shorter than its Content-Length")
    if not signature_check.matches(body, timestamp, signature):
        raise Refused(401, "signature does not match, or is over five minutes old")
    try:
        return str(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None
