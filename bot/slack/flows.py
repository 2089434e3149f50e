"""Steps several listeners share: who may open the form, opening it, refreshing the Home tab,
who may change the workspace's settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot import texts
from bot.accounts import StatusKind
from bot.domain import Policy, Requester, StoreError
from bot.rescue.models import Account
from bot.slack.blocks.admin import admin_section
from bot.slack.blocks.connect import connect_link_message
from bot.slack.blocks.history import history_blocks
from bot.slack.blocks.home import followed_blocks, followed_unavailable, home
from bot.slack.blocks.mrkdwn import Block, Message, section
from bot.slack.blocks.outcomes import store_failure
from bot.slack.blocks.status import connected_text, status_text
from bot.slack.clients import quick_lookups
from bot.slack.deps import SlackDeps
from bot.slack.io.delivery import Destination
from bot.slack.io.users import Lookups
from bot.slack.io.views import open_view, publish_home
from bot.texts import admin as admin_words


def admit(deps: SlackDeps, who: Requester) -> Policy | str:
    """The settings who's PIN form follows, or why who may not open it (plain words).

    Serving one workspace the database is read only for someone outside the allowlist;
    serving several, the workspace's settings are read first.
    """
    try:
        policy = deps.policies.for_(who)
        if policy.allows(who.user_id) or policy.sso_company_id:
            return policy
        if not deps.settings.linking:
            return texts.NOT_ALLOWED.format(user_id=who.user_id)
        connected = deps.accounts.has_own_code(who)
    except StoreError as error:
        # Answered here, not raised: Bolt turns an error raised just after ack() into a 404.
        return store_failure(error)
    return policy if connected else texts.NEEDS_CONNECT


def request_lookups(deps: SlackDeps, context: BoltContext) -> Lookups:
    """Questions to Slack asked with the request's own token (its workspace's)."""
    return quick_lookups(context.client)


def admin_refusal(deps: SlackDeps, who: Requester, lookups: Lookups) -> str | None:
    """Why who may not change the workspace's settings, or None; Slack is asked every time."""
    if not deps.policies.multi:
        return admin_words.FROM_ENVIRONMENT
    try:
        admin = _is_admin(deps, who, lookups)
    except StoreError as error:
        return store_failure(error)
    if admin is None:
        return admin_words.ADMIN_UNKNOWN
    return None if admin else admin_words.NOT_ADMIN


def _is_admin(deps: SlackDeps, who: Requester, lookups: Lookups) -> bool | None:
    """Whether Slack says who is an admin of the install their request belongs to."""
    workspace = deps.policies.workspace_of(who)
    return lookups.is_admin(
        who.user_id, team_id=workspace.team_id, enterprise_id=workspace.enterprise_id
    )


def refuse(deps: SlackDeps, who: Requester, reason: str, send: Callable[[Message], object]) -> None:
    """Tell who the reason; "connect first" comes with a link to the connect page if there is one.

    The link is made in the background (the database and Slack are asked); send must be safe
    to call from there.
    """
    if reason != texts.NEEDS_CONNECT or deps.connect_links is None:
        send({"text": reason})
        return

    def offer() -> None:
        try:
            url = connect_link(deps, who)
        except StoreError as error:
            send({"text": store_failure(error)})
            raise  # the background runner logs it as a warning
        send(connect_link_message(url, lead=reason) if url else {"text": reason})

    deps.background(offer)


def form_metadata(deps: SlackDeps, destination: Destination) -> str:
    """destination as a PIN form's private_metadata, sealed with the signing secret."""
    return destination.to_metadata(key=deps.settings.slack_signing_secret)


def form_destination(deps: SlackDeps, who: Requester, metadata: object) -> Destination:
    """Where a submitted PIN form's answer goes: its routes if lenspin sealed them for who."""
    return Destination.from_metadata(who.user_id, metadata, key=deps.settings.slack_signing_secret)


def open_form(client: WebClient, trigger_id: str, view: dict[str, Any], respond: Respond) -> None:
    """Open a modal with a fresh trigger; if Slack refuses, say so plainly."""
    if not open_view(client, trigger_id, view):
        respond(text=texts.MODAL_FAILED, response_type="ephemeral")


def answered(respond: Respond, answer: Callable[[], None]) -> Callable[[], None]:
    """answer, except that a database failure gets the technician plain words, not silence."""

    def run() -> None:
        try:
            answer()
        except StoreError as error:
            respond(text=store_failure(error), response_type="ephemeral")
            raise  # the background runner logs it as a warning

    return run


def connect_link(deps: SlackDeps, who: Requester) -> str | None:
    """A new link to the connect page for who (slow: Slack and the database); None if no page."""
    if deps.connect_links is None:
        return None
    side = deps.clients.for_(who)
    if side is None:
        return None
    return deps.connect_links.issue(
        who,
        team_name=side.lookups.team_name() or who.team_id,
        user_name=side.lookups.real_name(who.user_id) or who.user_id,
    )


def tell_connected(deps: SlackDeps, who: Requester, account: Account) -> None:
    """After the connect page connected an account: a private word in Slack, a fresh Home tab."""

    def tell() -> None:
        side = deps.clients.for_(who)
        if side is None:
            return
        text = connected_text(account)
        side.delivery.send(
            Destination(user_id=who.user_id), {"text": text, "blocks": [section(text)]}
        )
        refresh_home(deps, who)

    deps.background(tell)


def refresh_home(deps: SlackDeps, who: Requester, lookups: Lookups | None = None) -> None:
    """Build and publish the user's Home tab (slow: run it in the background).

    lookups: asks Slack whether who is a workspace admin (the request's own token, if any).
    Raises the StoreError that kept part of it from showing, once the tab says so.
    """
    side = deps.clients.for_(who)
    if side is None:
        return
    try:
        status = deps.accounts.status(who)
        entries = deps.history(who.team_id, who.user_id)
        admin = _admin(deps, who, lookups or side.lookups)
    except StoreError as error:
        # The tab says what is wrong instead of keeping an old picture.
        publish_home(
            side.client,
            who.user_id,
            home(store_failure(error), connected=False, can_connect=False, history=[]),
        )
        raise
    now = datetime.now(UTC)
    followed, failed = _followed(deps, who, now)
    view = home(
        status_text(status),
        connected=status.kind in (StatusKind.LINKED, StatusKind.STALE),
        can_connect=deps.settings.linking,
        history=history_blocks(entries, now=now, visible_minutes=deps.settings.pin_visible_minutes),
        followed=followed,
        admin=admin,
    )
    publish_home(side.client, who.user_id, view)
    if failed is not None:
        raise failed  # the background runner logs it as a warning


def _admin(deps: SlackDeps, who: Requester, lookups: Lookups) -> list[Block]:
    """The Admin section, for a workspace admin serving several workspaces (else nothing)."""
    if not deps.policies.multi or _is_admin(deps, who, lookups) is not True:
        return []
    policy = deps.policies.for_(who)
    return admin_section(policy, deps.policies.changes(who), fields=deps.settings.fields)


def _followed(
    deps: SlackDeps, who: Requester, now: datetime
) -> tuple[list[Block], StoreError | None]:
    """The Home tab's PINs being followed (nothing with watching off), and what failed."""
    watcher = deps.watcher
    if watcher is None or not watcher.enabled:
        return [], None
    try:
        watches = watcher.watches_of(who)
    except StoreError as error:
        # The rest of the tab shows all the same; this part says what is wrong.
        return followed_unavailable(store_failure(error)), error
    return followed_blocks(watches, now=now), None
