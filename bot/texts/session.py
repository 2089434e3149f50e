"""Every sentence about an issued PIN's session (LENSPIN_WATCH): words only, no imports."""

# What became of the PIN, as the technician's message says it ({name}: the customer's name).
WAITING = "*{name}* has connected and is waiting in your queue ({seconds} s)."
WAITING_ANY = "A session for *{name}* has connected and is waiting in your queue ({seconds} s)."
PICKED_UP = "Picked up: the session with *{name}* has started."
PICKED_UP_ANY = "Picked up: a session for *{name}* has started."
LEFT = "*{name}* left before the session was picked up."
LEFT_ANY = "A session for *{name}* ended before it was picked up."
UNUSED = (
    "The PIN {pin} was not used: no customer connected with it within {duration}. "
    "If they still need help, send them a new one."
)
MINUTES = "{n} minutes"
ONE_MINUTE = "1 minute"
SECONDS = "{n} seconds"
ONE_SECOND = "1 second"
SHORT = "{minutes} min {seconds} s"
SHORT_SECONDS = "{seconds} s"
OTHER = "The session with *{name}* is in your queue. Rescue says: {status}."
OTHER_ANY = "A session for *{name}* is in your queue. Rescue says: {status}."
# When Rescue names a status lenspin does not know without any words for it.
NO_STATUS_TEXT = "a status lenspin does not know"
STOPPED = "lenspin no longer follows this PIN's session; the Technician Console shows it."
PENDING = "Waiting for *{name}* to enter the PIN. This message changes when they connect."
# Buttons under a PIN nobody used, or whose customer left.
NEW_PIN_BUTTON = "New PIN for the same customer"
TEXT_AGAIN_BUTTON = "Text a new PIN"
# The Home tab and /lenspin history.
HOME_HEADING = "*PINs being followed*"
HOME_LINE = "{name} · {state}"
HOME_ANY = "a session for {name}"
HOME_WAITED = "{state} ({waited})"
HOME_STATUS = "{state}: Rescue says {status}"
HOME_MORE = "…and {count} older ones."
STATE_WORDS = {
    "pending": "not used yet",
    "waiting": "waiting in your queue",
    "other": "in your queue",
    "picked_up": "picked up",
    "left": "left before pick-up",
    "unused": "not used",
    "stopped": "no longer followed",
}
HISTORY_TIMES = "connected after {connect}, picked up after {pickup}"
HISTORY_CONNECTED = "connected after {connect}"
HISTORY_STATE = "{state} ({times})"
