"""Button clicks: the Home tab's Connect, Disconnect and Change settings, and the buttons under
a PIN."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import texts
from bot.domain import Requester, StoreError
from bot.rescue.models import Pin
from bot.slack import ids
from bot.slack.blocks.admin import admin_modal
from bot.slack.blocks.connect import connect_link_modal
from bot.slack.blocks.messages import customer_post, pin_ready, share_failed
from bot.slack.blocks.modals import connect_modal, notice_modal, pin_modal_for
from bot.slack.blocks.outcomes import store_failure
from bot.slack.deps import SlackDeps
from bot.slack.flows import (
    admin_refusal,
    connect_link,
    form_metadata,
    open_form,
    refresh_home,
    request_lookups,
)
from bot.slack.follow import after_share
from bot.slack.forms import PinButtons, dig
from bot.slack.io.delivery import Destination
from bot.slack.io.views import open_view, open_view_id, post_message, update_view
from bot.slack.who import requester
from bot.texts import admin as admin_words

logger = logging.getLogger(__name__)


def register(app: App, deps: SlackDeps) -> None:
    """Route every button lenspin puts in the Home tab and under a PIN."""
    home, pin = HomeButtons(deps), PinMessageButtons(deps)
    app.action(ids.HOME_CONNECT_ACTION)(home.connect)
    app.action(ids.HOME_DISCONNECT_ACTION)(home.disconnect)
    app.action(ids.ADMIN_OPEN_ACTION)(home.settings)
    # The connect page's button opens its link in the browser; the click needs only an ack.
    app.action(ids.CONNECT_LINK_ACTION)(lambda ack: ack())
    app.action(ids.SHARE_ACTION)(pin.share)
    app.action(ids.AGAIN_ACTION)(pin.again)
    app.action(ids.TEXT_AGAIN_ACTION)(pin.again)


def clicked(body: dict[str, Any]) -> PinButtons | None:
    """The value of the button clicked, decoded."""
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else {}
    return PinButtons.from_value(action.get("value") if isinstance(action, dict) else None)


def channel_of(body: dict[str, Any]) -> str:
    """The conversation the clicked message is in ("" if Slack did not say)."""
    return str(dig(body, "channel", "id") or dig(body, "container", "channel_id") or "")


class HomeButtons:
    """Connect opens the connect form; Disconnect forgets the account and refreshes the tab."""

    def __init__(self, deps: SlackDeps) -> None:
        self._deps = deps

    def connect(
        self, ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        """Open the connect form, or the link to the connect page (a notice if linking is off)."""
        ack()
        trigger_id = str(body.get("trigger_id", ""))
        if not self._deps.settings.linking:
            # A Home tab published before linking was turned off still shows the button.
            open_view(
                client, trigger_id, notice_modal(texts.CONNECT_FAILED_TITLE, texts.CONNECT_OFF)
            )
            return
        if self._deps.connect_links is None:
            open_view(client, trigger_id, connect_modal())
            return
        # The modal opens while the trigger is fresh; the link (the database, Slack's names)
        # replaces its first words when ready.
        view_id = open_view_id(
            client, trigger_id, notice_modal(texts.CONNECT_TITLE, texts.CONNECT_LINK_PREPARING)
        )
        if view_id:
            who = requester(context)
            self._deps.background(lambda: self._show_link(client, who, view_id))

    def _show_link(self, client: WebClient, who: Requester, view_id: str) -> None:
        try:
            url = connect_link(self._deps, who)
        except StoreError as error:
            failed = notice_modal(texts.CONNECT_FAILED_TITLE, store_failure(error))
            update_view(client, view_id, failed)
            raise  # the background runner logs it as a warning
        if url:
            update_view(client, view_id, connect_link_modal(url))

    def disconnect(self, ack: Ack, context: BoltContext) -> None:
        """Forget the account (the button asked for confirmation), then refresh the tab."""
        ack()
        who, lookups = requester(context), request_lookups(self._deps, context)

        def disconnect() -> None:
            try:
                self._deps.accounts.disconnect(who)
            finally:
                # Refreshed either way: a failing database then shows on the tab itself.
                refresh_home(self._deps, who, lookups)

        self._deps.background(disconnect)

    def settings(
        self, ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        """Open the workspace's settings, for its admins only: Slack is asked at every click."""
        ack()
        trigger_id = str(body.get("trigger_id", ""))
        # The workspace and the user are Bolt's (the signed request's), never the button's.
        who = requester(context)
        reason = admin_refusal(self._deps, who, request_lookups(self._deps, context))
        if reason is not None:
            logger.info("Settings not opened for user=%s: refused", who.user_id)
            open_view(client, trigger_id, notice_modal(admin_words.NOT_ADMIN_TITLE, reason))
            return
        policies = self._deps.policies
        try:
            policy = policies.for_(who)
        except StoreError as error:
            failed = notice_modal(admin_words.TITLE, store_failure(error))
            open_view(client, trigger_id, failed)
            return
        view = admin_modal(
            policy,
            fields=self._deps.settings.visible_fields,
            max_audit_days=policies.max_audit_days,
            label_limit=policies.label_limit,
        )
        open_view(client, trigger_id, view)


class PinMessageButtons:
    """'Share instructions here' and 'New PIN for the same customer'."""

    def __init__(self, deps: SlackDeps) -> None:
        self._deps = deps

    def share(self, ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        """Post only the customer's steps in the conversation, then say so privately."""
        ack()
        buttons = clicked(body)
        channel_id = channel_of(body)
        if buttons is None or not channel_id:
            return
        who, response_url = requester(context), str(body.get("response_url") or "")

        def share() -> None:
            if self._share(who, buttons, channel_id, respond) and buttons.audit_id is not None:
                self._remember_share(who, buttons.audit_id, response_url)

        self._deps.background(share)

    def _remember_share(self, who: Requester, audit_id: int, response_url: str) -> None:
        """A followed PIN's later news keeps the message shared, through the click's URL."""
        watcher = self._deps.watcher
        if watcher is not None and watcher.enabled:
            watcher.amend_reply(who, audit_id, lambda handle: after_share(handle, response_url))

    def _share(
        self, who: Requester, buttons: PinButtons, channel_id: str, respond: Respond
    ) -> bool:
        side = self._deps.clients.for_(who)
        if side is None:
            return False
        language = self._deps.policies.for_(who).customer_language
        pin = Pin(buttons.pin)
        if not post_message(side.client, channel_id, customer_post(pin, language)):
            respond(
                response_type="ephemeral", replace_original=False, **share_failed(pin, language)
            )
            return False
        # The private message now says it was shared, and loses its share button.
        updated = pin_ready(
            pin,
            name=buttons.name,
            language=language,
            sms_number=buttons.sms_number,
            buttons=buttons.to_value(),
            shared=True,
        )
        respond(replace_original=True, response_type="ephemeral", **updated)
        return True

    def again(
        self,
        ack: Ack,
        body: dict[str, Any],
        context: BoltContext,
        client: WebClient,
        respond: Respond,
    ) -> None:
        """Reopen the PIN form with everything the technician sent last time."""
        ack()
        buttons = clicked(body)
        who = requester(context)
        try:
            previous = (
                self._deps.previous_request(buttons.audit_id, who.team_id, who.user_id)
                if buttons is not None and buttons.audit_id is not None
                else None
            )
            policy = self._deps.policies.for_(who)
        except StoreError as error:
            # Answered here, not raised: Bolt turns an error raised just after ack() into a 404.
            respond(text=store_failure(error), response_type="ephemeral", replace_original=False)
            return
        if buttons is None or previous is None:
            respond(text=texts.AGAIN_GONE, response_type="ephemeral", replace_original=False)
            return
        values = {**previous.fields, "sms_number": buttons.sms_number}
        values["sms_language"] = buttons.sms_language
        destination = Destination(
            who.user_id, channel_of(body), str(body.get("response_url") or "")
        )
        view = pin_modal_for(
            self._deps.settings,
            policy,
            values=values,
            no_tech_console=previous.no_tech_console,
            private_metadata=form_metadata(self._deps, destination),
        )
        open_form(client, str(body.get("trigger_id", "")), view, respond)
