"""Watching delivered PINs: each technician's Rescue queue asked politely, changes reported.

After a PIN is delivered, watch() notes it (on the Watcher's own threads: never the PIN's).
A runner thread takes each watched queue's turn when it is due (bot.store.watches: one
process at a time for every process sharing the database, an interval apart at least, only
while the queue has a PIN not yet final), asks getSession_V3 once with one of the queue's
codes, and shares the answer with every PIN watched there (bot.watch_rules). Each change is
reported through on_change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.accounts import STALE_CODES
from bot.domain import (
    CodeSource,
    Credential,
    NodeLease,
    Requester,
    StoreError,
    Watch,
    session_fields,
)
from bot.lanes import pace_key
from bot.rescue.errors import Rejected, RescueError
from bot.rescue.models import PinRequest, SessionResult
from bot.watch_ports import Refusals, WatchRescue, WatchStore
from bot.watch_rules import AFTER_CONNECT, BLIND_GRACE, blind, is_news, look, stopped

logger = logging.getLogger(__name__)

# Longest a process may hold a queue's turn: a Rescue answer (RESCUE_TIMEOUT, at most 120 s)
# plus telling the technicians. A process that dies holding it blocks the queue this long.
DEFAULT_LEASE = 180.0
# With nothing due, the runner still looks this often for watches other processes added.
IDLE_LOOK = 10.0
# After the database failed, the runner tries again this much later.
RETRY_AFTER = 5.0
# Never spin: the least time between two rounds of the runner.
MIN_PAUSE = 0.05
# Finished watches the Home tab still shows, by default.
RECENTLY = 600.0

# Called with a watch whose state changed, and the reply handle to tell its technician with
# (watch.reply_uses: how many changes that handle told before). Returns a new handle to use
# from now on (its uses start again at 0), or None to keep this one. Runs on a Watcher thread.
OnChange = Callable[[Watch, str], "str | None"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Watcher:
    """Watches delivered PINs' sessions; start() and stop() its runner thread explicitly."""

    def __init__(
        self,
        store: WatchStore,
        rescue: WatchRescue,
        *,
        refusals: Refusals,
        on_change: OnChange,
        interval: float,
        validity: float,
        enabled: bool = True,
        lease: float = DEFAULT_LEASE,
        after_connect: float = AFTER_CONNECT,
        grace: float = BLIND_GRACE,
        clock: Callable[[], datetime] = _utc_now,
        workers: int = 4,
        idle: float = IDLE_LOOK,
    ) -> None:
        self._store = store
        self._rescue = rescue
        self._refusals = refusals
        self._on_change = on_change
        self._interval = interval
        self._validity = timedelta(seconds=validity)
        self._enabled = enabled
        self._lease = lease
        self._after_connect = after_connect
        self._grace = grace
        self._clock = clock
        self._idle = idle
        # Adding watches and looking at queues; never a PIN thread. Threads start on use.
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lenspin-watch")
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # Each code's queue (its iTechID), by the code's lane name: asked once per code.
        self._nodes: dict[str, int] = {}
        # Queues this process is looking at now, so a slow look is never doubled.
        self._busy: set[int] = set()

    @property
    def enabled(self) -> bool:
        """False with LENSPIN_WATCH=off: nothing is watched and nothing polls."""
        return self._enabled

    def watch(
        self,
        requester: Requester,
        credential: Credential,
        request: PinRequest,
        audit_id: int | None,
        reply: str,
    ) -> None:
        """Start watching a delivered PIN's session; returns at once and never raises."""
        if not self._enabled:
            return
        issued_at = self._clock()
        watch = Watch(
            id=0,
            requester=requester,
            audit_id=audit_id,
            node_id=0,  # found on a Watcher thread: it may take a Rescue call
            credential=credential,
            fields=session_fields(request.fields),
            issued_at=issued_at,
            expires_at=issued_at + self._validity,
            updated_at=issued_at,
            reply=reply,
        )
        try:
            self._pool.submit(self._add, watch)
        except RuntimeError:
            # Stopped: the pool takes no more work. The PIN itself is delivered already.
            logger.warning("Not watching a PIN of user=%s: stopping", requester.user_id)
        except Exception:
            logger.exception("Could not start watching a PIN of user=%s", requester.user_id)

    def watches_of(self, requester: Requester, *, recently: float = RECENTLY) -> list[Watch]:
        """The technician's own PINs still watched, and those that ended recently (Home tab).

        Only theirs, whatever code made them: on the shared code each sees their own.
        """
        since = self._clock() - timedelta(seconds=recently)
        return self._store.of_technician(requester.team_id, requester.user_id, since=since)

    def amend_reply(
        self, requester: Requester, audit_id: int, amend: Callable[[str], str | None]
    ) -> None:
        """Change the reply handle of the technician's watched PIN with this audit row.

        For a message that changed outside the watch (the steps shared, say): amend gets the
        handle and returns the one to use from now on (its uses start again), or None.
        """
        since = self._clock() - timedelta(seconds=RECENTLY)
        for watch in self._store.of_technician(requester.team_id, requester.user_id, since=since):
            if watch.audit_id == audit_id and not watch.final:
                amended = amend(watch.reply)
                if amended is not None:
                    self._store.set_reply(watch.id, amended, 0)

    def start(self) -> None:
        """Start the runner thread; with watching off, stop what earlier runs left watched."""
        if not self._enabled:
            try:
                stopped_count = self._store.stop_all(self._clock())
            except StoreError as error:
                # Expected while the database is down (a worker booting during an outage).
                logger.warning("Could not stop the watches left from before: %s", error)
            except Exception:
                logger.exception("Could not stop the watches left from before watching was off")
            else:
                if stopped_count:
                    logger.info("Watching is off: stopped %d watched PINs", stopped_count)
            return
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="lenspin-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the runner; looks under way finish (Rescue's own time-out bounds them)."""
        self._stopping.set()
        self._wake.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()
        self._pool.shutdown(wait=True)

    def poll_once(self) -> float | None:
        """One round on this thread: look at every due queue; seconds until the next is due."""
        if not self._enabled:
            return None
        leases, wait = self._store.claim(interval=self._interval, lease=self._lease)
        for lease in leases:
            self._look(lease)
        return wait

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                leases, wait = self._store.claim(interval=self._interval, lease=self._lease)
                for lease in leases:
                    self._dispatch(lease)
            except StoreError as error:
                logger.warning("Watching could not use the database: %s", error)
                wait = RETRY_AFTER
            except Exception:
                logger.exception("Watching failed; trying again shortly")
                wait = RETRY_AFTER
            wait = self._idle if wait is None else min(wait, self._idle)
            self._wake.wait(max(wait, MIN_PAUSE))

    def _dispatch(self, lease: NodeLease) -> None:
        """Look at the queue on the pool, so one slow answer holds up no other queue."""
        with self._lock:
            doubled = lease.node_id in self._busy
            self._busy.add(lease.node_id)
        if doubled:
            # Our earlier look outlived its lease: it finds the lease lost, and drops its answer.
            self._store.release(lease, interval=self._interval)
            return

        def look_and_free() -> None:
            try:
                self._look(lease)
            finally:
                with self._lock:
                    self._busy.discard(lease.node_id)
                self._wake.set()  # the runner's wait may have counted on this lease

        try:
            self._pool.submit(look_and_free)
        except RuntimeError:  # stopping: the pool takes no more work
            with self._lock:
                self._busy.discard(lease.node_id)
            self._store.release(lease, interval=self._interval)

    def _look(self, lease: NodeLease) -> None:
        """Ask the queue once, share the answer with its watches, report, hand the turn back."""
        try:
            self._look_at(lease)
        except StoreError as error:
            logger.warning("Watching node=%s could not use the database: %s", lease.node_id, error)
        except Exception:
            logger.exception("Watching node=%s failed", lease.node_id)
        finally:
            try:
                self._store.release(lease, interval=self._interval)
            except Exception:
                # Its lease runs out on its own; until then no process looks at the node.
                logger.exception("Could not hand back the turn of node=%s", lease.node_id)

    def _look_at(self, lease: NodeLease) -> None:
        watches = self._store.active(lease.node_id)
        if not watches:
            return
        # The newest watch's code: the likeliest to be still good.
        credential = watches[-1].credential
        try:
            sessions = self._rescue.get_sessions(credential.auth_code, lease.node_id)
        except Rejected as error:
            after = self._refused(watches, credential, error)
        except RescueError as error:
            logger.info("Queue of node=%s not read: %s", lease.node_id, type(error).__name__)
            now = self._clock()
            after = [blind(w, now, grace=self._grace) for w in watches]
        else:
            now = self._clock()
            after = [look(w, sessions, now, after_connect=self._after_connect) for w in watches]
        changed = [new for old, new in zip(watches, after, strict=True) if new != old]
        if not changed:
            return
        if not self._store.save(lease, changed):
            logger.warning(
                "Lost the turn of node=%s while looking; its answer is dropped", lease.node_id
            )
            return
        for old, new in zip(watches, after, strict=True):
            if is_news(old, new):
                self._tell(new)

    def _refused(self, watches: list[Watch], used: Credential, error: Rejected) -> list[Watch]:
        """Stop the watches on a code Rescue refused for good; note each technician's once."""
        now = self._clock()
        same = [w for w in watches if w.credential.auth_code == used.auth_code]
        if error.code is SessionResult.INVALID_NODE:
            with self._lock:  # asked again for the next PIN of this code
                self._nodes.pop(pace_key(used), None)
        elif error.code in STALE_CODES:
            for watch in {w.requester: w for w in same}.values():
                self._note_refusal(watch.requester, watch.credential, error)
        else:
            logger.info("Queue not read: Rescue answered %s", error.code.name)
            return [blind(w, now, grace=self._grace) for w in watches]
        logger.info("Rescue refused a code for node=%s: %s", same[0].node_id, error.code.name)
        return [stopped(w, now) if w in same else w for w in watches]

    def _note_refusal(self, who: Requester, credential: Credential, error: Rejected) -> None:
        if credential.source is CodeSource.SHARED:
            return  # the admin's code: nothing of the technician's to mark
        try:
            self._refusals.refused(who, credential, error)
        except RescueError:
            pass  # LinkStale: the link is marked, which is all a watch needs
        except Exception:
            logger.exception("Could not note a refused code of user=%s", who.user_id)

    def _tell(self, watch: Watch) -> None:
        try:
            handle = self._on_change(watch, watch.reply)
        except Exception:
            # It may have used the handle before failing: counted as used.
            logger.exception("Telling user=%s about their PIN failed", watch.requester.user_id)
            handle = None
        if handle is None or handle == watch.reply:
            reply, uses = watch.reply, watch.reply_uses + 1
        else:
            reply, uses = handle, 0
        try:
            self._store.set_reply(watch.id, reply, uses)
        except Exception:
            logger.exception("Could not keep the reply handle of watch=%s", watch.id)

    def _add(self, watch: Watch) -> None:
        user = watch.requester.user_id
        try:
            node_id = self._node_of(watch.credential)
            if node_id is None:
                return
            self._store.add(replace(watch, node_id=node_id))
        except StoreError as error:
            logger.warning("Not watching a PIN of user=%s: %s", user, error)
            return
        except Exception:
            logger.exception("Not watching a PIN of user=%s", user)
            return
        self._wake.set()

    def _node_of(self, credential: Credential) -> int | None:
        """The queue a code's PINs land in (getAccount_v2's iTechID), asked once per code."""
        key = pace_key(credential)
        with self._lock:
            known = self._nodes.get(key)
        if known is not None:
            return known
        try:
            account = self._rescue.get_account(credential.auth_code)
        except RescueError as error:
            logger.warning(
                "Not watching a PIN: whose code it is is unknown (%s)", type(error).__name__
            )
            return None
        if account.tech_id <= 0:
            logger.warning("Not watching a PIN: Rescue names no technician for its code")
            return None
        with self._lock:
            self._nodes[key] = account.tech_id
        return account.tech_id
