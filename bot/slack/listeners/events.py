"""Events lenspin subscribes to: the Home tab opened."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.slack.deps import SlackDeps
from bot.slack.flows import refresh_home, request_lookups
from bot.slack.who import requester


def register(app: App, deps: SlackDeps) -> None:
    """Route app_home_opened here."""

    def home_opened(event: dict[str, Any], context: BoltContext) -> None:
        """Publish a fresh Home tab, off Bolt's threads."""
        if event.get("tab", "home") != "home":
            return
        who, lookups = requester(context), request_lookups(deps, context)
        deps.background(lambda: refresh_home(deps, who, lookups))

    app.event("app_home_opened")(home_opened)
