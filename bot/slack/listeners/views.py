"""The forms' submissions: the PIN form queues a request; the connect form checks an account;
the settings form changes a workspace's settings."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import texts
from bot.accounts import LinkStale, NotConnected
from bot.domain import Finished, Policy, Requester, StoreError
from bot.fields import NAME
from bot.pins import Outcome
from bot.rescue.errors import RescueError
from bot.rescue.models import Pin, PinRequest
from bot.slack import ids
from bot.slack.blocks.admin import admin_errors
from bot.slack.blocks.connect import connect_link_message
from bot.slack.blocks.messages import pin_failed, pin_ready, queue_note
from bot.slack.blocks.modals import notice_modal
from bot.slack.blocks.mrkdwn import Message
from bot.slack.blocks.outcomes import connect_failure, store_failure
from bot.slack.blocks.session import PinMessage
from bot.slack.blocks.status import connected_text
from bot.slack.clients import SlackSide
from bot.slack.deps import SlackDeps
from bot.slack.flows import (
    admin_refusal,
    connect_link,
    form_destination,
    refresh_home,
    request_lookups,
)
from bot.slack.follow import reply_for
from bot.slack.forms import (
    PinButtons,
    dig,
    read_admin_form,
    read_connect_form,
    read_pin_form,
)
from bot.slack.io.delivery import Delivered, Destination
from bot.slack.io.users import Lookups
from bot.slack.io.views import update_view
from bot.slack.who import requester
from bot.texts import admin as admin_words
from bot.workspaces import InvalidPolicy

logger = logging.getLogger(__name__)


def register(app: App, deps: SlackDeps) -> None:
    """Route the three forms' submissions here."""
    app.view_submission(ids.PIN_MODAL)(PinFormSubmitted(deps).handle)
    app.view_submission(ids.CONNECT_MODAL)(ConnectFormSubmitted(deps).handle)
    app.view_submission(ids.ADMIN_MODAL)(SettingsFormSubmitted(deps).handle)


class PinFormSubmitted:
    """Validates the PIN form again, then queues the request and delivers its outcome."""

    def __init__(self, deps: SlackDeps) -> None:
        self._deps = deps
        self._settings = deps.settings

    def handle(self, ack: Ack, context: BoltContext, view: dict[str, Any]) -> None:
        """Answer with inline errors, or close the modal and queue the PIN request."""
        who = requester(context)
        try:
            policy = self._deps.policies.for_(who)
        except StoreError as error:
            ack(response_action="errors", errors={ids.field_block(NAME): store_failure(error)})
            return
        # Connected and SSO technicians are sorted out after ack(), when the code is chosen.
        may_connect = self._settings.linking or bool(policy.sso_company_id)
        if not who.user_id or not (may_connect or policy.allows(who.user_id)):
            ack(
                response_action="errors",
                errors={ids.field_block(NAME): texts.ERROR_NOT_ALLOWED_SUBMIT},
            )
            return
        request, errors = read_pin_form(
            dig(view, "state", "values"), self._settings.visible_fields, sms=self._settings.show_sms
        )
        if request is None:
            ack(response_action="errors", errors=errors)
            return
        ack()
        destination = form_destination(self._deps, who, dig(view, "private_metadata"))
        # Each answer asks for the workspace's clients when it goes: the install may change.
        answer = _Answer(lambda: self._deps.clients.for_(who), destination)

        def done(outcome: Outcome, finished: Finished) -> None:
            message = self._message(who, policy, request, outcome, finished.audit_id)
            delivered = answer.final(message)
            if isinstance(outcome, Pin) and delivered is not None:
                sent = answer.followed(delivered)
                self._follow(
                    who, request, outcome, finished, sent, language=policy.customer_language
                )

        self._deps.pins.submit(
            who,
            request,
            done,
            on_queued=lambda position, seconds: answer.note(queue_note(position, seconds)),
        )

    def _follow(
        self,
        who: Requester,
        request: PinRequest,
        pin: Pin,
        finished: Finished,
        sent: tuple[Delivered, str, int],
        *,
        language: str,
    ) -> None:
        """Watch the PIN's session, keeping what updating its message needs."""
        watcher = self._deps.watcher
        if watcher is None or not watcher.enabled or finished.credential is None:
            return
        shown = PinMessage(
            pin=pin,
            name=request.name,
            language=language,
            sms_number=request.sms_number,
            shared=False,
            buttons=self._buttons(finished.audit_id, pin, request),
            again=self._buttons(finished.audit_id, pin, request, sms=False),
            text_again=(
                self._buttons(finished.audit_id, pin, request) if request.sms_number else None
            ),
        )
        delivered, response_url, posts = sent
        reply = reply_for(who.user_id, delivered, response_url, shown, posts=posts)
        watcher.watch(who, finished.credential, request, finished.audit_id, reply.to_handle())

    @staticmethod
    def _buttons(audit_id: int | None, pin: Pin, request: PinRequest, *, sms: bool = True) -> str:
        number = request.sms_number if sms else ""
        return PinButtons(audit_id, pin.code, request.name, number, request.sms_language).to_value()

    def _message(
        self,
        who: Requester,
        policy: Policy,
        request: PinRequest,
        outcome: Outcome,
        audit_id: int | None,
    ) -> Message:
        settings = self._settings
        if isinstance(outcome, Pin):
            message = pin_ready(
                outcome,
                name=request.name,
                language=policy.customer_language,
                sms_number=request.sms_number,
                buttons=self._buttons(audit_id, outcome, request),
            )
        else:
            message = pin_failed(
                outcome, name=request.name, timeout_seconds=settings.rescue_timeout
            )
            if isinstance(outcome, NotConnected | LinkStale):
                message = self._with_connect_link(who, message)
        return message

    def _with_connect_link(self, who: Requester, message: Message) -> Message:
        """message, and under it a link to the connect page if there is one."""
        try:
            url = connect_link(self._deps, who)
        except StoreError as error:
            # The answer goes out all the same; "run /lenspin connect" is in its words.
            logger.warning("No connect link for user=%s: %s", who.user_id, error)
            return message
        if not url:
            return message
        link = connect_link_message(url)
        return {**message, "blocks": [*message["blocks"], *link["blocks"]]}


class _Answer:
    """One PIN request's private answers: perhaps a place-in-line note, then the outcome."""

    def __init__(self, slack: Callable[[], SlackSide | None], destination: Destination) -> None:
        self._slack = slack
        self._destination = destination
        # The note and the outcome come from different threads; the outcome goes last.
        self._lock = threading.Lock()
        self._done = False
        self._note_replaceable = False
        # Posts through the response_url so far (Slack allows five within 30 minutes).
        self.posts = 0

    def followed(self, delivered: Delivered) -> tuple[Delivered, str, int]:
        """How the outcome went, its response_url and that URL's posts so far."""
        return delivered, self._destination.response_url, self.posts

    def note(self, message: Message) -> None:
        """Say where the request stands, unless its outcome is already out."""
        with self._lock:
            side = None if self._done else self._slack()
            if side is None:
                return
            delivered = side.delivery.send(self._destination, message)
            self._note_replaceable = delivered is not None and delivered.route == "response_url"
            self.posts += self._note_replaceable

    def final(self, message: Message) -> Delivered | None:
        """Deliver the outcome, in the note's place where that went by response_url."""
        with self._lock:
            self._done = True
            side = self._slack()
            if side is None:
                return None
            # Two posts of the response_url's five: the note, then what replaces it.
            delivered = side.delivery.send(
                self._destination, message, replace_original=self._note_replaceable
            )
            self.posts += delivered is not None and delivered.route == "response_url"
            return delivered


class ConnectFormSubmitted:
    """Checks the credentials with Rescue off Bolt's threads and shows the outcome in place."""

    def __init__(self, deps: SlackDeps) -> None:
        self._deps = deps

    def handle(
        self, ack: Ack, context: BoltContext, view: dict[str, Any], client: WebClient
    ) -> None:
        """Inline errors, or a 'checking' view at once and the outcome when Rescue answers."""
        if not self._deps.settings.linking:
            # A form opened before linking was turned off (or a forged one) keeps nothing.
            refused = notice_modal(texts.CONNECT_FAILED_TITLE, texts.CONNECT_OFF)
            ack(response_action="update", view=refused)
            return
        code, errors = read_connect_form(dig(view, "state", "values"))
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack(
            response_action="update", view=notice_modal(texts.CONNECT_TITLE, texts.CONNECT_CHECKING)
        )
        who = requester(context)
        view_id = str(dig(view, "id") or "")
        self._deps.background(lambda: self._connect(client, who, view_id, code))

    def _connect(self, client: WebClient, who: Requester, view_id: str, code: str) -> None:
        try:
            account = self._deps.accounts.connect_with_code(who, code)
        except RescueError as error:
            logger.info("Connecting user=%s failed: %s", who.user_id, type(error).__name__)
            outcome = notice_modal(texts.CONNECT_FAILED_TITLE, connect_failure(error))
        except StoreError as error:
            # Rescue accepted the account, but lenspin could not keep it: say so, not "checking".
            logger.warning("Connecting user=%s could not be kept: %s", who.user_id, error)
            outcome = notice_modal(texts.CONNECT_FAILED_TITLE, store_failure(error))
        else:
            outcome = notice_modal(texts.CONNECT_DONE_TITLE, connected_text(account))
        update_view(client, view_id, outcome)
        refresh_home(self._deps, who)


class SettingsFormSubmitted:
    """A workspace admin's new settings: checked inline, then saved, audited and shown."""

    def __init__(self, deps: SlackDeps) -> None:
        self._deps = deps

    def handle(
        self, ack: Ack, context: BoltContext, view: dict[str, Any], client: WebClient
    ) -> None:
        """Inline errors, or a 'saving' view at once and the outcome when saved.

        Whose settings, and whether they may change them, come from the signed request and
        from Slack, never from the view: a forged submission changes nothing.
        """
        who, lookups = requester(context), request_lookups(self._deps, context)
        reason = admin_refusal(self._deps, who, lookups)
        if reason is not None:
            logger.info("Settings not changed for user=%s: refused", who.user_id)
            refused = notice_modal(admin_words.NOT_ADMIN_TITLE, reason)
            ack(response_action="update", view=refused)
            return
        policies, fields = self._deps.policies, self._deps.settings.fields
        try:
            current = policies.for_(who)
        except StoreError as error:
            failed = notice_modal(admin_words.NOT_SAVED_TITLE, store_failure(error))
            ack(response_action="update", view=failed)
            return
        new, errors = read_admin_form(dig(view, "state", "values"), current, fields)
        if new is not None:
            errors = admin_errors(
                policies.problems(new),
                fields=self._deps.settings.visible_fields,
                max_audit_days=policies.max_audit_days,
                label_limit=policies.label_limit,
            )
        if new is None or errors:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=notice_modal(admin_words.TITLE, admin_words.SAVING))
        view_id = str(dig(view, "id") or "")
        self._deps.background(lambda: self._save(client, who, lookups, view_id, new))

    def _save(
        self, client: WebClient, who: Requester, lookups: Lookups, view_id: str, new: Policy
    ) -> None:
        try:
            change = self._deps.policies.change(who, new)
        except InvalidPolicy:
            # Checked before the ack; only settings changed meanwhile by the deployment land here.
            update_view(
                client, view_id, notice_modal(admin_words.NOT_SAVED_TITLE, admin_words.UNUSABLE)
            )
            return
        except StoreError as error:
            logger.warning("Settings of user=%s's workspace not saved: %s", who.user_id, error)
            update_view(
                client, view_id, notice_modal(admin_words.NOT_SAVED_TITLE, store_failure(error))
            )
            return
        logger.info(
            "Workspace settings changed by user=%s: %s", who.user_id, ", ".join(change.changed)
        )
        said = admin_words.SAVED if change.changed else admin_words.UNCHANGED
        update_view(client, view_id, notice_modal(admin_words.SAVED_TITLE, said))
        refresh_home(self._deps, who, lookups)
