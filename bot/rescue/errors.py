"""The few ways a Rescue call can fail, as seen by the rest of the bot."""

from __future__ import annotations

from bot.rescue.models import AccountResult, AuthResult, ResultCode, SessionResult


class RescueError(Exception):
    """Base of every Rescue failure; its text is for logs, never for users."""


class Rejected(RescueError):
    """Rescue answered, with a result code other than OK (of the operation's own enum)."""

    def __init__(
        self, code: ResultCode | AuthResult | AccountResult | SessionResult, raw: str = ""
    ) -> None:
        super().__init__(f"Rescue answered {raw or code.value}")
        self.code = code
        self.raw = raw


class Unavailable(RescueError):
    """Rescue could not be reached or answered with something that is not a result."""


class Timeout(RescueError):
    """Rescue did not answer in time; a PIN may have been created all the same."""
