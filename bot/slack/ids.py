"""Callback, block and action ids, shared by the builders, the handlers and the tests."""

from __future__ import annotations

COMMAND = "/lenspin"

PIN_MODAL = "lenspin_pin_modal"

# One input block per Rescue text field, keyed by FieldSpec.key.
FIELD_BLOCK_PREFIX = "lenspin_field_"
FIELD_ACTION = "value"

NO_TECH_CONSOLE_BLOCK = "lenspin_no_tech_console"
NO_TECH_CONSOLE_ACTION = "no_tech_console"
NO_TECH_CONSOLE_OPTION = "allow"


def field_block(key: str) -> str:
    """The block_id of the input for one Rescue field."""
    return FIELD_BLOCK_PREFIX + key


CONNECT_MODAL = "lenspin_connect_modal"
CONNECT_CODE_BLOCK = "lenspin_connect_code"
# The button that opens the connect page: Slack still sends the click, which is only acked.
CONNECT_LINK_ACTION = "lenspin_connect_link"

HOME_CONNECT_ACTION = "lenspin_home_connect"
HOME_DISCONNECT_ACTION = "lenspin_home_disconnect"

SMS_NUMBER_BLOCK = "lenspin_sms_number"
SMS_LANGUAGE_BLOCK = "lenspin_sms_language"

SHARE_ACTION = "lenspin_share"
AGAIN_ACTION = "lenspin_again"
# The same, from a PIN nobody used: the form ready to text the new PIN to the same number.
TEXT_AGAIN_ACTION = "lenspin_text_again"

MESSAGE_SHORTCUT = "lenspin_message_shortcut"
GLOBAL_SHORTCUT = "lenspin_global_shortcut"

# The Home tab's Admin section (serving several workspaces) and its settings modal.
ADMIN_OPEN_ACTION = "lenspin_admin_open"
ADMIN_MODAL = "lenspin_admin_modal"
ADMIN_USERS_MODE_BLOCK = "lenspin_admin_users_mode"
ADMIN_USERS_EVERYONE = "everyone"
ADMIN_USERS_CHOSEN = "chosen"
ADMIN_USERS_BLOCK = "lenspin_admin_users"
ADMIN_CODE_BLOCK = "lenspin_admin_code"
ADMIN_CODE_FORGET_BLOCK = "lenspin_admin_code_forget"
ADMIN_CODE_FORGET_OPTION = "forget"
ADMIN_SSO_COMPANY_BLOCK = "lenspin_admin_sso_company"
ADMIN_SSO_PASSWORD_BLOCK = "lenspin_admin_sso_password"  # noqa: S105 (a block id)
ADMIN_LANGUAGE_BLOCK = "lenspin_admin_language"
ADMIN_AUDIT_DAYS_BLOCK = "lenspin_admin_audit_days"
ADMIN_LABEL_PREFIX = "lenspin_admin_label_"


def admin_label_block(key: str) -> str:
    """The block_id of the settings modal's input for one PIN field's label."""
    return ADMIN_LABEL_PREFIX + key
