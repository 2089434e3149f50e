"""The audit trail's upkeep and export: purging old rows, writing CSV for an admin."""

from __future__ import annotations

import csv
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol, TextIO

from bot.domain import AuditRecord, StoreError, Workspace
from bot.fields import PIN_FIELDS

logger = logging.getLogger(__name__)

PURGE_EVERY = 6 * 3600.0

# One row per request; never a code, a password or a PIN.
_EXPORTED = tuple(f.key for f in PIN_FIELDS if f.exported)
CSV_COLUMNS = (
    "requested_at",
    "team_id",
    "user_id",
    *_EXPORTED,
    "code_source",
    "result",
    "latency_ms",
    # What became of the PIN's session (bot.domain.SessionState's value; empty while it is
    # watched or when it never was), and seconds from the PIN to connect and to pick-up.
    "session_state",
    "connect_seconds",
    "pickup_seconds",
)


def write_csv(records: Iterable[AuditRecord], out: TextIO) -> int:
    """Write records as CSV with a header; return how many rows were written."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for record in records:
        writer.writerow(
            [
                record.requested_at.astimezone(UTC).isoformat(),
                record.team_id,
                record.user_id,
                *(_cell(record.fields.get(key, "")) for key in _EXPORTED),
                record.code_source.value,
                record.result,
                _number(record.latency_ms),
                record.session_state or "",
                _number(record.connect_seconds),
                _number(record.pickup_seconds),
            ]
        )
        count += 1
    return count


def _number(value: int | None) -> int | str:
    return "" if value is None else value


def _cell(text: str) -> str:
    # A spreadsheet runs a cell that starts with = + - or @ as a formula: a customer's name
    # must never become one.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# Pacing rows only matter for seconds; a day keeps none that a request could still need.
PACING_KEPT = timedelta(days=1)
# A finished watch is what the Home tab shows for a while; a day is plenty (the audit row
# keeps its outcome).
WATCHES_KEPT = timedelta(days=1)


class Purgeable(Protocol):
    """Where old audit rows and pacing turns can be deleted (bot.store.Store)."""

    def purge_audit(self, older_than: datetime, workspace: Workspace | None = None) -> int:
        """Delete requests made before older_than (only workspace's, if given); return how many."""
        ...

    def purge_pacing(self, older_than: datetime) -> int:
        """Delete pacing turns taken before older_than; return how many were deleted."""
        ...

    def purge_watches(self, older_than: datetime) -> int:
        """Delete watches that ended before older_than; return how many were deleted."""
        ...


# Each workspace's own audit retention in days (bot.workspaces.Policies.retentions).
Retentions = Callable[[], Iterable[tuple[Workspace, int]]]


class AuditPurger:
    """Deletes audit rows past their retention, day-old pacing turns and finished watches,
    every few hours.

    days (LENSPIN_AUDIT_DAYS) holds for every row, an uninstalled workspace's too; serving
    several workspaces, retentions gives those that keep their rows for less.
    """

    def __init__(
        self,
        store: Purgeable,
        *,
        days: int,
        retentions: Retentions | None = None,
        every: float = PURGE_EVERY,
    ) -> None:
        self._store = store
        self._days = days
        self._retentions = retentions
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lenspin-purge", daemon=True)

    def start(self) -> None:
        """Begin purging in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the background purging."""
        self._stop.set()

    def purge_now(self) -> int:
        """Delete audit rows older than the retention and old pacing turns; return audit rows."""
        now = datetime.now(UTC)
        removed = self._purge_workspaces(now)
        everyone = self._store.purge_audit(now - timedelta(days=self._days))
        if everyone:
            logger.info("Purged %d audit rows older than %d days", everyone, self._days)
        removed += everyone
        turns = self._store.purge_pacing(now - PACING_KEPT)
        if turns:
            logger.info("Purged %d pacing rows older than a day", turns)
        watches = self._store.purge_watches(now - WATCHES_KEPT)
        if watches:
            logger.info("Purged %d watches that ended over a day ago", watches)
        return removed

    def _purge_workspaces(self, now: datetime) -> int:
        """Rows of the workspaces that keep them for less than the deployment's days."""
        if self._retentions is None:
            return 0
        removed = 0
        for workspace, days in self._retentions():
            if days < self._days:
                removed += self._store.purge_audit(now - timedelta(days=days), workspace=workspace)
        if removed:
            logger.info("Purged %d audit rows past their workspace's own retention", removed)
        return removed

    def _loop(self) -> None:
        while True:
            try:
                self.purge_now()
            except StoreError as error:
                # The database is down or hung: the reason is the whole story.
                logger.warning("Purging the audit trail failed (%s); will try again later", error)
            except Exception:
                logger.exception("Purging the audit trail failed; will try again later")
            if self._stop.wait(self._every):
                return
