"""The App Home tab: connection status with its button, recent PINs, and how to use lenspin."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.slack import ids
from bot.slack.blocks.mrkdwn import Block, actions, button, plain, section


def home(
    status: str, *, connected: bool, can_connect: bool, history: list[Block]
) -> dict[str, Any]:
    """The App Home tab: connection status with its button, recent PINs, how-to."""
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
    blocks += [{"type": "divider"}, *history, {"type": "divider"}]
    blocks.append(section(texts.HOME_HOWTO))
    return {"type": "home", "blocks": blocks}
