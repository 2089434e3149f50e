"""Following a PIN's session in Slack: what is kept to update its message, and each update."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from bot.domain import Requester, Watch
from bot.rescue.models import Pin
from bot.slack.blocks.session import PinMessage, followed_message
from bot.slack.io.delivery import Delivered, Delivery

logger = logging.getLogger(__name__)

# Slack: a response_url takes five posts within 30 minutes (SLACK-NOTES); a minute's margin.
RESPONSE_URL_POSTS = 5
RESPONSE_URL_LIFETIME = 29 * 60.0


@dataclass(frozen=True)
class Reply:
    """Where the PIN's message is and what it showed: the watch keeps it (encrypted)."""

    user_id: str
    route: str  # how the message went: "response_url", "ephemeral" or "dm"
    response_url: str
    channel: str
    ts: str
    sent_at: float  # when the response_url was first used, in seconds since the epoch
    posts: int  # the response_url's posts before the watch began
    shown: PinMessage  # what the message showed, to draw it again with the news

    def to_handle(self) -> str:
        """The text the watcher keeps and hands back with each change."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_handle(cls, handle: str) -> Reply | None:
        """Read a handle written by to_handle; None for anything else."""
        try:
            data = json.loads(handle)
            shown = dict(data.pop("shown"))
            pin = Pin(**shown.pop("pin"))
            return cls(**data, shown=PinMessage(pin=pin, **shown))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def reply_for(
    user_id: str, delivered: Delivered, response_url: str, shown: PinMessage, *, posts: int
) -> Reply:
    """The handle of a PIN message just delivered (posts: the response_url's posts so far)."""
    return Reply(
        user_id=user_id,
        route=delivered.route,
        response_url=response_url if delivered.route == "response_url" else "",
        channel=delivered.channel,
        ts=delivered.ts,
        sent_at=time.time(),
        posts=posts,
        shown=shown,
    )


class SessionNews:
    """Puts a watched PIN's news in its message: in place where Slack allows, else a DM."""

    def __init__(
        self,
        deliveries: Callable[[Requester], Delivery | None],
        *,
        validity: float,
        refresh: Callable[[Watch], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        # The Delivery of the technician's workspace; None once lenspin is uninstalled there.
        self._deliveries = deliveries
        self._validity = validity
        # Refreshes the technician's Home tab, which lists the PINs being followed.
        self._refresh = refresh
        self._clock = clock

    def on_change(self, watch: Watch, handle: str) -> str | None:
        """Tell the technician; the new handle when the message moved to a DM, else None."""
        reply = Reply.from_handle(handle)
        if reply is None:
            logger.warning("Watch %s has an unreadable reply handle", watch.id)
            return None
        delivery = self._deliveries(watch.requester)
        if delivery is None:
            return None
        now = self._clock()
        message = followed_message(
            watch,
            reply.shown,
            now=datetime.fromtimestamp(now, UTC),
            validity=self._validity,
        )
        moved = self._update(delivery, reply, watch.reply_uses, message, now)
        self._refresh(watch)
        return moved

    def _update(
        self, delivery: Delivery, reply: Reply, uses: int, message: dict[str, Any], now: float
    ) -> str | None:
        if reply.route == "response_url" and self._url_left(reply, uses, now):
            in_place = delivery.replace(reply.response_url, message)
        elif reply.route == "dm" and reply.ts:
            in_place = delivery.update_dm(reply.channel, reply.ts, message)
        else:
            in_place = False
        if in_place:
            return None
        # An ephemeral answer can't be edited, nor a spent response_url used: a DM says it,
        # and the next news edits that DM.
        posted = delivery.post_dm(reply.user_id, message)
        if posted is None:
            return None
        return replace(reply, route="dm", channel=posted.channel, ts=posted.ts).to_handle()

    @staticmethod
    def _url_left(reply: Reply, uses: int, now: float) -> bool:
        return (
            reply.posts + uses < RESPONSE_URL_POSTS and now - reply.sent_at < RESPONSE_URL_LIFETIME
        )


def after_share(handle: str, response_url: str, *, now: float | None = None) -> str | None:
    """The handle once the steps were shared: the message says so, through the click's URL.

    Slack gave the click its own response_url, which replaced the message last: later news
    goes through it, with its own five posts.
    """
    reply = Reply.from_handle(handle)
    if reply is None:
        return None
    shared = replace(reply, shown=replace(reply.shown, shared=True))
    if not response_url:
        return shared.to_handle()
    sent_at = time.time() if now is None else now
    moved = replace(shared, route="response_url", response_url=response_url, posts=1)
    return replace(moved, sent_at=sent_at).to_handle()
