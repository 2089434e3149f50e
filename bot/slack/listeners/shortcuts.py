"""Starting from a customer's message (message shortcut) or from anywhere (global shortcut)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import texts
from bot.domain import Requester
from bot.fields import NAME, TRACKING
from bot.slack import ids
from bot.slack.blocks.modals import pin_modal_for
from bot.slack.blocks.mrkdwn import Message
from bot.slack.clients import quick_lookups
from bot.slack.deps import SlackDeps
from bot.slack.flows import admit, form_metadata, open_form, refuse
from bot.slack.forms import dig
from bot.slack.io.delivery import Destination
from bot.slack.io.users import Lookups
from bot.slack.io.views import open_view
from bot.slack.who import requester


def register(app: App, deps: SlackDeps) -> None:
    """Route both shortcuts here."""
    shortcuts = Shortcuts(deps)
    app.shortcut(ids.MESSAGE_SHORTCUT)(shortcuts.from_message)
    app.shortcut(ids.GLOBAL_SHORTCUT)(shortcuts.anywhere)


class Shortcuts:
    """Opens the PIN form from a shortcut, prefilled from the message when there is one."""

    def __init__(self, deps: SlackDeps) -> None:
        self._deps = deps

    def from_message(
        self,
        ack: Ack,
        shortcut: dict[str, Any],
        context: BoltContext,
        client: WebClient,
        respond: Respond,
    ) -> None:
        """The message shortcut: Name from the author, tracking and link from the message."""
        ack()
        who = requester(context)
        admitted = admit(self._deps, who)
        if isinstance(admitted, str):
            refuse(self._deps, who, admitted, lambda m: respond(response_type="ephemeral", **m))
            return
        channel_id = str(dig(shortcut, "channel", "id") or "")
        message_ts = str(dig(shortcut, "message", "ts") or dig(shortcut, "message_ts") or "")
        author = str(dig(shortcut, "message", "user") or "")
        values = self._prefill(quick_lookups(client), channel_id, message_ts, author)
        destination = Destination(who.user_id, channel_id, str(shortcut.get("response_url") or ""))
        view = pin_modal_for(
            self._deps.settings,
            admitted,
            values=values,
            private_metadata=form_metadata(self._deps, destination),
        )
        open_form(client, str(shortcut.get("trigger_id", "")), view, respond)

    def anywhere(
        self, ack: Ack, shortcut: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        """The global shortcut: the empty form; the answer comes as a direct message."""
        ack()
        who = requester(context)
        admitted = admit(self._deps, who)
        if isinstance(admitted, str):
            reason = admitted
            tell = lambda m: self._tell(who, m)  # noqa: E731
            self._deps.background(lambda: refuse(self._deps, who, reason, tell))
            return
        view = pin_modal_for(
            self._deps.settings,
            admitted,
            private_metadata=form_metadata(self._deps, Destination(who.user_id)),
        )
        if not open_view(client, str(shortcut.get("trigger_id", "")), view):
            failed = {"text": texts.MODAL_FAILED, "blocks": []}
            self._deps.background(lambda: self._tell(who, failed))

    def _prefill(
        self, lookups: Lookups, channel_id: str, message_ts: str, author: str
    ) -> dict[str, str]:
        settings = self._deps.settings
        values = {TRACKING: texts.MESSAGE_REFERENCE.format(channel=channel_id, ts=message_ts)}
        name = lookups.real_name(author) if author else None
        if name:
            values[NAME] = name
        link_field = next(
            (f for f in settings.visible_fields if f.key == settings.message_link_field), None
        )
        if link_field is not None:
            link = lookups.permalink(channel_id, message_ts)
            # A link cut short is worse than none: only a whole one goes in.
            if link and len(link) <= link_field.max_length:
                values[link_field.key] = link
        return values

    def _tell(self, who: Requester, message: Message) -> None:
        """A private message to who, after the ack (the app's DM with them)."""
        side = self._deps.clients.for_(who)
        if side is not None:
            side.delivery.send(Destination(who.user_id), message)
