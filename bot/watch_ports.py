"""What watching needs from the rest of lenspin: the store, Rescue, and what to do on a refusal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.domain import Credential, NodeLease, Requester, Watch
from bot.rescue.errors import Rejected
from bot.rescue.models import Account, SessionSource


class WatchStore(Protocol):
    """Where watches and each queue's turn are kept (bot.store.watches.DatabaseWatches)."""

    def add(self, watch: Watch) -> int:
        """Keep a new watch; return its id."""
        ...

    def active(self, node_id: int) -> list[Watch]:
        """The node's watches not yet final, oldest first."""
        ...

    def of_technician(self, team_id: str, user_id: str, *, since: datetime) -> list[Watch]:
        """The technician's own watches not yet final or updated since, newest first."""
        ...

    def save(self, lease: NodeLease, watches: Sequence[Watch]) -> bool:
        """Write watches changed by a look, unless the lease was lost; final rows stay."""
        ...

    def set_reply(self, watch_id: int, reply: str, uses: int) -> None:
        """Keep the reply handle and its use count."""
        ...

    def stop_all(self, now: datetime) -> int:
        """Stop every watch not yet final."""
        ...

    def claim(self, *, interval: float, lease: float) -> tuple[list[NodeLease], float | None]:
        """Leases of the due nodes with active watches; seconds until the next one is due."""
        ...

    def release(self, lease: NodeLease, *, interval: float) -> None:
        """Hand a lease back; the node is next due an interval later."""
        ...


class WatchRescue(SessionSource, Protocol):
    """The Rescue operations watching uses (the Rescue client, or a stand-in)."""

    def get_account(self, auth_code: str) -> Account:
        """Say whose code this is (its iTechID is the queue to watch)."""
        ...


class Refusals(Protocol):
    """What to do with a code Rescue refused (bot.accounts.Accounts: marks a link stale)."""

    def refused(self, who: Requester, credential: Credential, error: Rejected) -> bool:
        """Note the refusal; may raise a clearer RescueError."""
        ...
