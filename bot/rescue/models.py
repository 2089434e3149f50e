"""Small typed values passed between the Rescue layer and the rest of the bot."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
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
    """What a technician asks Rescue for: the session's Name, custom fields, flags, SMS invite."""

    name: str
    custom1: str = ""
    custom2: str = ""
    custom3: str = ""
    custom4: str = ""
    custom5: str = ""
    tracking: str = ""
    no_tech_console: bool = False
    # The customer's mobile number is personal data: kept out of repr, so out of logs too.
    sms_number: str = field(default="", repr=False)
    sms_language: str = "en"


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
