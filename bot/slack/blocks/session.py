"""A PIN's message as its session moves: the PIN and steps until it starts, then the news."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import SessionState, Watch
from bot.rescue.models import Pin
from bot.slack import ids
from bot.slack.blocks.messages import pin_ready
from bot.slack.blocks.mrkdwn import Message, actions, button, context, escape, section
from bot.texts import session as words

# Rescue's sStatus has no documented length; the most of it shown, before escaping.
STATUS_SHOWN = 100
# Until the session starts, the customer may still need the PIN and the steps.
_NOT_STARTED = frozenset({SessionState.PENDING, SessionState.WAITING, SessionState.OTHER})
_FOR_ONE = {
    SessionState.WAITING: words.WAITING,
    SessionState.PICKED_UP: words.PICKED_UP,
    SessionState.LEFT: words.LEFT,
    SessionState.OTHER: words.OTHER,
}
_FOR_ANY = {
    SessionState.WAITING: words.WAITING_ANY,
    SessionState.PICKED_UP: words.PICKED_UP_ANY,
    SessionState.LEFT: words.LEFT_ANY,
    SessionState.OTHER: words.OTHER_ANY,
}


@dataclass(frozen=True)
class PinMessage:
    """What the PIN's first message showed, to draw it again with the session's news."""

    pin: Pin
    name: str
    language: str
    sms_number: str
    shared: bool
    # The values of the buttons under it: the PIN's own, and a new PIN without and with SMS.
    buttons: str | None
    again: str
    text_again: str | None


def duration(seconds: float) -> str:
    """A PIN's validity in words: "20 minutes", "1 minute", "45 seconds", "1 second"."""
    # Rounded once, first: 59.6 s is "1 minute", never "60 seconds".
    whole = max(round(seconds), 1)
    if whole < 60:
        return words.ONE_SECOND if whole == 1 else words.SECONDS.format(n=whole)
    minutes = round(whole / 60)
    return words.ONE_MINUTE if minutes == 1 else words.MINUTES.format(n=minutes)


def short_duration(seconds: int) -> str:
    """A measured time, short: "45 s", "3 min 20 s"."""
    minutes, rest = divmod(max(seconds, 0), 60)
    if not minutes:
        return words.SHORT_SECONDS.format(seconds=rest)
    return words.SHORT.format(minutes=minutes, seconds=rest)


def rescue_status(text: str) -> str:
    """Rescue's words for a session's status, cut to STATUS_SHOWN and escaped for mrkdwn."""
    if len(text) > STATUS_SHOWN:
        text = text[: STATUS_SHOWN - 1].rstrip() + "…"
    return escape(text)


def session_line(watch: Watch, *, now: datetime, pin: str, validity: float) -> str:
    """The session's state in one mrkdwn sentence (validity: the PIN's, in seconds)."""
    state = watch.state
    if state is SessionState.UNUSED:
        return words.UNUSED.format(pin=pin, duration=duration(validity))
    if state is SessionState.STOPPED:
        return words.STOPPED
    name = escape(watch.name)
    if state is SessionState.PENDING:
        return words.PENDING.format(name=name)
    template = (_FOR_ANY if watch.ambiguous else _FOR_ONE)[state]
    return template.format(
        name=name,
        seconds=max(watch.waited(now) or 0, 0),
        status=rescue_status(watch.status_text or words.NO_STATUS_TEXT),
    )


def followed_message(watch: Watch, shown: PinMessage, *, now: datetime, validity: float) -> Message:
    """The PIN's message with its session's state; the PIN and steps stay until it starts."""
    line = session_line(watch, now=now, pin=shown.pin.code, validity=validity)
    if watch.state in _NOT_STARTED or watch.state is SessionState.STOPPED:
        message = pin_ready(
            shown.pin,
            name=shown.name,
            language=shown.language,
            sms_number=shown.sms_number,
            buttons=shown.buttons,
            shared=shown.shared,
        )
        news = context(line) if watch.state is SessionState.STOPPED else section(line)
        return {"text": line, "blocks": [*message["blocks"], news]}
    blocks = [section(line)]
    if watch.state is SessionState.PICKED_UP:
        return {"text": line, "blocks": blocks}
    row = [button(ids.AGAIN_ACTION, words.NEW_PIN_BUTTON, shown.again, primary=True)]
    if shown.text_again is not None:
        row.append(button(ids.TEXT_AGAIN_ACTION, words.TEXT_AGAIN_BUTTON, shown.text_again))
    blocks.append(actions(*row))
    return {"text": line, "blocks": blocks}
