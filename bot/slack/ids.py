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
