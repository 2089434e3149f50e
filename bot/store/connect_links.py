"""Links to the connect page: kept by the token's hash, spent one try at a time, used once."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime

from sqlalchemy import Engine, delete, insert, select, update

from bot.domain import ConnectLink, Requester
from bot.store.db import immediate
from bot.store.models import ConnectLinkRow, require_aware


class DatabaseConnectLinks:
    """The connect links of every process, in the database: a try is counted atomically."""

    def __init__(
        self, engine: Engine, *, guard: Callable[[], AbstractContextManager[None]] = nullcontext
    ) -> None:
        # On SQLite the write lock (BEGIN IMMEDIATE) makes check-then-count atomic.
        self._engine = immediate(engine)
        self._guard = guard

    def add_connect_link(self, link: ConnectLink) -> None:
        """Keep a new link."""
        who = link.requester
        with self._guard(), self._engine.begin() as connection:
            connection.execute(
                insert(ConnectLinkRow).values(
                    token_hash=link.token_hash,
                    enterprise_id=who.enterprise_id,
                    team_id=who.team_id,
                    user_id=who.user_id,
                    team_name=link.team_name,
                    user_name=link.user_name,
                    expires_at=require_aware(link.expires_at, "expires_at"),
                    attempts=link.attempts,
                    used=link.used,
                )
            )

    def get_connect_link(self, token_hash: str) -> ConnectLink | None:
        """The link with this hash, whatever its state, or None."""
        with self._guard(), self._engine.connect() as connection:
            row = connection.execute(
                select(ConnectLinkRow).where(ConnectLinkRow.token_hash == token_hash)
            ).first()
        return None if row is None else _link(row._mapping)

    def spend_connect_try(self, token_hash: str, *, now: datetime, most: int) -> ConnectLink | None:
        """Count one try on a link still open (unused, unexpired, under most tries); None if not."""
        open_ = (
            ConnectLinkRow.token_hash == token_hash,
            ConnectLinkRow.used.is_(False),
            ConnectLinkRow.expires_at > require_aware(now, "now"),
            ConnectLinkRow.attempts < most,
        )
        with self._guard(), self._engine.begin() as connection:
            counted = connection.execute(
                update(ConnectLinkRow)
                .where(*open_)
                .values(attempts=ConnectLinkRow.attempts + 1)
                .returning(*ConnectLinkRow.__table__.columns)
            ).first()
        return None if counted is None else _link(counted._mapping)

    def close_connect_link(self, token_hash: str) -> None:
        """Mark the link used: it opens nothing any more."""
        with self._guard(), self._engine.begin() as connection:
            connection.execute(
                update(ConnectLinkRow)
                .where(ConnectLinkRow.token_hash == token_hash)
                .values(used=True)
            )

    def purge_connect_links(self, older_than: datetime) -> int:
        """Delete links that expired before older_than; return how many."""
        with self._guard(), self._engine.begin() as connection:
            result = connection.execute(
                delete(ConnectLinkRow).where(
                    ConnectLinkRow.expires_at < require_aware(older_than, "older_than")
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)


def _link(row: object) -> ConnectLink:
    values = dict(row)  # type: ignore[call-overload]
    return ConnectLink(
        token_hash=values["token_hash"],
        requester=Requester(
            team_id=values["team_id"],
            user_id=values["user_id"],
            enterprise_id=values["enterprise_id"],
        ),
        team_name=values["team_name"],
        user_name=values["user_name"],
        expires_at=values["expires_at"],
        attempts=values["attempts"],
        used=bool(values["used"]),
    )
