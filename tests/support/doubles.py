"""In-memory doubles for the database and Rescue, where those are not what is tested.

MemoryStore implements bot.app.StoreApi and MemoryRescue implements bot.app.RescueApi, so
create_app() runs on them in one process (tests/scenario/).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.domain import AuditEntry, AuditRecord, Link, LinkSource, Requester, StoreError
from bot.rescue.errors import Rejected, RescueError
from bot.rescue.models import Account, AccountResult, AuthResult, Pin, PinRequest


class MemoryPacer:
    """The database pacer's rule in one process: a key's calls leave an interval apart."""

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait_turn(self, key: str) -> None:
        """Return once the last call for key is an interval old; never book ahead."""
        while True:
            with self._lock:
                now = self._clock()
                last = self._last.get(key)
                if last is None or now >= last + self._interval - 0.001:
                    self._last[key] = now
                    return
                wait = last + self._interval - now
            self._sleep(wait)


class MemorySeats:
    """The database's places in line in one process: (key, technician) per request id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, tuple[str, str, str]] = {}

    def take(self, key: str, requester: Requester, request_id: str, *, limit: int) -> bool:
        place = (key, requester.team_id, requester.user_id)
        with self._lock:
            if sum(held == place for held in self._held.values()) >= limit:
                return False
            self._held[request_id] = place
            return True

    def release(self, request_id: str) -> None:
        with self._lock:
            self._held.pop(request_id, None)

    @property
    def held(self) -> int:
        """How many places are taken."""
        with self._lock:
            return len(self._held)


class MemoryStore:
    """bot.app.StoreApi in memory: links, audit rows with ids, and a MemoryPacer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._links: dict[tuple[str, str], Link] = {}
        self._audit: list[AuditRecord] = []
        self._ids = itertools.count(1)
        self.purges: list[datetime] = []
        self.pacing_purges: list[datetime] = []
        self.watch_purges: list[datetime] = []
        # One for the store, as the database is one for every process.
        self.places = MemorySeats()
        # Set to a StoreError to make every link and audit read or write raise it.
        self.down: StoreError | None = None

    def _up(self) -> None:
        if self.down is not None:
            raise self.down

    # Links

    def get_link(self, team_id: str, user_id: str) -> Link | None:
        self._up()
        with self._lock:
            return self._links.get((team_id, user_id))

    def save_link(
        self,
        *,
        team_id: str,
        user_id: str,
        auth_code: str,
        email: str,
        organization: str,
        source: LinkSource,
    ) -> Link:
        self._up()
        link = Link(
            team_id=team_id,
            user_id=user_id,
            auth_code=auth_code,
            email=email,
            organization=organization,
            source=source,
            linked_at=datetime.now(UTC),
            stale=False,
        )
        with self._lock:
            self._links[(team_id, user_id)] = link
        return link

    def mark_link_stale(self, team_id: str, user_id: str) -> None:
        with self._lock:
            link = self._links.get((team_id, user_id))
            if link is not None:
                self._links[(team_id, user_id)] = replace(link, stale=True)

    def delete_link(self, team_id: str, user_id: str) -> bool:
        self._up()
        with self._lock:
            return self._links.pop((team_id, user_id), None) is not None

    # The audit trail

    def record_request(self, entry: AuditEntry) -> int:
        self._up()
        with self._lock:
            record = AuditRecord(**{**vars(entry), "id": next(self._ids)})
            self._audit.append(record)
            return record.id

    def recent_requests(self, team_id: str, user_id: str, limit: int = 10) -> list[AuditRecord]:
        self._up()
        with self._lock:
            own = [r for r in self._audit if (r.team_id, r.user_id) == (team_id, user_id)]
        return sorted(own, key=lambda r: (r.requested_at, r.id), reverse=True)[:limit]

    def get_request(self, request_id: int, team_id: str, user_id: str) -> AuditRecord | None:
        self._up()
        with self._lock:
            return next(
                (
                    r
                    for r in self._audit
                    if (r.id, r.team_id, r.user_id) == (request_id, team_id, user_id)
                ),
                None,
            )

    def purge_audit(self, older_than: datetime) -> int:
        with self._lock:
            self.purges.append(older_than)
            kept = [r for r in self._audit if r.requested_at >= older_than]
            purged = len(self._audit) - len(kept)
            self._audit = kept
            return purged

    def purge_pacing(self, older_than: datetime) -> int:
        with self._lock:
            self.pacing_purges.append(older_than)
            return 0

    def purge_watches(self, older_than: datetime) -> int:
        with self._lock:
            self.watch_purges.append(older_than)
            return 0

    @property
    def audit(self) -> list[AuditRecord]:
        """Every audit row kept, oldest first."""
        with self._lock:
            return list(self._audit)

    def pacer(self, *, interval: float, sleep: Callable[[float], None]) -> MemoryPacer:
        return MemoryPacer(interval, sleep=sleep)

    def seats(self, *, lifetime: float) -> MemorySeats:
        return self.places


@dataclass(frozen=True)
class PinCall:
    """One request_lens_pin call MemoryRescue received."""

    request: PinRequest
    auth_code: str


class MemoryRescue:
    """bot.app.RescueApi in memory: PINs in sequence or scripted failures, known accounts."""

    def __init__(self, *, first_pin: int = 4821) -> None:
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._pins = itertools.count(first_pin)
        self._outcomes: deque[Pin | RescueError] = deque()
        self._accounts: dict[str, Account] = {}
        self._logins: dict[tuple[str, str], str] = {}
        self._sso: dict[str, str] = {}
        self.pin_calls: list[PinCall] = []
        # The emails of password sign-ins, and the codes get_account was asked about.
        self.sign_ins: list[str] = []
        self.account_lookups: list[str] = []

    def script(self, *outcomes: Pin | RescueError) -> None:
        """Answer the next PIN requests with these, in order; then PINs in sequence again."""
        with self._lock:
            self._outcomes.extend(outcomes)

    def add_account(
        self,
        auth_code: str,
        *,
        email: str = "tech@example.com",
        organization: str = "Example Support",
        login: str | None = None,
        sso_id: str | None = None,
        console_running: bool = True,
    ) -> Account:
        """An account Rescue knows by auth_code; login is a password that gets that code."""
        account = Account(
            account_id=1000 + len(self._accounts),
            organization=organization,
            admin_id=1,
            tech_id=2000 + len(self._accounts),
            email=email,
            console_running=console_running,
        )
        with self._lock:
            self._accounts[auth_code] = account
            if login is not None:
                self._logins[(email, login)] = auth_code
            if sso_id is not None:
                self._sso[sso_id] = auth_code
        return account

    def request_lens_pin(self, request: PinRequest, *, auth_code: str) -> Pin:
        with self._cond:
            self.pin_calls.append(PinCall(request, auth_code))
            self._cond.notify_all()
            outcome = self._outcomes.popleft() if self._outcomes else None
            if outcome is None:
                outcome = Pin(f"{next(self._pins) % 1_000_000:06d}")
        if isinstance(outcome, RescueError):
            raise outcome
        return outcome

    def request_auth_code(self, *, email: str, password: str) -> str:
        with self._lock:
            self.sign_ins.append(email)
            code = self._logins.get((email, password))
        if code is None:
            raise Rejected(AuthResult.INVALID)
        return code

    def request_auth_code_sso(self, *, sso_id: str, password: str, company_id: str) -> str:
        with self._lock:
            code = self._sso.get(sso_id)
        if code is None:
            raise Rejected(AuthResult.INVALID)
        return code

    def get_account(self, auth_code: str) -> Account:
        with self._lock:
            self.account_lookups.append(auth_code)
            account = self._accounts.get(auth_code)
        if account is None:
            raise Rejected(AccountResult.INVALID_SECRET_AUTH_CODE)
        return account

    def wait_for_pin_calls(self, count: int, timeout: float = 5.0) -> list[PinCall]:
        """The first count PIN requests, waiting for them to arrive."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.pin_calls) >= count, timeout):
                raise AssertionError(f"MemoryRescue: {len(self.pin_calls)} of {count} PIN calls")
            return self.pin_calls[:count]
