"""Opening, updating and publishing views, and posting in a conversation; failures are logged."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.io import SLACK_FAILURES

logger = logging.getLogger(__name__)


def open_view(client: WebClient, trigger_id: str, view: dict[str, Any]) -> bool:
    """Open a modal with a fresh trigger; False (and logged) when Slack refused or was slow."""
    return _call("views.open", lambda: client.views_open(trigger_id=trigger_id, view=view))


def update_view(client: WebClient, view_id: str, view: dict[str, Any]) -> bool:
    """Replace an open modal's content."""
    return _call("views.update", lambda: client.views_update(view_id=view_id, view=view))


def publish_home(client: WebClient, user_id: str, view: dict[str, Any]) -> bool:
    """Publish a user's Home tab."""
    return _call("views.publish", lambda: client.views_publish(user_id=user_id, view=view))


def post_message(client: WebClient, channel_id: str, message: dict[str, Any]) -> bool:
    """Post a message in a conversation for everyone in it."""
    return _call("chat.postMessage", lambda: client.chat_postMessage(channel=channel_id, **message))


def _call(method: str, call: Any) -> bool:
    try:
        call()
    except SlackApiError as error:
        logger.warning("%s failed: %s", method, error.response.get("error"))
        return False
    except SLACK_FAILURES as error:
        logger.warning("%s failed: %s", method, type(error).__name__)
        return False
    return True
