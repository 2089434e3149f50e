"""A technician's recent PIN requests, for `/lenspin history` and the Home tab."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot import texts
from bot.domain import AuditRecord
from bot.slack.blocks.mrkdwn import Block, Message, context, escape, section, slack_date

# Slack refuses a section whose text, as sent (escaped), is over 3,000 characters.
SECTION_LIMIT = 3000


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
    return [*(section(text) for text in _packed(f"*{texts.HISTORY_TITLE}*", lines)), context(note)]


def history(entries: Sequence[AuditRecord], *, now: datetime, visible_minutes: int) -> Message:
    """The history as a message for `/lenspin history`."""
    return {
        "text": texts.HISTORY_TITLE,
        "blocks": history_blocks(entries, now=now, visible_minutes=visible_minutes),
    }


def _packed(title: str, lines: list[str]) -> list[str]:
    """The title and lines as few section texts as fit Slack's limit, lines kept whole."""
    texts_: list[str] = [title]
    for line in lines:
        if len(texts_[-1]) + 1 + len(line) > SECTION_LIMIT:
            texts_.append(line)
        else:
            texts_[-1] += "\n" + line
    return texts_


def _line(entry: AuditRecord, *, now: datetime, visible_minutes: int) -> str:
    when = slack_date(entry.requested_at, "{date_short_pretty} {time}")
    if entry.result != "OK" or not entry.pin:
        reason = texts.SHORT_REASONS.get(entry.result, texts.SHORT_REASON_OTHER)
        outcome = texts.HISTORY_FAILED.format(reason=reason)
    elif now - entry.requested_at < timedelta(minutes=visible_minutes):
        outcome = f"`{entry.pin}`"
    else:
        outcome = texts.HISTORY_MASKED
    return f"• {when} · {escape(entry.name)} · {outcome}"
