"""A followed PIN's message (bot/slack/blocks/session.py): every state in words, the buttons."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain import CodeSource, Credential, Requester, SessionState, Watch, session_fields
from bot.rescue.models import Pin
from bot.slack import ids
from bot.slack.blocks.messages import pin_ready
from bot.slack.blocks.session import (
    STATUS_SHOWN,
    PinMessage,
    duration,
    followed_message,
    rescue_status,
    session_line,
    short_duration,
)
from bot.slack.forms import PinButtons
from bot.texts import session as words
from devtools.fake_slack import message_problem

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ISSUED = NOW - timedelta(minutes=3)
VALIDITY = 1200.0
S = SessionState


def watch(name: str = "Jane Doe", **changes: Any) -> Watch:
    """A watch of a PIN for name, issued three minutes ago; changes replace its attributes."""
    base = Watch(
        id=7,
        requester=Requester("T1", "U1"),
        audit_id=41,
        node_id=2001,
        credential=Credential("code", CodeSource.SHARED),
        fields=session_fields({"name": name}),
        issued_at=ISSUED,
        expires_at=ISSUED + timedelta(seconds=VALIDITY),
        updated_at=ISSUED,
        reply="{}",
    )
    return replace(base, **changes)


def shown(name: str = "Jane Doe", *, sms: str = "+442079460958") -> PinMessage:
    """What the PIN's first message showed, as the PIN form's listener keeps it."""
    pin = Pin("004821")
    return PinMessage(
        pin=pin,
        name=name,
        language="en",
        sms_number=sms,
        shared=False,
        buttons=PinButtons(41, pin.code, name, sms, "de").to_value(),
        again=PinButtons(41, pin.code, name, "", "de").to_value(),
        text_again=PinButtons(41, pin.code, name, sms, "de").to_value() if sms else None,
    )


def line(w: Watch) -> str:
    return session_line(w, now=NOW, pin="004821", validity=VALIDITY)


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (element["action_id"], element.get("value", ""))
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


# One sentence per state


def test_pending_waits_for_the_customer_by_name() -> None:
    assert line(watch()) == words.PENDING.format(name="Jane Doe")


def test_waiting_counts_the_seconds_since_the_status_began() -> None:
    w = watch(state=S.WAITING, status_text="Waiting", status_since=NOW - timedelta(seconds=42))
    assert line(w) == words.WAITING.format(name="Jane Doe", seconds=42)
    # A status seen only now, or with no start Rescue gave: 0, never a negative or a crash.
    assert line(replace(w, status_since=NOW + timedelta(seconds=5))).endswith("(0 s).")
    assert line(replace(w, status_since=None)).endswith("(0 s).")


def test_other_says_what_rescue_says() -> None:
    w = watch(state=S.OTHER, status_text="Offline", status_since=NOW)
    assert line(w) == words.OTHER.format(name="Jane Doe", status="Offline")


@pytest.mark.parametrize(
    ("state", "template"),
    [(S.PICKED_UP, words.PICKED_UP), (S.LEFT, words.LEFT)],
)
def test_the_ends_with_a_session_name_the_customer(state: SessionState, template: str) -> None:
    assert line(watch(state=state, status_text="Active")) == template.format(name="Jane Doe")


def test_unused_names_the_pin_and_how_long_it_was_good_for() -> None:
    assert line(watch(state=S.UNUSED)) == words.UNUSED.format(pin="004821", duration="20 minutes")


def test_stopped_says_where_to_look_instead() -> None:
    assert line(watch(state=S.STOPPED)) == words.STOPPED


@pytest.mark.parametrize(
    ("state", "template"),
    [
        (S.WAITING, words.WAITING_ANY),
        (S.OTHER, words.OTHER_ANY),
        (S.PICKED_UP, words.PICKED_UP_ANY),
        (S.LEFT, words.LEFT_ANY),
    ],
)
def test_an_ambiguous_watch_speaks_of_a_session_for_the_name(
    state: SessionState, template: str
) -> None:
    w = watch(
        state=state,
        ambiguous=True,
        status_text="Offline",
        status_since=NOW - timedelta(seconds=9),
        sessions={11: state, 12: state},
    )
    assert line(w) == template.format(name="Jane Doe", seconds=9, status="Offline")
    assert "a session for" in line(w).lower()


@pytest.mark.parametrize("state", [S.UNUSED, S.STOPPED])
def test_an_ambiguous_end_without_a_session_needs_no_name(state: SessionState) -> None:
    # Not reachable through the rules (ambiguous means sessions matched), but never a crash.
    assert line(watch(state=state, ambiguous=True)) == line(watch(state=state))


def test_pending_is_never_ambiguous_in_words() -> None:
    assert line(watch(ambiguous=True)) == words.PENDING.format(name="Jane Doe")


# Escaping: the customer's name and Rescue's words are text, never markup

NASTY_NAME = "<@U123> & <!channel> *bold*"
NASTY_STATUS = "Waiting <https://evil.example|click> & more"


@pytest.mark.parametrize("state", [S.PENDING, S.WAITING, S.OTHER, S.PICKED_UP, S.LEFT])
@pytest.mark.parametrize("ambiguous", [False, True])
def test_the_name_is_escaped_in_every_state(state: SessionState, ambiguous: bool) -> None:
    w = watch(NASTY_NAME, state=state, ambiguous=ambiguous and state is not S.PENDING)
    text = line(replace(w, status_text="Offline", status_since=NOW))
    assert "&lt;@U123&gt; &amp; &lt;!channel&gt;" in text
    assert "<@U123>" not in text
    assert "<!channel>" not in text


@pytest.mark.parametrize("ambiguous", [False, True])
def test_rescues_status_text_is_escaped(ambiguous: bool) -> None:
    w = watch(state=S.OTHER, ambiguous=ambiguous, status_text=NASTY_STATUS, status_since=NOW)
    text = line(w)
    assert "&lt;https://evil.example|click&gt; &amp; more" in text
    assert "<https://" not in text


def test_the_whole_message_escapes_the_name_everywhere() -> None:
    for state in SessionState:
        w = watch(NASTY_NAME, state=state, status_text=NASTY_STATUS, status_since=NOW)
        message = followed_message(w, shown(NASTY_NAME), now=NOW, validity=VALIDITY)
        mrkdwn = [message["text"]] + [
            text
            for block in message["blocks"]
            for text in [block.get("text", {}).get("text", "")]
            + [e.get("text", "") for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
        ]
        assert all("<@U123>" not in t and "<https://" not in t for t in mrkdwn), state


# The message around the sentence


@pytest.mark.parametrize("state", [S.PENDING, S.WAITING, S.OTHER])
def test_until_it_starts_the_pin_and_steps_stay_with_the_news_under_them(
    state: SessionState,
) -> None:
    w = watch(state=state, status_text="Offline", status_since=NOW)
    first = shown()
    message = followed_message(w, first, now=NOW, validity=VALIDITY)
    original = pin_ready(
        first.pin, name="Jane Doe", sms_number=first.sms_number, buttons=first.buttons
    )
    assert message["blocks"][:-1] == original["blocks"]
    assert message["blocks"][-1] == {"type": "section", "text": {"type": "mrkdwn", "text": line(w)}}
    assert message["text"] == line(w)
    # The buttons the PIN came with: share it, and a new PIN.
    assert [a for a, _ in buttons(message)] == [ids.SHARE_ACTION, ids.AGAIN_ACTION]
    assert message_problem(message) is None


def test_a_pin_shared_before_keeps_its_shared_look() -> None:
    first = replace(shown(), shared=True)
    message = followed_message(watch(state=S.WAITING), first, now=NOW, validity=VALIDITY)
    assert [a for a, _ in buttons(message)] == [ids.AGAIN_ACTION]


def test_stopped_keeps_the_pin_with_a_quiet_note() -> None:
    message = followed_message(watch(state=S.STOPPED), shown(), now=NOW, validity=VALIDITY)
    assert "004821" in json.dumps(message["blocks"])
    assert message["blocks"][-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": words.STOPPED}],
    }


def test_picked_up_is_one_line_and_no_buttons() -> None:
    message = followed_message(watch(state=S.PICKED_UP), shown(), now=NOW, validity=VALIDITY)
    assert message["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": line(watch(state=S.PICKED_UP))}}
    ]
    # The PIN is spent: it is no longer shown.
    assert "004821" not in json.dumps(message)


@pytest.mark.parametrize("state", [S.UNUSED, S.LEFT])
def test_unused_or_left_offers_a_new_pin_and_to_text_one(state: SessionState) -> None:
    first = shown()
    message = followed_message(watch(state=state), first, now=NOW, validity=VALIDITY)
    assert buttons(message) == [
        (ids.AGAIN_ACTION, first.again),
        (ids.TEXT_AGAIN_ACTION, first.text_again),
    ]
    assert message["blocks"][-1]["elements"][0]["style"] == "primary"
    assert PinButtons.from_value(first.again).sms_number == ""  # type: ignore[union-attr]
    assert PinButtons.from_value(first.text_again).sms_number == "+442079460958"  # type: ignore[union-attr]
    assert message_problem(message) is None


@pytest.mark.parametrize("state", [S.UNUSED, S.LEFT])
def test_without_an_sms_number_there_is_nothing_to_text_again(state: SessionState) -> None:
    message = followed_message(watch(state=state), shown(sms=""), now=NOW, validity=VALIDITY)
    assert [a for a, _ in buttons(message)] == [ids.AGAIN_ACTION]


# Durations


@pytest.mark.parametrize(
    ("seconds", "words_"),
    [
        # LENSPIN_PIN_VALIDITY takes any positive number of seconds.
        (0.2, "1 second"),
        (1, "1 second"),
        (1.4, "1 second"),
        (2, "2 seconds"),
        (45, "45 seconds"),
        (59.4, "59 seconds"),
        (59.5, "1 minute"),
        (59.6, "1 minute"),
        (60, "1 minute"),
        (89, "1 minute"),
        (91, "2 minutes"),
        (1200, "20 minutes"),
        (86400, "1440 minutes"),
    ],
)
def test_a_validity_in_words(seconds: float, words_: str) -> None:
    assert duration(seconds) == words_


@pytest.mark.parametrize(
    ("seconds", "short"),
    [
        (-5, "0 s"),
        (0, "0 s"),
        (1, "1 s"),
        (59, "59 s"),
        (60, "1 min 0 s"),
        (61, "1 min 1 s"),
        (125, "2 min 5 s"),
        (3600, "60 min 0 s"),
    ],
)
def test_a_measured_time_short(seconds: int, short: str) -> None:
    assert short_duration(seconds) == short


def test_rescues_status_is_shown_whole_up_to_its_cap_then_cut() -> None:
    exact = "x" * STATUS_SHOWN
    assert rescue_status(exact) == exact
    assert rescue_status(exact + "y") == "x" * (STATUS_SHOWN - 1) + "…"
    assert rescue_status("Closed by customer <&>") == "Closed by customer &lt;&amp;&gt;"
