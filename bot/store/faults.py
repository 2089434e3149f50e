"""A database that fails is an answer: driver errors become StoreUnavailable, outages fail fast."""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.domain import StoreUnavailable

# SQLite's errors that mean the file cannot be used right now; others (a full disk, a
# constraint) are answers about the request, not about the database being there.
_SQLITE_UNAVAILABLE = ("locked", "unable to open", "disk i/o error")


class Unanswered:
    """Marks a driver error raised because the database did not answer within its bound."""


class Outage:
    """Turns failures to reach the database into StoreUnavailable, and remembers time-outs.

    After a time-out, one caller at a time asks the database again while the others are told
    at once, so a hung database holds one thread, not every thread; the first answer ends it.
    """

    def __init__(self, *, answer_within: float | None) -> None:
        self._answer_within = answer_within
        self._lock = threading.Lock()
        self._down = False
        self._probing = False

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Run a database step; raise StoreUnavailable if the database cannot be used."""
        with self._lock:
            if self._down and self._probing:
                raise StoreUnavailable(
                    f"{self._silence()} and is being asked again", timed_out=True
                )
            probe = self._probing = self._down
        try:
            yield
        except (DBAPIError, PoolTimeout) as error:
            if _timed_out(error):
                self._settle(down=True, probe=probe)
                raise StoreUnavailable(self._silence(), timed_out=True) from error
            # Anything else is an answer, though not a welcome one.
            self._settle(down=False, probe=probe)
            if isinstance(error, DBAPIError) and _unreachable(error):
                raise StoreUnavailable(
                    f"the database cannot be reached ({type(error.orig).__name__})"
                ) from error
            raise
        except BaseException:
            self._settle(down=self._down, probe=probe)
            raise
        self._settle(down=False, probe=probe)

    def _settle(self, *, down: bool, probe: bool) -> None:
        with self._lock:
            self._down = down
            if probe:
                self._probing = False

    def _silence(self) -> str:
        if self._answer_within is None:
            return "the database did not answer"
        return f"the database did not answer within {self._answer_within:g} s"


class _Guarded(Protocol):
    @property
    def outage(self) -> Outage: ...


P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound=_Guarded)


def guarded(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """A Store method whose database failures surface as StoreUnavailable."""

    @functools.wraps(method)
    def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.outage.guard():
            return method(self, *args, **kwargs)

    return run


def _timed_out(error: DBAPIError | PoolTimeout) -> bool:
    # The pool's own time-out, or a connection that gave up waiting for the server.
    return isinstance(error, PoolTimeout) or isinstance(getattr(error, "orig", None), Unanswered)


def _unreachable(error: DBAPIError) -> bool:
    if error.connection_invalidated or isinstance(error, InterfaceError):
        return True
    original = error.orig
    if isinstance(original, sqlite3.OperationalError):
        return any(sign in str(original).lower() for sign in _SQLITE_UNAVAILABLE)
    # PostgreSQL: psycopg's OperationalError is the server gone, refusing, or overloaded.
    return isinstance(error, OperationalError)
