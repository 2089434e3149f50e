"""The /lenspin slash command and its subcommands: ack first, then the form or the answer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import texts
from bot.slack import messages, views
from bot.slack.delivery import Destination

if TYPE_CHECKING:
    from bot.slack import SlackDeps

logger = logging.getLogger(__name__)


def open_view(client: WebClient, trigger_id: str, view: dict[str, Any], respond: Respond) -> None:
    """Open a modal with a fresh trigger; if Slack refuses, say so plainly."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        logger.warning("views.open failed: %s", error.response.get("error"))
        respond(text=texts.MODAL_FAILED, response_type="ephemeral")
    except (OSError, SlackClientError) as error:
        logger.warning("views.open failed: %s", type(error).__name__)
        respond(text=texts.MODAL_FAILED, response_type="ephemeral")


def refusal(deps: SlackDeps, team_id: str, user_id: str) -> str | None:
    """Why this user may not open the PIN form, or None; reads the database only if needed."""
    settings = deps.settings
    if settings.is_allowed(user_id) or settings.sso_enabled:
        return None
    if not settings.linking:
        return texts.NOT_ALLOWED.format(user_id=user_id)
    # Only someone outside the allowlist needs a look at the database, after ack().
    return None if deps.accounts.has_own_code(team_id, user_id) else texts.NEEDS_CONNECT


class LenspinCommand:
    """Answers /lenspin: a subcommand when the text is one, else the PIN form."""

    def __init__(self, deps: SlackDeps) -> None:
        self._deps = deps
        self._settings = deps.settings
        self._subcommands: dict[str, Callable[[Ack, dict[str, Any], WebClient, Respond], None]] = {
            "help": self._help,
            "connect": self._connect,
            "status": self._status,
            "disconnect": self._disconnect,
            "history": self._history,
        }

    def handle(
        self, ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """Dispatch on the command's text; anything that is no subcommand is a Name."""
        word = command.get("text", "").strip().lower()
        self._subcommands.get(word, self._pin_form)(ack, command, client, respond)

    def _pin_form(
        self, ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        user_id = command.get("user_id", "")
        team_id = command.get("team_id", "")
        if not self._settings.linking and refusal(self._deps, team_id, user_id):
            # Decided from settings alone, so the refusal can be the ack itself.
            ack(response_type="ephemeral", text=texts.NOT_ALLOWED.format(user_id=user_id))
            logger.info("Refused /lenspin for user=%s (not allowed)", user_id)
            return
        ack()
        reason = refusal(self._deps, team_id, user_id)
        if reason:
            respond(text=reason, response_type="ephemeral")
            return
        destination = Destination(
            user_id=user_id,
            channel_id=command.get("channel_id", ""),
            response_url=command.get("response_url", ""),
        )
        view = views.pin_modal_for(
            self._settings,
            values={"name": command.get("text", "")},
            private_metadata=destination.to_metadata(),
        )
        open_view(client, command.get("trigger_id", ""), view, respond)

    def _help(self, ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack(response_type="ephemeral", text=texts.HELP)

    def _connect(
        self, ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        if not self._settings.linking:
            ack(response_type="ephemeral", text=texts.CONNECT_OFF)
            return
        ack()
        open_view(client, command.get("trigger_id", ""), views.connect_modal(), respond)

    def _status(
        self, ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id = command.get("team_id", ""), command.get("user_id", "")

        def answer() -> None:
            status = self._deps.accounts.status(team_id, user_id)
            respond(text=messages.status_text(status), response_type="ephemeral")

        # Asking Rescue about the account is slow: never on Bolt's threads.
        self._deps.background(answer)

    def _disconnect(
        self, ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id = command.get("team_id", ""), command.get("user_id", "")

        def answer() -> None:
            gone = self._deps.accounts.disconnect(team_id, user_id)
            respond(
                text=texts.DISCONNECTED if gone else texts.NOT_CONNECTED,
                response_type="ephemeral",
            )

        self._deps.background(answer)

    def _history(
        self, ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id = command.get("team_id", ""), command.get("user_id", "")

        def answer() -> None:
            entries = self._deps.history(team_id, user_id)
            message = messages.history(
                entries,
                now=datetime.now(UTC),
                visible_minutes=self._settings.pin_visible_minutes,
            )
            respond(response_type="ephemeral", **message)

        self._deps.background(answer)
