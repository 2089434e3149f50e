"""Following a PIN, fed the longest and most-escaping inputs there are, fits Slack's limits.

The followed PIN message in every state, the Home tab's PINs being followed with many
watches, and the history with every session outcome: checked with slack_sdk's models and the
limits they skip (devtools.fake_slack: 50 blocks a message, 100 a view, text ≤ 4,000).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import CodeSource, Credential, Requester, SessionState, Watch, session_fields
from bot.fields import FIELD_LIMITS, PIN_FIELDS
from bot.rescue.models import SMS_LANGUAGES, Pin
from bot.slack.blocks.session import PinMessage, followed_message, session_line
from bot.slack.forms import PinButtons
from devtools.fake_slack import message_problem
from devtools.fake_slack.blocks import MAX_MESSAGE_BLOCKS, MAX_MESSAGE_TEXT

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
VALIDITY = 86400.0  # the longest validity: the most words for "within ..."
# What escaping lengthens most (& alone grows fivefold), what Rescue counts twice (emoji), CJK.
KINDS = {
    "escaping": lambda limit: ("&<>" * limit)[:limit],
    "ampersands": lambda limit: "&" * limit,
    "emoji": lambda limit: "\U0001f600" * (limit // 2),
    "cjk": lambda limit: "\u4e2d\u6587" * (limit // 2),
}
SMS = "+" + "9" * 15  # E.164's longest
# Rescue's sStatus has no documented length: a long one, all of it escaping.
LONG_STATUS = "&<>" * 2000
SECTION_LIMIT = 3000


def long_watch(name: str, state: SessionState, *, ambiguous: bool = False) -> Watch:
    issued = NOW - timedelta(hours=23)
    return Watch(
        id=2**31 - 1,
        requester=Requester("T" * 20, "U" * 20),
        audit_id=2**31 - 1,
        node_id=2**31 - 1,
        credential=Credential("code", CodeSource.LINKED),
        fields=session_fields({f.key: name for f in PIN_FIELDS}),
        issued_at=issued,
        expires_at=issued + timedelta(seconds=VALIDITY),
        state=state,
        status_text=LONG_STATUS,
        status_since=issued,
        ambiguous=ambiguous,
        updated_at=NOW,
        reply="{}",
    )


def long_shown(name: str, sms_language: str) -> PinMessage:
    """The PIN message's content with the longest button values the form can make."""
    pin = Pin("004821")

    def value(sms: str) -> str:
        return PinButtons(2**31 - 1, pin.code, name, sms, sms_language).to_value()

    return PinMessage(
        pin=pin,
        name=name,
        language="en",
        sms_number=SMS,
        shared=False,
        buttons=value(SMS),
        again=value(""),
        text_again=value(SMS),
    )


def section_texts(message: dict[str, object]) -> list[str]:
    return [
        str(b["text"]["text"])  # type: ignore[index]
        for b in message["blocks"]  # type: ignore[attr-defined]
        if b["type"] == "section"  # type: ignore[index]
    ]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("state", SessionState)
@pytest.mark.parametrize("ambiguous", [False, True], ids=["one", "any"])
def test_every_followed_message_with_the_longest_inputs_is_accepted(
    kind: str, state: SessionState, ambiguous: bool
) -> None:
    name = KINDS[kind](FIELD_LIMITS["name"])
    w = long_watch(name, state, ambiguous=ambiguous)
    for sms_language in SMS_LANGUAGES:
        shown = long_shown(name, sms_language)
        for shared in (False, True):
            message = followed_message(w, replace(shown, shared=shared), now=NOW, validity=VALIDITY)
            assert message_problem(message) is None, (state, sms_language, shared)
            assert len(message["blocks"]) <= MAX_MESSAGE_BLOCKS
            assert len(message["text"]) <= MAX_MESSAGE_TEXT
            assert all(len(t) <= SECTION_LIMIT for t in section_texts(message))
            for block in message["blocks"]:
                for element in block.get("elements", []):
                    assert len(element.get("value", "")) <= 2000


def test_a_long_status_from_rescue_is_cut_not_refused() -> None:
    w = long_watch("Jane", SessionState.OTHER)
    line = session_line(w, now=NOW, pin="004821", validity=VALIDITY)
    # Cut before escaping, so never in the middle of an escape: "&amp;&lt;&gt;" is whole.
    status = line.split(": ", 1)[1]
    assert status == "&amp;&lt;&gt;" * 33 + "…."
    assert len(line) < 1000
