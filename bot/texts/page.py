"""Every sentence lenspin's connect page shows: plain text, which the page escapes; no imports."""

TITLE = "Connect Rescue"
HEADING = "Connect Rescue for {user} in {workspace}"
INTRO = (
    "Sign in once with your Rescue technician account. PINs you ask for in Slack will then "
    "land in that account's Rescue queue."
)
EMAIL = "Rescue email"
PASSWORD = "Rescue password"
PASSWORD_NOTE = (
    "Sent once to Rescue to get your auth code; lenspin never stores it. Rescue then issues a "
    "new auth code for this account, and codes given out for it before stop working."
)
SHARED_NOTE = (
    "Not the Rescue account your team shares in lenspin: signing in with its password would "
    "stop its auth code, and everyone's PINs with it. Paste its auth code below instead."
)
PASSWORD_SUBMIT = "Connect"
OR = "Or paste an auth code"
CODE = "Rescue auth code or API token"
CODE_NOTE = "Your Rescue admin can generate one in the Admin Center."
CODE_SUBMIT = "Connect with this code"
TRIES_LEFT = "Tries left on this link: {tries}."
NEED_PASSWORD = "Enter your Rescue email and password."
NEED_CODE = "Paste an auth code."
TOO_LONG = "That is longer than a Rescue email, password or auth code can be."
WRONG_PASSWORD = "Rescue didn't accept that email and password. Check them and try again."
WRONG_CODE = "Rescue didn't accept that auth code; it may have been renewed. Paste a fresh one."
DISABLED = "That Rescue user is deleted or disabled. Ask your Rescue admin."
UNREACHABLE = (
    "lenspin couldn't reach Rescue just now, so nothing was connected. Try again in a minute."
)
SHARED_ACCOUNT = (
    "That is the Rescue account lenspin shares with your team. Signing in with its password "
    "would stop its auth code, and nobody's PINs would work. Nothing was connected. Paste its "
    "auth code below instead."
)
LAST_TRY = "That was the last try on this link. Run /lenspin connect in Slack for a new one."
GONE_TITLE = "This link no longer works"
GONE = "Links to this page work once, for 10 minutes. Run /lenspin connect in Slack for a new one."
FORM_STALE = (
    "This form is out of date, so nothing was sent to Rescue. Open the link from Slack again."
)
PROBLEM_TITLE = "Nothing was connected"
DATABASE = (
    "lenspin's database is not answering, so nothing was connected. Try again in a minute; "
    "if it keeps happening, tell your lenspin admin."
)
BAD_REQUEST = "lenspin couldn't read what the form sent, so nothing was connected."
DONE_TITLE = "Connected"
DONE = "Your Rescue account is connected. PINs you ask for in Slack now land in its queue."
DONE_EMAIL = "Email"
DONE_ORGANIZATION = "Organization"
DONE_CONSOLE = "Technician Console"
CONSOLE_RUNNING = "running"
CONSOLE_NOT_RUNNING = (
    "not running: start it before asking for PINs, or tick the box in the PIN form"
)
CLOSE = "You can close this tab and go back to Slack."
