"""The LogMeIn Rescue layer: zeep, the WSDL and Rescue's result codes; nothing of Slack.

Only the typed values are re-exported here, so that importing them never loads zeep;
import `bot.rescue.client` for the client itself.
"""

from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import (
    FIELD_LIMITS,
    Account,
    AccountResult,
    AuthResult,
    Pin,
    PinRequest,
    ResultCode,
)

__all__ = [
    "FIELD_LIMITS",
    "Account",
    "AccountResult",
    "AuthResult",
    "Pin",
    "PinRequest",
    "Rejected",
    "RescueError",
    "ResultCode",
    "Timeout",
    "Unavailable",
]
