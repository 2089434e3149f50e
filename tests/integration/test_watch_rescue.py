"""The Watcher on the real Rescue client, against the stand-in's scripted queues, on a database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from bot.accounts import Accounts
from bot.domain import (
    CodeSource,
    Credential,
    LinkSource,
    Policy,
    Requester,
    SessionState,
    Watch,
)
from bot.rescue.client import RescueClient
from bot.rescue.models import PinRequest
from bot.store import Keyring, Store
from bot.watch import Watcher
from tests.support import (
    DATABASE_KINDS,
    ENCRYPTION_KEY,
    PICKED_UP,
    WAITING,
    Customer,
    FakeRescue,
    Hang,
    ManualClock,
    MemoryRescue,
    Result,
    Stage,
    fresh_database,
)
from tests.support.records import entry

CODE = "watch-rescue-shared-code"
OWN = "watch-rescue-own-code"
ALICE = Requester("T1", "UALICE")
REQUEST = PinRequest(name="Jane Doe", custom1="Case 42", tracking="INC-1")


class Told:
    """on_change for the test: every change, and a way to wait for one."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.changes: list[Watch] = []

    def __call__(self, watch: Watch, _reply: str) -> None:
        with self._cond:
            self.changes.append(watch)
            self._cond.notify_all()

    def wait_for(self, state: SessionState, timeout: float = 10.0) -> Watch:
        with self._cond:
            if not self._cond.wait_for(
                lambda: any(w.state is state for w in self.changes), timeout
            ):
                raise AssertionError(f"never told {state}; told {[w.state for w in self.changes]}")
            return next(w for w in self.changes if w.state is state)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeRescue]:
    with FakeRescue(auth_codes=(CODE, OWN), rate_limit=None, clock=clock) as server:
        yield server


@pytest.fixture
def client(fake: FakeRescue) -> Iterator[RescueClient]:
    made = RescueClient(api_url=fake.url, timeout=2.0)
    yield made
    made.close()


@pytest.fixture(params=DATABASE_KINDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    made = Store.from_url(fresh_database(request.param), Keyring.from_setting(ENCRYPTION_KEY))
    yield made
    made.engine.dispose()


def watcher_for(store: Store, client: RescueClient, told: Told) -> Watcher:
    return Watcher(
        store.watches(),
        client,
        refusals=Accounts(
            links=store,
            rescue=MemoryRescue(),
            policy_of=lambda _who: Policy(allowed_users=frozenset({"*"}), shared_code=CODE),
        ),
        on_change=told,
        interval=0.1,
        validity=60.0,
        idle=0.5,
    )


def test_a_pins_session_is_found_followed_and_its_outcome_recorded(
    fake: FakeRescue, clock: ManualClock, client: RescueClient, store: Store
) -> None:
    node = fake.tech_id(CODE)
    # Someone with the same name and case has been waiting a minute: never this PIN's.
    fake.sessions.add(
        node,
        Customer(after=-60),
        fields={"sCustomField0": "Jane Doe", "sCustomField1": "Case 42"},
    )
    mine = fake.sessions.on_pin(
        node,
        Customer(
            after=5,
            stages=(
                Stage(WAITING, 20),
                Stage("SESSION_UACCESS_SCAN", 10, "Scanning"),
                Stage(PICKED_UP),
            ),
        ),
    )
    client.request_lens_pin(REQUEST, auth_code=CODE)
    audit_id = store.record_request(entry(name="Jane Doe"))
    told = Told()
    watcher = watcher_for(store, client, told)
    watcher.start()
    try:
        watcher.watch(ALICE, Credential(CODE, CodeSource.SHARED), REQUEST, audit_id, "reply")
        # A second look means the first (the baseline) was saved and its turn handed back.
        fake.sessions.wait_for_polls(node, 2)
        clock.advance(5)
        waiting = told.wait_for(SessionState.WAITING)
        assert (waiting.session_id, waiting.ambiguous, waiting.status_text) == (
            mine,
            False,
            "Waiting",
        )
        clock.advance(20)
        other = told.wait_for(SessionState.OTHER)
        assert other.status_text == "Scanning"
        clock.advance(10)
        picked = told.wait_for(SessionState.PICKED_UP)
        assert picked.session_id == mine
    finally:
        watcher.stop()
    (record,) = store.recent_requests("T1", "U1")
    assert record.session_state == "picked_up"
    assert record.connect_seconds is not None
    assert record.pickup_seconds is not None
    assert record.pickup_seconds >= record.connect_seconds
    polls = len(fake.sessions.polls(node))
    assert [w.state for w in told.changes] == [
        SessionState.WAITING,
        SessionState.OTHER,
        SessionState.PICKED_UP,
    ]
    assert store.watches().active(node) == []
    assert len(fake.sessions.polls(node)) == polls


def test_a_refused_linked_code_stops_the_watch_and_marks_the_link_stale(
    fake: FakeRescue, client: RescueClient, store: Store
) -> None:
    node = fake.tech_id(OWN)
    store.save_link(
        team_id="T1",
        user_id=ALICE.user_id,
        auth_code=OWN,
        email="alice@example.com",
        organization="Example Support",
        source=LinkSource.TOKEN,
    )
    fake.sessions.queue(node, Result("getSession_Invalid_SecretAuthCode"))
    told = Told()
    watcher = watcher_for(store, client, told)
    watcher.start()
    try:
        watcher.watch(ALICE, Credential(OWN, CodeSource.LINKED), REQUEST, None, "reply")
        stopped = told.wait_for(SessionState.STOPPED)
    finally:
        watcher.stop()
    assert stopped.node_id == node
    link = store.get_link("T1", ALICE.user_id)
    assert link is not None
    assert link.stale


def test_a_hanging_queue_delays_no_pin(
    fake: FakeRescue, client: RescueClient, store: Store
) -> None:
    node = fake.tech_id(CODE)
    fake.sessions.set_default(node, Hang())
    watcher = watcher_for(store, client, Told())
    watcher.start()
    try:
        watcher.watch(ALICE, Credential(CODE, CodeSource.SHARED), REQUEST, None, "reply")
        fake.sessions.wait_for_polls(node, 1)  # and it hangs, up to the client's 2 s
        started = time.monotonic()
        pin = client.request_lens_pin(REQUEST, auth_code=CODE)
        assert time.monotonic() - started < 1.0
        assert len(pin.code) == 6
    finally:
        watcher.stop()
