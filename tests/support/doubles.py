"""In-memory doubles for the database and Rescue, where those are not what is tested.

MemoryStore implements bot.app.StoreApi and MemoryRescue implements bot.app.RescueApi, so
create_app() runs on them in one process (tests/scenario/).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain import (
    SESSION_KEYS,
    AuditEntry,
    AuditRecord,
    ConnectLink,
    Installation,
    Link,
    LinkSource,
    NodeLease,
    Policy,
    PolicyChange,
    Requester,
    SessionState,
    StoreError,
    Watch,
    Workspace,
)
from bot.rescue.errors import Rejected, RescueError
from bot.rescue.models import (
    Account,
    AccountResult,
    AuthResult,
    Pin,
    PinRequest,
    QueueSession,
    SessionResult,
    SessionStatus,
)
from bot.slack.installs import BOT_SCOPES


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


class MemoryConnectLinks:
    """bot.connect.LinkKeeper in memory, failing with its store when the store is down."""

    def __init__(self, up: Callable[[], None]) -> None:
        self._up = up
        self._lock = threading.Lock()
        self.links: dict[str, ConnectLink] = {}

    def add_connect_link(self, link: ConnectLink) -> None:
        self._up()
        with self._lock:
            self.links[link.token_hash] = link

    def get_connect_link(self, token_hash: str) -> ConnectLink | None:
        self._up()
        with self._lock:
            return self.links.get(token_hash)

    def spend_connect_try(self, token_hash: str, *, now: datetime, most: int) -> ConnectLink | None:
        self._up()
        with self._lock:
            link = self.links.get(token_hash)
            if link is None or link.used or link.expires_at <= now or link.attempts >= most:
                return None
            self.links[token_hash] = replace(link, attempts=link.attempts + 1)
            return self.links[token_hash]

    def close_connect_link(self, token_hash: str) -> None:
        self._up()
        with self._lock:
            self.links[token_hash] = replace(self.links[token_hash], used=True)

    def forget(self, workspace: Workspace) -> None:
        """Delete the links of workspace's people (MemoryWorkspaces.forget_workspace)."""
        with self._lock:
            self.links = {
                key: link for key, link in self.links.items() if not workspace.holds(link.requester)
            }


def installation(
    workspace: Workspace,
    *,
    bot_token: str,
    name: str = "",
    refresh_token: str = "",
    expires_at: datetime | None = None,
    installed_at: datetime | None = None,
) -> Installation:
    """An install of workspace as "Add to Slack" leaves it, with this bot token (and, rotating,
    its refresh token and expiry); name: the workspace's (or org's), else its id; installed
    now unless told."""
    return Installation(
        workspace=workspace,
        team_name=(name or workspace.team_id) if workspace.team_id else "",
        enterprise_name="" if workspace.team_id else (name or workspace.enterprise_id),
        app_id="A0LENSPIN",
        bot_id="B0LENSPINBOT",
        bot_user_id="U0LENSPINBOT",
        bot_scopes=",".join(BOT_SCOPES),
        bot_token=bot_token,
        bot_refresh_token=refresh_token,
        bot_token_expires_at=expires_at,
        installer_user_id="U0INSTALLER",
        installed_at=installed_at or datetime.now(UTC),
    )


def _people(workspace: Workspace) -> Workspace:
    """workspace, checked as the database checks it: Workspace() names nobody's rows."""
    if not workspace.enterprise_id and not workspace.team_id:
        raise ValueError("a workspace has a team id, or an enterprise id for an org-wide install")
    return workspace


class MemoryWorkspaces:
    """bot.workspaces.WorkspaceStore in memory, with the database's rules: a state is good
    once until it expires, settings and their change are saved together, a change never
    holds a secret's value, and forgetting a workspace forgets its people's records in the
    MemoryStore that holds it (forget_people)."""

    def __init__(
        self,
        *,
        up: Callable[[], None] = lambda: None,
        forget_people: Callable[[Workspace], None] = lambda workspace: None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._up = up
        self._forget_people = forget_people
        self._now = now
        self._lock = threading.Lock()
        self._forgotten = threading.Condition(self._lock)
        self._installs: dict[Workspace, Installation] = {}
        self._states: dict[str, datetime] = {}
        self._policies: dict[Workspace, Policy] = {}
        self.changes: list[PolicyChange] = []  # every change kept, oldest first
        self.forgotten: list[Workspace] = []  # every forget_workspace, in order

    def save_installation(self, installation: Installation) -> None:
        self._up()
        with self._lock:
            self._installs[installation.workspace] = installation

    def find_installation(self, workspace: Workspace) -> Installation | None:
        self._up()
        with self._lock:
            return self._installs.get(workspace)

    def installations(self) -> list[Installation]:
        self._up()
        with self._lock:
            kept = list(self._installs.values())
        return sorted(
            kept,
            key=lambda i: (i.installed_at, i.workspace.enterprise_id, i.workspace.team_id),
        )

    def issue_state(self, state: str, expires_at: datetime) -> None:
        self._up()
        if expires_at.utcoffset() is None:
            raise ValueError("expires_at must be timezone-aware, like datetime.now(UTC)")
        with self._lock:
            self._states[state] = expires_at

    def consume_state(self, state: str) -> bool:
        self._up()
        with self._lock:
            expires_at = self._states.get(state)
            if expires_at is None or expires_at <= self._now():
                return False  # an expired state stays until purge_states, as in the database
            del self._states[state]
            return True

    @property
    def states(self) -> list[str]:
        """The states issued and neither consumed nor purged, expired ones included."""
        with self._lock:
            return list(self._states)

    def purge_states(self, older_than: datetime) -> int:
        """Delete states that expired before older_than (MemoryStore.purge_pacing)."""
        with self._lock:
            old = [state for state, at in self._states.items() if at < older_than]
            for state in old:
                del self._states[state]
            return len(old)

    def get_policy(self, workspace: Workspace) -> Policy | None:
        self._up()
        with self._lock:
            return self._policies.get(workspace)

    def save_policy(self, workspace: Workspace, policy: Policy, change: PolicyChange) -> None:
        self._up()
        if change.workspace != workspace:
            raise ValueError("a settings change is recorded in the workspace it changed")
        secrets = {policy.shared_code, policy.sso_password} - {""}
        if any(value in secrets for value in change.values.values()):
            raise ValueError("a settings change names a secret setting, never its value")
        with self._lock:
            self._policies[workspace] = policy
            self.changes.append(change)

    def policy_changes(self, workspace: Workspace, limit: int = 20) -> list[PolicyChange]:
        self._up()
        with self._lock:
            own = [
                (c.changed_at, i, c) for i, c in enumerate(self.changes) if c.workspace == workspace
            ]
        return [c for _, _, c in sorted(own, key=lambda x: x[:2], reverse=True)][:limit]

    def forget_workspace(self, workspace: Workspace) -> None:
        self._up()
        _people(workspace)
        with self._lock:
            self._installs.pop(workspace, None)
            self._policies.pop(workspace, None)
        self._forget_people(workspace)
        with self._forgotten:
            self.forgotten.append(workspace)
            self._forgotten.notify_all()

    def wait_forgotten(self, count: int = 1, timeout: float = 5.0) -> list[Workspace]:
        """The first count workspaces forgotten, waiting for them (uninstalls run after the ack)."""
        with self._forgotten:
            if not self._forgotten.wait_for(lambda: len(self.forgotten) >= count, timeout):
                raise AssertionError(f"{len(self.forgotten)} of {count} workspaces forgotten")
            return self.forgotten[:count]

    def purge_changes(self, older_than: datetime, workspace: Workspace | None) -> int:
        """Delete changes made before older_than, of workspace only unless it is None."""
        with self._lock:
            kept = [
                c
                for c in self.changes
                if c.changed_at >= older_than or workspace not in (None, c.workspace)
            ]
            purged = len(self.changes) - len(kept)
            self.changes = kept
            return purged


class MemoryStore:
    """bot.app.StoreApi in memory: links, audit rows with ids, and a MemoryPacer; workspaces()
    is a MemoryWorkspaces whose forget_workspace forgets this store's links, connect links and
    watches of that workspace's people.

    watch_clock: the watches' clock (leases and turns), in seconds; a VirtualClock's time()
    makes their turns come only when a test says. now: the database's time for OAuth states.
    """

    def __init__(
        self,
        *,
        watch_clock: Callable[[], float] = time.time,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._lock = threading.Lock()
        self._links: dict[tuple[str, str], Link] = {}
        # Each link's enterprise ("" outside Enterprise Grid): what the database keeps beside it.
        self._link_enterprises: dict[tuple[str, str], str] = {}
        self._audit: list[AuditRecord] = []
        self._ids = itertools.count(1)
        self.purges: list[datetime] = []
        self.pacing_purges: list[datetime] = []
        self.watch_purges: list[datetime] = []
        # One for the store, as the database is one for every process.
        self.places = MemorySeats()
        # Set to a StoreError to make every link and audit read or write raise it.
        self.down: StoreError | None = None
        self.links_to_page = MemoryConnectLinks(self._up)
        # One for the store, as the database is one for every process. A watch that ends
        # writes its outcome into its audit row, as the database's does.
        self.watched = MemoryWatches(clock=watch_clock, on_final=self._session_ended)
        self.installs = MemoryWorkspaces(up=self._up, forget_people=self._forget_people, now=now)

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
        enterprise_id: str = "",
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
            self._link_enterprises[(team_id, user_id)] = enterprise_id
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

    def _session_ended(self, watch: Watch) -> None:
        """Write a final watch's outcome into its audit row (bot.store.watches does the same)."""
        if watch.audit_id is None:
            return
        with self._lock:
            self._audit = [
                replace(
                    r,
                    session_state=watch.state.value,
                    connect_seconds=watch.connect_seconds,
                    pickup_seconds=watch.pickup_seconds,
                )
                if r.id == watch.audit_id
                else r
                for r in self._audit
            ]

    def purge_audit(self, older_than: datetime, workspace: Workspace | None = None) -> int:
        held = None if workspace is None else _people(workspace)
        with self._lock:
            self.purges.append(older_than)
            kept = [
                r
                for r in self._audit
                if r.requested_at >= older_than
                or not (
                    held is None or held.holds(Requester(r.team_id, r.user_id, r.enterprise_id))
                )
            ]
            purged = len(self._audit) - len(kept)
            self._audit = kept
        return purged + self.installs.purge_changes(older_than, workspace)

    def purge_pacing(self, older_than: datetime) -> int:
        with self._lock:
            self.pacing_purges.append(older_than)
        return self.installs.purge_states(older_than)

    def _forget_people(self, workspace: Workspace) -> None:
        """Delete the links, connect links and watches of workspace's people."""
        with self._lock:
            gone = [
                key
                for key in self._links
                if workspace.holds(Requester(key[0], key[1], self._link_enterprises[key]))
            ]
            for key in gone:
                del self._links[key]
                del self._link_enterprises[key]
        self.links_to_page.forget(workspace)
        self.watched.forget(workspace)

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

    def connect_links(self) -> MemoryConnectLinks:
        return self.links_to_page

    def watches(self) -> MemoryWatches:
        return self.watched

    def workspaces(self) -> MemoryWorkspaces:
        return self.installs


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
        # Each Rescue technician's queue (by node id), as getSession_V3 would list it.
        self.queues: dict[int, list[QueueSession]] = {}
        self.session_calls: list[tuple[str, int]] = []

    def get_sessions(self, auth_code: str, node_id: int) -> list[QueueSession]:
        with self._lock:
            self.session_calls.append((auth_code, node_id))
            return list(self.queues.get(node_id, []))

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
        tech_id: int | None = None,
    ) -> Account:
        """An account Rescue knows by auth_code; login is a password that gets that code.

        tech_id: the technician's node (whose queue get_sessions lists in queues[tech_id]).
        """
        account = Account(
            account_id=1000 + len(self._accounts),
            organization=organization,
            admin_id=1,
            tech_id=2000 + len(self._accounts) if tech_id is None else tech_id,
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


class VirtualClock:
    """Time that moves only when a test says: as a datetime (the Watcher's) and as seconds."""

    def __init__(self, start: datetime = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)) -> None:
        self._lock = threading.Lock()
        self._now = start

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def time(self) -> float:
        with self._lock:
            return self._now.timestamp()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


class MemoryWatches:
    """bot.watch.WatchStore in memory, with the database's rules: leases, turns, final rows.

    Its clock stands for the database's (seconds); a VirtualClock's time() makes it virtual.
    on_final is told of each watch that ends (MemoryStore writes it into the audit row).
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        on_final: Callable[[Watch], None] = lambda watch: None,
    ) -> None:
        self._clock = clock
        self._on_final = on_final
        self._lock = threading.Lock()
        # Notified after every change, for wait_until.
        self._changed = threading.Condition(self._lock)
        self._ids = itertools.count(1)
        self._watches: dict[int, Watch] = {}
        # node id -> [next poll, lease token, lease until]
        self._nodes: dict[int, list[Any]] = {}
        self._tokens = itertools.count(1)
        # Set to a StoreError to make every call raise it.
        self.down: StoreError | None = None

    def _up(self) -> None:
        if self.down is not None:
            raise self.down

    def add(self, watch: Watch) -> int:
        self._up()
        with self._lock:
            self._changed.notify_all()
            watch_id = next(self._ids)
            self._watches[watch_id] = replace(watch, id=watch_id)
            self._nodes.setdefault(watch.node_id, [0.0, None, None])
            return watch_id

    def active(self, node_id: int) -> list[Watch]:
        self._up()
        with self._lock:
            return [
                w for _, w in sorted(self._watches.items()) if w.node_id == node_id and not w.final
            ]

    def of_technician(self, team_id: str, user_id: str, *, since: datetime) -> list[Watch]:
        self._up()
        with self._lock:
            return [
                w
                for _, w in sorted(self._watches.items(), reverse=True)
                if (w.requester.team_id, w.requester.user_id) == (team_id, user_id)
                and (not w.final or w.updated_at >= since)
            ]

    def save(self, lease: NodeLease, watches: Sequence[Watch]) -> bool:
        self._up()
        with self._lock:
            self._changed.notify_all()
            if self._nodes[lease.node_id][1] != lease.token:
                return False
            ended = []
            for watch in watches:
                if not self._watches[watch.id].final:
                    # What a look changes; the reply handle is set_reply's.
                    kept = self._watches[watch.id]
                    self._watches[watch.id] = replace(
                        watch, reply=kept.reply, reply_uses=kept.reply_uses
                    )
                    if watch.final:
                        ended.append(watch)
        for watch in ended:
            self._on_final(watch)
        return True

    def set_reply(self, watch_id: int, reply: str, uses: int) -> None:
        self._up()
        with self._lock:
            self._changed.notify_all()
            self._watches[watch_id] = replace(self._watches[watch_id], reply=reply, reply_uses=uses)

    def stop_all(self, now: datetime) -> int:
        self._up()
        with self._lock:
            self._changed.notify_all()
            active = [w for w in self._watches.values() if not w.final]
            for w in active:
                self._watches[w.id] = replace(w, state=SessionState.STOPPED, updated_at=now)
            ended = [self._watches[w.id] for w in active]
        for watch in ended:
            self._on_final(watch)
        return len(ended)

    def claim(self, *, interval: float, lease: float) -> tuple[list[NodeLease], float | None]:
        self._up()
        with self._lock:
            now = self._clock()
            leases: list[NodeLease] = []
            soonest: float | None = None
            for node_id, node in sorted(self._nodes.items()):
                if not any(w.node_id == node_id and not w.final for w in self._watches.values()):
                    continue
                next_poll, _, until = node
                if until is not None and until > now:
                    at = until
                elif next_poll <= now:
                    token = f"t{next(self._tokens)}"
                    self._nodes[node_id] = [now + interval, token, now + lease]
                    leases.append(NodeLease(node_id, token))
                    continue
                else:
                    at = next_poll
                soonest = at - now if soonest is None else min(soonest, at - now)
            return leases, soonest

    def release(self, lease: NodeLease, *, interval: float) -> None:
        self._up()
        with self._lock:
            self._changed.notify_all()
            next_poll, token, _ = self._nodes[lease.node_id]
            if token == lease.token:
                self._nodes[lease.node_id] = [
                    max(next_poll, self._clock() + interval),
                    None,
                    None,
                ]

    def forget(self, workspace: Workspace) -> None:
        """Delete the watches of workspace's people (MemoryWorkspaces.forget_workspace)."""
        with self._lock:
            self._changed.notify_all()
            self._watches = {
                i: w for i, w in self._watches.items() if not workspace.holds(w.requester)
            }

    def wait_until(self, predicate: Callable[[list[Watch]], bool], timeout: float = 5.0) -> None:
        """Return once predicate holds for every watch kept (oldest first), or fail."""
        with self._changed:
            if not self._changed.wait_for(
                lambda: predicate([w for _, w in sorted(self._watches.items())]), timeout
            ):
                raise AssertionError("MemoryWatches: the watches never got there")

    def get(self, watch_id: int) -> Watch:
        """A watch as kept now."""
        with self._lock:
            return self._watches[watch_id]

    @property
    def all(self) -> list[Watch]:
        """Every watch kept, oldest first."""
        with self._lock:
            return [w for _, w in sorted(self._watches.items())]


def queued(
    session_id: int,
    *name_and_status: str | SessionStatus,
    text: str | None = None,
    raw: str | None = None,
    waiting: int | None = 0,
    **custom: str,
) -> QueueSession:
    """A session in a queue, as RescueClient.get_sessions reads it: queued(11), queued(11,
    "John Roe"), queued(11, SessionStatus.PICKED_UP), queued(11, "John Roe", custom1="x")...

    By default Jane Doe's, waiting; text is sStatus (from the status's name by default).
    """
    name = next((x for x in name_and_status if isinstance(x, str)), "Jane Doe")
    status = next(
        (x for x in name_and_status if isinstance(x, SessionStatus)), SessionStatus.WAITING
    )
    unknown = set(custom) - set(SESSION_KEYS)
    if unknown:
        raise TypeError(f"queued(): no session field {', '.join(sorted(unknown))}")
    fields = {key: "" for key in SESSION_KEYS}
    fields.update(name=name, **custom)
    return QueueSession(
        session_id=session_id,
        status=status,
        status_text=text if text is not None else status.name.replace("_", " ").capitalize(),
        raw_status=raw if raw is not None else status.value,
        waiting_seconds=waiting,
        fields=fields,
        technician="",
    )


@dataclass(frozen=True)
class SessionCall:
    """One get_sessions call MemorySessions received, and when (time.monotonic)."""

    node_id: int
    auth_code: str
    at: float


class MemorySessions:
    """bot.watch.WatchRescue in memory: each node's queue as a test sets it, every call kept.

    Codes name their technician (get_account); a code marked refused gets the given result.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._queues: dict[int, list[QueueSession]] = {}
        self._techs: dict[str, int] = {}
        self._refused: dict[str, SessionResult] = {}
        self._failures: deque[RescueError] = deque()
        self.calls: list[SessionCall] = []
        self.account_lookups: list[str] = []
        # Queues whose get_sessions calls hang until let_go() (a Rescue that does not answer).
        self._held: set[int] = set()
        # Cleared: get_account hangs until it is set again.
        self.accounts_answering = threading.Event()
        self.accounts_answering.set()

    def add_code(self, auth_code: str, tech_id: int) -> None:
        with self._lock:
            self._techs[auth_code] = tech_id

    def set_queue(self, node_id: int, *sessions: QueueSession) -> None:
        with self._lock:
            self._queues[node_id] = list(sessions)

    def refuse(self, auth_code: str, result: SessionResult) -> None:
        with self._lock:
            self._refused[auth_code] = result

    def hold(self, *node_ids: int) -> None:
        """Calls for these queues hang until let_go()."""
        with self._lock:
            self._held.update(node_ids)

    def let_go(self) -> None:
        with self._cond:
            self._held.clear()
            self._cond.notify_all()

    def fail(self, *errors: RescueError) -> None:
        """The next calls raise these, in order."""
        with self._lock:
            self._failures.extend(errors)

    def get_account(self, auth_code: str) -> Account:
        self.accounts_answering.wait(30)
        with self._lock:
            self.account_lookups.append(auth_code)
            tech_id = self._techs.get(auth_code)
        if tech_id is None:
            raise Rejected(AccountResult.INVALID_SECRET_AUTH_CODE)
        return Account(
            account_id=1,
            organization="Example Support",
            admin_id=1,
            tech_id=tech_id,
            email=f"tech{tech_id}@example.com",
            console_running=True,
        )

    def get_sessions(self, auth_code: str, node_id: int) -> list[QueueSession]:
        with self._cond:
            self.calls.append(SessionCall(node_id, auth_code, time.monotonic()))
            self._cond.notify_all()
            self._cond.wait_for(lambda: node_id not in self._held, 30)
            if self._failures:
                raise self._failures.popleft()
            refused = self._refused.get(auth_code)
            if refused is not None:
                raise Rejected(refused)
            return list(self._queues.get(node_id, ()))

    def calls_for(self, node_id: int) -> list[SessionCall]:
        with self._lock:
            return [c for c in self.calls if c.node_id == node_id]

    def wait_for_calls(self, count: int, timeout: float = 5.0) -> list[SessionCall]:
        """The first count calls, waiting for them to arrive."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.calls) >= count, timeout):
                raise AssertionError(f"MemorySessions: {len(self.calls)} of {count} calls")
            return self.calls[:count]
