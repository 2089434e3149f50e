"""Opening, updating and publishing views, and posting in a conversation; failures are logged."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack.io import attempt


def open_view(client: WebClient, trigger_id: str, view: dict[str, Any]) -> bool:
    """Open a modal with a fresh trigger; False (and logged) when Slack refused or was slow."""
    return attempt("views.open", lambda: client.views_open(trigger_id=trigger_id, view=view))


def open_view_id(client: WebClient, trigger_id: str, view: dict[str, Any]) -> str | None:
    """Open a modal like open_view, and return its id for a later update (None on failure)."""
    opened: list[str] = []

    def call() -> None:
        response = client.views_open(trigger_id=trigger_id, view=view)
        opened.append(str((response.get("view") or {}).get("id") or ""))

    if not attempt("views.open", call) or not opened:
        return None
    return opened[0] or None


def update_view(client: WebClient, view_id: str, view: dict[str, Any]) -> bool:
    """Replace an open modal's content."""
    return attempt("views.update", lambda: client.views_update(view_id=view_id, view=view))


def publish_home(client: WebClient, user_id: str, view: dict[str, Any]) -> bool:
    """Publish a user's Home tab."""
    return attempt("views.publish", lambda: client.views_publish(user_id=user_id, view=view))


def post_message(client: WebClient, channel_id: str, message: dict[str, Any]) -> bool:
    """Post a message in a conversation for everyone in it."""
    return attempt(
        "chat.postMessage", lambda: client.chat_postMessage(channel=channel_id, **message)
    )
