"""The PIN form's submission: validate again, ack, and hand the request to the PIN service."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack

from bot import texts
from bot.config import FieldSpec, Settings
from bot.pins import Outcome, PinService, Requester
from bot.rescue.models import SMS_LANGUAGES, Pin, PinRequest, is_xml_safe, normalize_phone
from bot.slack import ids, messages
from bot.slack.delivery import Delivery, Destination

logger = logging.getLogger(__name__)


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


class PinSubmission:
    """Handles the PIN form's view_submission and delivers the outcome when it comes."""

    def __init__(self, settings: Settings, pins: PinService, delivery: Delivery) -> None:
        self._settings = settings
        self._pins = pins
        self._delivery = delivery

    def handle(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Answer with inline errors, or close the modal and queue the PIN request."""
        user_id = dig(body, "user", "id")
        # Connected and SSO technicians are sorted out after ack(), when the code is chosen.
        may_connect = self._settings.linking or self._settings.sso_enabled
        if not isinstance(user_id, str) or not (may_connect or self._settings.is_allowed(user_id)):
            ack(
                response_action="errors",
                errors={ids.field_block("name"): texts.ERROR_NOT_ALLOWED_SUBMIT},
            )
            return
        request, errors = read_pin_form(
            dig(view, "state", "values"), self._settings.visible_fields, sms=self._settings.show_sms
        )
        if request is None:
            ack(response_action="errors", errors=errors)
            return
        ack()
        destination = Destination.from_metadata(user_id, dig(view, "private_metadata"))
        requester = Requester(team_id=str(dig(body, "team", "id") or ""), user_id=user_id)
        self._pins.submit(
            requester,
            request,
            lambda outcome, audit_id: self._deliver(destination, request, outcome, audit_id),
        )

    def _deliver(
        self, destination: Destination, request: PinRequest, outcome: Outcome, audit_id: int | None
    ) -> None:
        if isinstance(outcome, Pin):
            message = messages.pin_ready(
                outcome,
                name=request.name,
                language=self._settings.customer_language,
                sms_number=request.sms_number,
                buttons=PinButtons(
                    audit_id, outcome.code, request.name, request.sms_number, request.sms_language
                ).to_value(),
            )
        else:
            message = messages.pin_failed(
                outcome, name=request.name, timeout_seconds=self._settings.rescue_timeout
            )
        self._delivery.send(destination, message)


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
        try:
            data = json.loads(value) if isinstance(value, str) else None
            pin = Pin.from_rescue(data["pin"])
        except (ValueError, TypeError, KeyError):
            return None
        audit_id, name = data.get("id"), data.get("name")
        sms, lang = data.get("sms", ""), data.get("lang", "en")
        if not (audit_id is None or isinstance(audit_id, int)) or not isinstance(name, str):
            return None
        return cls(audit_id, pin.code, name, sms if isinstance(sms, str) else "", str(lang))
