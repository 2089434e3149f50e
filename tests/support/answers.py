"""A technician's answers from lenspin, leaving out notes saying where a request stands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import texts
from tests.support.standins import FakeSlack

QUEUE_NOTE_START = texts.QUEUE_NOTE.split("{")[0]


def is_queue_note(message: dict[str, Any]) -> bool:
    """Whether this is the 'number K in line' note a long wait starts with."""
    return str(message.get("text") or "").startswith(QUEUE_NOTE_START)


def answer_for(
    slack: FakeSlack,
    user_id: str,
    *,
    timeout: float = 5.0,
    predicate: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """The first message to user_id that is not a queue note (and matches predicate)."""
    return slack.wait_for_message(
        user_id,
        timeout=timeout,
        predicate=lambda m: not is_queue_note(m) and (predicate is None or predicate(m)),
    )


def answers_for(slack: FakeSlack, user_id: str) -> list[dict[str, Any]]:
    """Every message user_id got so far, queue notes left out."""
    return [m for m in slack.messages_for(user_id) if not is_queue_note(m)]
