"""The private link to lenspin's connect page, as a message and as a modal."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.slack import ids
from bot.slack.blocks.mrkdwn import Block, Message, actions, button, context, plain, section


def _link_blocks(url: str) -> list[Block]:
    return [
        section(texts.CONNECT_LINK_INTRO),
        actions(button(ids.CONNECT_LINK_ACTION, texts.CONNECT_LINK_BUTTON, primary=True, url=url)),
        context(texts.CONNECT_LINK_NOTE),
    ]


def connect_link_message(url: str, lead: str = "") -> Message:
    """A private message with the link; lead says first why it is needed (mrkdwn)."""
    blocks = _link_blocks(url)
    if lead:
        blocks.insert(0, section(lead))
    return {"text": f"{lead} {texts.CONNECT_LINK_INTRO}".strip(), "blocks": blocks}


def connect_link_modal(url: str) -> dict[str, Any]:
    """A modal holding the link (from the Home tab, where there is no conversation)."""
    return {
        "type": "modal",
        "callback_id": ids.CONNECT_MODAL,
        "title": plain(texts.CONNECT_TITLE),
        "close": plain(texts.MODAL_CLOSE),
        "blocks": _link_blocks(url),
    }
