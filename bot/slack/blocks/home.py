"""The App Home tab: connection status with its button, the PINs being followed, recent PINs,
a workspace admin's Admin section (blocks/admin.py), and how to use lenspin."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot import texts
from bot.domain import SessionState, Watch
from bot.slack import ids
from bot.slack.blocks.mrkdwn import (
    Block,
    actions,
    button,
    context,
    escape,
    packed,
    plain,
    section,
    slack_date,
)
from bot.slack.blocks.session import rescue_status, short_duration
from bot.texts import session as words

# The most PINs being followed the tab lists, newest first; the rest are counted. Each line
# is at most about 900 characters (a name all "&", Rescue's status cut and escaped), so they
# take a few sections of the view's 100 blocks at most.
FOLLOWED_SHOWN = 20


def home(
    status: str,
    *,
    connected: bool,
    can_connect: bool,
    history: list[Block],
    followed: Sequence[Block] = (),
    admin: Sequence[Block] = (),
) -> dict[str, Any]:
    """The App Home tab: connection status with its button, PINs being followed, recent PINs,
    how-to. followed: followed_blocks (nothing with watching off); admin: admin_section (only
    for a workspace admin, serving several workspaces)."""
    blocks: list[Block] = [
        {"type": "header", "text": plain(texts.HOME_TITLE)},
        section(status),
    ]
    if connected:
        blocks.append(
            actions(
                {
                    **button(ids.HOME_DISCONNECT_ACTION, texts.HOME_DISCONNECT),
                    "style": "danger",
                    "confirm": {
                        "title": plain(texts.HOME_DISCONNECT),
                        "text": plain(texts.HOME_DISCONNECT_CONFIRM),
                        "confirm": plain(texts.HOME_DISCONNECT),
                        "deny": plain(texts.MODAL_CLOSE),
                    },
                }
            )
        )
    elif can_connect:
        blocks.append(actions(button(ids.HOME_CONNECT_ACTION, texts.HOME_CONNECT, primary=True)))
    blocks.append({"type": "divider"})
    if followed:
        blocks += [*followed, {"type": "divider"}]
    blocks += [*history, {"type": "divider"}]
    if admin:
        blocks += [*admin, {"type": "divider"}]
    blocks.append(section(texts.HOME_HOWTO))
    return {"type": "home", "blocks": blocks}


def followed_blocks(watches: Sequence[Watch], *, now: datetime) -> list[Block]:
    """The technician's PINs being followed and just ended, newest first; none: no blocks."""
    if not watches:
        return []
    newest = sorted(watches, key=lambda w: (w.issued_at, w.id), reverse=True)
    lines = [_followed_line(w, now) for w in newest[:FOLLOWED_SHOWN]]
    blocks = [section(text) for text in packed(words.HOME_HEADING, lines)]
    if len(newest) > FOLLOWED_SHOWN:
        blocks.append(context(words.HOME_MORE.format(count=len(newest) - FOLLOWED_SHOWN)))
    return blocks


def followed_unavailable(reason: str) -> list[Block]:
    """The section in place of the PINs being followed when they cannot be read (reason)."""
    return [section(f"{words.HOME_HEADING}\n{reason}")]


def _followed_line(watch: Watch, now: datetime) -> str:
    when = slack_date(watch.issued_at, "{date_short_pretty} {time}")
    name = escape(watch.name)
    if watch.ambiguous:
        name = words.HOME_ANY.format(name=name)
    state = words.STATE_WORDS[watch.state.value]
    if watch.state is SessionState.WAITING:
        state = words.HOME_WAITED.format(state=state, waited=short_duration(watch.waited(now) or 0))
    elif watch.state is SessionState.OTHER and watch.status_text:
        state = words.HOME_STATUS.format(state=state, status=rescue_status(watch.status_text))
    return f"• {when} · {words.HOME_LINE.format(name=name, state=state)}"
