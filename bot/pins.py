"""A PIN request's life after the modal closes: its turn, Rescue's answer, retries, outcome."""

from __future__ import annotations

import enum
import fcntl
import hashlib
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot import logs
from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import Pin, PinRequest, ResultCode

if TYPE_CHECKING:
    from bot.store import AuditEntry

logger = logging.getLogger(__name__)

# Rescue allows one PIN code per second per auth code (API-NOTES, "PIN codes"). Calls spaced
# exactly 1 s apart can arrive 0.99 s apart after network jitter, so keep a margin.
RESCUE_INTERVAL = 1.1
# How long a request keeps retrying PollRateExceeded, counted from its turn.
RETRY_BUDGET = 10.0
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 3.0

Outcome = Pin | RescueError
# Called with the outcome and the id of its audit row (None when it was not recorded).
OnDone = Callable[[Outcome, int | None], None]


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


class FilePacer:
    """A Pacer shared by every process on this machine: a key's last call time is a locked file.

    gunicorn runs several worker processes, and Rescue's limit is per auth code, not per process.
    """

    def __init__(
        self,
        directory: Path | None = None,
        interval: float = RESCUE_INTERVAL,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._directory = directory or Path(tempfile.gettempdir())
        self._interval = interval
        self._clock = clock
        self._sleep = sleep

    def wait_turn(self, key: str) -> None:
        """Return once this caller may call: the last call for key is an interval old."""
        path = self._directory / f"lenspin-pace-{key}"
        while True:
            # Only the last call's time is kept, never bookings ahead, so a process that
            # stops with requests queued leaves nothing behind for the next one to wait on.
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                now = self._clock()
                last = _read_float(os.pread(fd, 64, 0))
                # The monotonic clock restarts at boot: a time ahead of now is from before.
                # (Within a millisecond counts as due, so float rounding never spins the loop.)
                if last is None or last > now or now >= last + self._interval - 0.001:
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, repr(now).encode(), 0)
                    return
                wait = last + self._interval - now
            finally:
                os.close(fd)  # closing releases the lock
            self._sleep(wait)


def _read_float(raw: bytes) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None


@dataclass(frozen=True)
class Requester:
    """Who asked for a PIN, as Slack names them."""

    team_id: str
    user_id: str


class NotSent(RescueError):
    """The request never reached Rescue (the bot was stopping, or had no code to use)."""


class CodeSource(enum.Enum):
    """Where a request's auth code came from; recorded in the audit trail."""

    LINKED = "linked"
    SSO = "sso"
    SHARED = "shared"


@dataclass(frozen=True)
class Credential:
    """An auth code and where it came from."""

    auth_code: str = field(repr=False)
    source: CodeSource


class CredentialSource(Protocol):
    """Chooses the auth code for a technician's request (bot.accounts.Accounts)."""

    def credential_for(self, team_id: str, user_id: str) -> Credential:
        """The code to use, or raise NotSent (and subclasses) when there is none."""
        ...

    def refused(self, team_id: str, user_id: str, credential: Credential, error: Rejected) -> bool:
        """Note a refusal (or raise a clearer RescueError); True when a retry is worth it."""
        ...


class AuditLog(Protocol):
    """Where every PIN request is recorded (bot.store.Store)."""

    def record_request(self, entry: AuditEntry) -> int:
        """Keep one request's record."""
        ...


def _file_pacer(clock: Callable[[], float]) -> Callable[[Callable[[float], None]], Pacer]:
    return lambda sleep: FilePacer(clock=clock, sleep=sleep)


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


class PinService:
    """Runs PIN requests on its own threads, so slow Rescue calls never hold up Slack acks."""

    def __init__(
        self,
        rescue: PinSource,
        *,
        credentials: CredentialSource,
        audit: AuditLog | None = None,
        pacer: Callable[[Callable[[float], None]], Pacer] | None = None,
        workers: int = 8,
        retry_budget: float = RETRY_BUDGET,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._rescue = rescue
        self._credentials = credentials
        self._audit = audit
        self._stopping = threading.Event()
        self._sleep = sleep or self._pause
        # The pacer is built with the service's sleep, so a stop ends its waits at once too.
        self._pacer = (pacer or _file_pacer(clock))(self._sleep)
        self._retry_budget = retry_budget
        self._clock = clock
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lenspin-pin")

    def submit(self, requester: Requester, request: PinRequest, on_done: OnDone) -> Future[None]:
        """Queue a request; on_done gets the outcome and its audit row id, on a PIN thread."""
        return self._executor.submit(self._run, requester, request, on_done)

    def obtain(self, requester: Requester, request: PinRequest, credential: Credential) -> Pin:
        """Get a PIN now: wait for this code's turn, then retry Rescue's rate limit a while."""
        pace_key = hashlib.sha256(credential.auth_code.encode()).hexdigest()[:16]
        self._wait_turn(pace_key)
        started = self._clock()
        deadline = started + self._retry_budget
        backoff = FIRST_BACKOFF
        attempts = 1
        while True:
            try:
                pin = self._rescue.request_lens_pin(request, auth_code=credential.auth_code)
            except Rejected as error:
                remaining = deadline - self._clock()
                if error.code is not ResultCode.POLL_RATE_EXCEEDED or remaining <= 0:
                    self._log(requester, error.code.name, started, attempts)
                    raise
                self._sleep(min(backoff, remaining))
                backoff = min(backoff * 1.5, MAX_BACKOFF)
                attempts += 1
                self._wait_turn(pace_key)
            except RescueError as error:
                self._log(requester, type(error).__name__, started, attempts)
                raise
            else:
                self._log(requester, "OK", started, attempts)
                return pin

    def shutdown(self) -> None:
        """Stop: calls under way finish, and requests not yet sent are answered as NotSent."""
        self._stopping.set()
        self._executor.shutdown(wait=True)

    def _wait_turn(self, pace_key: str) -> None:
        self._pacer.wait_turn(pace_key)
        if self._stopping.is_set():
            raise NotSent("stopped before the request was sent")

    def _pause(self, seconds: float) -> None:
        # Waiting for a turn or a retry ends at once when the service stops.
        if self._stopping.wait(seconds):
            raise NotSent("stopped before the request was sent")

    def _run(self, requester: Requester, request: PinRequest, on_done: OnDone) -> None:
        # Every line this request logs, on this thread, carries its id.
        logs.request_id.set(uuid.uuid4().hex[:12])
        requested_at = datetime.now(UTC)
        started = self._clock()
        credential: Credential | None = None
        outcome: Outcome
        try:
            credential = self._credentials.credential_for(requester.team_id, requester.user_id)
            try:
                outcome = self.obtain(requester, request, credential)
            except Rejected as error:
                if not self._credentials.refused(
                    requester.team_id, requester.user_id, credential, error
                ):
                    raise
                # A fresh SSO code is the same technician's: same queue, safe to retry once.
                credential = self._credentials.credential_for(requester.team_id, requester.user_id)
                outcome = self.obtain(requester, request, credential)
        except RescueError as error:
            outcome = error
        except Exception:
            logger.exception("PIN request for %s failed unexpectedly", requester.user_id)
            outcome = RescueError("unexpected failure")
        audit_id = self._record(
            requester,
            request,
            credential=credential,
            outcome=outcome,
            requested_at=requested_at,
            started=started,
        )
        try:
            on_done(outcome, audit_id)
        except Exception:
            logger.exception("Delivering the outcome to %s failed", requester.user_id)

    def _record(
        self,
        requester: Requester,
        request: PinRequest,
        *,
        credential: Credential | None,
        outcome: Outcome,
        requested_at: datetime,
        started: float,
    ) -> int | None:
        if self._audit is None or credential is None:
            return None
        # Imported here: the store's pacer builds on this module.
        from bot.store import AuditEntry  # noqa: PLC0415

        entry = AuditEntry(
            team_id=requester.team_id,
            user_id=requester.user_id,
            requested_at=requested_at,
            name=request.name,
            custom1=request.custom1,
            custom2=request.custom2,
            custom3=request.custom3,
            custom4=request.custom4,
            custom5=request.custom5,
            tracking=request.tracking,
            no_tech_console=request.no_tech_console,
            code_source=credential.source.value,
            result=outcome_label(outcome),
            latency_ms=round((self._clock() - started) * 1000),
            pin=outcome.code if isinstance(outcome, Pin) else None,
        )
        try:
            return self._audit.record_request(entry)
        except Exception:
            # The technician still gets their answer; the admin sees why the row is missing.
            logger.exception("Could not record the PIN request of user=%s", requester.user_id)
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
