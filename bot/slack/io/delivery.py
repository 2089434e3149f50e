"""Getting a private answer to the technician: response_url, then an ephemeral post, then a DM."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.slack.io import SLACK_FAILURES, attempt

logger = logging.getLogger(__name__)

SLACK_HOOKS_HOST = "hooks.slack.com"
WEBHOOK_TIMEOUT = 10


@dataclass(frozen=True)
class Destination:
    """Where a technician's answer goes: their user id, the channel and the command's URL."""

    user_id: str
    channel_id: str = ""
    response_url: str = ""

    def to_metadata(self, key: str = "") -> str:
        """Encode channel and response_url for a modal's private_metadata, sealed with key.

        key (the signing secret) lets from_metadata tell these routes from routes written
        into a submission by hand: another workspace's response_url, say.
        """
        data = {
            "user_id": self.user_id,
            "channel_id": self.channel_id,
            "response_url": self.response_url,
        }
        if key:
            data["seal"] = _seal(key, data)
        return json.dumps(data)

    @classmethod
    def from_metadata(cls, user_id: str, metadata: object, key: str = "") -> Destination:
        """Decode private_metadata; anything unreadable, or not sealed with key, leaves only
        the DM route."""
        try:
            data = json.loads(metadata if isinstance(metadata, str) and metadata else "{}")
        except ValueError:
            data = {}
        # Routes noted for someone else (a forged submission) must not carry this answer, nor
        # routes lenspin never gave this user: another workspace's response_url would show
        # this workspace's PIN in that workspace's conversation.
        if not isinstance(data, dict) or data.get("user_id") != user_id or not _sealed(key, data):
            data = {}
        channel_id, response_url = data.get("channel_id"), data.get("response_url")
        return cls(
            user_id=user_id,
            channel_id=channel_id if isinstance(channel_id, str) else "",
            response_url=response_url if isinstance(response_url, str) else "",
        )


def _sealed(key: str, data: dict[str, Any]) -> bool:
    """True when data carries key's seal over its routes (always, without a key)."""
    # As bytes: compare_digest refuses str beyond ASCII, and a forger may send lone surrogates.
    given = str(data.get("seal", "")).encode(errors="replace")
    return not key or hmac.compare_digest(given, _seal(key, data).encode())


def _seal(key: str, data: dict[str, Any]) -> str:
    """The HMAC-SHA256 of a Destination's routes under key, as hex."""
    routes = json.dumps([str(data.get(name)) for name in ("user_id", "channel_id", "response_url")])
    message = f"lenspin private_metadata\0{routes}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Delivered:
    """How an answer reached the technician: its route, and where a DM can be edited later."""

    route: str  # "response_url", "ephemeral" or "dm"
    channel: str = ""
    ts: str = ""


class Delivery:
    """Sends one message privately to one technician by the first route that works."""

    def __init__(self, client: WebClient, *, slack_api_url: str) -> None:
        self._client = client
        # Besides Slack's own hooks host, trust only the server the Web API client talks
        # to (a stand-in on loopback in tests), so a response_url can't send a PIN elsewhere.
        api = urlsplit(slack_api_url)
        self._trusted_origins = {("https", SLACK_HOOKS_HOST), (api.scheme, api.netloc)}

    def send(
        self, destination: Destination, message: dict[str, Any], *, replace_original: bool = False
    ) -> Delivered | None:
        """Deliver message; return how it went, or None when no route worked.

        replace_original: the message takes the place of the last one sent by response_url.
        """
        user = destination.user_id
        if self._via_response_url(destination, message, replace_original=replace_original):
            return _delivered(Delivered("response_url"), user)
        if destination.channel_id and self._via_api(
            "chat.postEphemeral", channel=destination.channel_id, user=user, **message
        ):
            return _delivered(Delivered("ephemeral"), user)
        posted = self.post_dm(user, message)
        if posted is not None:
            return _delivered(posted, user)
        logger.error("Could not deliver an answer to user=%s by any route", user)
        return None

    def replace(self, response_url: str, message: dict[str, Any]) -> bool:
        """Put message in the place of the last one sent through response_url."""
        destination = Destination(user_id="", response_url=response_url)
        return self._via_response_url(destination, message, replace_original=True)

    def post_dm(self, user_id: str, message: dict[str, Any]) -> Delivered | None:
        """Post message in the app's DM with the user; None if Slack refused."""
        # A DM needs only chat:write: posting to a user id opens the app's DM with them.
        answer: list[Any] = []

        def call() -> None:
            answer.append(
                self._client.api_call("chat.postMessage", json={"channel": user_id, **message})
            )

        if not attempt("chat.postMessage", call) or not answer:
            return None
        return Delivered("dm", str(answer[0].get("channel") or ""), str(answer[0].get("ts") or ""))

    def update_dm(self, channel: str, ts: str, message: dict[str, Any]) -> bool:
        """Edit a DM lenspin posted."""
        return self._via_api("chat.update", channel=channel, ts=ts, **message)

    def _via_response_url(
        self, destination: Destination, message: dict[str, Any], *, replace_original: bool
    ) -> bool:
        url = destination.response_url
        if not url:
            return False
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) not in self._trusted_origins:
            logger.warning("Ignoring a response_url on an untrusted host: %s", parts.netloc)
            return False
        try:
            response = WebhookClient(url, timeout=WEBHOOK_TIMEOUT).send(
                response_type="ephemeral", replace_original=replace_original, **message
            )
        except SLACK_FAILURES as error:
            logger.warning("response_url failed: %s", type(error).__name__)
            return False
        if response.status_code != 200:
            logger.warning("response_url answered %s %s", response.status_code, response.body)
            return False
        return True

    def _via_api(self, method: str, **kwargs: Any) -> bool:
        return attempt(method, lambda: self._client.api_call(method, json=kwargs))


def _delivered(delivered: Delivered, user_id: str) -> Delivered:
    logger.info("Answer delivered to user=%s via %s", user_id, delivered.route)
    return delivered
