"""Fair lanes: turns by technician, a cap each, and requests too old never sent to Rescue."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

import pytest

from bot.domain import CodeSource, Credential, Requester, StoreUnavailable
from bot.lanes import MAX_WAIT, Lane, QueueFull, Seats, WaitedTooLong
from bot.pins import Outcome, PinService
from bot.rescue.errors import Rejected
from bot.rescue.models import RESCUE_INTERVAL, Pin, PinRequest
from tests.support import MemoryPacer, MemorySeats


@dataclass(frozen=True)
class Job:
    who: str
    seq: int
    started: float = 0.0


def names(jobs: list[Job]) -> list[str]:
    return [f"{job.who}{job.seq}" for job in jobs]


def test_technicians_take_turns_and_each_keeps_their_own_order() -> None:
    lane: Lane[Job] = Lane()
    assert [lane.join(Job("a", i)) for i in (1, 2, 3)] == [0, 1, 2]
    assert lane.take() == Job("a", 1)
    # A colleague arriving behind a flood waits for one of its requests, not all of them.
    assert lane.join(Job("b", 4)) == 2
    assert lane.join(Job("c", 5)) == 3
    assert names(lane.order()) == ["a2", "b4", "c5", "a3"]
    served = [lane.take() for _ in range(4)]
    assert names([job for job in served if job is not None]) == ["a2", "b4", "c5", "a3"]
    assert lane.take() is None


def test_a_request_whose_code_took_longer_to_choose_keeps_its_submitted_place() -> None:
    lane: Lane[Job] = Lane()
    lane.join(Job("a", 1))
    lane.take()
    for job in (Job("c", 4), Job("b", 3), Job("d", 2)):
        lane.join(job)
    lane.join(Job("a", 6))
    lane.join(Job("a", 5))
    # a5 and a6 came in reverse; a's turn came round after the three newcomers.
    assert names(lane.order()) == ["d2", "b3", "c4", "a5", "a6"]


def test_three_requests_each_at_most_the_one_being_served_included() -> None:
    lane: Lane[Job] = Lane()
    assert [lane.join(Job("a", i)) for i in range(5)] == [0, 1, 2, None, None]
    lane.take()
    assert lane.join(Job("a", 5)) is None  # a0 is still being served
    assert lane.join(Job("b", 6)) is not None
    lane.take()  # a0 done; a1 now served
    assert lane.join(Job("a", 7)) == 3
    assert len(lane) == 4


def test_requests_too_old_leave_the_line_and_the_turns() -> None:
    lane: Lane[Job] = Lane()
    lane.join(Job("a", 1, started=10.0))
    lane.take()
    lane.join(Job("a", 2, started=10.0))
    lane.join(Job("b", 3, started=12.0))
    lane.join(Job("c", 4, started=30.0))
    assert names(lane.drop_older_than(20.0)) == ["a2", "b3"]
    assert names(lane.order()) == ["c4"]


# PinService on virtual time: sleeping (pacing) and Rescue's slowness only move a clock.


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class SlowRescue:
    """Shared-code calls wait for `gate` to open, then take `seconds` of virtual time each."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock = clock
        self.seconds = seconds
        self.gate = threading.Event()
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def request_lens_pin(self, request: PinRequest, *, auth_code: str) -> Pin:
        if auth_code == "code-1":
            self.gate.wait(5)
            self.clock.sleep(self.seconds)
        with self._lock:
            self.calls.append(request.name)
        return Pin("123456")


class SharedButOne:
    """Everyone shares code-1 but UOWN, whose own code is a lane of its own."""

    def credential_for(self, who: Requester) -> Credential:
        if who.user_id == "UOWN":
            return Credential("own", CodeSource.LINKED)
        return Credential("code-1", CodeSource.SHARED)

    def refused(self, who: Requester, credential: Credential, error: Rejected) -> bool:
        return False


@dataclass
class Outcomes:
    """What each request ended in, and the places in line announced, by customer name."""

    done: dict[str, Outcome]
    queued: dict[str, tuple[int, float]]
    futures: dict[str, Future[None]]
    finish: Callable[[], None] = lambda: None


def run(
    clock: Clock,
    rescue: SlowRescue,
    requests: list[tuple[str, str]],
    *,
    seats: Seats | None = None,
    processes: int = 1,
) -> Outcomes:
    """Submit (user, name) requests in order, Rescue held; finish() lets it answer them all.

    With processes, the requests go round that many services sharing seats, as gunicorn's
    workers share the database.
    """
    # One PIN thread: requests are routed strictly in the order submitted.
    services = [
        PinService(
            rescue,
            credentials=SharedButOne(),
            pacer=lambda sleep: MemoryPacer(RESCUE_INTERVAL, clock=clock, sleep=sleep),
            clock=clock,
            sleep=clock.sleep,
            workers=1,
            seats=seats,
        )
        for _ in range(processes)
    ]
    result = Outcomes({}, {}, {})
    for index, (user, name) in enumerate(requests):
        service = services[index % processes]

        def done(outcome: Outcome, _: int | None, name: str = name) -> None:
            result.done[name] = outcome

        def queued(position: int, seconds: float, name: str = name) -> None:
            result.queued[name] = (position, seconds)

        result.futures[name] = service.submit(
            Requester("T1", user), PinRequest(name=name), done, queued
        )
    # Its own code: its answer means every request before it has joined its lane.
    for service in services:
        service.submit(Requester("T1", "UOWN"), PinRequest(name="own"), lambda *_: None).result(5)

    def finish() -> None:
        rescue.gate.set()
        for future in result.futures.values():
            future.result(timeout=5)
        for service in services:
            service.shutdown()

    result.finish = finish
    return result


def test_a_flood_is_capped_at_once_and_a_colleague_waits_one_turn_of_it() -> None:
    clock = Clock()
    rescue = SlowRescue(clock, 2.0)
    flood = [("UFLOOD", f"flood{i}") for i in range(8)]
    outcomes = run(clock, rescue, [*flood, ("UCOLLEAGUE", "colleague")])
    # Refused at once: answered while the first Rescue call is still held at the gate.
    refused = [f"flood{i}" for i in range(3, 8)]
    assert all(outcomes.futures[name].done() for name in refused)
    outcomes.finish()
    assert [type(outcomes.done[n]) for n in refused] == [QueueFull] * 5
    assert all(n not in rescue.calls for n in refused)
    shared = [c for c in rescue.calls if c != "own"]
    # First come, first served would have put the colleague fourth, after all three.
    assert shared.index("colleague") <= 2, shared
    assert [c for c in shared if c.startswith("flood")] == ["flood0", "flood1", "flood2"]


def test_a_request_that_waited_too_long_is_answered_and_never_sent() -> None:
    clock = Clock()
    # Rescue takes 16 s a call: the fourth in line would get its turn after 48 s.
    rescue = SlowRescue(clock, 16.0)
    outcomes = run(clock, rescue, [(f"U{i}", f"n{i}") for i in range(5)])
    outcomes.finish()
    assert [c for c in rescue.calls if c != "own"] == ["n0", "n1", "n2"]
    assert [type(outcomes.done[n]) for n in ("n3", "n4")] == [WaitedTooLong] * 2
    assert all(isinstance(outcomes.done[n], Pin) for n in ("n0", "n1", "n2"))
    assert 3 * 16.0 > MAX_WAIT > 2 * 16.0


def test_a_turn_more_than_three_seconds_away_is_announced_with_its_place() -> None:
    clock = Clock()
    rescue = SlowRescue(clock, 0.0)
    outcomes = run(clock, rescue, [(f"U{i}", f"n{i}") for i in range(6)])
    outcomes.finish()
    # n0 is served at once; n3 has three ahead of it (3.15 s at Rescue's pace), n4 four.
    assert set(outcomes.queued) == {"n3", "n4", "n5"}
    position, seconds = outcomes.queued["n3"]
    assert position == 4
    assert seconds == pytest.approx(3 * RESCUE_INTERVAL)
    assert outcomes.queued["n5"][0] == 6


def test_the_cap_counts_every_process_sharing_the_seats() -> None:
    clock = Clock()
    rescue = SlowRescue(clock, 2.0)
    seats = MemorySeats()
    flood = [("UFLOOD", f"flood{i}") for i in range(8)]
    # Two workers, the flood alternating between them: each alone would take three.
    outcomes = run(clock, rescue, flood, seats=seats, processes=2)
    # Which three got places depends on which worker routed first; that three did does not.
    refused = [name for name, future in outcomes.futures.items() if future.done()]
    assert len(refused) == 5
    outcomes.finish()
    assert [type(outcomes.done[n]) for n in refused] == [QueueFull] * 5
    sent = [c for c in rescue.calls if c != "own"]
    assert len(sent) == 3
    assert set(sent).isdisjoint(refused)
    # Every place was given back once its request was answered.
    assert seats.held == 0


class BrokenSeats:
    """The database failing while a place is taken."""

    def take(self, key: str, requester: Requester, request_id: str, *, limit: int) -> bool:
        raise StoreUnavailable("the database did not answer within 3 s", timed_out=True)

    def release(self, request_id: str) -> None:
        raise AssertionError("no place was taken, so none is given back")


def test_a_failing_database_leaves_the_cap_to_this_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    rescue = SlowRescue(clock, 2.0)
    outcomes = run(clock, rescue, [("UFLOOD", f"flood{i}") for i in range(5)], seats=BrokenSeats())
    outcomes.finish()
    # Nobody is refused for lenspin's own failure: the lane's cap of three still holds.
    assert [type(outcomes.done[f"flood{i}"]) for i in (3, 4)] == [QueueFull] * 2
    assert all(isinstance(outcomes.done[f"flood{i}"], Pin) for i in range(3))
    assert "counting them in this process only" in caplog.text
