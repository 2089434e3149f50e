"""Following a PIN, fed the longest and most-escaping inputs there are, fits Slack's limits.

The followed PIN message in every state, the Home tab's PINs being followed with many
watches, and the history with every session outcome: checked with slack_sdk's models and the
limits they skip (devtools.fake_slack: 50 blocks a message, 100 a view, text ≤ 4,000).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot import texts
from bot.accounts import Status, StatusKind
from bot.domain import (
    AuditRecord,
    CodeSource,
    Credential,
    Link,
    LinkSource,
    Requester,
    SessionState,
    Watch,
    session_fields,
)
from bot.fields import FIELD_LIMITS, PIN_FIELDS
from bot.rescue.models import SMS_LANGUAGES, Account, Pin
from bot.slack.blocks.history import history, history_blocks
from bot.slack.blocks.home import FOLLOWED_SHOWN, followed_blocks, followed_unavailable, home
from bot.slack.blocks.mrkdwn import SECTION_LIMIT
from bot.slack.blocks.session import PinMessage, followed_message, session_line
from bot.slack.blocks.status import status_text
from bot.slack.forms import PinButtons
from devtools.fake_slack import home_view_errors, message_problem
from devtools.fake_slack.blocks import MAX_MESSAGE_BLOCKS, MAX_MESSAGE_TEXT, MAX_VIEW_BLOCKS

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
LONG = "&" * 254  # the longest email address; organization names get the same room
LINK = Link("T1", "U1", "code", LONG, LONG, LinkSource.TOKEN, NOW, stale=False)
ACCOUNT = Account(1, LONG, 1, 2, LONG, console_running=False)


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


# The Home tab and the history

STATUSES = [Status(StatusKind.LINKED, LINK, ACCOUNT), Status(StatusKind.SHARED)]


def worst_records(kind: str) -> list[AuditRecord]:
    """Ten requests of the longest fields, each with the longest session outcome there is."""
    long = KINDS[kind]
    states = [s for s in SessionState if s.final]
    return [
        AuditRecord(
            team_id="T1",
            user_id="U1",
            requested_at=NOW - timedelta(minutes=i),
            fields={f.key: long(f.limit) for f in PIN_FIELDS},
            no_tech_console=False,
            code_source=CodeSource.SHARED,
            result="OK" if i % 3 else "USER_DELETED_OR_DISABLED",
            latency_ms=900,
            pin="004821" if i % 3 else None,
            id=10_000_000 + i,
            session_state=states[i % len(states)].value,
            connect_seconds=86_400,
            pickup_seconds=90_000,
        )
        for i in range(10)
    ]


def many_watches(kind: str, count: int) -> list[Watch]:
    """count watches of the longest names, every state, one session or any, in turn."""
    name = KINDS[kind](FIELD_LIMITS["name"])
    states = list(SessionState)
    return [
        replace(
            long_watch(name, states[i % len(states)], ambiguous=bool(i % 2)),
            id=i + 1,
            issued_at=NOW - timedelta(minutes=i),
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("count", [1, FOLLOWED_SHOWN, 500])
def test_the_home_tab_with_many_pins_followed_and_the_worst_history_is_accepted(
    kind: str, count: int
) -> None:
    followed = followed_blocks(many_watches(kind, count), now=NOW)
    recent = history_blocks(worst_records(kind), now=NOW, visible_minutes=20)
    for status in STATUSES:
        view = home(
            status_text(status),
            connected=status.kind is StatusKind.LINKED,
            can_connect=True,
            history=recent,
            followed=followed,
        )
        assert home_view_errors(view) == []
        assert len(view["blocks"]) <= MAX_VIEW_BLOCKS
        assert all(len(t) <= SECTION_LIMIT for t in section_texts(view))
    # Every watch shown has its line, up to the most shown; none is cut.
    shown = sum(t.count("\n• ") + t.startswith("• ") for t in section_texts({"blocks": followed}))
    assert shown == min(count, FOLLOWED_SHOWN)


@pytest.mark.parametrize("kind", KINDS)
def test_the_history_with_every_session_outcome_is_accepted(kind: str) -> None:
    message = history(worst_records(kind), now=NOW, visible_minutes=20)
    assert message_problem(message) is None
    assert all(len(t) <= SECTION_LIMIT for t in section_texts(message))
    text = "\n".join(section_texts(message))
    assert text.count("picked up after 1500 min 0 s") == 10  # every line whole, none dropped


def test_the_home_tab_saying_the_pins_cannot_be_read_is_accepted() -> None:
    view = home(
        texts.DATABASE_NOT_ANSWERING,
        connected=False,
        can_connect=False,
        history=history_blocks(worst_records("escaping"), now=NOW, visible_minutes=20),
        followed=followed_unavailable(texts.SECRET_UNREADABLE),
    )
    assert home_view_errors(view) == []
