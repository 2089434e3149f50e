"""What Rescue's answers mean to a technician: the one place result codes become words."""

from __future__ import annotations

from bot import texts
from bot.accounts import ConnectFailure, LinkStale, NotConnected, connect_failure_of
from bot.domain import SecretUnreadable, StoreError
from bot.lanes import NotSent, QueueFull, StoreFailed, WaitedTooLong
from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import ResultCode

_REJECTED: dict[ResultCode, str] = {
    ResultCode.ERROR: texts.REJECTED_ERROR,
    ResultCode.NOT_LOGGED_IN: texts.REJECTED_NOT_LOGGED_IN,
    ResultCode.NOT_TECHNICIAN: texts.REJECTED_NOT_TECHNICIAN,
    ResultCode.NO_TECH_CONSOLE_RUNNING: texts.REJECTED_NO_TECH_CONSOLE,
    ResultCode.OUT_OF_PIN_CODES: texts.REJECTED_OUT_OF_PIN_CODES,
    ResultCode.POLL_RATE_EXCEEDED: texts.REJECTED_POLL_RATE,
    ResultCode.USER_IS_DELETED: texts.REJECTED_USER_DELETED,
    ResultCode.USER_DELETED_OR_DISABLED: texts.REJECTED_USER_DISABLED,
    ResultCode.INVALID_SECRET_AUTH_CODE: texts.REJECTED_AUTH_CODE,
    ResultCode.NO_ACCESS_TO_LENS: texts.REJECTED_NO_LENS,
}

# Most specific first: LinkStale and NotConnected are kinds of NotSent.
_NOT_REJECTED: tuple[tuple[type[RescueError], str], ...] = (
    (Unavailable, texts.UNAVAILABLE),
    (LinkStale, texts.LINK_STALE),
    (NotConnected, texts.NEEDS_CONNECT),
    (NotSent, texts.NOT_SENT),
)


def pin_failure(error: RescueError, *, timeout_seconds: float) -> str:
    """Say why there is no PIN and what to do next, for any failure."""
    if isinstance(error, Rejected):
        # Only a PIN operation's codes have words here; any other code is no answer we know.
        code = error.code if isinstance(error.code, ResultCode) else ResultCode.UNKNOWN
        return _REJECTED.get(code, texts.UNKNOWN_ANSWER)
    return _not_rejected(error, timeout_seconds)


def _not_rejected(error: RescueError, timeout_seconds: float) -> str:
    if isinstance(error, Timeout):
        return texts.TIMEOUT.format(seconds=f"{timeout_seconds:g}")
    if isinstance(error, StoreFailed):
        return store_failure(error.cause)
    if isinstance(error, QueueFull):
        return texts.QUEUE_FULL.format(limit=error.limit)
    if isinstance(error, WaitedTooLong):
        return texts.QUEUE_TOO_LONG.format(seconds=f"{error.seconds:g}")
    for kind, text in _NOT_REJECTED:
        if isinstance(error, kind):
            return text
    return texts.UNEXPECTED


def store_failure(error: StoreError) -> str:
    """Say that lenspin's own database failed, and who can put it right."""
    if isinstance(error, SecretUnreadable):
        return texts.SECRET_UNREADABLE
    return texts.DATABASE_NOT_ANSWERING


_CONNECT_FAILURES = {
    ConnectFailure.WRONG_CODE: texts.CONNECT_WRONG_CODE,
    ConnectFailure.DISABLED: texts.CONNECT_DISABLED,
}


def connect_failure(error: RescueError) -> str:
    """Say why connecting a pasted auth code failed, and what to do."""
    return _CONNECT_FAILURES.get(connect_failure_of(error), texts.CONNECT_UNREACHABLE)
