"""Signing requests to the app exactly as Slack does: v0= HMAC-SHA256 over v0:{ts}:{body}."""

from __future__ import annotations

import hashlib
import hmac
import time

SLACKBOT_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def signature(body: bytes, timestamp: str, secret: str) -> str:
    """The X-Slack-Signature value for a body sent at timestamp."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes,
    *,
    secret: str,
    timestamp: int | None = None,
    content_type: str = FORM_CONTENT_TYPE,
) -> dict[str, str]:
    """The headers Slack sends with a request body, signed with secret (now unless timestamp)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(body, ts, secret),
        "User-Agent": SLACKBOT_USER_AGENT,
        "Accept": "application/json,*/*",
    }
