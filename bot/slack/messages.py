"""Pure builders for the messages lenspin sends: text fallback plus Block Kit blocks."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.rescue.errors import RescueError
from bot.rescue.models import Pin

Message = dict[str, Any]


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def notice(text: str) -> Message:
    """A plain one-paragraph message."""
    return {"text": text, "blocks": [_section(escape(text))]}


def customer_instructions(pin: Pin) -> str:
    """The steps a customer follows with this PIN, as plain text to read out or paste."""
    return texts.CUSTOMER_STEPS.format(pin=pin.code)


def pin_ready(pin: Pin, *, name: str) -> Message:
    """The PIN, whom it is for, and the customer's steps ready to paste."""
    return {
        "text": texts.PIN_FALLBACK.format(name=escape(name), pin=pin.code),
        "blocks": [
            _section(f"*{escape(texts.PIN_HEADING.format(name=name))}*"),
            {"type": "header", "text": {"type": "plain_text", "text": pin.code}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": texts.PIN_CONTEXT}]},
            _section(f"{texts.CUSTOMER_INTRO}\n```{customer_instructions(pin)}```"),
        ],
    }


def pin_failed(error: RescueError, *, name: str, timeout_seconds: float) -> Message:
    """Why there is no PIN, and what to do next."""
    reason = texts.failure(error, timeout_seconds=timeout_seconds)
    heading = texts.FAILURE_HEADING.format(name=name)
    return {
        "text": escape(f"{heading}. {reason}"),
        "blocks": [_section(f"*{escape(heading)}*\n{escape(reason)}")],
    }


def _section(mrkdwn: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}
