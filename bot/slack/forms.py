"""Reading what Slack sends back: the forms' values and the buttons' values, forged or not."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot import texts
from bot.domain import Policy
from bot.env import ALL_USERS
from bot.fields import FieldSpec
from bot.rescue.models import SMS_LANGUAGES, Pin, PinRequest, is_xml_safe, normalize_phone
from bot.slack import ids
from bot.texts import admin as words


def rescue_length(text: str) -> int:
    """Length as Rescue counts it: .NET strings count UTF-16 code units."""
    # surrogatepass: a forged lone surrogate must be measured (and refused), not crash us.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def dig(data: Any, *keys: str) -> Any:
    """data[k1][k2]…, or None where a level is missing or not a mapping (forged payloads)."""
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def read_pin_form(
    values: Any, fields: Sequence[FieldSpec], *, sms: bool = False
) -> tuple[PinRequest | None, dict[str, str]]:
    """Turn the modal's state values into a PinRequest, or inline errors keyed by block_id."""
    errors: dict[str, str] = {}
    sms_number, sms_language = _read_sms(values, errors) if sms else ("", "en")
    texts_by_key: dict[str, str] = {}
    for spec in fields:
        block_id = ids.field_block(spec.key)
        raw = dig(values, block_id, ids.FIELD_ACTION, "value")
        text = raw if isinstance(raw, str) else ""
        error = _field_error(spec, text)
        if error:
            errors[block_id] = error
        texts_by_key[spec.key] = text
    if errors:
        return None, errors
    options = dig(values, ids.NO_TECH_CONSOLE_BLOCK, ids.NO_TECH_CONSOLE_ACTION, "selected_options")
    if not isinstance(options, list):
        options = []
    no_console = any(
        isinstance(o, dict) and o.get("value") == ids.NO_TECH_CONSOLE_OPTION for o in options
    )
    return (
        PinRequest(
            **texts_by_key,
            no_tech_console=no_console,
            sms_number=sms_number,
            sms_language=sms_language,
        ),
        {},
    )


def _read_sms(values: Any, errors: dict[str, str]) -> tuple[str, str]:
    raw = dig(values, ids.SMS_NUMBER_BLOCK, ids.FIELD_ACTION, "value")
    number = ""
    if isinstance(raw, str) and raw.strip():
        number = normalize_phone(raw) or ""
        if not number:
            errors[ids.SMS_NUMBER_BLOCK] = texts.ERROR_PHONE
    language = dig(values, ids.SMS_LANGUAGE_BLOCK, ids.FIELD_ACTION, "selected_option", "value")
    if language is None:
        language = "en"
    if language not in SMS_LANGUAGES:
        errors[ids.SMS_LANGUAGE_BLOCK] = texts.ERROR_SMS_LANGUAGE
        language = "en"
    return number, language


def _field_error(spec: FieldSpec, text: str) -> str | None:
    if spec.required and not text.strip():
        return texts.ERROR_REQUIRED
    length = rescue_length(text)
    if length > spec.max_length:
        return texts.ERROR_TOO_LONG.format(limit=spec.max_length, length=length)
    if not is_xml_safe(text):
        return texts.ERROR_UNSAFE
    return None


@dataclass(frozen=True)
class PinButtons:
    """What the buttons under a PIN need, carried in their value (a click brings no message)."""

    audit_id: int | None
    pin: str
    name: str
    sms_number: str = ""
    sms_language: str = "en"

    def to_value(self) -> str:
        """Encode for a button's value (Slack allows 2000 characters; this stays far below)."""
        return json.dumps(
            {
                "id": self.audit_id,
                "pin": self.pin,
                "name": self.name,
                "sms": self.sms_number,
                "lang": self.sms_language,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_value(cls, value: object) -> PinButtons | None:
        """Decode a button's value; None for anything lenspin did not write."""
        if not isinstance(value, str):
            return None
        try:
            data = json.loads(value)
            pin = Pin.from_rescue(data["pin"])
        except (ValueError, TypeError, KeyError):
            return None
        audit_id, name = data.get("id"), data.get("name")
        sms, lang = data.get("sms", ""), data.get("lang", "en")
        if not (audit_id is None or isinstance(audit_id, int)) or not isinstance(name, str):
            return None
        return cls(audit_id, pin.code, name, sms if isinstance(sms, str) else "", str(lang))


def read_connect_form(values: Any) -> tuple[str, dict[str, str]]:
    """The form's auth code, or inline errors keyed by block_id."""
    raw = dig(values, ids.CONNECT_CODE_BLOCK, ids.FIELD_ACTION, "value")
    # Codes pasted from elsewhere often carry a space or a line break at either end.
    code = raw.strip() if isinstance(raw, str) else ""
    if not code:
        return "", {ids.CONNECT_CODE_BLOCK: texts.CONNECT_NEED_CODE}
    if not is_xml_safe(code):
        return "", {ids.CONNECT_CODE_BLOCK: texts.ERROR_UNSAFE}
    return code, {}


def read_admin_form(
    values: Any, current: Policy, fields: Sequence[FieldSpec]
) -> tuple[Policy | None, dict[str, str]]:
    """The settings modal's values as the workspace's new settings, or inline errors.

    A secret left empty keeps its current value; emptying the SSO company turns single sign-on
    off. The values themselves are checked by bot.workspaces.Policies.problems, not here.
    fields: the deployment's PIN fields (a hidden one keeps the label it had).
    """
    errors: dict[str, str] = {}
    allowed = _read_allowlist(values, errors)
    code = _typed(values, ids.ADMIN_CODE_BLOCK)
    options = dig(values, ids.ADMIN_CODE_FORGET_BLOCK, ids.FIELD_ACTION, "selected_options")
    forget = isinstance(options, list) and any(
        isinstance(o, dict) and o.get("value") == ids.ADMIN_CODE_FORGET_OPTION for o in options
    )
    if forget and code:
        errors[ids.ADMIN_CODE_BLOCK] = words.FORGET_AND_REPLACE
    company = _typed(values, ids.ADMIN_SSO_COMPANY_BLOCK)
    password = _typed(values, ids.ADMIN_SSO_PASSWORD_BLOCK)
    labels: dict[str, str] = {}
    for spec in fields:
        label = (
            current.labels.get(spec.key, "")
            if spec.hidden
            else _typed(values, ids.admin_label_block(spec.key))
        )
        # The deployment's own label is no label of the workspace's: it follows the deployment.
        if label and label != spec.label:
            labels[spec.key] = label
    language = dig(values, ids.ADMIN_LANGUAGE_BLOCK, ids.FIELD_ACTION, "selected_option", "value")
    days = dig(values, ids.ADMIN_AUDIT_DAYS_BLOCK, ids.FIELD_ACTION, "value")
    if errors:
        return None, errors
    return (
        Policy(
            allowed_users=allowed,
            shared_code="" if forget else code or current.shared_code,
            sso_company_id=company,
            sso_password=(password or current.sso_password) if company else "",
            labels=labels,
            customer_language=language if isinstance(language, str) else "",
            # Anything but a few digits is 0 days: Policies.problems says what is allowed.
            audit_days=int(days) if isinstance(days, str) and _is_days(days) else 0,
        ),
        {},
    )


def _read_allowlist(values: Any, errors: dict[str, str]) -> frozenset[str]:
    mode = dig(values, ids.ADMIN_USERS_MODE_BLOCK, ids.FIELD_ACTION, "selected_option", "value")
    if mode == ids.ADMIN_USERS_EVERYONE:
        return frozenset({ALL_USERS})
    if mode != ids.ADMIN_USERS_CHOSEN:
        errors[ids.ADMIN_USERS_MODE_BLOCK] = words.UNUSABLE
    chosen = dig(values, ids.ADMIN_USERS_BLOCK, ids.FIELD_ACTION, "selected_users")
    users = frozenset(str(u) for u in chosen) if isinstance(chosen, list) else frozenset()
    if ALL_USERS in users:
        # Everyone is the other choice above, never one of the people chosen.
        errors[ids.ADMIN_USERS_BLOCK] = words.NOT_USER_IDS
    return users


def _typed(values: Any, block_id: str) -> str:
    raw = dig(values, block_id, ids.FIELD_ACTION, "value")
    # Pasted values often carry a space or a line break at either end.
    return raw.strip() if isinstance(raw, str) else ""


def _is_days(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 6
