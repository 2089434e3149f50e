"""Every sentence a workspace admin reads about lenspin's settings: words only, no imports."""

# --- the Home tab's Admin section ------------------------------------------------------------
HEADING = "Admin"
INTRO = "Only this workspace's admins and owners see this. These settings are this workspace's own."
USERS_EVERYONE = "*Who may use the shared code:* everyone in this workspace"
USERS_NOBODY = "*Who may use the shared code:* nobody"
USERS_SOME = "*Who may use the shared code:* {people}"
USERS_MORE = "{people} and {count} more"
CODE_SET = "*Shared Rescue auth code:* set"
CODE_NOT_SET = "*Shared Rescue auth code:* not set"
SSO_ON = "*Single sign-on:* company {company}, password {password}"
SSO_OFF = "*Single sign-on:* off"
SECRET_SET = "set"
SECRET_NOT_SET = "not set"
LABELS_DEFAULT = "*PIN form labels:* as the deployment sets them"
LABELS_OWN = "*PIN form labels:*"
LABEL_LINE = "• {default} → {label}"
LANGUAGE = "*Customer's instructions in:* {language}"
AUDIT_DAYS = "*Audit rows kept for:* {days} days"
CHANGE_BUTTON = "Change settings"
CHANGES_HEADING = "*Latest changes*"
CHANGES_NONE = "*Latest changes*\nNone yet: this workspace uses the settings of a new install."
CHANGE_LINE = "• {when} · <@{user}> changed {what}"
NOTHING = "nothing"
# A setting's name in a change line, by bot.domain.Policy's field name.
SETTING_NAMES = {
    "allowed_users": "who may use the shared code",
    "shared_code": "the shared code",
    "sso_company_id": "the single sign-on company",
    "sso_password": "the single sign-on password",
    "labels": "the PIN form's labels",
    "customer_language": "the customer's language",
    "audit_days": "the audit retention",
}
SETTING_VALUE = "{name} ({value})"
EVERYONE = "everyone"
PEOPLE = "{count} people"

# --- the settings modal ----------------------------------------------------------------------
TITLE = "lenspin settings"  # Slack allows 24 characters
SUBMIT = "Save"
MODAL_INTRO = (
    "These settings are this workspace's own. Every change is recorded (who, when, what), "
    "never the secrets themselves."
)
USERS_MODE_LABEL = "Who may use the shared Rescue code"
USERS_EVERYONE_OPTION = "Everyone in this workspace"
USERS_CHOSEN_OPTION = "Only the people chosen below"
USERS_LABEL = "People who may use the shared code"
USERS_HINT = "People with their own Rescue account (or single sign-on) never need to be here."
CODE_LABEL = "Shared Rescue auth code"
CODE_HINT_SET = "A code is set. Leave this empty to keep it, or type a new one to replace it."
CODE_HINT_NOT_SET = "No code is set: only people with their own Rescue account get PINs."
CODE_FORGET_LABEL = "Remove the shared code"
CODE_FORGET_OPTION = "Remove it: only people with their own Rescue account get PINs"
SSO_COMPANY_LABEL = "Rescue single sign-on company ID"
SSO_COMPANY_HINT = "Empty: no single sign-on (its password is forgotten too)."
SSO_PASSWORD_LABEL = "Single sign-on password"
SSO_PASSWORD_HINT_SET = "A password is set. Leave this empty to keep it."
SSO_PASSWORD_HINT_NOT_SET = "No password is set."
FIELD_LABEL = "Label of the field “{default}”"
FIELD_HINT = "Empty: “{default}”, as the deployment sets it."
LANGUAGE_LABEL = "Language of the customer's instructions"
AUDIT_DAYS_LABEL = "Keep audit rows for (days)"
AUDIT_DAYS_HINT = "From 1 to {most} days."

# --- inline errors -----------------------------------------------------------------------------
NOT_USER_IDS = "Choose people of this workspace."
CODE_UNUSABLE = (
    "Rescue can't take this: it is too long, or has characters such as control characters."
)
COMPANY_NOT_NUMBER = "Rescue's single sign-on company ID is a number of at most {most} digits."
SSO_NEEDS_PASSWORD = "Single sign-on needs its password."
LABEL_EMPTY = "Type a label, or leave the field empty for the deployment's."
LABEL_TOO_LONG = "At most {limit} characters."
UNKNOWN_LANGUAGE = "Choose one of the languages offered."
AUDIT_DAYS_RANGE = "A whole number of days, from 1 to {most}."
UNUSABLE = "lenspin can't keep the settings as they are. Please check the form and save again."
FORGET_AND_REPLACE = "Either type a new code or remove the shared code, not both."

# --- answers -----------------------------------------------------------------------------------
NOT_ADMIN_TITLE = "Not allowed"
NOT_ADMIN = "Only workspace admins can change lenspin's settings."
ADMIN_UNKNOWN = (
    "Slack didn't say whether you are an admin of this workspace, so nothing changed. "
    "Please try again in a moment."
)
FROM_ENVIRONMENT = (
    "lenspin's settings here come from its deployment (environment variables). "
    "Ask whoever runs lenspin to change them."
)
SAVING = "Saving the settings…"
SAVED_TITLE = "Saved"
SAVED = "Saved. lenspin uses the new settings from now on."
UNCHANGED = "Nothing changed: the settings were already these."
NOT_SAVED_TITLE = "Not saved"
