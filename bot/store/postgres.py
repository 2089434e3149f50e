"""PostgreSQL connections that give up: connect, answer and statement time-outs, keepalives."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.connection import _WAIT_INTERVAL
from psycopg.errors import ConnectionTimeout, _WaitTimeout
from sqlalchemy import Engine, event

from bot.store.faults import Unanswered

# psycopg counts whole seconds and treats anything under 2 as 2.
CONNECT_TIMEOUT = 2
# The longest a transaction may sit between statements before the server ends its session.
IDLE_IN_TRANSACTION = 10.0
# An idle pooled connection whose peer vanished is found within about 10 + 3 * 3 s, and data
# the peer never acknowledges fails the connection after 10 s, instead of the OS's 15 minutes.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 3,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
}


class NoAnswer(Unanswered, psycopg.OperationalError):
    """The server did not answer within the connection's bound; the connection is closed."""


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait for the server (query, fetch, commit) is bounded."""

    answer_within: float | None = None

    @classmethod
    def open(
        cls, cargs: list[Any], cparams: dict[str, Any], answer_within: float | None
    ) -> BoundedConnection:
        """Connect; a server that does not finish the handshake in time is NoAnswer."""
        try:
            connection = cls.connect(*cargs, **cparams)
        except ConnectionTimeout:
            raise NoAnswer("no connection within connect_timeout") from None
        connection.answer_within = answer_within
        return connection

    def wait(self, gen: Any, interval: float = _WAIT_INTERVAL, timeout: float | None = None) -> Any:
        """psycopg's wait, ended after answer_within seconds with the connection closed."""
        bound = self.answer_within
        if bound is None or (timeout is not None and timeout <= bound):
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, bound)
        except _WaitTimeout:
            # The server may still answer later, out of step with the next query: the
            # connection cannot be used again, and closing it tells SQLAlchemy so.
            self.close()
            raise NoAnswer(f"no answer within {bound:g} s") from None


def bound(engine: Engine, answer_within: float | None) -> None:
    """Make engine's connections time out: connecting, each answer, and each statement."""

    @event.listens_for(engine, "do_connect")
    def connect(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        # What DATABASE_URL sets itself wins; lenspin only fills in what is missing.
        for name, value in {"connect_timeout": CONNECT_TIMEOUT, **KEEPALIVES}.items():
            cparams.setdefault(name, value)
        return BoundedConnection.open(cargs, cparams, answer_within)

    if answer_within is None:
        return

    @event.listens_for(engine, "connect")
    def limit_statements(dbapi_connection: Any, _record: Any) -> None:
        # The server gives up when the client does, so a statement nobody waits for any
        # more releases its locks. A SET, not a startup option: poolers may refuse those.
        milliseconds = round(answer_within * 1000)
        dbapi_connection.execute(f"SET statement_timeout = {milliseconds}")
        # Likewise a transaction whose client went quiet (a frozen network, a stopped process):
        # lenspin never waits on anything else inside one, so its locks go after a while.
        idle = round(IDLE_IN_TRANSACTION * 1000)
        dbapi_connection.execute(f"SET idle_in_transaction_session_timeout = {idle}")
        dbapi_connection.commit()
