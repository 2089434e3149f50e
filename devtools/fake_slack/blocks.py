"""Block Kit checks, mirroring what Slack's views.* and chat.* endpoints refuse."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_MESSAGE_BLOCKS = 50
MAX_MESSAGE_TEXT = 40_000
MAX_VIEW_BLOCKS = 100
MAX_CHECKBOX_OPTIONS = 10


def error_message(message: str, pointer: str) -> str:
    """One of Slack's "[ERROR] ... [json-pointer:/view/...]" messages."""
    return f"[ERROR] {message} [json-pointer:{pointer}]"


_err = error_message


def _check_text(
    obj: Mapping[str, Any], key: str, limit: int, pointer: str, errors: list[str], *, required: bool
) -> None:
    """Check a plain_text object field such as a title, label or placeholder."""
    value = obj.get(key)
    if value is None:
        if required:
            errors.append(_err(f"missing required field: {key}", pointer))
        return
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        errors.append(_err("must be a text object", f"{pointer}/{key}"))
        return
    text = value["text"]
    if not text:
        errors.append(_err("must be more than 0 characters", f"{pointer}/{key}/text"))
    elif len(text) > limit:
        errors.append(_err(f"must be less than {limit + 1} characters", f"{pointer}/{key}/text"))


def _check_length(
    obj: Mapping[str, Any], key: str, limit: int, pointer: str, errors: list[str]
) -> None:
    value = obj.get(key)
    if value is not None and len(str(value)) > limit:
        errors.append(_err(f"must be less than {limit + 1} characters", f"{pointer}/{key}"))


def _check_int_range(
    obj: Mapping[str, Any], key: str, *, low: int, high: int, pointer: str, errors: list[str]
) -> bool:
    """True when the field is absent or a valid integer in range."""
    value = obj.get(key)
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.append(_err(f"must be an integer between {low} and {high}", f"{pointer}/{key}"))
        return False
    return True


def _element_errors(element: Any, pointer: str, errors: list[str]) -> None:
    if not isinstance(element, dict):
        errors.append(_err("must be an object", pointer))
        return
    _check_length(element, "action_id", 255, pointer, errors)
    kind = element.get("type")
    if kind == "plain_text_input":
        max_ok = _check_int_range(
            element, "max_length", low=1, high=3000, pointer=pointer, errors=errors
        )
        _check_int_range(element, "min_length", low=0, high=3000, pointer=pointer, errors=errors)
        _check_text(element, "placeholder", 150, pointer, errors, required=False)
        max_length = element.get("max_length")
        initial = element.get("initial_value")
        if max_ok and max_length is not None and initial is not None:
            _check_length(element, "initial_value", max_length, pointer, errors)
    elif kind == "checkboxes":
        options = element.get("options")
        if not isinstance(options, list) or not options:
            errors.append(_err("missing required field: options", pointer))
        elif len(options) > MAX_CHECKBOX_OPTIONS:
            errors.append(
                _err(f"no more than {MAX_CHECKBOX_OPTIONS} items allowed", f"{pointer}/options")
            )


def _block_errors(block: Any, pointer: str, seen: set[str], errors: list[str]) -> bool:
    """Validate one block; True when it is an input block."""
    if not isinstance(block, dict):
        errors.append(_err("must be an object", pointer))
        return False
    block_id = block.get("block_id")
    if block_id is not None:
        if len(str(block_id)) > 255:
            errors.append(_err("must be less than 256 characters", f"{pointer}/block_id"))
        elif block_id in seen:
            errors.append(_err(f"duplicate block_id: {block_id}", f"{pointer}/block_id"))
        seen.add(block_id)
    if block.get("type") != "input":
        return False
    _check_text(block, "label", 2000, pointer, errors, required=True)
    _check_text(block, "hint", 2000, pointer, errors, required=False)
    if block.get("element") is None:
        errors.append(_err("missing required field: element", pointer))
    else:
        _element_errors(block["element"], f"{pointer}/element", errors)
    return True


def view_errors(view: Any) -> list[str]:
    """Slack-style "[ERROR] ... [json-pointer:/view/...]" messages for a modal; empty when valid."""
    if not isinstance(view, dict):
        return [_err("must be an object", "/view")]
    errors: list[str] = []
    if view.get("type") != "modal":
        errors.append(_err("must be one of: modal", "/view/type"))
    _check_text(view, "title", 24, "/view", errors, required=True)
    _check_text(view, "submit", 24, "/view", errors, required=False)
    _check_text(view, "close", 24, "/view", errors, required=False)
    _check_length(view, "callback_id", 255, "/view", errors)
    _check_length(view, "private_metadata", 3000, "/view", errors)
    _check_length(view, "external_id", 255, "/view", errors)
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        errors.append(_err("missing required field: blocks", "/view"))
        return errors
    if len(blocks) > MAX_VIEW_BLOCKS:
        errors.append(_err(f"no more than {MAX_VIEW_BLOCKS} items allowed", "/view/blocks"))
    seen: set[str] = set()
    has_input = False
    for i, block in enumerate(blocks):
        has_input = _block_errors(block, f"/view/blocks/{i}", seen, errors) or has_input
    if has_input and view.get("submit") is None:
        errors.append(_err("submit is required when the view has input blocks", "/view/submit"))
    return errors


def home_view_errors(view: Any) -> list[str]:
    """Slack-style messages for an App Home view published with views.publish."""
    if not isinstance(view, dict):
        return [_err("must be an object", "/view")]
    errors: list[str] = []
    if view.get("type") != "home":
        errors.append(_err("must be one of: home", "/view/type"))
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return [*errors, _err("missing required field: blocks", "/view")]
    if len(blocks) > MAX_VIEW_BLOCKS:
        errors.append(_err(f"no more than {MAX_VIEW_BLOCKS} items allowed", "/view/blocks"))
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        _block_errors(block, f"/view/blocks/{i}", seen, errors)
    return errors


def message_error(args: Mapping[str, Any]) -> str | None:
    """The error Slack gives for a message body over its limits, or None."""
    text, blocks = args.get("text"), args.get("blocks")
    if blocks is not None and (not isinstance(blocks, list) or len(blocks) > MAX_MESSAGE_BLOCKS):
        return "invalid_blocks"
    if text is not None and len(str(text)) > MAX_MESSAGE_TEXT:
        return "msg_too_long"
    if not text and not blocks and not args.get("attachments"):
        return "no_text"
    return None
