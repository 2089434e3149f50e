"""The modals lenspin opens: the PIN form, the connect form, and notices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bot import texts
from bot.accounts import CODE_MAX_LENGTH
from bot.config import Settings
from bot.domain import Policy
from bot.fields import NAME, FieldSpec
from bot.rescue.models import is_xml_safe
from bot.slack import ids
from bot.slack.blocks.mrkdwn import Block, context, plain, section


def pin_modal_for(
    settings: Settings,
    policy: Policy,
    *,
    values: Mapping[str, str] | None = None,
    no_tech_console: bool = False,
    private_metadata: str = "",
) -> dict[str, Any]:
    """The PIN form as the deployment (hidden fields, SMS) and the workspace (labels) shape it."""
    return pin_modal(
        labelled(settings.visible_fields, policy),
        checkbox_label=(settings.no_tech_console_label if settings.show_no_tech_console else None),
        sms_language=settings.sms_language if settings.show_sms else None,
        values=values,
        no_tech_console=no_tech_console,
        private_metadata=private_metadata,
    )


def labelled(fields: Sequence[FieldSpec], policy: Policy) -> tuple[FieldSpec, ...]:
    """The fields with the workspace's own labels where it set one."""
    return tuple(replace(f, label=policy.labels.get(f.key) or f.label) for f in fields)


def pin_modal(
    fields: Sequence[FieldSpec],
    *,
    checkbox_label: str | None,
    sms_language: str | None = None,
    values: Mapping[str, str] | None = None,
    no_tech_console: bool = False,
    private_metadata: str = "",
) -> dict[str, Any]:
    """The PIN form: the visible Rescue fields in order, the console checkbox, then SMS."""
    values = values or {}
    blocks: list[Block] = [context(texts.MODAL_INTRO)]
    blocks += [_text_input(spec, values.get(spec.key, "")) for spec in fields]
    if checkbox_label is not None:
        blocks.append(_console_checkbox(checkbox_label, checked=no_tech_console))
    if sms_language is not None:
        blocks += _sms_inputs(
            values.get("sms_number", ""), values.get("sms_language") or sms_language
        )
    return {
        "type": "modal",
        "callback_id": ids.PIN_MODAL,
        "title": plain(texts.MODAL_TITLE),
        "submit": plain(texts.MODAL_SUBMIT),
        "close": plain(texts.MODAL_CLOSE),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }


def prefill(text: str, limit: int) -> str:
    """Make free text fit as an initial value: trimmed, XML-safe, within the field's limit."""
    cleaned = "".join(ch for ch in text.strip() if is_xml_safe(ch))
    # Rescue counts UTF-16 units (forms.rescue_length): an emoji takes two. Cut between
    # characters, so a surrogate pair is never split.
    kept, units = 0, 0
    for ch in cleaned:
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            break
        kept += 1
    return cleaned[:kept].strip()


def _text_input(spec: FieldSpec, value: str) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.FIELD_ACTION,
        "max_length": spec.max_length,
    }
    if spec.key == NAME:
        element["placeholder"] = plain(texts.NAME_PLACEHOLDER)
    initial = prefill(value, spec.max_length)
    if initial:
        element["initial_value"] = initial
    block: Block = {
        "type": "input",
        "block_id": ids.field_block(spec.key),
        "label": plain(spec.label),
        "optional": not spec.required,
        "element": element,
    }
    if spec.hint:
        block["hint"] = plain(spec.hint)
    return block


def _sms_inputs(number: str, language: str) -> list[Block]:
    number_input: dict[str, Any] = {"type": "plain_text_input", "max_length": 32}
    if number:
        number_input["initial_value"] = prefill(number, 32)
    options = [
        {"text": plain(name), "value": code} for code, name in texts.SMS_LANGUAGE_NAMES.items()
    ]
    chosen = next((o for o in options if o["value"] == language), options[1])
    return [
        input_block(
            ids.SMS_NUMBER_BLOCK, texts.SMS_NUMBER_LABEL, number_input, hint=texts.SMS_NUMBER_HINT
        ),
        input_block(
            ids.SMS_LANGUAGE_BLOCK,
            texts.SMS_LANGUAGE_LABEL,
            {"type": "static_select", "options": options, "initial_option": chosen},
        ),
    ]


def _console_checkbox(label: str, *, checked: bool) -> Block:
    option = {"text": plain(label), "value": ids.NO_TECH_CONSOLE_OPTION}
    element: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": ids.NO_TECH_CONSOLE_ACTION,
        "options": [option],
    }
    if checked:
        element["initial_options"] = [option]
    return {
        "type": "input",
        "block_id": ids.NO_TECH_CONSOLE_BLOCK,
        "label": plain(texts.CONSOLE_LABEL),
        "optional": True,
        "element": element,
    }


def connect_modal() -> dict[str, Any]:
    """The Slack form for connecting one's own Rescue account: an auth code, never a password.

    Block Kit has no password input, and a password in a view travels through Slack; with
    LENSPIN_PUBLIC_URL set, technicians sign in on lenspin's own page instead.
    """
    return {
        "type": "modal",
        "callback_id": ids.CONNECT_MODAL,
        "title": plain(texts.CONNECT_TITLE),
        "submit": plain(texts.CONNECT_SUBMIT),
        "close": plain(texts.MODAL_CLOSE),
        "blocks": [
            section(texts.CONNECT_CODE_INTRO),
            {
                "type": "input",
                "block_id": ids.CONNECT_CODE_BLOCK,
                "label": plain(texts.CONNECT_CODE),
                "element": {
                    "type": "plain_text_input",
                    "max_length": CODE_MAX_LENGTH,
                    "action_id": ids.FIELD_ACTION,
                },
                "hint": plain(texts.CONNECT_CODE_HINT),
            },
        ],
    }


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """A modal that only says something: progress or the outcome of connecting."""
    return {
        "type": "modal",
        "callback_id": ids.CONNECT_MODAL,
        "title": plain(title),
        "close": plain("Close"),
        "blocks": [section(text)],
    }


def input_block(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = True, hint: str = ""
) -> Block:
    """An input block around element, its action id the one every form field has."""
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "optional": optional,
        "element": {**element, "action_id": ids.FIELD_ACTION},
    }
    if hint:
        block["hint"] = plain(hint)
    return block
