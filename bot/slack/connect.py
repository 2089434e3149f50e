"""Connecting a technician's own Rescue account: the form's submission and its outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import texts
from bot.rescue.errors import Rejected, RescueError
from bot.rescue.models import Account, AccountResult, AuthResult, ResultCode, is_xml_safe
from bot.slack import ids, messages, views
from bot.slack.submissions import dig

if TYPE_CHECKING:
    from bot.slack import SlackDeps

logger = logging.getLogger(__name__)


def read_connect_form(values: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The form's email, password and code, or inline errors keyed by block_id."""
    raw = {
        key: dig(values, block_id, ids.FIELD_ACTION, "value")
        for key, block_id in (
            ("email", ids.CONNECT_EMAIL_BLOCK),
            ("password", ids.CONNECT_PASSWORD_BLOCK),
            ("code", ids.CONNECT_CODE_BLOCK),
        )
    }
    form = {k: v if isinstance(v, str) else "" for k, v in raw.items()}
    # Passwords may start or end with a space; emails and codes pasted from elsewhere may not.
    form["email"], form["code"] = form["email"].strip(), form["code"].strip()
    email, password, code = form["email"], form["password"], form["code"]
    errors: dict[str, str] = {}
    if not all(is_xml_safe(v) for v in form.values()):
        errors[ids.CONNECT_CODE_BLOCK] = texts.ERROR_UNSAFE
    elif code and (email or password):
        errors[ids.CONNECT_CODE_BLOCK] = texts.CONNECT_NOT_BOTH
    elif not code and email and not password:
        errors[ids.CONNECT_PASSWORD_BLOCK] = texts.CONNECT_NEED_PASSWORD
    elif not code and password and not email:
        errors[ids.CONNECT_EMAIL_BLOCK] = texts.CONNECT_NEED_EMAIL
    elif not (code or email):
        errors[ids.CONNECT_EMAIL_BLOCK] = texts.CONNECT_NEED_ONE
    return ({} if errors else form), errors


_DISABLED = frozenset(
    {
        AccountResult.USER_DELETED_OR_DISABLED,
        ResultCode.USER_DELETED_OR_DISABLED,
        ResultCode.USER_IS_DELETED,
    }
)


def failure_text(error: RescueError) -> str:
    """Why connecting failed, and what to do."""
    if isinstance(error, Rejected):
        if error.code is AuthResult.INVALID:
            return texts.CONNECT_WRONG_PASSWORD
        if error.code in _DISABLED:
            return texts.CONNECT_DISABLED
        if error.code is AccountResult.INVALID_SECRET_AUTH_CODE:
            return texts.CONNECT_WRONG_CODE
    return texts.CONNECT_UNREACHABLE


class ConnectSubmission:
    """Checks the credentials with Rescue off Bolt's threads and shows the outcome in place."""

    def __init__(self, deps: SlackDeps, on_connected: Callable[[str, str], None]) -> None:
        self._deps = deps
        self._on_connected = on_connected

    def handle(
        self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        """Inline errors, or a 'checking' view at once and the outcome when Rescue answers."""
        form, errors = read_connect_form(dig(view, "state", "values"))
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack(
            response_action="update",
            view=views.notice_modal(texts.CONNECT_TITLE, texts.CONNECT_CHECKING),
        )
        team_id = str(dig(body, "team", "id") or "")
        user_id = str(dig(body, "user", "id") or "")
        view_id = str(dig(view, "id") or "")
        self._deps.background(lambda: self._connect(client, team_id, user_id, view_id, form))

    def _connect(
        self, client: WebClient, team_id: str, user_id: str, view_id: str, form: dict[str, str]
    ) -> None:
        accounts = self._deps.accounts
        try:
            if form["code"]:
                account = accounts.connect_with_code(team_id, user_id, form["code"])
            else:
                account = accounts.connect_with_password(
                    team_id, user_id, email=form["email"], password=form["password"]
                )
        except RescueError as error:
            logger.info("Connecting user=%s failed: %s", user_id, type(error).__name__)
            outcome = views.notice_modal(texts.CONNECT_FAILED_TITLE, failure_text(error))
        else:
            outcome = views.notice_modal(texts.CONNECT_DONE_TITLE, done_text(account))
        try:
            client.views_update(view_id=view_id, view=outcome)
        except (SlackApiError, SlackClientError, OSError) as error:
            logger.warning("views.update after connecting failed: %s", type(error).__name__)
        self._on_connected(team_id, user_id)


def done_text(account: Account) -> str:
    """What a successful connection looks like to the technician."""
    return texts.CONNECT_DONE.format(
        email=messages.escape(account.email),
        organization=messages.escape(account.organization),
        console=messages.console_text(account.console_running),
    )
