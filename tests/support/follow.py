"""What the follow-the-session end-to-end tests share: a PIN asked for, its message read.

The stand-in Rescue runs on real time: a scripted customer enters the PIN ARRIVES seconds
after it is issued, which is late enough that lenspin counts the session as new however
late its first look at the queue comes (bot.watch_rules.ARRIVAL_MARGIN, plus a second).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from bot import texts
from bot.store import make_engine
from bot.watch_rules import ARRIVAL_MARGIN
from tests.support.standins import (
    FakeSlack,
    OpenedModal,
    WebProcess,
    open_pin_modal,
    submit_pin_modal,
)

# LENSPIN_WATCH_INTERVAL for these tests: the shortest lenspin takes.
INTERVAL = 1.0
# When the customer's session appears in the queue, in seconds after the PIN.
ARRIVES = ARRIVAL_MARGIN + 1.0
# How long a test waits for news at most: generous, for a loaded machine.
NEWS_DEADLINE = 20.0

Message = dict[str, Any]


@dataclass(frozen=True)
class Asked:
    """A PIN asked for through /lenspin and the form, and its message as first shown."""

    opened: OpenedModal
    message: Message

    @property
    def pin(self) -> str:
        """The PIN, as the message's fallback text ends with it."""
        return pin_in(self.message)

    @property
    def response_url(self) -> str:
        """The command's response_url, which the PIN and its news are posted through."""
        return self.opened.response_url


def ask_pin(
    slack: FakeSlack,
    web: WebProcess,
    user: str,
    name: str,
    *,
    values: dict[str, Any] | None = None,
    channel_id: str = "C0GENERAL",
) -> Asked:
    """/lenspin <name>, submit the form with values, and wait for the PIN's message."""
    opened = open_pin_modal(slack, web.events_url, user_id=user, text=name, channel_id=channel_id)
    ack = submit_pin_modal(slack, web.events_url, opened, user_id=user, values=values or {})
    assert ack.status == 200, ack.body
    heading = texts.PIN_HEADING.format(name=name)
    message = slack.wait_for_shown(user, lambda m: heading in (m["text"] or ""), timeout=10)
    return Asked(opened, message)


def pin_in(message: Message) -> str:
    """The PIN in a PIN message's fallback text ("Rescue Lens PIN for Jane: 100000")."""
    return str(message["text"]).rsplit(": ", 1)[1]


def news(slack: FakeSlack, user: str, words: str, *, timeout: float = NEWS_DEADLINE) -> Message:
    """The message user sees once it says words (replaced or edited in place, or new)."""
    return slack.wait_for_shown(user, lambda m: words in (m["text"] or ""), timeout=timeout)


def sentence(template: str, **values: str) -> re.Pattern[str]:
    """A session line (bot.texts.session) with its {seconds}, if any, matching any number."""
    marker = "\0SECONDS\0"
    escaped = re.escape(template.format(seconds=marker, **values))
    return re.compile(escaped.replace(re.escape(marker), r"(\d+)"))


def block_texts(message: Message) -> str:
    """Every text in a message's blocks, one per line (sections, headers, context, buttons)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            text = node.get("text")
            if isinstance(text, str):
                found.append(text)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(found)


def buttons_in(message: Message) -> dict[str, str]:
    """The message's buttons: action_id → label."""
    return {
        element["action_id"]: element["text"]["text"]
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block["elements"]
    }


def wait_for_first_look(database_url: str, user: str, *, timeout: float = 10.0) -> None:
    """Wait until lenspin looked at the queue for user's newest watched PIN, and kept what
    was there (lenspin_watches.baseline): a customer who comes after that is new to it."""
    query = text(
        "SELECT baseline FROM lenspin_watches WHERE user_id = :user ORDER BY id DESC LIMIT 1"
    )
    engine = make_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                row = connection.execute(query, {"user": user}).first()
            if row is not None and row[0] is not None:
                return
            if time.monotonic() > deadline:
                state = "not watched" if row is None else "watched, its queue not read yet"
                raise AssertionError(f"{user}'s PIN: {state} after {timeout} s")
            # Nothing announces a look but the database itself: ask it again shortly.
            time.sleep(0.05)
    finally:
        engine.dispose()
