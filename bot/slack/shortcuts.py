"""Starting from a customer's message (message shortcut) or from anywhere (global shortcut)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import texts
from bot.slack import views
from bot.slack.commands import open_view, refusal
from bot.slack.delivery import Destination
from bot.slack.submissions import dig

if TYPE_CHECKING:
    from bot.slack import SlackDeps

logger = logging.getLogger(__name__)


class Shortcuts:
    """Opens the PIN form from a shortcut, prefilled from the message when there is one."""

    def __init__(self, deps: SlackDeps) -> None:
        self._deps = deps

    def from_message(
        self, ack: Ack, shortcut: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """The message shortcut: Name from the author, tracking and link from the message."""
        ack()
        team_id = str(dig(shortcut, "team", "id") or "")
        user_id = str(dig(shortcut, "user", "id") or "")
        reason = refusal(self._deps, team_id, user_id)
        if reason:
            respond(text=reason, response_type="ephemeral")
            return
        channel_id = str(dig(shortcut, "channel", "id") or "")
        message_ts = str(dig(shortcut, "message", "ts") or dig(shortcut, "message_ts") or "")
        values = self._prefill(channel_id, message_ts, str(dig(shortcut, "message", "user") or ""))
        destination = Destination(user_id, channel_id, str(shortcut.get("response_url") or ""))
        view = views.pin_modal_for(
            self._deps.settings, values=values, private_metadata=destination.to_metadata()
        )
        open_view(client, str(shortcut.get("trigger_id", "")), view, respond)

    def anywhere(self, ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
        """The global shortcut: the empty form; the answer comes as a direct message."""
        ack()
        team_id = str(dig(shortcut, "team", "id") or "")
        user_id = str(dig(shortcut, "user", "id") or "")
        reason = refusal(self._deps, team_id, user_id)
        if reason:
            self._deps.background(lambda: self._tell(user_id, reason))
            return
        view = views.pin_modal_for(
            self._deps.settings, private_metadata=Destination(user_id).to_metadata()
        )
        try:
            client.views_open(trigger_id=str(shortcut.get("trigger_id", "")), view=view)
        except (SlackApiError, SlackClientError, OSError) as error:
            logger.warning("views.open from the global shortcut failed: %s", type(error).__name__)
            self._deps.background(lambda: self._tell(user_id, texts.MODAL_FAILED))

    def _prefill(self, channel_id: str, message_ts: str, author: str) -> dict[str, str]:
        settings = self._deps.settings
        values = {"tracking": texts.MESSAGE_REFERENCE.format(channel=channel_id, ts=message_ts)}
        lookups = self._deps.lookups
        name = lookups.real_name(author) if author else None
        if name:
            values["name"] = name
        link_field = next(
            (f for f in settings.visible_fields if f.key == settings.message_link_field), None
        )
        if link_field is not None:
            link = lookups.permalink(channel_id, message_ts)
            # A link cut short is worse than none: only a whole one goes in.
            if link and len(link) <= link_field.max_length:
                values[link_field.key] = link
        return values

    def _tell(self, user_id: str, text: str) -> None:
        self._deps.delivery.send(Destination(user_id), {"text": text, "blocks": []})
