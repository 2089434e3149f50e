"""Watching delivered PINs, in one process on virtual time: matching, states, turns, refusals."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import pytest

from bot.accounts import Accounts
from bot.domain import (
    CodeSource,
    Credential,
    LinkSource,
    NodeLease,
    Policy,
    Requester,
    SessionState,
    StoreUnavailable,
    Watch,
)
from bot.rescue.errors import Rejected, Timeout, Unavailable
from bot.rescue.models import PinRequest, SessionResult, SessionStatus
from bot.watch import Watcher
from bot.watch_ports import WatchStore
from bot.watch_rules import AFTER_CONNECT, BLIND_GRACE, same_fields, state_of
from tests.support import (
    MemoryRescue,
    MemorySessions,
    MemoryStore,
    MemoryWatches,
    VirtualClock,
    queued,
)

NODE = 2001
OTHER_NODE = 2002
INTERVAL = 5.0
VALIDITY = 1200.0
SHARED = Credential("shared-code-for-watch-tests", CodeSource.SHARED)
ALICE = Requester("T1", "UALICE")
BOB = Requester("T1", "UBOB")
S = SessionStatus


class Rig:
    """A Watcher on virtual time, with an in-memory store, queues and link store."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        clock: VirtualClock | None = None,
        store: MemoryWatches | None = None,
    ) -> None:
        self.clock = clock or VirtualClock()
        self.watches = store or MemoryWatches(clock=self.clock.time)
        self.rescue = MemorySessions()
        self.rescue.add_code(SHARED.auth_code, NODE)
        self.links = MemoryStore()
        self.accounts = Accounts(
            links=self.links,
            rescue=MemoryRescue(),
            policy_of=lambda _who: Policy(
                allowed_users=frozenset({"*"}), shared_code=SHARED.auth_code
            ),
        )
        self.told: list[Watch] = []
        # What on_change answers for a watch id (a new reply handle), else None.
        self.handles: dict[int, str] = {}
        self.failing_tell = False
        self.watcher = Watcher(
            self.watches,
            self.rescue,
            refusals=self.accounts,
            on_change=self.tell,
            interval=INTERVAL,
            validity=VALIDITY,
            enabled=enabled,
            clock=self.clock.now,
        )

    def tell(self, watch: Watch, reply: str) -> str | None:
        assert reply == watch.reply
        self.told.append(watch)
        if self.failing_tell:
            raise RuntimeError("Slack is down")
        return self.handles.get(watch.id)

    def issue(
        self,
        name: str = "Jane Doe",
        who: Requester = ALICE,
        credential: Credential = SHARED,
        **custom: str,
    ) -> int:
        """Deliver a PIN and wait until it is watched; its watch's id."""
        before = len(self.watches.all)
        request = PinRequest(name=name, tracking="INC-7", **custom)
        self.watcher.watch(who, credential, request, audit_id=None, reply=f"reply-{before}")
        self.watches.wait_until(lambda kept: len(kept) > before)
        return self.watches.all[-1].id

    def poll(self, seconds: float = INTERVAL) -> None:
        """Let seconds pass, then one round of the runner."""
        self.clock.advance(seconds)
        self.watcher.poll_once()

    def state(self, watch_id: int) -> SessionState:
        return self.watches.get(watch_id).state

    def told_states(self, watch_id: int) -> list[SessionState]:
        return [w.state for w in self.told if w.id == watch_id]


@pytest.fixture
def rig() -> Iterator[Rig]:
    made = Rig()
    yield made
    made.watcher.stop()


def test_a_session_that_appears_is_waiting_then_picked_up_then_no_longer_polled(
    rig: Rig,
) -> None:
    watch_id = rig.issue()
    rig.poll()  # the first look: an empty queue is the baseline
    assert rig.watches.get(watch_id).baseline == frozenset()
    assert rig.told == []
    rig.rescue.set_queue(NODE, queued(11, waiting=3))
    rig.poll()
    (waiting,) = rig.told
    assert waiting.state is SessionState.WAITING
    assert (waiting.session_id, waiting.ambiguous, waiting.status_text) == (11, False, "Waiting")
    # Issued at 0, seen at 10 s having waited 3 s: connected at 7 s.
    assert waiting.connect_seconds == 7
    assert waiting.waited(rig.clock.now()) == 3
    rig.rescue.set_queue(NODE, queued(11, S.PICKED_UP, text="Active", waiting=2))
    rig.poll()
    assert rig.told_states(watch_id) == [SessionState.WAITING, SessionState.PICKED_UP]
    picked = rig.watches.get(watch_id)
    assert picked.final
    assert (picked.connect_seconds, picked.pickup_seconds) == (7, 13)
    calls = len(rig.rescue.calls)
    for _ in range(3):
        rig.poll()
    assert len(rig.rescue.calls) == calls
    assert len(rig.told) == 2


def test_a_session_already_in_the_queue_never_matches_and_the_pin_ends_unused(rig: Rig) -> None:
    rig.rescue.set_queue(NODE, queued(5, "Jane Doe", waiting=300))
    watch_id = rig.issue()
    rig.poll()
    rig.rescue.set_queue(NODE, queued(5, "Jane Doe", S.PICKED_UP, text="Active"))
    rig.poll()
    assert rig.state(watch_id) is SessionState.PENDING
    assert rig.told == []
    rig.poll(VALIDITY)
    assert rig.told_states(watch_id) == [SessionState.UNUSED]
    calls = len(rig.rescue.calls)
    rig.poll()
    assert len(rig.rescue.calls) == calls


def test_a_pin_is_unused_only_once_rescue_could_say_so(rig: Rig) -> None:
    watch_id = rig.issue()
    rig.poll()
    rig.rescue.fail(Unavailable("down"), Timeout("slow"))
    rig.poll(VALIDITY)
    rig.poll()
    # Past its validity, yet the queue was not read: it may have been used.
    assert rig.state(watch_id) is SessionState.PENDING
    rig.poll()
    assert rig.told_states(watch_id) == [SessionState.UNUSED]


def test_a_queue_never_read_again_stops_the_watch_after_a_grace(rig: Rig) -> None:
    watch_id = rig.issue()
    rig.poll()
    rig.rescue.fail(*[Unavailable("down")] * 1000)
    rig.poll(VALIDITY)
    assert rig.state(watch_id) is SessionState.PENDING
    rig.poll(BLIND_GRACE)
    assert rig.told_states(watch_id) == [SessionState.STOPPED]


def test_two_matching_sessions_are_reported_as_a_session_for_the_name_never_guessed(
    rig: Rig,
) -> None:
    watch_id = rig.issue()
    rig.poll()
    rig.rescue.set_queue(NODE, queued(11), queued(12))
    rig.poll()
    (first,) = rig.told
    assert (first.state, first.ambiguous, first.session_id) == (SessionState.WAITING, True, None)
    assert set(first.sessions) == {11, 12}
    # One taken, one still waiting: "a session for Jane Doe is waiting" is still true.
    rig.rescue.set_queue(NODE, queued(11, S.PICKED_UP, text="Active"), queued(12))
    rig.poll()
    assert len(rig.told) == 1
    # The other one goes: every candidate ended, one of them picked up.
    rig.rescue.set_queue(NODE, queued(11, S.PICKED_UP, text="Active"))
    rig.poll()
    assert rig.told_states(watch_id) == [SessionState.WAITING, SessionState.PICKED_UP]
    final = rig.watches.get(watch_id)
    assert final.sessions == {11: SessionState.PICKED_UP, 12: SessionState.LEFT}
    assert final.ambiguous


def test_once_matched_a_watch_keeps_its_session_and_ignores_later_lookalikes(rig: Rig) -> None:
    watch_id = rig.issue()
    rig.poll()
    rig.rescue.set_queue(NODE, queued(11))
    rig.poll()
    rig.rescue.set_queue(NODE, queued(11), queued(12))
    rig.poll()
    watch = rig.watches.get(watch_id)
    assert (watch.session_id, watch.ambiguous, set(watch.sessions)) == (11, False, {11})
    assert len(rig.told) == 1


def test_two_technicians_on_one_node_share_each_answer_and_each_sees_their_own(
    rig: Rig,
) -> None:
    alices = rig.issue("Jane Doe", ALICE)
    bobs = rig.issue("John Roe", BOB, custom1="case 42")
    rig.poll()
    assert len(rig.rescue.calls) == 1  # one call for both
    rig.rescue.set_queue(
        NODE,
        queued(11, "John Roe", custom1="case 42"),
        queued(12, "John Roe", custom1="case 43"),  # not Bob's: another custom field
        queued(13, "Jane Doe"),
    )
    rig.poll()
    assert len(rig.rescue.calls) == 2
    assert {w.id: w.session_id for w in rig.told} == {alices: 13, bobs: 11}
    assert [w.id for w in rig.watcher.watches_of(ALICE)] == [alices]
    assert [w.id for w in rig.watcher.watches_of(BOB)] == [bobs]
    assert rig.watcher.watches_of(Requester("T1", "UCAROL")) == []


def test_an_unknown_status_is_shown_in_rescues_words_and_followed_on(rig: Rig) -> None:
    watch_id = rig.issue()
    rig.poll()
    strange = queued(11, S.UNKNOWN, text="Being scanned", raw="SESSION_UACCESS_SCAN")
    rig.rescue.set_queue(NODE, strange)
    rig.poll()
    rig.rescue.set_queue(NODE, replace(strange, status_text="Scanned"))
    rig.poll()
    rig.poll()  # the same again: nothing new to tell
    assert [(w.state, w.status_text) for w in rig.told] == [
        (SessionState.OTHER, "Being scanned"),
        (SessionState.OTHER, "Scanned"),
    ]
    rig.rescue.set_queue(NODE, queued(11, S.PICKED_UP, text="Active"))
    rig.poll()
    assert rig.told_states(watch_id)[-1] is SessionState.PICKED_UP


def test_a_session_that_vanishes_before_its_pick_up_left(rig: Rig) -> None:
    watch_id = rig.issue()
    rig.poll()
    rig.rescue.set_queue(NODE, queued(11))
    rig.poll()
    rig.rescue.set_queue(NODE)
    rig.poll()
    assert rig.told_states(watch_id) == [SessionState.WAITING, SessionState.LEFT]
    assert rig.watches.get(watch_id).final


@pytest.mark.parametrize(
    "ending",
    [S.CUSTOMER_LEFT_NOT_PICKED_UP, S.CLOSED_BY_WAITING_CUSTOMER, S.WAITING_TIMEOUT_NOT_PICKED_UP],
)
def test_a_session_that_ends_unpicked_left(rig: Rig, ending: SessionStatus) -> None:
    watch_id = rig.issue()
    rig.poll()
    rig.rescue.set_queue(NODE, queued(11, ending))
    rig.poll()
    # Connected and left between two looks: one change, straight to the end.
    assert rig.told_states(watch_id) == [SessionState.LEFT]
    assert rig.watches.get(watch_id).connect_seconds == 10


def test_a_session_followed_for_an_hour_without_an_end_stops_being_watched(rig: Rig) -> None:
    watch_id = rig.issue()
    rig.poll()
    rig.rescue.set_queue(NODE, queued(11))
    rig.poll()
    rig.poll(AFTER_CONNECT - INTERVAL)
    assert rig.state(watch_id) is SessionState.WAITING
    rig.poll()
    assert rig.told_states(watch_id) == [SessionState.WAITING, SessionState.STOPPED]


def test_a_queue_is_asked_an_interval_apart_and_only_while_it_has_pins_to_watch(
    rig: Rig,
) -> None:
    first = rig.issue()
    rig.watcher.poll_once()
    rig.issue("John Roe", BOB)  # a new PIN does not make its queue due before its turn
    for _ in range(4):
        rig.poll(1.0)
    rig.poll(1.0)
    assert len(rig.rescue.calls) == 2
    rig.rescue.set_queue(NODE, queued(11, "Jane Doe", S.CLOSED_BY_CUSTOMER))
    rig.poll()
    assert rig.state(first) is SessionState.LEFT
    rig.rescue.set_queue(NODE, queued(12, "John Roe", S.CLOSED_BY_CUSTOMER))
    rig.poll()
    calls = len(rig.rescue.calls)
    assert rig.watcher.poll_once() is None  # nothing left to watch anywhere
    rig.poll(VALIDITY)
    assert len(rig.rescue.calls) == calls


def test_a_refused_linked_code_stops_its_watches_and_marks_the_link_stale(rig: Rig) -> None:
    linked = Credential("alices-own-code", CodeSource.LINKED)
    rig.rescue.add_code(linked.auth_code, NODE)
    rig.links.save_link(
        team_id="T1",
        user_id=ALICE.user_id,
        auth_code=linked.auth_code,
        email="alice@example.com",
        organization="Example Support",
        source=LinkSource.TOKEN,
    )
    bobs = rig.issue("John Roe", BOB)
    alices = rig.issue("Jane Doe", ALICE, linked)
    rig.rescue.refuse(linked.auth_code, SessionResult.INVALID_SECRET_AUTH_CODE)
    rig.poll()
    assert rig.told_states(alices) == [SessionState.STOPPED]
    link = rig.links.get_link("T1", ALICE.user_id)
    assert link is not None
    assert link.stale
    # Bob's PIN, made with another code, is still watched, with that code.
    assert rig.state(bobs) is SessionState.PENDING
    rig.poll()
    assert rig.rescue.calls[-1].auth_code == SHARED.auth_code
    assert rig.watches.get(bobs).baseline == frozenset()


def test_a_refused_shared_code_stops_its_watches_and_marks_no_link(rig: Rig) -> None:
    watch_id = rig.issue()
    rig.rescue.refuse(SHARED.auth_code, SessionResult.USER_DELETED_OR_DISABLED)
    rig.poll()
    assert rig.told_states(watch_id) == [SessionState.STOPPED]
    assert rig.links.get_link("T1", ALICE.user_id) is None


def test_a_node_rescue_does_not_know_stops_its_watches_and_is_asked_for_again(rig: Rig) -> None:
    watch_id = rig.issue()
    assert rig.rescue.account_lookups == [SHARED.auth_code]
    rig.rescue.fail(Rejected(SessionResult.INVALID_NODE))
    rig.poll()
    assert rig.told_states(watch_id) == [SessionState.STOPPED]
    rig.issue()
    assert rig.rescue.account_lookups == [SHARED.auth_code, SHARED.auth_code]


@pytest.mark.parametrize(
    "result", [SessionResult.ERROR, SessionResult.NOT_LOGGED_IN, SessionResult.UNKNOWN]
)
def test_other_refusals_wait_for_the_next_turn(rig: Rig, result: SessionResult) -> None:
    watch_id = rig.issue()
    rig.rescue.fail(Rejected(result))
    rig.poll()
    assert rig.watches.get(watch_id).baseline is None
    rig.poll()
    assert rig.watches.get(watch_id).baseline == frozenset()
    assert rig.told == []


def test_the_codes_node_is_asked_once_per_code(rig: Rig) -> None:
    rig.issue()
    rig.issue("John Roe", BOB)
    assert rig.rescue.account_lookups == [SHARED.auth_code]
    assert {w.node_id for w in rig.watches.all} == {NODE}


def test_what_cannot_be_watched_is_dropped_and_never_raised(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    request = PinRequest(name="Jane Doe")
    unknown = Credential("a-code-rescue-does-not-know", CodeSource.LINKED)
    rig.watcher.watch(ALICE, unknown, request, audit_id=1, reply="r")
    rig.rescue.add_code("tech-less-code", 0)
    rig.watcher.watch(ALICE, Credential("tech-less-code", CodeSource.LINKED), request, 2, "r")
    rig.watches.down = StoreUnavailable("the database did not answer within 3 s")
    rig.watcher.watch(ALICE, SHARED, request, audit_id=3, reply="r")
    rig.watcher.stop()  # the pool finishes what it was given
    rig.watcher.watch(ALICE, SHARED, request, audit_id=4, reply="r")  # stopped: dropped
    rig.watches.down = None
    assert rig.watches.all == []
    assert "whose code it is is unknown (Rejected)" in caplog.text
    assert "Rescue names no technician" in caplog.text
    assert "did not answer within 3 s" in caplog.text
    assert "a-code-rescue-does-not-know" not in caplog.text


def test_with_watching_off_nothing_is_watched_and_earlier_watches_stop() -> None:
    on = Rig()
    left_over = on.issue()
    on.watcher.stop()
    off = Rig(enabled=False, clock=on.clock, store=on.watches)
    off.watcher.watch(ALICE, SHARED, PinRequest(name="Jane Doe"), audit_id=None, reply="r")
    off.watcher.start()
    assert [w.id for w in off.watches.all] == [left_over]
    assert off.watches.get(left_over).state is SessionState.STOPPED
    off.poll(VALIDITY)
    assert off.rescue.calls == []
    assert off.rescue.account_lookups == []
    assert not off.watcher.enabled
    off.watcher.stop()


def test_the_reply_handle_on_change_returns_is_kept_and_its_uses_counted(rig: Rig) -> None:
    watch_id = rig.issue()
    assert rig.watches.get(watch_id).reply == "reply-0"
    rig.poll()
    rig.rescue.set_queue(NODE, queued(11))
    rig.poll()
    assert (rig.watches.get(watch_id).reply, rig.watches.get(watch_id).reply_uses) == (
        "reply-0",
        1,
    )
    rig.handles[watch_id] = "dm:D1:1700000000.0001"
    rig.rescue.set_queue(NODE, queued(11, S.ON_HOLD, text="On hold"))
    rig.poll()
    told = rig.told[-1]
    assert (told.reply, told.reply_uses) == ("reply-0", 1)
    kept = rig.watches.get(watch_id)
    assert (kept.reply, kept.reply_uses) == ("dm:D1:1700000000.0001", 0)
    assert "dm:D1" not in repr(kept)


def test_a_failing_on_change_still_saves_the_state_and_counts_the_use(rig: Rig) -> None:
    watch_id = rig.issue()
    rig.poll()
    rig.failing_tell = True
    rig.rescue.set_queue(NODE, queued(11))
    rig.poll()
    kept = rig.watches.get(watch_id)
    assert (kept.state, kept.reply_uses) == (SessionState.WAITING, 1)
    rig.poll()
    assert len(rig.told) == 1  # told once; not again at every look


class LosingStore(MemoryWatches):
    """Another process took the node's lease while this one was asking Rescue."""

    def save(self, lease: NodeLease, watches: Sequence[Watch]) -> bool:
        return False


def test_an_answer_saved_after_the_lease_was_lost_is_dropped_and_told_to_nobody() -> None:
    clock = VirtualClock()
    rig = Rig(clock=clock, store=LosingStore(clock=clock.time))
    watch_id = rig.issue()
    rig.rescue.set_queue(NODE, queued(11))
    rig.poll()
    rig.poll()
    assert rig.watches.get(watch_id).baseline is None
    assert rig.told == []
    rig.watcher.stop()


def test_fields_match_exactly_but_for_surrounding_whitespace_and_line_endings() -> None:
    submitted = {"name": "Jane Doe", "custom1": "line 1\r\nline 2", "custom2": ""}
    assert same_fields(submitted, {"name": " Jane Doe\t", "custom1": "line 1\nline 2 "})
    assert not same_fields(submitted, {"name": "jane doe", "custom1": "line 1\nline 2"})
    assert not same_fields(submitted, {"name": "Jane  Doe", "custom1": "line 1\nline 2"})
    assert not same_fields(submitted, {"name": "Jane Doe", "custom1": "line 1 line 2"})
    assert not same_fields(
        submitted, {"name": "Jane Doe", "custom1": "line 1\nline 2", "custom5": "x"}
    )
    # The tracking field is not in Rescue's queue, so it is never compared.
    assert same_fields({**submitted, "tracking": "INC-1"}, {**submitted, "tracking": "other"})


def test_every_known_status_has_a_state_and_unknown_ones_are_other() -> None:
    states = {status: state_of(queued(1, status)) for status in SessionStatus}
    assert states[S.WAITING] is SessionState.WAITING
    assert states[S.CONNECTING] is SessionState.WAITING
    assert states[S.PICKED_UP] is SessionState.PICKED_UP
    assert states[S.WAITING_TIMEOUT_PICKED_UP] is SessionState.PICKED_UP
    assert states[S.CLOSED_BY_CUSTOMER] is SessionState.LEFT
    assert states[S.SYSTEM_TIMEOUT_NOT_PICKED_UP] is SessionState.LEFT
    assert states[S.UNKNOWN] is SessionState.OTHER
    assert states[S.NOT_SUPPORTED] is SessionState.OTHER
    # Nothing a queue says is a state only lenspin itself decides.
    assert not set(states.values()) & {
        SessionState.PENDING,
        SessionState.UNUSED,
        SessionState.STOPPED,
    }


def test_the_memory_double_is_a_watch_store() -> None:
    store: WatchStore = MemoryWatches()
    assert store.claim(interval=1.0, lease=1.0) == ([], None)


# The runner thread, on real time with short intervals.


def real_rig(interval: float = 0.05, store: MemoryWatches | None = None) -> Rig:
    rig = Rig()
    rig.watcher.stop()  # the virtual-time one, replaced
    rig.watches = store or MemoryWatches()
    rig.watcher = Watcher(
        rig.watches,
        rig.rescue,
        refusals=rig.accounts,
        on_change=rig.tell,
        interval=interval,
        validity=60.0,
        idle=0.2,
    )
    return rig


def test_the_runner_reports_changes_on_its_own_and_stops() -> None:
    rig = real_rig()
    rig.watcher.start()
    try:
        watch_id = rig.issue()
        rig.watches.wait_until(lambda kept: kept[0].baseline is not None)
        rig.rescue.set_queue(NODE, queued(11))
        rig.watches.wait_until(lambda kept: kept[0].state is SessionState.WAITING)
        rig.rescue.set_queue(NODE, queued(11, S.PICKED_UP, text="Active"))
        rig.watches.wait_until(lambda kept: kept[0].final and kept[0].reply_uses == 2)
        assert rig.told_states(watch_id) == [SessionState.WAITING, SessionState.PICKED_UP]
    finally:
        rig.watcher.stop()
    calls = len(rig.rescue.calls)
    rig.watcher.watch(ALICE, SHARED, PinRequest(name="Late"), audit_id=None, reply="r")
    assert len(rig.watches.all) == 1
    assert len(rig.rescue.calls) == calls


def test_a_hanging_queue_holds_up_neither_watch_nor_another_queue() -> None:
    rig = real_rig()
    rig.rescue.add_code("bobs-own-code", OTHER_NODE)
    rig.rescue.hold(NODE)
    rig.watcher.start()
    try:
        rig.issue()
        rig.rescue.wait_for_calls(1)  # NODE's call hangs from here on
        started = time.monotonic()
        bobs = rig.issue("John Roe", BOB, Credential("bobs-own-code", CodeSource.LINKED))
        assert time.monotonic() - started < 1.0
        rig.watches.wait_until(lambda kept: kept[-1].baseline is not None)
        rig.rescue.set_queue(OTHER_NODE, queued(21, "John Roe"))
        rig.watches.wait_until(lambda kept: kept[-1].state is SessionState.WAITING)
        assert rig.told_states(bobs) == [SessionState.WAITING]
        assert len(rig.rescue.calls_for(NODE)) == 1  # still the one, hanging
    finally:
        rig.rescue.let_go()
        rig.watcher.stop()


def test_a_hanging_account_lookup_does_not_hold_up_watch() -> None:
    rig = real_rig()
    rig.rescue.accounts_answering.clear()
    try:
        started = time.monotonic()
        rig.watcher.watch(ALICE, SHARED, PinRequest(name="Jane Doe"), audit_id=None, reply="r")
        assert time.monotonic() - started < 0.5
        assert rig.watches.all == []
    finally:
        rig.rescue.accounts_answering.set()
        rig.watcher.stop()
    assert len(rig.watches.all) == 1  # added once Rescue answered, before stop() returned


class FailingAtFirst(MemoryWatches):
    """A database that fails the runner's first rounds, then answers."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.failed = threading.Event()

    def claim(self, *, interval: float, lease: float) -> tuple[list[NodeLease], float | None]:
        if self.failures:
            self.failures -= 1
            if not self.failures:
                self.failed.set()
            raise StoreUnavailable("the database did not answer within 3 s")
        return super().claim(interval=interval, lease=lease)


def test_the_runner_survives_a_database_that_fails(caplog: pytest.LogCaptureFixture) -> None:
    store = FailingAtFirst(failures=2)
    rig = real_rig(store=store)
    with caplog.at_level("WARNING"):
        rig.watcher.start()
        try:
            assert store.failed.wait(15)
            # A new watch wakes the runner at once, rather than after its pause.
            rig.issue()
            rig.watches.wait_until(lambda kept: kept[0].baseline is not None)
        finally:
            rig.watcher.stop()
    assert "Watching could not use the database: the database did not answer" in caplog.text
    assert "Traceback" not in caplog.text


class CountingSaves(MemoryWatches):
    """Counts the watches each look writes."""

    def __init__(self, *, clock: Callable[[], float]) -> None:
        super().__init__(clock=clock)
        self.written: list[int] = []

    def save(self, lease: NodeLease, watches: Sequence[Watch]) -> bool:
        self.written.extend(w.id for w in watches)
        return super().save(lease, watches)


def test_a_session_waiting_on_is_not_written_again_at_every_look() -> None:
    clock = VirtualClock()
    store = CountingSaves(clock=clock.time)
    rig = Rig(clock=clock, store=store)
    try:
        watch_id = rig.issue()
        rig.poll()
        rig.rescue.set_queue(NODE, queued(11, waiting=3))
        rig.poll()
        for seconds in (8, 13, 18):
            rig.rescue.set_queue(NODE, queued(11, waiting=seconds))
            rig.poll()
        # The baseline, then the sighting; waiting longer is no change to keep.
        assert store.written == [watch_id, watch_id]
        assert rig.watches.get(watch_id).waited(rig.clock.now()) == 18
    finally:
        rig.watcher.stop()


def test_a_customer_who_connected_before_a_late_first_look_is_still_the_pins(rig: Rig) -> None:
    watch_id = rig.issue()
    rig.rescue.fail(Unavailable("down"), Unavailable("down"), Unavailable("down"))
    for _ in range(3):
        rig.poll()
    assert rig.watches.get(watch_id).baseline is None
    # Rescue answers at last (20 s after the PIN): the customer has been waiting for 6 s.
    rig.rescue.set_queue(NODE, queued(5, waiting=400), queued(11, waiting=6))
    rig.poll()
    watch = rig.watches.get(watch_id)
    assert watch.baseline == frozenset({5})
    assert (watch.state, watch.session_id, watch.connect_seconds) == (
        SessionState.WAITING,
        11,
        14,
    )
    assert rig.told_states(watch_id) == [SessionState.WAITING]


def test_at_the_first_look_only_a_lookalike_waiting_since_the_pin_is_the_pins(rig: Rig) -> None:
    watch_id = rig.issue()
    rig.rescue.set_queue(
        NODE,
        queued(5, S.PICKED_UP, waiting=1),  # taken just now: whose, a look cannot tell
        queued(6, waiting=1, custom1="another case"),  # new, but not these fields
        queued(7, waiting=4),  # waiting since before the PIN (5 s ago, give or take 2)
    )
    rig.poll()
    watch = rig.watches.get(watch_id)
    assert watch.baseline == frozenset({5, 6, 7})
    assert watch.state is SessionState.PENDING
    assert rig.told == []
