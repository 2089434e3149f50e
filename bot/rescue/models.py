"""Small typed values passed between the Rescue layer and the rest of the bot."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Self

PIN_LENGTH = 6

# Rescue rejects or truncates longer values (API-NOTES, "Field meaning and limits").
FIELD_LIMITS: dict[str, int] = {
    "name": 64,
    "custom1": 512,
    "custom2": 512,
    "custom3": 256,
    "custom4": 64,
    "custom5": 64,
    "tracking": 64,
}


# The value of every result enum's UNKNOWN member; no Rescue result is spelled like this.
_UNKNOWN = "unknown"


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


class AccountResult(ResultEnum):
    """The result enum of getAccount_v2, plus UNKNOWN."""

    OK = "getAccount_OK"
    ERROR = "getAccount_Error"
    NOT_LOGGED_IN = "getAccount_NotLoggedIn"
    INVALID_SECRET_AUTH_CODE = "getAccount_Invalid_SecretAuthCode"  # noqa: S105 (a name)
    USER_DELETED_OR_DISABLED = "getAccount_User_Deleted_Or_Disabled"
    UNKNOWN = _UNKNOWN


@dataclass(frozen=True)
class Account:
    """Whose an auth code is, as getAccount_v2 tells it."""

    account_id: int
    organization: str
    admin_id: int
    tech_id: int
    email: str
    console_running: bool  # the Technician Console, which PINs need unless no_tech_console


@dataclass(frozen=True)
class PinRequest:
    """What a technician asks Rescue for: the session's Name, custom fields and flags."""

    name: str
    custom1: str = ""
    custom2: str = ""
    custom3: str = ""
    custom4: str = ""
    custom5: str = ""
    tracking: str = ""
    no_tech_console: bool = False


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
