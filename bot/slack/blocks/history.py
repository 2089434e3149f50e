"""A technician's recent PIN requests, for `/lenspin history` and the Home tab."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot import texts
from bot.domain import AuditRecord, SessionState
from bot.slack.blocks.mrkdwn import (
    Block,
    Message,
    context,
    escape,
    packed,
    section,
    slack_date,
)
from bot.slack.blocks.session import short_duration
from bot.texts import session as session_words


def history_blocks(
    entries: Sequence[AuditRecord], *, now: datetime, visible_minutes: int
) -> list[Block]:
    """The technician's recent requests, newest first, with PINs older than the limit masked."""
    if not entries:
        return [section(texts.HISTORY_EMPTY)]
    lines = [_line(e, now=now, visible_minutes=visible_minutes) for e in entries]
    note = (
        texts.HISTORY_MASK_NOTE.format(minutes=visible_minutes)
        if visible_minutes > 0
        else texts.HISTORY_ALL_MASKED
    )
    return [*(section(text) for text in packed(f"*{texts.HISTORY_TITLE}*", lines)), context(note)]


def history(entries: Sequence[AuditRecord], *, now: datetime, visible_minutes: int) -> Message:
    """The history as a message for `/lenspin history`."""
    return {
        "text": texts.HISTORY_TITLE,
        "blocks": history_blocks(entries, now=now, visible_minutes=visible_minutes),
    }


def _line(entry: AuditRecord, *, now: datetime, visible_minutes: int) -> str:
    when = slack_date(entry.requested_at, "{date_short_pretty} {time}")
    if entry.result != "OK" or not entry.pin:
        reason = texts.SHORT_REASONS.get(entry.result, texts.SHORT_REASON_OTHER)
        outcome = texts.HISTORY_FAILED.format(reason=reason)
    elif now - entry.requested_at < timedelta(minutes=visible_minutes):
        outcome = f"`{entry.pin}`"
    else:
        outcome = texts.HISTORY_MASKED
    line = f"• {when} · {escape(entry.name)} · {outcome}"
    session = _session(entry)
    return f"{line} · {session}" if session else line


def _session(entry: AuditRecord) -> str:
    """What became of the PIN's session once its watch ended, with its times; "" if unknown."""
    try:
        final = SessionState(entry.session_state)
    except ValueError:
        return ""  # never watched, still watched, or a state this version does not know
    if not final.final:
        return ""
    state = session_words.STATE_WORDS[final.value]
    if entry.connect_seconds is None:
        return state
    connect = short_duration(entry.connect_seconds)
    if entry.pickup_seconds is None:
        times = session_words.HISTORY_CONNECTED.format(connect=connect)
    else:
        pickup = short_duration(entry.pickup_seconds)
        times = session_words.HISTORY_TIMES.format(connect=connect, pickup=pickup)
    return session_words.HISTORY_STATE.format(state=state, times=times)
