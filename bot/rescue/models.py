"""Small typed values passed between the Rescue layer and the rest of the bot."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, Self

from bot.fields import NAME, field_values

PIN_LENGTH = 6

# Rescue allows one PIN code per second per auth code (API-NOTES, "PIN codes"). Calls spaced
# exactly 1 s apart can arrive 0.99 s apart after network jitter, so keep a margin; a call
# that still arrives early is retried at the next turn, so the margin need not cover all.
RESCUE_INTERVAL = 1.05

# The languages Rescue writes its SMS invitation in (API-NOTES, requestLensPINCodeV3).
SMS_LANGUAGES: tuple[str, ...] = ("de", "en", "es", "fr", "nl", "pt-br")

# E.164 caps a number at 15 digits; the shortest in use, country code included, have 7.
PHONE_MIN_DIGITS = 7
PHONE_MAX_DIGITS = 15
# [0-9], not \d, which matches other scripts' digits too. A separator run sits only between
# digits (or next to the one pair of parentheses), so "+ 44", "123-" and "(1)(2)" fail; every
# separator run is non-empty between digit groups, so matching stays linear in the length.
_DIGIT_RUN = r"[0-9]+(?:[ .-]+[0-9]+)*"
_PHONE = re.compile(
    rf"(?P<plus>\+)?(?P<number>(?=[0-9(])(?:{_DIGIT_RUN})?"
    rf"(?:[ .-]*\((?P<area>[0-9]+)\)(?:[ .-]*{_DIGIT_RUN})?)?)"
)


# The value of every result enum's UNKNOWN member; no Rescue result is spelled like this.
_UNKNOWN = "unknown"
# requestAuthCodeSSO's results may carry its own name instead of requestAuthCode's.
_AUTH_PREFIX = "requestAuthCode_"
_SSO_PREFIX = "requestAuthCodeSSO_"


class ResultEnum(enum.Enum):
    """Base of Rescue's result enums; each subclass spells UNKNOWN as `"unknown"`."""

    @classmethod
    def parse(cls, value: object) -> Self:
        """Map Rescue's text to a member; anything unrecognised becomes UNKNOWN."""
        text = str(value or "").strip()
        try:
            return cls(text)
        except ValueError:
            return cls(_UNKNOWN)


class ResultCode(ResultEnum):
    """The result enum of requestLensPINCodeV2 (and V3), plus UNKNOWN for anything new."""

    OK = "requestPINCode_OK"
    ERROR = "requestPINCode_Error"
    NOT_LOGGED_IN = "requestPINCode_NotLoggedIn"
    NOT_TECHNICIAN = "requestPINCode_NotTechnician"
    NO_TECH_CONSOLE_RUNNING = "requestPINCode_NoTechConsoleRunning"
    OUT_OF_PIN_CODES = "requestPINCode_OutOfPINCodes"
    POLL_RATE_EXCEEDED = "requestPINCode_PollRateExceeded"
    USER_IS_DELETED = "requestPINCode_User_Is_Deleted"
    INVALID_SECRET_AUTH_CODE = "requestPINCode_Invalid_SecretAuthCode"  # noqa: S105 (a name)
    USER_DELETED_OR_DISABLED = "requestPINCode_User_Deleted_Or_Disabled"
    NO_ACCESS_TO_LENS = "requestPINCode_NoAccessToLens"
    UNKNOWN = _UNKNOWN


class AuthResult(ResultEnum):
    """The result enum of requestAuthCode and requestAuthCodeSSO, plus UNKNOWN."""

    OK = "requestAuthCode_OK"
    ERROR = "requestAuthCode_Error"
    INVALID = "requestAuthCode_Invalid"
    POLL_RATE_EXCEEDED = "requestAuthCode_PollRateExceeded"
    INVALID_COMPANY = "requestAuthCode_InvalidParam_Company"  # SSO only; name unconfirmed
    UNKNOWN = _UNKNOWN

    @classmethod
    def parse_sso(cls, value: object) -> Self:
        """Map requestAuthCodeSSO's text to a member, spelled requestAuthCodeSSO_* or not."""
        # The guide names SSO's results without their SOAP spelling (API-NOTES): both map alike.
        text = str(value or "").strip()
        if text.startswith(_SSO_PREFIX):
            text = _AUTH_PREFIX + text.removeprefix(_SSO_PREFIX)
        return cls.parse(text)


class AccountResult(ResultEnum):
    """The result enum of getAccount_v2, plus UNKNOWN."""

    OK = "getAccount_OK"
    ERROR = "getAccount_Error"
    NOT_LOGGED_IN = "getAccount_NotLoggedIn"
    INVALID_SECRET_AUTH_CODE = "getAccount_Invalid_SecretAuthCode"  # noqa: S105 (a name)
    USER_DELETED_OR_DISABLED = "getAccount_User_Deleted_Or_Disabled"
    UNKNOWN = _UNKNOWN


class SessionResult(ResultEnum):
    """The result enum of getSession_V3, plus UNKNOWN."""

    OK = "getSession_OK"
    ERROR = "getSession_Error"
    NOT_LOGGED_IN = "getSession_NotLoggedIn"
    INVALID_NODE = "getSession_InvalidParam_NodeID"
    INVALID_SECRET_AUTH_CODE = "getSession_Invalid_SecretAuthCode"  # noqa: S105 (a name)
    USER_DELETED_OR_DISABLED = "getSession_User_Deleted_Or_Disabled"
    UNKNOWN = _UNKNOWN


class SessionStatus(enum.Enum):
    """A queued session's bStatus (API-NOTES, getSession_V3), plus UNKNOWN for anything new.

    Rescue has more values than public clients list (the SESSION_UACCESS_* and SESSION_CLOSED_*
    families among them): those parse as UNKNOWN, shown by their sStatus text.
    """

    STARTING = "SESSION_STARTING"
    CONNECTING = "SESSION_CONNECTING"
    WAITING = "SESSION_WAITING"
    OFFLINE = "SESSION_OFFLINE"
    PICKED_UP = "SESSION_PICKEDUP"  # sStatus "Active"
    CLOSED_BY_CUSTOMER = "SESSION_CLOSEDBYCUSTOMER"
    CLOSED_BY_TECHNICIAN = "SESSION_CLOSEDBYTECHNICIAN"
    TRANSFERRING_NOT_PICKED_UP = "SESSION_TRANSFERINGBUTNOTPICKEDUP"  # Rescue's one R
    REVOKED = "SESSION_REVOKED"
    CUSTOMER_LEFT_NOT_PICKED_UP = "SESSION_CUSTOMERLEFTSESSION_WASNOTPICKEDUP"
    WAITING_TIMEOUT_PICKED_UP = "SESSION_WAITINGTIMEOUT_PICKEDUP"
    WAITING_TIMEOUT_NOT_PICKED_UP = "SESSION_WAITINGTIMEOUT_NOTPICKEDUP"
    SYSTEM_TIMEOUT_PICKED_UP = "SESSION_SYSTEMTIMEOUT_PICKEDUP"
    SYSTEM_TIMEOUT_NOT_PICKED_UP = "SESSION_SYSTEMTIMEOUT_NOTPICKEDUP"
    ON_HOLD = "SESSION_ONHOLD"
    REBOOTING = "SESSION_REBOOTING"
    CONNECTION_PROBLEM = "SESSION_CONNECTIONPROBLEM"
    CLOSED_BY_WAITING_CUSTOMER = "SESSION_CLOSEDBYWAITINGCUSTOMER"
    CLOSED_BY_ACTIVE_CUSTOMER = "SESSION_CLOSEDBYACTIVECUSTOMER"
    TERMS_DECLINED = "SESSION_TERMSANDCONDITIONSDECLINED"
    NOT_SUPPORTED = "SESSION_STATUS_NOT_SUPPORTED_VALUE"  # Rescue's own "no value for this"
    UNKNOWN = _UNKNOWN

    @classmethod
    def parse(cls, value: object) -> SessionStatus:
        """Map Rescue's bStatus to a member; anything unrecognised becomes UNKNOWN."""
        text = str(value or "").strip()
        try:
            return cls(text)
        except ValueError:
            return cls.UNKNOWN


@dataclass(frozen=True)
class QueueSession:
    """One session in a technician's (or channel's) queue, as getSession_V3 lists it."""

    session_id: int  # iID
    status: SessionStatus  # bStatus; UNKNOWN for a value lenspin does not know
    status_text: str  # sStatus, Rescue's words for the status: what to show for UNKNOWN
    raw_status: str  # bStatus as Rescue sent it
    waiting_seconds: int | None  # iWaitingTimeInSec: since the last status change; None if absent
    # The PIN fields the session carries by key (bot.fields: "name", "custom1".."custom5"; the
    # tracking field is not in Rescue's list, so not here). Customer data: kept out of repr.
    fields: Mapping[str, str] = field(repr=False)
    technician: str  # sTechnician


class SessionSource(Protocol):
    """Anything that lists a queue's sessions: the Rescue client or a stand-in."""

    def get_sessions(self, auth_code: str, node_id: int) -> list[QueueSession]:
        """The sessions in node_id's queue; raise a RescueError on failure."""
        ...


@dataclass(frozen=True)
class Account:
    """Whose an auth code is, as getAccount_v2 tells it."""

    account_id: int
    organization: str
    admin_id: int
    tech_id: int
    email: str
    console_running: bool  # the Technician Console, which PINs need unless no_tech_console


@dataclass(frozen=True, init=False)
class PinRequest:
    """What a technician asks Rescue for: the fields' texts, the console flag, an SMS invite."""

    # Each PIN field's text by key (bot.fields.PIN_FIELDS); every key is present.
    fields: Mapping[str, str]
    no_tech_console: bool
    # The customer's mobile number is personal data: kept out of repr, so out of logs too.
    sms_number: str = field(repr=False)
    sms_language: str

    def __init__(
        self,
        *,
        no_tech_console: bool = False,
        sms_number: str = "",
        sms_language: str = "en",
        **fields: str,
    ) -> None:
        object.__setattr__(self, "fields", field_values(fields))
        object.__setattr__(self, "no_tech_console", no_tech_console)
        object.__setattr__(self, "sms_number", sms_number)
        object.__setattr__(self, "sms_language", sms_language)

    @property
    def name(self) -> str:
        """The customer's name, which Rescue shows as the session's name."""
        return self.fields[NAME]


@dataclass(frozen=True)
class Pin:
    """A PIN Rescue created: always six digits, zero-padded on the left."""

    code: str

    @classmethod
    def from_rescue(cls, raw: object) -> Pin:
        """Normalise Rescue's sPINCode (string or int, maybe short) to six digits."""
        text = str(raw if raw is not None else "").strip()
        if not text.isdigit() or not text.isascii() or len(text) > PIN_LENGTH:
            raise ValueError("not a PIN code")
        return cls(text.zfill(PIN_LENGTH))


def normalize_phone(text: str) -> str | None:
    """Return a typed mobile number without separators ("+" kept), or None if it is not one."""
    match = _PHONE.fullmatch(text.strip())
    if match is None:
        return None
    plus = match["plus"] or ""
    digits = "".join(ch for ch in match["number"] if ch in "0123456789")
    area = match["area"]
    if (
        not PHONE_MIN_DIGITS <= len(digits) <= PHONE_MAX_DIGITS
        # No country code starts with 0: "+0..." (or "+00...") is a mistyped number.
        or (plus and digits.startswith("0"))
        # "+44 (0)20 ..." marks a trunk prefix not dialled after the country code; keeping
        # its digits would text a number that does not exist.
        or (plus and area is not None and not area.strip("0"))
    ):
        return None
    return plus + digits


def is_xml_safe(text: str) -> bool:
    """Tell whether XML 1.0 can carry every character of text (no control characters)."""
    return all(_xml_char(ord(ch)) for ch in text)


def _xml_char(cp: int) -> bool:
    return (
        cp in (0x9, 0xA, 0xD)
        or 0x20 <= cp <= 0xD7FF
        or 0xE000 <= cp <= 0xFFFD
        or 0x10000 <= cp <= 0x10FFFF
    )
