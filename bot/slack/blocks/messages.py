"""The messages a PIN request ends in: the PIN with the customer's steps, or why there is none."""

from __future__ import annotations

import math

from bot import texts
from bot.rescue.errors import RescueError
from bot.rescue.models import Pin
from bot.slack import ids
from bot.slack.blocks.mrkdwn import Block, Message, actions, button, context, escape, section
from bot.slack.blocks.outcomes import pin_failure


def customer_instructions(pin: Pin, language: str = "en") -> str:
    """The steps a customer follows with this PIN, as plain text to read out or paste."""
    return texts.CUSTOMER_STEPS[language].format(pin=pin.code)


def customer_post(pin: Pin, language: str = "en") -> Message:
    """The public message with only what the customer needs: never fields or tracking."""
    intro = texts.CUSTOMER_SHARE_INTRO[language]
    steps = customer_instructions(pin, language)
    return {"text": f"{intro}\n{steps}", "blocks": [section(f"{intro}\n{escape(steps)}")]}


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
    blocks: list[Block] = [
        section(f"*{escape(texts.PIN_HEADING.format(name=name))}*"),
        {"type": "header", "text": {"type": "plain_text", "text": pin.code}},
        context(texts.PIN_CONTEXT),
    ]
    if sms_number:
        blocks.append(context(escape(texts.SMS_SENT.format(number=sms_number))))
    blocks.append(section(f"{texts.CUSTOMER_INTRO}\n```{customer_instructions(pin, language)}```"))
    if shared:
        blocks.append(context(texts.SHARED_NOTE))
    if buttons is not None:
        row = [button(ids.AGAIN_ACTION, texts.AGAIN_BUTTON, buttons)]
        if not shared:
            row.insert(0, button(ids.SHARE_ACTION, texts.SHARE_BUTTON, buttons, primary=True))
        blocks.append(actions(*row))
    return {"text": texts.PIN_FALLBACK.format(name=escape(name), pin=pin.code), "blocks": blocks}


def pin_failed(error: RescueError, *, name: str, timeout_seconds: float) -> Message:
    """Why there is no PIN, and what to do next."""
    reason = pin_failure(error, timeout_seconds=timeout_seconds)
    heading = texts.FAILURE_HEADING.format(name=name)
    return {
        "text": escape(f"{heading}. {reason}"),
        "blocks": [section(f"*{escape(heading)}*\n{escape(reason)}")],
    }


def queue_note(position: int, seconds: float) -> Message:
    """Where a request stands in its code's line, while the technician waits for the PIN."""
    text = texts.QUEUE_NOTE.format(position=position, seconds=math.ceil(seconds))
    return {"text": text, "blocks": [context(text)]}


def share_failed(pin: Pin, language: str) -> Message:
    """Where lenspin can't post: the customer's steps privately, to copy and send by hand."""
    return {"text": f"{texts.SHARE_FAILED}\n```{customer_instructions(pin, language)}```"}
