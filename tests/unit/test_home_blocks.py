"""The Home tab's PINs being followed, and each request's session in the history (pure builders)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import texts
from bot.domain import (
    AuditRecord,
    CodeSource,
    Credential,
    Requester,
    SessionState,
    Watch,
    session_fields,
)
from bot.slack.blocks.history import history, history_blocks
from bot.slack.blocks.home import FOLLOWED_SHOWN, followed_blocks, followed_unavailable, home
from bot.texts import session as words
from devtools.fake_slack import home_view_errors, message_problem

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
S = SessionState


def watch(name: str = "Jane Doe", minutes_ago: float = 1, **changes: Any) -> Watch:
    issued = NOW - timedelta(minutes=minutes_ago)
    base = Watch(
        id=int(10_000 - minutes_ago * 10),
        requester=Requester("T1", "U1"),
        audit_id=None,
        node_id=2001,
        credential=Credential("code", CodeSource.SHARED),
        fields=session_fields({"name": name}),
        issued_at=issued,
        expires_at=issued + timedelta(minutes=20),
        updated_at=issued,
        reply="{}",
    )
    return replace(base, **changes)


def lines(blocks: list[dict[str, Any]]) -> list[str]:
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    return text.splitlines()


def date_of(moment: datetime) -> str:
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|"


# PINs being followed


def test_nothing_followed_is_no_section() -> None:
    assert followed_blocks([], now=NOW) == []
    view = home("s", connected=False, can_connect=True, history=[], followed=[])
    assert words.HOME_HEADING not in str(view)
    assert [b["type"] for b in view["blocks"]].count("divider") == 2


def test_one_line_per_pin_newest_first_with_when_it_was_issued() -> None:
    older, newer = watch("Old Customer", minutes_ago=9), watch("New Customer", minutes_ago=2)
    shown = lines(followed_blocks([older, newer], now=NOW))
    assert shown[0] == words.HOME_HEADING
    assert len(shown) == 3
    assert "New Customer" in shown[1]
    assert "Old Customer" in shown[2]
    assert shown[1].startswith("• " + date_of(newer.issued_at))
    assert shown[2].startswith("• " + date_of(older.issued_at))


@pytest.mark.parametrize(
    "state", [S.PENDING, S.PICKED_UP, S.LEFT, S.UNUSED, S.STOPPED], ids=lambda s: s.value
)
def test_each_state_in_words(state: SessionState) -> None:
    (line,) = lines(followed_blocks([watch(state=state, status_text="Active")], now=NOW))[1:]
    state_words = words.STATE_WORDS[state.value]
    assert line.endswith(" · " + words.HOME_LINE.format(name="Jane Doe", state=state_words))


def test_waiting_says_how_long_the_customer_has_waited() -> None:
    w = watch(state=S.WAITING, status_text="Waiting", status_since=NOW - timedelta(seconds=125))
    (line,) = lines(followed_blocks([w], now=NOW))[1:]
    waited = words.HOME_WAITED.format(state=words.STATE_WORDS["waiting"], waited="2 min 5 s")
    assert line.endswith(words.HOME_LINE.format(name="Jane Doe", state=waited))
    assert "(2 min 5 s)" in line


def test_a_status_lenspin_does_not_know_is_said_in_rescues_words_escaped() -> None:
    w = watch(state=S.OTHER, status_text="Offline <b> & out", status_since=NOW)
    (line,) = lines(followed_blocks([w], now=NOW))[1:]
    assert "Rescue says Offline &lt;b&gt; &amp; out" in line
    assert words.STATE_WORDS["other"] in line
    silent = watch(state=S.OTHER, status_text="", status_since=NOW)
    (line,) = lines(followed_blocks([silent], now=NOW))[1:]
    assert line.endswith(" · " + words.STATE_WORDS["other"])


def test_an_ambiguous_pin_speaks_of_a_session_for_the_name() -> None:
    w = watch(state=S.WAITING, ambiguous=True, status_since=NOW, sessions={1: S.WAITING})
    (line,) = lines(followed_blocks([w], now=NOW))[1:]
    assert f" · {words.HOME_ANY.format(name='Jane Doe')} · " in line


def test_the_name_is_text_never_markup() -> None:
    w = watch("<@U999> & <!here>", ambiguous=True, state=S.LEFT)
    (line,) = lines(followed_blocks([w], now=NOW))[1:]
    assert "&lt;@U999&gt; &amp; &lt;!here&gt;" in line
    assert "<@U999>" not in line
    assert "<!here>" not in line


def test_past_the_most_shown_the_rest_are_counted() -> None:
    many = [watch(f"Customer {i}", minutes_ago=i + 1) for i in range(FOLLOWED_SHOWN + 7)]
    blocks = followed_blocks(many, now=NOW)
    shown = lines(blocks)[1:]
    assert len(shown) == FOLLOWED_SHOWN
    assert "Customer 0 " in shown[0] + " "
    assert blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": words.HOME_MORE.format(count=7)}],
    }


def test_the_section_sits_between_the_status_and_the_history() -> None:
    followed = followed_blocks([watch()], now=NOW)
    recent = history_blocks([], now=NOW, visible_minutes=20)
    view = home("status", connected=False, can_connect=True, history=recent, followed=followed)
    kinds = [b["type"] for b in view["blocks"]]
    at = view["blocks"].index(followed[0])
    assert kinds[at - 1] == "divider"
    assert view["blocks"][at + 1] == {"type": "divider"}
    assert view["blocks"][at + 2] == recent[0]
    assert home_view_errors(view) == []


def test_when_they_cannot_be_read_the_section_says_why() -> None:
    (block,) = followed_unavailable(texts.DATABASE_NOT_ANSWERING)
    assert block["text"]["text"] == f"{words.HOME_HEADING}\n{texts.DATABASE_NOT_ANSWERING}"


# The history: what became of each PIN's session


def record(**changes: Any) -> AuditRecord:
    base = AuditRecord(
        team_id="T1",
        user_id="U1",
        requested_at=NOW - timedelta(minutes=5),
        fields={"name": "Jane Doe"},
        no_tech_console=False,
        code_source=CodeSource.SHARED,
        result="OK",
        latency_ms=900,
        pin="004821",
        id=1,
    )
    return replace(base, **changes)


def history_line(entry: AuditRecord) -> str:
    message = history([entry], now=NOW, visible_minutes=20)
    assert message_problem(message) is None
    return str(message["blocks"][0]["text"]["text"]).splitlines()[1]


def test_a_picked_up_pin_shows_both_times() -> None:
    line = history_line(record(session_state="picked_up", connect_seconds=40, pickup_seconds=125))
    assert line.endswith(
        " · `004821` · picked up (connected after 40 s, picked up after 2 min 5 s)"
    )
    times = words.HISTORY_TIMES.format(connect="40 s", pickup="2 min 5 s")
    assert words.HISTORY_STATE.format(state=words.STATE_WORDS["picked_up"], times=times) in line


def test_a_customer_who_left_shows_when_they_connected() -> None:
    line = history_line(record(session_state="left", connect_seconds=40))
    assert line.endswith(" · left before pick-up (connected after 40 s)")


@pytest.mark.parametrize("state", ["unused", "stopped"])
def test_an_end_without_a_session_has_no_times(state: str) -> None:
    line = history_line(record(session_state=state))
    assert line.endswith(" · " + words.STATE_WORDS[state])


def test_a_masked_or_failed_pin_still_shows_its_session() -> None:
    old = record(requested_at=NOW - timedelta(hours=2), session_state="unused")
    assert history_line(old).endswith(f" · {texts.HISTORY_MASKED} · not used")


@pytest.mark.parametrize("state", [None, "pending", "waiting", "some_future_state"], ids=str)
def test_a_request_still_watched_or_never_watched_shows_no_session(state: str | None) -> None:
    # Only a final state is written to the audit row; anything else is never a crash.
    assert history_line(record(session_state=state)).endswith(" · `004821`")
