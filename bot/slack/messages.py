"""Pure builders for the messages lenspin sends: text fallback plus Block Kit blocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot import texts
from bot.accounts import Status, StatusKind
from bot.rescue.errors import RescueError
from bot.rescue.models import Pin
from bot.slack import ids

Message = dict[str, Any]


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def notice(text: str) -> Message:
    """A plain one-paragraph message."""
    return {"text": text, "blocks": [_section(escape(text))]}


def customer_instructions(pin: Pin, language: str = "en") -> str:
    """The steps a customer follows with this PIN, as plain text to read out or paste."""
    return texts.CUSTOMER_STEPS[language].format(pin=pin.code)


def customer_post(pin: Pin, language: str = "en") -> Message:
    """The public message with only what the customer needs: never fields or tracking."""
    intro = texts.CUSTOMER_SHARE_INTRO[language]
    steps = customer_instructions(pin, language)
    return {"text": f"{intro}\n{steps}", "blocks": [_section(f"{intro}\n{escape(steps)}")]}


def pin_ready(
    pin: Pin,
    *,
    name: str,
    language: str = "en",
    sms_number: str = "",
    buttons: str | None = None,
    shared: bool = False,
) -> Message:
    """The PIN, whom it is for, the customer's steps, and (with a button value) the buttons."""
    blocks: list[dict[str, Any]] = [
        _section(f"*{escape(texts.PIN_HEADING.format(name=name))}*"),
        {"type": "header", "text": {"type": "plain_text", "text": pin.code}},
        _context(texts.PIN_CONTEXT),
    ]
    if sms_number:
        blocks.append(_context(escape(texts.SMS_SENT.format(number=sms_number))))
    blocks.append(_section(f"{texts.CUSTOMER_INTRO}\n```{customer_instructions(pin, language)}```"))
    if shared:
        blocks.append(_context(texts.SHARED_NOTE))
    if buttons is not None:
        actions = [_button(ids.AGAIN_ACTION, texts.AGAIN_BUTTON, buttons)]
        if not shared:
            actions.insert(0, _button(ids.SHARE_ACTION, texts.SHARE_BUTTON, buttons, primary=True))
        blocks.append({"type": "actions", "elements": actions})
    return {"text": texts.PIN_FALLBACK.format(name=escape(name), pin=pin.code), "blocks": blocks}


def pin_failed(error: RescueError, *, name: str, timeout_seconds: float) -> Message:
    """Why there is no PIN, and what to do next."""
    reason = texts.failure(error, timeout_seconds=timeout_seconds)
    heading = texts.FAILURE_HEADING.format(name=name)
    return {
        "text": escape(f"{heading}. {reason}"),
        "blocks": [_section(f"*{escape(heading)}*\n{escape(reason)}")],
    }


def _context(mrkdwn: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}


def _button(action_id: str, text: str, value: str, *, primary: bool = False) -> dict[str, Any]:
    button = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if primary:
        button["style"] = "primary"
    return button


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


class HistoryEntry(Protocol):
    """What a history line needs from one audited PIN request."""

    requested_at: datetime
    name: str
    result: str
    pin: str | None


def history_blocks(
    entries: Sequence[HistoryEntry], *, now: datetime, visible_minutes: int
) -> list[dict[str, Any]]:
    """The technician's recent requests, newest first, with PINs older than the limit masked."""
    if not entries:
        return [_section(texts.HISTORY_EMPTY)]
    lines = [_history_line(e, now=now, visible_minutes=visible_minutes) for e in entries]
    note = (
        texts.HISTORY_MASK_NOTE.format(minutes=visible_minutes)
        if visible_minutes > 0
        else texts.HISTORY_ALL_MASKED
    )
    return [
        _section(f"*{texts.HISTORY_TITLE}*\n" + "\n".join(lines)),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]},
    ]


def history(entries: Sequence[HistoryEntry], *, now: datetime, visible_minutes: int) -> Message:
    """The history as a message for `/lenspin history`."""
    return {
        "text": texts.HISTORY_TITLE,
        "blocks": history_blocks(entries, now=now, visible_minutes=visible_minutes),
    }


def _history_line(entry: HistoryEntry, *, now: datetime, visible_minutes: int) -> str:
    when = slack_date(entry.requested_at, "{date_short_pretty} {time}")
    if entry.result != "OK" or not entry.pin:
        reason = texts.SHORT_REASONS.get(entry.result, texts.SHORT_REASON_OTHER)
        outcome = texts.HISTORY_FAILED.format(reason=reason)
    elif now - entry.requested_at < timedelta(minutes=visible_minutes):
        outcome = f"`{entry.pin}`"
    else:
        outcome = texts.HISTORY_MASKED
    return f"• {when} · {escape(entry.name)} · {outcome}"


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


def slack_date(moment: datetime, format_: str) -> str:
    """A date Slack shows in each reader's own time zone, with a UTC fallback."""
    fallback = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{format_}|{fallback}>"
