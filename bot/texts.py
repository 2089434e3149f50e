"""Every sentence a technician reads, in one place, so wording is reviewed and tested as data."""

from __future__ import annotations

from bot.pins import NotSent
from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import ResultCode

# --- the modal ---------------------------------------------------------------------------
MODAL_TITLE = "Rescue Lens PIN"  # Slack allows 24 characters
MODAL_SUBMIT = "Get PIN"
MODAL_CLOSE = "Cancel"
MODAL_INTRO = "Fill in the customer's details. The PIN appears here in Slack, visible only to you."
NAME_PLACEHOLDER = "e.g. Jane Doe"
CONSOLE_LABEL = "Technician Console"

# --- inline errors in the modal ------------------------------------------------------------
ERROR_REQUIRED = "Please fill this in: Rescue needs it to name the session."
ERROR_TOO_LONG = "Rescue accepts at most {limit} characters here; this has {length}."
ERROR_UNSAFE = (
    "This contains characters Rescue cannot take (such as control characters). Please retype it."
)
ERROR_NOT_ALLOWED_SUBMIT = "You are not on the list of people who may get PINs with lenspin."

# --- answers to the slash command ----------------------------------------------------------
NOT_ALLOWED = (
    "Sorry, you can't get Rescue Lens PINs with lenspin yet. "
    "Ask your lenspin admin to add your Slack member ID ({user_id}) to the allowed users."
)
MODAL_FAILED = "Slack didn't let lenspin open the form in time. Please run /lenspin again."

# --- the PIN ---------------------------------------------------------------------------------
PIN_FALLBACK = "Rescue Lens PIN for {name}: {pin}"
PIN_HEADING = "Rescue Lens PIN for {name}"
PIN_CONTEXT = "Only you can see this. The session will wait in your Rescue queue."
CUSTOMER_INTRO = "Read this to the customer, or paste it to them:"
CUSTOMER_STEPS = (
    "1. Install the Rescue Lens app from the App Store or Google Play.\n"
    "2. Open it, allow camera and microphone access, and enter the PIN {pin}.\n"
    "3. Tap Connect and accept the licence agreement."
)

# --- when there is no PIN ----------------------------------------------------------------------
FAILURE_HEADING = "No PIN for {name}"

_REJECTED: dict[ResultCode, str] = {
    ResultCode.ERROR: (
        "Rescue couldn't create a PIN this time. Please try again in a moment; "
        "if it keeps failing, ask your Rescue admin to check the account."
    ),
    ResultCode.NOT_LOGGED_IN: (
        "Rescue says lenspin's technician account isn't signed in. "
        "Ask your lenspin admin to check the Rescue auth code."
    ),
    ResultCode.NOT_TECHNICIAN: (
        "The Rescue account lenspin uses isn't a technician account, so it can't create PINs. "
        "Ask your lenspin admin to use a technician's auth code."
    ),
    ResultCode.NO_TECH_CONSOLE_RUNNING: (
        "Your Rescue Technician Console isn't running. Start it and try again, "
        "or tick \u201cAllow the session even if my Technician Console is not running\u201d "
        "in the form."
    ),
    ResultCode.OUT_OF_PIN_CODES: (
        "Rescue has no free PIN codes for this account right now. Wait a few minutes and try "
        "again; if it keeps happening, ask your Rescue admin to check the PIN code settings."
    ),
    ResultCode.POLL_RATE_EXCEEDED: (
        "Rescue is busy: too many PINs were asked for in the last few seconds. "
        "Wait a moment and run /lenspin again."
    ),
    ResultCode.USER_IS_DELETED: (
        "The Rescue user behind lenspin's auth code has been deleted. "
        "Ask your lenspin admin to set up a new Rescue auth code."
    ),
    ResultCode.USER_DELETED_OR_DISABLED: (
        "The Rescue user behind lenspin's auth code is deleted or disabled. "
        "Ask your Rescue admin to enable the user, or your lenspin admin to set a new auth code."
    ),
    ResultCode.INVALID_SECRET_AUTH_CODE: (
        "Rescue didn't accept lenspin's auth code; it may have been renewed or revoked. "
        "Ask your lenspin admin to get a new Rescue auth code and update the bot."
    ),
    ResultCode.NO_ACCESS_TO_LENS: (
        "The Rescue account lenspin uses isn't allowed to use Rescue Lens. "
        "Ask your Rescue admin to give it Lens permission in the Admin Center."
    ),
}
UNKNOWN_ANSWER = (
    "Rescue answered in a way lenspin doesn't understand, so there is no PIN to show. "
    "Please try again; if it keeps happening, tell your lenspin admin."
)
UNAVAILABLE = (
    "lenspin couldn't get a proper answer from Rescue (it may be down or having trouble), "
    "so there is no PIN to show. Please try again in a minute."
)
TIMEOUT = (
    "Rescue didn't answer within {seconds} seconds. A PIN may still have been created: "
    "check the queue in your Technician Console before asking for another."
)
NOT_SENT = (
    "lenspin was restarting, so your request never reached Rescue and no PIN was created. "
    "Please run /lenspin again in a moment."
)
UNEXPECTED = (
    "Something went wrong inside lenspin, so there is no PIN this time. "
    "Please try again; if it keeps happening, tell your lenspin admin."
)


def failure(error: RescueError, *, timeout_seconds: float) -> str:
    """Say what went wrong and what to do next, for any Rescue failure."""
    if isinstance(error, Rejected):
        return _REJECTED.get(error.code, UNKNOWN_ANSWER)
    if isinstance(error, Timeout):
        return TIMEOUT.format(seconds=f"{timeout_seconds:g}")
    if isinstance(error, Unavailable):
        return UNAVAILABLE
    if isinstance(error, NotSent):
        return NOT_SENT
    return UNEXPECTED
