"""PinService: pacing per auth code, the PollRateExceeded retry budget, outcomes."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from bot.domain import CodeSource, Credential, Finished, Requester
from bot.pins import PinService, PinSource
from bot.rescue.errors import Rejected, RescueError, Timeout
from bot.rescue.models import RESCUE_INTERVAL, Pin, PinRequest, ResultCode
from tests.support import MemoryPacer

WHO = Requester(team_id="T1", user_id="U1")
REQUEST = PinRequest(name="Jane")
CODE = Credential("code-1", CodeSource.SHARED)


class Clock:
    """Virtual time: sleeping advances it, so pacing is checked without waiting."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Scripted:
    """A PinSource that answers from a script and notes when each call happened."""

    def __init__(self, clock: Clock, answers: Iterator[Pin | RescueError]) -> None:
        self.clock = clock
        self.answers = answers
        self.calls: list[tuple[float, str]] = []

    def request_lens_pin(self, request: PinRequest, *, auth_code: str) -> Pin:
        self.calls.append((self.clock(), auth_code))
        answer = next(self.answers)
        if isinstance(answer, RescueError):
            raise answer
        return answer


class Shared:
    """Every request uses one shared code, as with RESCUE_AUTH_CODE alone."""

    def credential_for(self, who: Requester) -> Credential:
        return Credential("code-1", CodeSource.SHARED)

    def refused(self, who: Requester, credential: Credential, error: Rejected) -> bool:
        return False


def rate_limited(times: int) -> Iterator[Pin | RescueError]:
    for _ in range(times):
        yield Rejected(ResultCode.POLL_RATE_EXCEEDED)
    while True:
        yield Pin("123456")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(clock: Clock) -> Callable[[PinSource], PinService]:
    def build(source: PinSource) -> PinService:
        return PinService(
            source,
            credentials=Shared(),
            pacer=lambda sleep: MemoryPacer(RESCUE_INTERVAL, clock=clock, sleep=sleep),
            clock=clock,
            sleep=clock.sleep,
            workers=2,
        )

    return build


def test_a_pin_comes_back_on_first_try(
    clock: Clock, service: Callable[[PinSource], PinService]
) -> None:
    source = Scripted(clock, rate_limited(0))
    assert service(source).obtain(WHO, REQUEST, CODE) == Pin("123456")
    assert source.calls == [(100.0, "code-1")]


def test_poll_rate_exceeded_is_retried_within_the_budget(
    clock: Clock, service: Callable[[PinSource], PinService]
) -> None:
    source = Scripted(clock, rate_limited(3))
    assert service(source).obtain(WHO, REQUEST, CODE) == Pin("123456")
    times = [t for t, _ in source.calls]
    assert len(times) == 4
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))
    assert times[-1] - times[0] <= 10.0


def test_poll_rate_exceeded_gives_up_after_about_ten_seconds(
    clock: Clock, service: Callable[[PinSource], PinService]
) -> None:
    source = Scripted(clock, rate_limited(1000))
    with pytest.raises(Rejected) as caught:
        service(source).obtain(WHO, REQUEST, CODE)
    assert caught.value.code is ResultCode.POLL_RATE_EXCEEDED
    first, last = source.calls[0][0], source.calls[-1][0]
    assert 8.0 <= last - first <= 11.0
    assert len(source.calls) >= 4


def test_other_rejections_are_not_retried(
    clock: Clock, service: Callable[[PinSource], PinService]
) -> None:
    source = Scripted(clock, iter([Rejected(ResultCode.NO_TECH_CONSOLE_RUNNING)]))
    with pytest.raises(Rejected):
        service(source).obtain(WHO, REQUEST, CODE)
    assert len(source.calls) == 1


def test_the_budget_starts_when_the_turn_comes(
    clock: Clock, service: Callable[[PinSource], PinService]
) -> None:
    source = Scripted(clock, rate_limited(0))
    pins = service(source)
    # Twelve technicians at once: the last one's turn comes 11 turns later, past one budget,
    # yet it still gets a PIN rather than a rate-limit message.
    results = [pins.obtain(Requester("T1", f"U{i}"), REQUEST, CODE) for i in range(12)]
    assert results == [Pin("123456")] * 12
    assert source.calls[-1][0] - source.calls[0][0] == pytest.approx(11 * RESCUE_INTERVAL)


def test_submit_hands_the_outcome_to_the_callback_off_the_caller_thread(
    clock: Clock, service: Callable[[PinSource], PinService]
) -> None:
    source = Scripted(clock, iter([Timeout("slow")]))
    pins = service(source)
    outcomes: list[object] = []
    threads: list[str] = []
    done = threading.Event()

    def on_done(outcome: object, finished: Finished) -> None:
        outcomes.append(outcome)
        threads.append(threading.current_thread().name)
        done.set()

    pins.submit(WHO, REQUEST, on_done).result(timeout=5)
    assert done.is_set()
    assert isinstance(outcomes[0], Timeout)
    assert threads[0].startswith("lenspin-pin")


def test_a_bug_becomes_a_generic_failure_and_a_failing_callback_is_contained(
    service: Callable[[PinSource], PinService],
) -> None:
    class Broken:
        def request_lens_pin(self, request: PinRequest, *, auth_code: str) -> Pin:
            raise KeyError("bug")

    pins = service(Broken())
    outcomes: list[object] = []
    pins.submit(WHO, REQUEST, lambda outcome, _: outcomes.append(outcome)).result(timeout=5)
    assert type(outcomes[0]) is RescueError

    def explode(_: object, __: int | None) -> None:
        raise RuntimeError("delivery bug")

    # The future completes normally: a delivery bug must not kill the PIN thread.
    pins.submit(WHO, REQUEST, explode).result(timeout=5)
    pins.shutdown()


class Recorder:
    """A thread-safe PinSource that answers at once and notes who called, in order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []

    def request_lens_pin(self, request: PinRequest, *, auth_code: str) -> Pin:
        with self.lock:
            self.calls.append((auth_code, request.name))
        return Pin("123456")


class OwnCodeFor:
    """Users named in own have their own code; everyone else shares code-1."""

    def __init__(self, *own: str) -> None:
        self.own = set(own)

    def credential_for(self, who: Requester) -> Credential:
        if who.user_id in self.own:
            return Credential(f"own-{who.user_id}", CodeSource.LINKED)
        return Credential("code-1", CodeSource.SHARED)

    def refused(self, who: Requester, credential: Credential, error: Rejected) -> bool:
        return False


def real_time_service(source: PinSource, interval: float) -> PinService:
    return PinService(
        source,
        credentials=OwnCodeFor("UOWN"),
        pacer=lambda sleep: MemoryPacer(interval, sleep=sleep),
        workers=8,
    )


def test_one_code_serves_its_requests_in_the_order_they_came() -> None:
    source = Recorder()
    pins = real_time_service(source, 0.02)
    futures = [
        pins.submit(Requester("T1", f"U{i}"), PinRequest(name=f"n{i:02}"), lambda *_: None)
        for i in range(30)
    ]
    for future in futures:
        future.result(timeout=10)
    pins.shutdown()
    assert [name for _, name in source.calls] == [f"n{i:02}" for i in range(30)]


def test_a_queue_on_the_shared_code_does_not_hold_up_a_technician_with_their_own() -> None:
    source = Recorder()
    # More shared-code requests than PIN threads, each waiting its 0.1 s turn.
    pins = real_time_service(source, 0.1)
    shared = [
        pins.submit(Requester("T1", f"U{i}"), PinRequest(name="shared"), lambda *_: None)
        for i in range(20)
    ]
    own = pins.submit(Requester("T1", "UOWN"), PinRequest(name="own"), lambda *_: None)
    own.result(timeout=10)
    for future in shared:
        future.result(timeout=10)
    pins.shutdown()
    order = [name for _, name in source.calls]
    # Its code was free: it went out while the shared queue was still near its start.
    assert order.index("own") <= 4, order
    assert order.count("shared") == 20


def test_shutdown_answers_every_queued_request_without_waiting_for_turns() -> None:
    source = Recorder()
    pins = real_time_service(source, 60.0)
    outcomes: list[object] = []
    futures = [
        pins.submit(
            Requester("T1", f"U{i}"), PinRequest(name=f"n{i}"), lambda o, _: outcomes.append(o)
        )
        for i in range(5)
    ]
    futures[0].result(timeout=10)
    started = time.monotonic()
    pins.shutdown()
    # The next turn is a minute away; stopping must not wait for it.
    assert time.monotonic() - started < 30
    assert all(future.done() for future in futures)
    assert outcomes[0] == Pin("123456")
    assert [type(o).__name__ for o in outcomes[1:]] == ["NotSent"] * 4
    assert len(source.calls) == 1


def test_the_first_retry_takes_the_next_turn_and_later_ones_back_off(
    clock: Clock, service: Callable[[PinSource], PinService]
) -> None:
    source = Scripted(clock, rate_limited(3))
    assert service(source).obtain(WHO, REQUEST, CODE) == Pin("123456")
    times = [t for t, _ in source.calls]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[0] == pytest.approx(RESCUE_INTERVAL)
    assert gaps[1] == pytest.approx(max(RESCUE_INTERVAL, 1.0))
    assert gaps[2] == pytest.approx(1.5)
