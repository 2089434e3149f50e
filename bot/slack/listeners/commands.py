"""The /lenspin slash command and its subcommands: ack first, then the form or the answer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import texts
from bot.domain import Requester
from bot.fields import NAME
from bot.slack import ids
from bot.slack.blocks.connect import connect_link_message
from bot.slack.blocks.history import history
from bot.slack.blocks.modals import connect_modal, pin_modal_for
from bot.slack.blocks.status import status_text
from bot.slack.deps import SlackDeps
from bot.slack.flows import admit, answered, connect_link, form_metadata, open_form, refuse
from bot.slack.io.delivery import Destination
from bot.slack.who import requester

logger = logging.getLogger(__name__)

Subcommand = Callable[[Ack, dict[str, Any], Requester, WebClient, Respond], None]


def register(app: App, deps: SlackDeps) -> None:
    """Route /lenspin here."""
    app.command(ids.COMMAND)(LenspinCommand(deps).handle)


class LenspinCommand:
    """Answers /lenspin: a subcommand when the text is one, else the PIN form."""

    def __init__(self, deps: SlackDeps) -> None:
        self._deps = deps
        self._settings = deps.settings
        self._subcommands: dict[str, Subcommand] = {
            "help": self._help,
            "connect": self._connect,
            "status": self._status,
            "disconnect": self._disconnect,
            "history": self._history,
        }

    def handle(
        self,
        ack: Ack,
        command: dict[str, Any],
        context: BoltContext,
        client: WebClient,
        respond: Respond,
    ) -> None:
        """Dispatch on the command's text; anything that is no subcommand is a Name."""
        word = str(command.get("text", "")).strip().lower()
        handler = self._subcommands.get(word, self._pin_form)
        handler(ack, command, requester(context), client, respond)

    def _pin_form(
        self, ack: Ack, command: dict[str, Any], who: Requester, client: WebClient, respond: Respond
    ) -> None:
        if not self._settings.linking and not self._deps.policies.multi:
            # Decided from the environment alone, so the refusal can be the ack itself.
            admitted = admit(self._deps, who)
            if isinstance(admitted, str):
                ack(response_type="ephemeral", text=admitted)
                logger.info("Refused /lenspin for user=%s (not allowed)", who.user_id)
                return
        ack()
        admitted = admit(self._deps, who)
        if isinstance(admitted, str):
            refuse(self._deps, who, admitted, lambda m: respond(response_type="ephemeral", **m))
            return
        destination = Destination(
            user_id=who.user_id,
            channel_id=str(command.get("channel_id", "")),
            response_url=str(command.get("response_url", "")),
        )
        view = pin_modal_for(
            self._settings,
            admitted,
            values={NAME: str(command.get("text", ""))},
            private_metadata=form_metadata(self._deps, destination),
        )
        open_form(client, str(command.get("trigger_id", "")), view, respond)

    def _help(
        self, ack: Ack, command: dict[str, Any], who: Requester, client: WebClient, respond: Respond
    ) -> None:
        ack(response_type="ephemeral", text=texts.HELP)

    def _connect(
        self, ack: Ack, command: dict[str, Any], who: Requester, client: WebClient, respond: Respond
    ) -> None:
        if not self._settings.linking:
            ack(response_type="ephemeral", text=texts.CONNECT_OFF)
            return
        ack()
        if self._deps.connect_links is None:
            open_form(client, str(command.get("trigger_id", "")), connect_modal(), respond)
            return

        def answer() -> None:
            url = connect_link(self._deps, who)
            if url:
                respond(response_type="ephemeral", **connect_link_message(url))

        # The link is made in the database, its page names the workspace and user: after ack.
        self._deps.background(answered(respond, answer))

    def _status(
        self, ack: Ack, command: dict[str, Any], who: Requester, client: WebClient, respond: Respond
    ) -> None:
        ack()

        def answer() -> None:
            status = self._deps.accounts.status(who)
            respond(text=status_text(status), response_type="ephemeral")

        # Asking Rescue about the account is slow: never on Bolt's threads.
        self._deps.background(answered(respond, answer))

    def _disconnect(
        self, ack: Ack, command: dict[str, Any], who: Requester, client: WebClient, respond: Respond
    ) -> None:
        ack()

        def answer() -> None:
            gone = self._deps.accounts.disconnect(who)
            respond(
                text=texts.DISCONNECTED if gone else texts.NOT_CONNECTED,
                response_type="ephemeral",
            )

        self._deps.background(answered(respond, answer))

    def _history(
        self, ack: Ack, command: dict[str, Any], who: Requester, client: WebClient, respond: Respond
    ) -> None:
        ack()

        def answer() -> None:
            entries = self._deps.history(who.team_id, who.user_id)
            message = history(
                entries,
                now=datetime.now(UTC),
                visible_minutes=self._settings.pin_visible_minutes,
            )
            respond(response_type="ephemeral", **message)

        self._deps.background(answered(respond, answer))
