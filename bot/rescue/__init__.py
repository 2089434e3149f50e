"""The LogMeIn Rescue layer: zeep, the WSDL and Rescue's result codes; nothing of Slack.

Only the typed values are re-exported here, so that importing them never loads zeep;
import `bot.rescue.client` for the client itself.
"""

from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import (
    RESCUE_INTERVAL,
    SMS_LANGUAGES,
    Account,
    AccountResult,
    AuthResult,
    Pin,
    PinRequest,
    QueueSession,
    ResultCode,
    SessionResult,
    SessionSource,
    SessionStatus,
    normalize_phone,
)

__all__ = [
    "RESCUE_INTERVAL",
    "SMS_LANGUAGES",
    "Account",
    "AccountResult",
    "AuthResult",
    "Pin",
    "PinRequest",
    "QueueSession",
    "Rejected",
    "RescueError",
    "ResultCode",
    "SessionResult",
    "SessionSource",
    "SessionStatus",
    "Timeout",
    "Unavailable",
    "normalize_phone",
]
