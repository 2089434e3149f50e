"""The buttons under a PIN: share the customer's steps in the conversation, or ask again."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import texts
from bot.config import FIELD_KEYS
from bot.rescue.models import Pin
from bot.slack import messages, views
from bot.slack.commands import open_view
from bot.slack.delivery import Destination
from bot.slack.submissions import PinButtons, dig

if TYPE_CHECKING:
    from bot.slack import SlackDeps

logger = logging.getLogger(__name__)


def clicked(body: dict[str, Any]) -> PinButtons | None:
    """The value of the button clicked, decoded."""
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else {}
    return PinButtons.from_value(action.get("value") if isinstance(action, dict) else None)


def channel_of(body: dict[str, Any]) -> str:
    """The conversation the clicked message is in ("" if Slack did not say)."""
    return str(dig(body, "channel", "id") or dig(body, "container", "channel_id") or "")


class PinActions:
    """Handles 'Share instructions here' and 'New PIN for the same customer'."""

    def __init__(self, deps: SlackDeps) -> None:
        self._deps = deps

    def share(self, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        """Post only the customer's steps in the conversation, then say so privately."""
        ack()
        buttons = clicked(body)
        channel_id = channel_of(body)
        if buttons is None or not channel_id:
            return
        self._deps.background(lambda: self._share(buttons, channel_id, respond))

    def _share(self, buttons: PinButtons, channel_id: str, respond: Respond) -> None:
        settings = self._deps.settings
        pin = Pin(buttons.pin)
        post = messages.customer_post(pin, settings.customer_language)
        try:
            self._deps.client.chat_postMessage(channel=channel_id, **post)
        except (SlackApiError, SlackClientError, OSError) as error:
            logger.info("Sharing in %s failed: %s", channel_id, type(error).__name__)
            steps = messages.customer_instructions(pin, settings.customer_language)
            respond(
                text=f"{texts.SHARE_FAILED}\n```{steps}```",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        # The private message now says it was shared, and loses its share button.
        updated = messages.pin_ready(
            pin,
            name=buttons.name,
            language=settings.customer_language,
            sms_number=buttons.sms_number,
            buttons=buttons.to_value(),
            shared=True,
        )
        respond(replace_original=True, response_type="ephemeral", **updated)

    def again(self, ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """Reopen the PIN form with everything the technician sent last time."""
        ack()
        buttons = clicked(body)
        team_id = str(dig(body, "team", "id") or dig(body, "user", "team_id") or "")
        user_id = str(dig(body, "user", "id") or "")
        previous = (
            self._deps.previous_request(buttons.audit_id, team_id, user_id)
            if buttons is not None and buttons.audit_id is not None
            else None
        )
        if buttons is None or previous is None:
            respond(text=texts.AGAIN_GONE, response_type="ephemeral", replace_original=False)
            return
        values = {key: getattr(previous, key) for key in FIELD_KEYS}
        values |= {"sms_number": buttons.sms_number, "sms_language": buttons.sms_language}
        destination = Destination(
            user_id,
            channel_of(body),
            str(body.get("response_url") or ""),
        )
        view = views.pin_modal_for(
            self._deps.settings,
            values=values,
            no_tech_console=previous.no_tech_console,
            private_metadata=destination.to_metadata(),
        )
        open_view(client, str(body.get("trigger_id", "")), view, respond)
