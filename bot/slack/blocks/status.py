"""Which Rescue account a technician's PINs use, in words: status, and a new connection."""

from __future__ import annotations

from bot import texts
from bot.accounts import Status, StatusKind
from bot.rescue.models import Account
from bot.slack.blocks.mrkdwn import escape, slack_date


def status_text(status: Status) -> str:
    """One paragraph saying which Rescue account the technician's PINs use."""
    link = status.link
    if status.kind is StatusKind.STALE and link is not None:
        return texts.STATUS_STALE.format(email=escape(link.email))
    if status.kind is StatusKind.LINKED and link is not None:
        since = slack_date(link.linked_at, "{date_short_pretty}")
        if status.account is None:
            return texts.STATUS_LINKED_UNCHECKED.format(
                email=escape(link.email), organization=escape(link.organization), since=since
            )
        return texts.STATUS_LINKED.format(
            email=escape(status.account.email),
            organization=escape(status.account.organization),
            since=since,
            console=console_text(status.account.console_running),
        )
    return {
        StatusKind.SSO: texts.STATUS_SSO,
        StatusKind.SHARED: texts.STATUS_SHARED,
    }.get(status.kind, texts.STATUS_NOTHING)


def console_text(running: bool) -> str:
    """Whether the Technician Console runs, in words."""
    return texts.CONSOLE_RUNNING if running else texts.CONSOLE_NOT_RUNNING


def connected_text(account: Account) -> str:
    """What a successful connection looks like to the technician."""
    return texts.CONNECT_DONE.format(
        email=escape(account.email),
        organization=escape(account.organization),
        console=console_text(account.console_running),
    )
