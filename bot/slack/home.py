"""The App Home tab: connection status with its button, recent PINs, and how to use lenspin."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.accounts import StatusKind
from bot.slack import messages, views
from bot.slack.submissions import dig

if TYPE_CHECKING:
    from bot.slack import SlackDeps

logger = logging.getLogger(__name__)


class Home:
    """Publishes each technician's Home tab and answers its buttons."""

    def __init__(self, deps: SlackDeps) -> None:
        self._deps = deps

    def opened(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """app_home_opened: publish a fresh Home tab, off Bolt's threads."""
        if event.get("tab", "home") != "home":
            return
        team_id, user_id = str(body.get("team_id", "")), str(event.get("user", ""))
        self._deps.background(lambda: self.refresh(team_id, user_id))

    def refresh(self, team_id: str, user_id: str) -> None:
        """Build and publish the user's Home tab."""
        status = self._deps.accounts.status(team_id, user_id)
        entries = self._deps.history(team_id, user_id)
        view = views.home(
            messages.status_text(status),
            connected=status.kind in (StatusKind.LINKED, StatusKind.STALE),
            can_connect=self._deps.settings.linking,
            history=messages.history_blocks(
                entries,
                now=datetime.now(UTC),
                visible_minutes=self._deps.settings.pin_visible_minutes,
            ),
        )
        try:
            self._deps.client.views_publish(user_id=user_id, view=view)
        except (SlackApiError, SlackClientError, OSError) as error:
            logger.warning("views.publish for user=%s failed: %s", user_id, type(error).__name__)

    def connect_clicked(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Open the connect form with the click's trigger."""
        ack()
        try:
            client.views_open(
                trigger_id=str(body.get("trigger_id", "")), view=views.connect_modal()
            )
        except (SlackApiError, SlackClientError, OSError) as error:
            logger.warning("views.open from Home failed: %s", type(error).__name__)

    def disconnect_clicked(self, ack: Ack, body: dict[str, Any]) -> None:
        """Forget the account (the button asked for confirmation), then refresh the tab."""
        ack()
        team_id = str(dig(body, "team", "id") or dig(body, "user", "team_id") or "")
        user_id = str(dig(body, "user", "id") or "")

        def disconnect() -> None:
            self._deps.accounts.disconnect(team_id, user_id)
            self.refresh(team_id, user_id)

        self._deps.background(disconnect)
