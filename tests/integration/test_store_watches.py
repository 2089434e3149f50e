"""Watched PINs in the database: secrets encrypted, leases for every process, restarts, purges."""

from __future__ import annotations

import io
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update

from bot.accounts import Accounts
from bot.audit import AuditPurger, write_csv
from bot.domain import (
    CodeSource,
    Credential,
    Policy,
    Requester,
    SessionState,
    Watch,
)
from bot.rescue.models import Account, PinRequest, QueueSession
from bot.store import Store, generate_key
from bot.store.models import WatchNodeRow
from bot.watch import Watcher
from tests.support import (
    ENCRYPTION_KEY,
    MemoryRescue,
    MemorySessions,
    MemoryStore,
    queued,
)
from tests.support.records import entry

AUTH_CODE = "WATCHED-AUTH-CODE-0123456789abcdefghijklmnopqrstuvwxyz"
REPLY = "https://hooks.slack.com/actions/T1/123/SECRETREPLYTOKEN"
ALICE = Requester("T1", "UALICE", "E1")
BOB = Requester("T1", "UBOB")
NODE = 3001

OpenStore = Callable[..., Store]


def a_watch(
    who: Requester = ALICE,
    *,
    node_id: int = NODE,
    name: str = "Jane Doe",
    audit_id: int | None = None,
    issued_at: datetime | None = None,
) -> Watch:
    issued = issued_at or datetime.now(UTC)
    return Watch(
        id=0,
        requester=who,
        audit_id=audit_id,
        node_id=node_id,
        credential=Credential(AUTH_CODE, CodeSource.LINKED),
        fields={
            "name": name,
            "custom1": "Case 42",
            "custom2": "",
            "custom3": "",
            "custom4": "",
            "custom5": "",
        },
        issued_at=issued,
        expires_at=issued + timedelta(minutes=20),
        updated_at=issued,
        reply=REPLY,
    )


def dump(store: Store, table: str) -> str:
    with store.engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608
    return repr(rows)


def test_a_watch_round_trips_with_its_code_and_reply_encrypted(open_store: OpenStore) -> None:
    store = open_store()
    watches = store.watches()
    watch_id = watches.add(a_watch())
    (kept,) = watches.active(NODE)
    assert kept == replace(
        a_watch(),
        id=watch_id,
        issued_at=kept.issued_at,
        expires_at=kept.expires_at,
        updated_at=kept.updated_at,
    )
    assert (kept.credential.auth_code, kept.reply) == (AUTH_CODE, REPLY)
    raw = dump(store, "lenspin_watches")
    assert AUTH_CODE not in raw
    assert "SECRETREPLYTOKEN" not in raw
    assert "hooks.slack.com" not in raw
    # The submitted fields are kept plain, as the audit trail keeps them.
    assert "Jane Doe" in raw
    assert "Case 42" in raw
    assert AUTH_CODE not in repr(kept)
    assert REPLY not in repr(kept)


def test_a_watchs_progress_round_trips(open_store: OpenStore) -> None:
    store = open_store()
    watches = store.watches()
    watch_id = watches.add(a_watch())
    (lease,), _ = watches.claim(interval=60.0, lease=60.0)
    (kept,) = watches.active(NODE)
    now = datetime.now(UTC)
    moved = replace(
        kept,
        baseline=frozenset({5, 6}),
        sessions={11: SessionState.OTHER, 12: SessionState.LEFT},
        ambiguous=True,
        state=SessionState.OTHER,
        status_text="Being scanned",
        status_since=now - timedelta(seconds=3),
        connected_at=now,
        expires_at=now + timedelta(hours=1),
        updated_at=now,
    )
    assert watches.save(lease, [moved])
    (again,) = watches.active(NODE)
    assert again == moved
    watches.set_reply(watch_id, "dm:D1:1700000000.0001", 0)
    (handled,) = watches.active(NODE)
    assert (handled.reply, handled.reply_uses) == ("dm:D1:1700000000.0001", 0)


def test_one_process_at_a_time_holds_a_queues_turn(open_store: OpenStore) -> None:
    first, second = open_store().watches(), open_store().watches()
    first.add(a_watch())
    second.add(a_watch(BOB, node_id=NODE + 1))
    leases, _ = first.claim(interval=60.0, lease=120.0)
    assert sorted(lease.node_id for lease in leases) == [NODE, NODE + 1]
    others, wait = second.claim(interval=60.0, lease=120.0)
    assert others == []
    assert wait is not None
    assert 100 < wait <= 120  # held until the leases run out, unless handed back sooner
    for lease in leases:
        first.release(lease, interval=60.0)
    others, wait = second.claim(interval=60.0, lease=120.0)
    assert others == []
    assert wait is not None
    assert 55 < wait <= 60  # the next turn: an interval after the lease came back


def test_an_answer_after_the_lease_ran_out_and_passed_on_is_not_saved(
    open_store: OpenStore,
) -> None:
    store = open_store()
    slow, quick = store.watches(), open_store().watches()
    slow.add(a_watch())
    (stale,), _ = slow.claim(interval=60.0, lease=120.0)
    # The slow process's lease and the interval ran out (it hung on Rescue): another claims.
    with store.engine.begin() as connection:
        connection.execute(update(WatchNodeRow).values(lease_until=0.0, next_poll=0.0))
    (fresh,), _ = quick.claim(interval=60.0, lease=120.0)
    assert fresh.token != stale.token
    (kept,) = slow.active(NODE)
    seen = replace(kept, baseline=frozenset({1}), updated_at=datetime.now(UTC))
    assert not slow.save(stale, [seen])
    slow.release(stale, interval=60.0)  # harmless: the lease is not its own any more
    assert slow.active(NODE)[0].baseline is None
    assert quick.save(fresh, [seen])
    assert slow.active(NODE)[0].baseline == frozenset({1})
    with store.engine.connect() as connection:
        token = connection.execute(select(WatchNodeRow.lease_token)).scalar_one()
    assert token == fresh.token


def test_a_final_watch_writes_its_outcome_to_the_audit_once(open_store: OpenStore) -> None:
    store = open_store()
    watches = store.watches()
    audit_id = store.record_request(entry(requested_at=datetime.now(UTC)))
    issued = datetime.now(UTC)
    watches.add(a_watch(audit_id=audit_id, issued_at=issued))
    (lease,), _ = watches.claim(interval=60.0, lease=60.0)
    (kept,) = watches.active(NODE)
    picked = replace(
        kept,
        state=SessionState.PICKED_UP,
        session_id=11,
        sessions={11: SessionState.PICKED_UP},
        connected_at=issued + timedelta(seconds=41),
        picked_up_at=issued + timedelta(seconds=95),
        updated_at=issued + timedelta(seconds=95),
    )
    assert watches.save(lease, [picked])
    assert watches.active(NODE) == []
    # A late answer from a process that had it before can no longer change a final row.
    assert watches.save(lease, [replace(kept, state=SessionState.WAITING)])
    (record,) = store.recent_requests("T1", "U1")
    assert (record.session_state, record.connect_seconds, record.pickup_seconds) == (
        "picked_up",
        41,
        95,
    )
    (shown,) = watches.of_technician("T1", ALICE.user_id, since=issued)
    assert shown.state is SessionState.PICKED_UP
    out = io.StringIO()
    write_csv(store.export_audit(issued - timedelta(minutes=1)), out)
    header, row = out.getvalue().splitlines()
    assert header.endswith("latency_ms,session_state,connect_seconds,pickup_seconds")
    assert row.endswith(",812,picked_up,41,95")


def test_each_technician_sees_only_their_own_watches(open_store: OpenStore) -> None:
    watches = open_store().watches()
    mine = watches.add(a_watch(ALICE))
    watches.add(a_watch(BOB, name="John Roe"))
    watches.add(a_watch(Requester("T2", ALICE.user_id)))  # the same id in another team
    since = datetime.now(UTC) - timedelta(minutes=10)
    assert [w.id for w in watches.of_technician("T1", ALICE.user_id, since=since)] == [mine]
    assert [w.requester for w in watches.of_technician("T1", BOB.user_id, since=since)] == [BOB]


def test_watching_off_stops_every_watch_and_says_so_in_the_audit(open_store: OpenStore) -> None:
    store = open_store()
    watches = store.watches()
    audit_id = store.record_request(entry(requested_at=datetime.now(UTC)))
    issued = datetime.now(UTC) - timedelta(minutes=2)
    watches.add(a_watch(audit_id=audit_id, issued_at=issued))
    watches.add(a_watch(BOB))
    assert watches.stop_all(datetime.now(UTC)) == 2
    assert watches.active(NODE) == []
    assert watches.claim(interval=1.0, lease=1.0) == ([], None)
    (record,) = store.recent_requests("T1", "U1")
    assert (record.session_state, record.connect_seconds) == ("stopped", None)


def test_the_audit_purge_takes_watches_ended_a_day_ago_and_forgotten_ones(
    open_store: OpenStore,
) -> None:
    store = open_store()
    watches = store.watches()
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=3)
    ended_old = watches.add(a_watch(issued_at=long_ago))
    ended_new = watches.add(a_watch(issued_at=now))
    forgotten = watches.add(a_watch(BOB, node_id=NODE + 1, issued_at=long_ago))
    running = watches.add(a_watch(BOB, issued_at=now))
    leases, _ = watches.claim(interval=60.0, lease=60.0)
    (lease,) = [lease for lease in leases if lease.node_id == NODE]
    old, new, _running = watches.active(NODE)
    assert watches.save(
        lease,
        [
            replace(old, state=SessionState.UNUSED, updated_at=long_ago),
            replace(new, state=SessionState.LEFT, updated_at=now),
        ],
    )
    for each in leases:
        watches.release(each, interval=60.0)
    AuditPurger(store, days=30).purge_now()
    kept = {w.id for w in watches.of_technician("T1", ALICE.user_id, since=long_ago)}
    kept |= {w.id for w in watches.of_technician("T1", BOB.user_id, since=long_ago)}
    assert kept == {ended_new, running}
    assert ended_old not in kept
    assert forgotten not in kept
    with store.engine.connect() as connection:
        nodes = connection.execute(select(WatchNodeRow.node_id)).scalars().all()
    assert nodes == [NODE]  # the forgotten one's queue has nothing left to watch


def test_rotating_keys_rewrites_the_watches_secrets(open_store: OpenStore) -> None:
    old = open_store()
    old.watches().add(a_watch())
    new_key = generate_key()
    both = open_store(f"{new_key},{ENCRYPTION_KEY}")
    assert both.rotate_keys() == 1
    only_new = open_store(new_key)
    only_new.check_key()
    (kept,) = only_new.watches().active(NODE)
    assert (kept.credential.auth_code, kept.reply) == (AUTH_CODE, REPLY)


# Watchers on the database, on real time with short intervals.

INTERVAL = 0.3


class Tagged:
    """One process's view of a shared Rescue: its calls are Rescue's calls, tagged."""

    def __init__(
        self, rescue: MemorySessions, name: str, spans: list[tuple[int, str, float, float]]
    ):
        self._rescue = rescue
        self._name = name
        self._spans = spans
        self._lock = threading.Lock()

    def get_account(self, auth_code: str) -> Account:
        return self._rescue.get_account(auth_code)

    def get_sessions(self, auth_code: str, node_id: int) -> list[QueueSession]:
        started = time.monotonic()
        try:
            time.sleep(0.02)  # Rescue takes a moment to answer
            return self._rescue.get_sessions(auth_code, node_id)
        finally:
            with self._lock:
                self._spans.append((node_id, self._name, started, time.monotonic()))


def watcher_on(
    store: Store, rescue: Tagged | MemorySessions, told: list[Watch] | None = None
) -> Watcher:
    links = MemoryStore()
    return Watcher(
        store.watches(),
        rescue,
        refusals=Accounts(
            links=links,
            rescue=MemoryRescue(),
            policy_of=lambda _who: Policy(),
        ),
        on_change=lambda watch, _reply: told.append(watch) if told is not None else None,
        interval=INTERVAL,
        validity=60.0,
        lease=10.0,
        idle=0.5,
    )


def test_two_processes_ask_each_queue_once_per_interval_between_them(
    open_store: OpenStore,
) -> None:
    rescue = MemorySessions()
    spans: list[tuple[int, str, float, float]] = []
    nodes = [NODE, NODE + 1, NODE + 2]
    watchers = [
        watcher_on(open_store(), Tagged(rescue, name, spans)) for name in ("web.1", "web.2")
    ]
    for index, node in enumerate(nodes):
        code = f"code-of-node-{node}"
        rescue.add_code(code, node)
        for technician in range(3):
            who = Requester("T1", f"U{index}{technician}")
            watchers[technician % 2].watch(
                who,
                Credential(code, CodeSource.LINKED),
                PinRequest(name=f"C{technician}"),
                None,
                "r",
            )
    for watcher in watchers:
        watcher.start()
    try:
        for node in nodes:
            deadline = time.monotonic() + 15
            while len(rescue.calls_for(node)) < 6:
                assert time.monotonic() < deadline, f"node {node}: {len(rescue.calls_for(node))}"
                rescue.wait_for_calls(len(rescue.calls) + 1, timeout=5)
    finally:
        for watcher in watchers:
            watcher.stop()
    for node in nodes:
        mine = sorted((s for s in spans if s[0] == node), key=lambda s: s[2])
        for before, after in itertools.pairwise(mine):
            # Never two at once, and the next an interval after the last one ended, whoever
            # of the two processes asked (a little slack for two clocks read a moment apart).
            assert after[2] - before[3] >= INTERVAL - 0.02, (node, before, after)
        # Nine PINs on three queues: each answer served all three of its queue's PINs.
        assert len(mine) == len(rescue.calls_for(node))
    asked = {name for _, name, _, _ in spans}
    print(f"calls per process: { {n: sum(s[1] == n for s in spans) for n in asked} }")


def test_a_new_watcher_on_the_same_database_goes_on_where_the_last_one_stopped(
    open_store: OpenStore,
) -> None:
    rescue = MemorySessions()
    rescue.add_code(AUTH_CODE, NODE)
    before = watcher_on(open_store(), rescue)
    before.start()
    before.watch(
        ALICE, Credential(AUTH_CODE, CodeSource.LINKED), PinRequest(name="Jane Doe"), None, REPLY
    )
    rescue.wait_for_calls(1)
    before.stop()  # a deploy: the process ends with the PIN still watched
    store = open_store()
    (kept,) = store.watches().active(NODE)
    assert kept.baseline == frozenset()
    rescue.set_queue(NODE, queued(11))
    told: list[Watch] = []
    after = watcher_on(store, rescue, told)
    after.start()
    try:
        deadline = time.monotonic() + 10
        while not told:
            assert time.monotonic() < deadline, "the new process never told the change"
            rescue.wait_for_calls(len(rescue.calls) + 1, timeout=5)
    finally:
        after.stop()
    (change,) = told
    assert (change.state, change.session_id, change.reply) == (SessionState.WAITING, 11, REPLY)


def test_a_process_that_died_holding_a_turn_holds_it_only_until_its_lease_ends(
    open_store: OpenStore,
) -> None:
    dead = open_store().watches()
    rescue = MemorySessions()
    rescue.add_code(AUTH_CODE, NODE)
    dead.add(a_watch())
    (held,), _ = dead.claim(interval=INTERVAL, lease=1.0)  # and then it was killed
    died = time.monotonic()
    alive = watcher_on(open_store(), rescue)
    alive.start()
    try:
        rescue.wait_for_calls(1, timeout=10)
    finally:
        alive.stop()
    assert time.monotonic() - died >= 1.0 - 0.05
    assert held.node_id == NODE
