"""A PIN request's life after the modal closes: its turn, Rescue's answer, retries, outcome."""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bot import logs
from bot.domain import AuditEntry, Credential, Finished, Requester, StoreError
from bot.lanes import (
    MAX_PER_TECHNICIAN,
    MAX_WAIT,
    NOTE_AFTER,
    Lanes,
    NotSent,
    Places,
    QueueFull,
    Seats,
    StoreFailed,
    WaitedTooLong,
    pace_key,
)
from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import RESCUE_INTERVAL, Pin, PinRequest, ResultCode

logger = logging.getLogger(__name__)

# How long a request keeps retrying PollRateExceeded, counted from its turn.
RETRY_BUDGET = 10.0
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 3.0

Outcome = Pin | RescueError
# Called with the outcome and the id of its audit row (None when it was not recorded).
OnDone = Callable[[Outcome, Finished], None]
# Called, before the outcome, with the request's place in line (1 = being served) and the
# seconds its turn is expected in, when that is more than NOTE_AFTER away.
OnQueued = Callable[[int, float], None]


class PinSource(Protocol):
    """Anything that turns a PinRequest into a Pin: the Rescue client or a stand-in."""

    def request_lens_pin(self, request: PinRequest, *, auth_code: str) -> Pin:
        """Ask Rescue for a PIN; raise a RescueError on failure."""
        ...


class Pacer(Protocol):
    """Hands out turns so that calls sharing a key leave at most once per interval."""

    def wait_turn(self, key: str) -> None:
        """Block until this caller may make its call for key."""
        ...


class CredentialSource(Protocol):
    """Chooses the auth code for a technician's request (bot.accounts.Accounts)."""

    def credential_for(self, who: Requester) -> Credential:
        """The code to use, or raise NotSent (and subclasses) when there is none."""
        ...

    def refused(self, who: Requester, credential: Credential, error: Rejected) -> bool:
        """Note a refusal (or raise a clearer RescueError); True when a retry is worth it."""
        ...


class AuditLog(Protocol):
    """Where every PIN request is recorded (bot.store.Store)."""

    def record_request(self, entry: AuditEntry) -> int:
        """Keep one request's record."""
        ...


def outcome_label(outcome: Outcome) -> str:
    """A short, stable name for an outcome, for the audit trail and logs."""
    if isinstance(outcome, Pin):
        return "OK"
    if isinstance(outcome, Rejected):
        return outcome.code.name
    if isinstance(outcome.__cause__, Rejected):
        return outcome.__cause__.code.name
    return {Timeout: "TIMEOUT", Unavailable: "UNAVAILABLE"}.get(
        type(outcome), "NOT_SENT" if isinstance(outcome, NotSent) else "ERROR"
    )


@dataclass
class _Job:
    """One PIN request on its way: chosen code, turn in its code's queue, outcome."""

    requester: Requester
    request: PinRequest
    on_done: OnDone
    request_id: str
    requested_at: datetime
    started: float
    # Submission order: a lane keeps it, however long choosing each code took.
    seq: int
    on_queued: OnQueued | None = None
    future: Future[None] = field(default_factory=Future)
    credential: Credential | None = None
    # A refused SSO code is swapped for a fresh one once, never more.
    refreshed: bool = False

    @property
    def who(self) -> tuple[str, str]:
        """The technician, for the lane's turns and cap."""
        return (self.requester.team_id, self.requester.user_id)


class PinService:
    """Runs PIN requests on its own threads, so slow Rescue calls never hold up Slack acks.

    Each auth code has its own queue (a lane, bot.lanes) served by one thread, so a burst on
    the shared code holds up neither those with their own code nor, beyond a turn each, a
    colleague on the same code: technicians take turns, a few requests each at most, and a
    request that waits too long is answered without reaching Rescue.
    """

    def __init__(
        self,
        rescue: PinSource,
        *,
        credentials: CredentialSource,
        audit: AuditLog | None = None,
        pacer: Callable[[Callable[[float], None]], Pacer],
        workers: int = 8,
        retry_budget: float = RETRY_BUDGET,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        max_wait: float = MAX_WAIT,
        per_technician: int = MAX_PER_TECHNICIAN,
        seats: Seats | None = None,
    ) -> None:
        self._rescue = rescue
        self._credentials = credentials
        self._audit = audit
        self._stopping = threading.Event()
        self._sleep = sleep or self._pause
        # The pacer is built with the service's sleep, so a stop ends its waits at once too.
        self._pacer = pacer(self._sleep)
        self._retry_budget = retry_budget
        self._clock = clock
        self._max_wait = max_wait
        self._per_technician = per_technician
        self._places = Places(seats, limit=per_technician)
        # Short work only (choosing a code, recording, delivering): waits happen in lanes.
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lenspin-pin")
        self._lock = threading.Lock()
        # One thread serves each lane while it exists.
        self._lanes: Lanes[_Job] = Lanes(interval=RESCUE_INTERVAL, per_technician=per_technician)
        self._lane_threads: set[threading.Thread] = set()
        self._submitted = itertools.count()

    def submit(
        self,
        requester: Requester,
        request: PinRequest,
        on_done: OnDone,
        on_queued: OnQueued | None = None,
    ) -> Future[None]:
        """Queue a request; on_done gets the outcome, its audit row and code, on a PIN thread."""
        job = _Job(
            requester,
            request,
            on_done,
            request_id=uuid.uuid4().hex[:12],
            requested_at=datetime.now(UTC),
            started=self._clock(),
            seq=next(self._submitted),
            on_queued=on_queued,
        )
        self._executor.submit(self._route, job)
        return job.future

    def obtain(
        self,
        requester: Requester,
        request: PinRequest,
        credential: Credential,
        *,
        not_after: float | None = None,
    ) -> Pin:
        """Get a PIN now: wait for this code's turn, then retry Rescue's rate limit a while.

        With not_after, a turn that comes later than that raises WaitedTooLong instead.
        """
        key = pace_key(credential)
        self._wait_turn(key)
        started = self._clock()
        if not_after is not None and started > not_after:
            # Other processes share the pace: the turn itself can come late.
            raise WaitedTooLong(self._max_wait)
        deadline = started + self._retry_budget
        # The first retry takes the very next turn: a refusal right after pacing means the
        # call arrived a little early, not that someone else is using the code.
        backoff = 0.0
        attempts = 1
        while True:
            try:
                pin = self._rescue.request_lens_pin(request, auth_code=credential.auth_code)
            except Rejected as error:
                remaining = deadline - self._clock()
                if error.code is not ResultCode.POLL_RATE_EXCEEDED or remaining <= 0:
                    self._log(requester, error.code.name, started, attempts)
                    raise
                if backoff:
                    self._sleep(min(backoff, remaining))
                backoff = min(backoff * 1.5, MAX_BACKOFF) if backoff else FIRST_BACKOFF
                attempts += 1
                self._wait_turn(key)
            except RescueError as error:
                self._log(requester, type(error).__name__, started, attempts)
                raise
            else:
                self._log(requester, "OK", started, attempts)
                return pin

    def shutdown(self) -> None:
        """Stop: calls under way finish, and requests not yet sent are answered as NotSent."""
        with self._lock:
            self._stopping.set()
        # Lanes end once their queued requests are answered (at once, with NotSent).
        while True:
            with self._lock:
                lanes = list(self._lane_threads)
            if not lanes:
                break
            for thread in lanes:
                thread.join()
        self._executor.shutdown(wait=True)

    def _wait_turn(self, key: str) -> None:
        self._pacer.wait_turn(key)
        if self._stopping.is_set():
            raise NotSent("stopped before the request was sent")

    def _pause(self, seconds: float) -> None:
        # Waiting for a turn or a retry ends at once when the service stops.
        if self._stopping.wait(seconds):
            raise NotSent("stopped before the request was sent")

    def _route(self, job: _Job) -> None:
        """Choose the request's code, then queue it behind earlier requests for that code."""
        # Every line this request logs, on any thread, carries its id.
        logs.request_id.set(job.request_id)
        try:
            job.credential = self._credentials.credential_for(job.requester)
        except RescueError as error:
            self._finish(job, error)
            return
        except StoreError as error:
            logger.warning("Choosing a code for %s failed: %s", job.requester.user_id, error)
            self._finish(job, StoreFailed(error))
            return
        except Exception:
            logger.exception("Choosing a code for %s failed unexpectedly", job.requester.user_id)
            self._finish(job, RescueError("unexpected failure"))
            return
        key = pace_key(job.credential)
        ahead: int | None = None
        expected = 0.0
        seated = self._places.take(key, job.requester, job.request_id)
        with self._lock:
            stopping = self._stopping.is_set()
            if not stopping and seated:
                new, ahead, expected = self._lanes.join(key, job)
                if new:
                    self._start_lane(key)
        if stopping:
            self._finish(job, NotSent("stopped before the request was sent"))
        elif ahead is None:
            self._finish(job, QueueFull(self._per_technician))
        elif job.on_queued is not None and expected > NOTE_AFTER:
            try:
                job.on_queued(ahead + 1, expected)
            except Exception:
                logger.exception("Telling %s their place in line failed", job.requester.user_id)

    def _start_lane(self, key: str) -> None:
        # Called with the lock held. Daemon: a process that exits without shutdown() must
        # not hang on a lane waiting for its turn.
        thread = threading.Thread(target=self._drain, args=(key,), name="lenspin-lane", daemon=True)
        self._lane_threads.add(thread)
        thread.start()

    def _drain(self, key: str) -> None:
        """Serve one code's requests, a turn at a time, until none is left."""
        while True:
            with self._lock:
                job = self._lanes.take(key)
                if job is None:
                    self._lane_threads.discard(threading.current_thread())
                    return
            began = self._clock()
            self._serve(job)
            now = self._clock()
            with self._lock:
                # Answered now rather than at their turn: they would not be sent anyway.
                expired = self._lanes.turn_taken(key, now - began, cutoff=now - self._max_wait)
            for old in expired:
                self._executor.submit(self._finish, old, WaitedTooLong(self._max_wait))

    def _serve(self, job: _Job) -> None:
        logs.request_id.set(job.request_id)
        credential = job.credential
        assert credential is not None  # set by _route before the job joins a lane
        outcome: Outcome
        if self._clock() - job.started > self._max_wait:
            self._executor.submit(self._finish, job, WaitedTooLong(self._max_wait))
            return
        try:
            outcome = self.obtain(
                job.requester, job.request, credential, not_after=job.started + self._max_wait
            )
        except Rejected as error:
            outcome = error
            try:
                if not job.refreshed and self._credentials.refused(
                    job.requester, credential, error
                ):
                    # A fresh SSO code: the same request goes again, in that code's lane.
                    job.refreshed = True
                    self._executor.submit(self._route, job)
                    return
            except RescueError as clearer:
                outcome = clearer
            except Exception:
                logger.exception("Handling a refusal for %s failed", job.requester.user_id)
        except RescueError as error:
            outcome = error
        except Exception:
            logger.exception("PIN request for %s failed unexpectedly", job.requester.user_id)
            outcome = RescueError("unexpected failure")
        # Recording and delivering happen off the lane, so the next request's turn is not late.
        self._executor.submit(self._finish, job, outcome)

    def _finish(self, job: _Job, outcome: Outcome) -> None:
        logs.request_id.set(job.request_id)
        try:
            audit_id = self._record(job, outcome)
            try:
                job.on_done(outcome, Finished(audit_id, job.credential))
            except Exception:
                logger.exception("Delivering the outcome to %s failed", job.requester.user_id)
        finally:
            self._places.release(job.request_id)  # after the answer: one write fewer before it
            job.future.set_result(None)

    def _record(self, job: _Job, outcome: Outcome) -> int | None:
        if self._audit is None or job.credential is None:
            return None
        entry = AuditEntry(
            team_id=job.requester.team_id,
            user_id=job.requester.user_id,
            enterprise_id=job.requester.enterprise_id,
            requested_at=job.requested_at,
            fields=job.request.fields,
            no_tech_console=job.request.no_tech_console,
            code_source=job.credential.source,
            result=outcome_label(outcome),
            latency_ms=round((self._clock() - job.started) * 1000),
            pin=outcome.code if isinstance(outcome, Pin) else None,
        )
        try:
            return self._audit.record_request(entry)
        except Exception:
            # The technician still gets their answer; the admin sees why the row is missing.
            logger.exception("Could not record the PIN request of user=%s", job.requester.user_id)
            return None

    def _log(self, requester: Requester, result: str, started: float, attempts: int) -> None:
        latency_ms = round((self._clock() - started) * 1000)
        logger.info(
            "PIN request team=%s user=%s result=%s attempts=%d took_ms=%d",
            requester.team_id,
            requester.user_id,
            result,
            attempts,
            latency_ms,
            extra={
                "team": requester.team_id,
                "user": requester.user_id,
                "result": result,
                "attempts": attempts,
                "latency_ms": latency_ms,
            },
        )
