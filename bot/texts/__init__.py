"""Every sentence a technician reads, in one place, so wording is reviewed and tested as data."""

from __future__ import annotations

# --- the modal -------------------------------------------------------------------------------
MODAL_TITLE = "Rescue Lens PIN"  # Slack allows 24 characters
MODAL_SUBMIT = "Get PIN"
MODAL_CLOSE = "Cancel"
MODAL_INTRO = "Fill in the customer's details. The PIN appears here in Slack, visible only to you."
NAME_PLACEHOLDER = "e.g. Jane Doe"
CONSOLE_LABEL = "Technician Console"

# --- inline errors in the modal --------------------------------------------------------------
ERROR_REQUIRED = "Please fill this in: Rescue needs it to name the session."
ERROR_TOO_LONG = "Rescue accepts at most {limit} characters here; this has {length}."
ERROR_UNSAFE = (
    "This contains characters Rescue cannot take (such as control characters). Please retype it."
)
ERROR_NOT_ALLOWED_SUBMIT = "You are not on the list of people who may get PINs with lenspin."

# --- answers to the slash command ------------------------------------------------------------
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
SMS_SENT = "Rescue is also texting the invitation to {number}."

# What the customer reads, in the language set by LENSPIN_CUSTOMER_LANGUAGE.
CUSTOMER_STEPS = {
    "en": (
        "1. Install the Rescue Lens app from the App Store or Google Play.\n"
        "2. Open it, allow camera and microphone access, and enter the PIN {pin}.\n"
        "3. Tap Connect and accept the licence agreement."
    ),
    "de": (
        "1. Installieren Sie die App Rescue Lens aus dem App Store oder von Google Play.\n"
        "2. Öffnen Sie sie, erlauben Sie den Zugriff auf Kamera und Mikrofon und geben Sie "
        "die PIN {pin} ein.\n"
        "3. Tippen Sie auf Verbinden und akzeptieren Sie die Lizenzvereinbarung."
    ),
    "fr": (
        "1. Installez l’application Rescue Lens depuis l’App Store ou Google Play.\n"
        "2. Ouvrez-la, autorisez l’accès à la caméra et au micro, puis saisissez le code PIN "
        "{pin}.\n"
        "3. Touchez Connecter et acceptez le contrat de licence."
    ),
    "es": (
        "1. Instale la aplicación Rescue Lens desde App Store o Google Play.\n"
        "2. Ábrala, permita el acceso a la cámara y al micrófono e introduzca el PIN {pin}.\n"
        "3. Toque Conectar y acepte el contrato de licencia."
    ),
}
CUSTOMER_SHARE_INTRO = {
    "en": "Let's look at it together with Rescue Lens. On your phone:",
    "de": "Sehen wir es uns gemeinsam mit Rescue Lens an. Auf Ihrem Smartphone:",
    "fr": "Regardons cela ensemble avec Rescue Lens. Sur votre téléphone :",
    "es": "Veámoslo juntos con Rescue Lens. En su teléfono:",
}
CUSTOMER_LANGUAGES = tuple(CUSTOMER_STEPS)

# --- buttons under a PIN ------------------------------------------------------------------------
SHARE_BUTTON = "Share instructions here"
AGAIN_BUTTON = "New PIN for the same customer"
SHARED_NOTE = "You shared the instructions with the customer in this conversation."
SHARE_FAILED = (
    "lenspin can't post in this conversation (it isn't a member here). "
    "Copy the instructions below and send them to the customer yourself:"
)
AGAIN_GONE = (
    "lenspin no longer has the details of that request. Please run /lenspin and fill them in."
)

# --- starting from a message or a shortcut --------------------------------------------------------
MESSAGE_REFERENCE = "slack:{channel}/{ts}"

# --- SMS ------------------------------------------------------------------------------------------
SMS_NUMBER_LABEL = "Customer's mobile number, for an SMS invitation"
SMS_NUMBER_HINT = (
    "Optional. With the country code, like +44 7700 900123: Rescue texts the customer a link "
    "with the PIN."
)
SMS_LANGUAGE_LABEL = "SMS language"
SMS_LANGUAGE_NAMES = {
    "de": "Deutsch",
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "nl": "Nederlands",
    "pt-br": "Português (Brasil)",
}
ERROR_PHONE = (
    "That doesn't look like a mobile number. Use digits with the country code, "
    "like +44 7700 900123."
)
ERROR_SMS_LANGUAGE = "Please choose one of the SMS languages offered."

# --- when there is no PIN --------------------------------------------------------------------
FAILURE_HEADING = "No PIN for {name}"

# Rescue's refusals of a PIN request, one per result code (bot/slack/blocks/outcomes.py maps them).
REJECTED_ERROR = (
    "Rescue couldn't create a PIN this time. Please try again in a moment; "
    "if it keeps failing, ask your Rescue admin to check the account."
)
REJECTED_NOT_LOGGED_IN = (
    "Rescue says lenspin's technician account isn't signed in. "
    "Ask your lenspin admin to check the Rescue auth code."
)
REJECTED_NOT_TECHNICIAN = (
    "The Rescue account lenspin uses isn't a technician account, so it can't create PINs. "
    "Ask your lenspin admin to use a technician's auth code."
)
REJECTED_NO_TECH_CONSOLE = (
    "Your Rescue Technician Console isn't running. Start it and try again, "
    "or tick \u201cAllow the session even if my Technician Console is not running\u201d "
    "in the form."
)
REJECTED_OUT_OF_PIN_CODES = (
    "Rescue has no free PIN codes for this account right now. Wait a few minutes and try "
    "again; if it keeps happening, ask your Rescue admin to check the PIN code settings."
)
REJECTED_POLL_RATE = (
    "Rescue is busy: too many PINs were asked for in the last few seconds. "
    "Wait a moment and run /lenspin again."
)
REJECTED_USER_DELETED = (
    "The Rescue user behind lenspin's auth code has been deleted. "
    "Ask your lenspin admin to set up a new Rescue auth code."
)
REJECTED_USER_DISABLED = (
    "The Rescue user behind lenspin's auth code is deleted or disabled. "
    "Ask your Rescue admin to enable the user, or your lenspin admin to set a new auth code."
)
REJECTED_AUTH_CODE = (
    "Rescue didn't accept lenspin's auth code; it may have been renewed or revoked. "
    "Ask your lenspin admin to get a new Rescue auth code and update the bot."
)
REJECTED_NO_LENS = (
    "The Rescue account lenspin uses isn't allowed to use Rescue Lens. "
    "Ask your Rescue admin to give it Lens permission in the Admin Center."
)
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


# --- subcommands -----------------------------------------------------------------------------
HELP = (
    "*lenspin* gets Rescue Lens PINs for your customers.\n"
    "• `/lenspin` or `/lenspin Jane Doe`: open the PIN form (optionally with the name filled in)\n"
    "• `/lenspin connect`: connect your own Rescue account, so PINs land in your queue\n"
    "• `/lenspin status`: which Rescue account your PINs use, and whether your console runs\n"
    "• `/lenspin disconnect`: forget your Rescue account\n"
    "• `/lenspin history`: your last 10 PIN requests\n"
    "• `/lenspin help`: this list"
)

# --- connecting a Rescue account -------------------------------------------------------------
CONNECT_TITLE = "Connect Rescue"
CONNECT_SUBMIT = "Connect"
CONNECT_CODE = "Rescue auth code or API token"
CONNECT_CODE_HINT = "Ask your Rescue admin, who can generate one in the Admin Center."
CONNECT_NEED_CODE = "Paste your Rescue auth code."
CONNECT_CHECKING = "Checking with Rescue…"
CONNECT_DONE_TITLE = "Connected"
CONNECT_DONE = (
    "Connected to Rescue as *{email}* ({organization}). PINs you ask for now land in "
    "your own Rescue queue.\nTechnician Console: {console}."
)
CONNECT_FAILED_TITLE = "Not connected"
CONNECT_WRONG_CODE = (
    "Rescue didn't accept that auth code; it may have been renewed. Get a fresh one "
    "and run `/lenspin connect` again."
)
CONNECT_DISABLED = (
    "That Rescue user is deleted or disabled. Ask your Rescue admin, then run "
    "`/lenspin connect` again."
)
CONNECT_UNREACHABLE = (
    "lenspin couldn't reach Rescue just now, so nothing was connected. "
    "Please run `/lenspin connect` again in a minute."
)
CONNECT_OFF = "Connecting your own Rescue account is turned off here. Ask your lenspin admin."
CONSOLE_RUNNING = "running"
CONSOLE_NOT_RUNNING = "not running (start it, or tick the box in the PIN form)"

# --- status and disconnect -------------------------------------------------------------------
STATUS_LINKED = (
    "Your PINs use your own Rescue account, *{email}* ({organization}), connected {since}.\n"
    "Technician Console: {console}."
)
STATUS_LINKED_UNCHECKED = (
    "Your PINs use your own Rescue account, *{email}* ({organization}), connected {since}. "
    "Rescue couldn't be asked about your console just now."
)
STATUS_STALE = (
    "Rescue stopped accepting your connected account (*{email}*). "
    "Run `/lenspin connect` to connect it again."
)
STATUS_SSO = "Your PINs use your own Rescue account through your company's single sign-on."
STATUS_SHARED = (
    "You haven't connected a Rescue account, so your PINs use the team's shared Rescue "
    "account and land in its queue. Run `/lenspin connect` to use your own."
)
STATUS_NOTHING = (
    "You haven't connected a Rescue account yet. Run `/lenspin connect` to get started."
)
DISCONNECTED = "Done: lenspin has forgotten your Rescue account."
NOT_CONNECTED = "You had no Rescue account connected, so there was nothing to forget."

# --- which code a PIN uses -------------------------------------------------------------------
NEEDS_CONNECT = (
    "To get PINs, connect your Rescue account first: run `/lenspin connect`. "
    "(PINs land in the queue of the Rescue account that asks for them.)"
)
LINK_STALE = (
    "Rescue no longer accepts your connected account, so no PIN was made. "
    "Run `/lenspin connect` to connect it again."
)

# --- history ---------------------------------------------------------------------------------
HISTORY_TITLE = "Your last PIN requests"
HISTORY_EMPTY = "You haven't asked for any PINs yet."
HISTORY_MASKED = "••••••"
HISTORY_MASK_NOTE = "PINs older than {minutes} minutes are hidden."
HISTORY_ALL_MASKED = "PINs are not shown here."
HISTORY_FAILED = "no PIN ({reason})"

# --- App Home --------------------------------------------------------------------------------
HOME_TITLE = "lenspin"
HOME_HOWTO = (
    "*How to use it*\n"
    "1. Type `/lenspin` (or `/lenspin Jane Doe`) in any conversation.\n"
    "2. Fill in the form and press *Get PIN*.\n"
    "3. Read the six-digit PIN to your customer, or paste the steps lenspin gives you."
)
HOME_CONNECT = "Connect Rescue account"
HOME_DISCONNECT = "Disconnect"
HOME_DISCONNECT_CONFIRM = "lenspin will forget your Rescue account. You can connect again any time."

# Short reasons for history lines, keyed by the audit trail's result names.
SHORT_REASONS = {
    "NO_TECH_CONSOLE_RUNNING": "Technician Console not running",
    "INVALID_SECRET_AUTH_CODE": "auth code not accepted",
    "USER_DELETED_OR_DISABLED": "Rescue user disabled",
    "USER_IS_DELETED": "Rescue user deleted",
    "NO_ACCESS_TO_LENS": "no Lens permission",
    "OUT_OF_PIN_CODES": "no free PIN codes",
    "POLL_RATE_EXCEEDED": "Rescue busy",
    "NOT_TECHNICIAN": "not a technician account",
    "NOT_LOGGED_IN": "not signed in",
    "TIMEOUT": "Rescue didn't answer in time",
    "UNAVAILABLE": "Rescue unavailable",
    "NOT_SENT": "not sent",
}
SHORT_REASON_OTHER = "Rescue refused"

# --- lenspin's own database failing --------------------------------------------------------
DATABASE_NOT_ANSWERING = (
    "lenspin's database is not answering, so lenspin can't do this right now. Please tell "
    "your lenspin admin; lenspin works again by itself once its database answers."
)
SECRET_UNREADABLE = (
    "lenspin can't read the Rescue account it keeps for you (it was saved with an encryption "
    "key lenspin no longer has), so it can't do this. Please tell your lenspin admin. If you "
    "connected your own account, `/lenspin connect` again also fixes it."
)

# --- the shared account, and waiting in line for an auth code ---------------------------------
QUEUE_NOTE = (
    "Your PIN request is number {position} in line for its Rescue account: about {seconds} "
    "seconds to go. The PIN will appear here."
)
QUEUE_FULL = (
    "You already have {limit} PIN requests waiting for this Rescue account, so lenspin didn't "
    "queue this one and no PIN was made. Wait for those to arrive, then ask again."
)
QUEUE_TOO_LONG = (
    "Too many PINs were asked for on this Rescue account: your request waited {seconds} "
    "seconds without its turn, so lenspin never sent it and no PIN was made. "
    "Please run /lenspin again in a moment."
)

# --- connecting on lenspin's own page (LENSPIN_PUBLIC_URL) ------------------------------------
# In Slack: the private link to the page.
CONNECT_LINK_INTRO = (
    "Connect your own Rescue technician account on lenspin's page: PINs you ask for will then "
    "land in *your* Rescue queue. The link is for you alone and works once, for 10 minutes."
)
CONNECT_LINK_BUTTON = "Open the connect page"
CONNECT_LINK_PREPARING = "Making your link to lenspin's connect page…"
CONNECT_LINK_NOTE = "Your password goes to lenspin's page over HTTPS, never through Slack."
# Without a public address, the Slack form takes an auth code only.
CONNECT_CODE_INTRO = (
    "Connect your own Rescue technician account: PINs you ask for will then land in *your* "
    "Rescue queue. Paste an auth code (API token); your Rescue admin can generate one in the "
    "Admin Center."
)
