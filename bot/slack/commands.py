"""The /lenspin slash command: check who asks, ack, open the PIN form."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import texts
from bot.config import Settings
from bot.slack import views
from bot.slack.delivery import Destination

logger = logging.getLogger(__name__)


class PinCommand:
    """Answers /lenspin [name] with the PIN form, or a refusal for users not allowed."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def handle(
        self, ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """Ack at once, then open the modal while the trigger is fresh."""
        user_id = command.get("user_id", "")
        if not self._settings.is_allowed(user_id):
            ack(response_type="ephemeral", text=texts.NOT_ALLOWED.format(user_id=user_id))
            logger.info("Refused /lenspin for user=%s (not allowed)", user_id)
            return
        ack()
        destination = Destination(
            user_id=user_id,
            channel_id=command.get("channel_id", ""),
            response_url=command.get("response_url", ""),
        )
        view = views.pin_modal(
            self._settings.visible_fields,
            checkbox_label=self._checkbox_label(),
            values={"name": command.get("text", "")},
            private_metadata=destination.to_metadata(),
        )
        try:
            client.views_open(trigger_id=command.get("trigger_id", ""), view=view)
        except SlackApiError as error:
            logger.warning(
                "views.open failed for user=%s: %s", user_id, error.response.get("error")
            )
            respond(text=texts.MODAL_FAILED, response_type="ephemeral")
        except (OSError, SlackClientError) as error:
            logger.warning("views.open failed for user=%s: %s", user_id, type(error).__name__)
            respond(text=texts.MODAL_FAILED, response_type="ephemeral")

    def _checkbox_label(self) -> str | None:
        if not self._settings.show_no_tech_console:
            return None
        return self._settings.no_tech_console_label
