"""The seven text fields of a PIN request: the one list the form, Rescue, the store and CSV follow.

Adding a field is one edit here (plus a migration for its audit column).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PinField:
    """One text field of a Lens session, from the form to Rescue's SOAP element."""

    key: str  # the name everywhere in lenspin: form block, request, audit column
    element: str  # Rescue's element in requestLensPINCode*
    label: str  # the default label (LENSPIN_LABEL_<KEY> overrides it)
    hint: str  # the default hint (LENSPIN_HINT_<KEY> overrides it)
    limit: int  # the most UTF-16 units Rescue keeps (API-NOTES, "Field meaning and limits")
    required: bool = False
    # Shown in the admin's CSV export; custom fields may hold internal notes, so they are not.
    exported: bool = False
    # Rescue's element for this field in a queued session (getSession_V3's SESSION_V3), or
    # None where sessions do not carry it (the tracking field).
    session_element: str | None = None

    @property
    def setting(self) -> str:
        """The suffix of this field's environment variables (LENSPIN_LABEL_<setting>)."""
        return self.key.upper()


@dataclass(frozen=True)
class FieldSpec:
    """One PIN field as this deployment shows it: label, hint, limit, visibility."""

    key: str
    label: str
    hint: str
    max_length: int
    required: bool = False
    hidden: bool = False


# In Rescue's own order, which is the order the form shows them in.
PIN_FIELDS: tuple[PinField, ...] = (
    PinField(
        "name",
        "sCField0",
        "Customer name",
        "Shows as the session's name in your Rescue queue.",
        64,
        required=True,
        exported=True,
        session_element="sCustomField0",
    ),
    PinField("custom1", "sCField1", "Custom field 1", "", 512, session_element="sCustomField1"),
    PinField("custom2", "sCField2", "Custom field 2", "", 512, session_element="sCustomField2"),
    PinField("custom3", "sCField3", "Custom field 3", "", 256, session_element="sCustomField3"),
    PinField("custom4", "sCField4", "Custom field 4", "", 64, session_element="sCustomField4"),
    PinField("custom5", "sCField5", "Custom field 5", "", 64, session_element="sCustomField5"),
    PinField(
        "tracking",
        "sTracking0",
        "Tracking ID",
        "For example your ticket number, to find the session in reports.",
        64,
        exported=True,
    ),
)
# The two fields lenspin itself fills: the session's name, and the tracking reference.
NAME = PIN_FIELDS[0].key
TRACKING = PIN_FIELDS[-1].key
FIELD_KEYS: tuple[str, ...] = tuple(f.key for f in PIN_FIELDS)
FIELD_LIMITS: dict[str, int] = {f.key: f.limit for f in PIN_FIELDS}
# The fields an admin may turn into free text fields for message links (not the name or tracking).
CUSTOM_KEYS: tuple[str, ...] = tuple(f.key for f in PIN_FIELDS if f.key.startswith("custom"))


def field_values(values: dict[str, str]) -> dict[str, str]:
    """Every field's text by key ("" where values has none); refuses keys that are no field."""
    unknown = sorted(set(values) - set(FIELD_KEYS))
    if unknown:
        raise TypeError(f"not PIN fields: {', '.join(unknown)}")
    return {key: values.get(key, "") for key in FIELD_KEYS}
