"""Pure builders for the modals lenspin opens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot import texts
from bot.config import FieldSpec
from bot.rescue.models import is_xml_safe
from bot.slack import ids

Block = dict[str, Any]


def plain(text: str) -> dict[str, Any]:
    """A plain_text object."""
    return {"type": "plain_text", "text": text, "emoji": True}


def pin_modal(
    fields: Sequence[FieldSpec],
    *,
    checkbox_label: str | None,
    values: Mapping[str, str] | None = None,
    no_tech_console: bool = False,
    private_metadata: str = "",
) -> dict[str, Any]:
    """The PIN form: the visible Rescue fields in order, then the console checkbox."""
    values = values or {}
    blocks: list[Block] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": texts.MODAL_INTRO}]}
    ]
    blocks += [_text_input(spec, values.get(spec.key, "")) for spec in fields]
    if checkbox_label is not None:
        blocks.append(_console_checkbox(checkbox_label, checked=no_tech_console))
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
    return cleaned[:limit].strip()


def _text_input(spec: FieldSpec, value: str) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.FIELD_ACTION,
        "max_length": spec.max_length,
    }
    if spec.key == "name":
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
