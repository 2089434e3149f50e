"""Block Kit checks: slack_sdk's own models, plus the documented limits those models skip."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block, TextObject
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
# Slack truncates past 40,000 and asks apps to stay within 4,000: hold the app to the latter.
MAX_MESSAGE_TEXT = 4000
MAX_SECTION_FIELD = 2000
MAX_CHECKBOX_OPTIONS = 10
MAX_INPUT_LENGTH = 3000
MAX_ID = 255

# What building a model from a malformed dict raises (a missing or unexpected key, a wrong type).
_MODEL_ERRORS = (SlackObjectFormationError, TypeError, KeyError, ValueError, AttributeError)


def error_message(message: str, pointer: str) -> str:
    """One of Slack's "[ERROR] ... [json-pointer:/view/...]" messages."""
    return f"[ERROR] {message} [json-pointer:{pointer}]"


@dataclass(frozen=True)
class MessageProblem:
    """Why Slack refuses a message: its error code and, for bad blocks, one line per problem."""

    error: str
    messages: tuple[str, ...] = ()


def view_errors(view: Any) -> list[str]:
    """Slack-style "[ERROR] ... [json-pointer:/view/...]" messages for a modal; empty when valid."""
    return _view_errors(view, "modal")


def home_view_errors(view: Any) -> list[str]:
    """Slack-style messages for an App Home view published with views.publish."""
    return _view_errors(view, "home")


def message_problem(args: Mapping[str, Any]) -> MessageProblem | None:
    """Why Slack would refuse this message (chat.* arguments or a response_url body), or None."""
    text, blocks = args.get("text"), args.get("blocks")
    if blocks is not None:
        if not isinstance(blocks, list):
            return MessageProblem("invalid_blocks", (error_message("must be an array", "/blocks"),))
        errors = _blocks_errors(blocks, "/blocks", MAX_MESSAGE_BLOCKS)
        if errors:
            return MessageProblem("invalid_blocks", tuple(errors))
    if text is not None and len(str(text)) > MAX_MESSAGE_TEXT:
        return MessageProblem("msg_too_long")
    if not text and not blocks and not args.get("attachments"):
        return MessageProblem("no_text")
    return None


# --- views --------------------------------------------------------------------------------------


def _view_errors(view: Any, kind: str) -> list[str]:
    if not isinstance(view, dict):
        return [error_message("must be an object", "/view")]
    errors: list[str] = []
    if view.get("type") != kind:
        errors.append(error_message(f"must be one of: {kind}", "/view/type"))
    if kind == "modal":
        _text_shape(view, "title", "/view", errors, required=True)
        _text_shape(view, "submit", "/view", errors, required=False)
        _text_shape(view, "close", "/view", errors, required=False)
    _max_length(view, "external_id", MAX_ID, "/view", errors)
    _model_errors(lambda: _ViewWithoutBlocks(**{**view, "blocks": None}), "/view", errors)
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        errors.append(error_message("missing required field: blocks", "/view"))
        return errors
    errors.extend(_blocks_errors(blocks, "/view/blocks", MAX_VIEW_BLOCKS))
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if kind == "modal" and has_input and view.get("submit") is None:
        pointer = "/view/submit"
        errors.append(error_message("submit is required when the view has input blocks", pointer))
    return errors


class _ViewWithoutBlocks(View):
    """slack_sdk's View without its blocks, which are checked and counted on their own."""

    # Each block gets its own json-pointer that way; the count is checked by hand against the
    # limit (slack_sdk also refuses an empty list, which Slack's reference does not forbid).
    def _validate_blocks_length(self) -> None:
        """No blocks here to count."""


# --- blocks -------------------------------------------------------------------------------------


def _blocks_errors(blocks: list[Any], pointer: str, limit: int) -> list[str]:
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(error_message(f"no more than {limit} items allowed", pointer))
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        _block_errors(block, f"{pointer}/{i}", seen, errors)
    return errors


def _block_errors(block: Any, pointer: str, seen: set[str], errors: list[str]) -> None:
    if not isinstance(block, dict):
        errors.append(error_message("must be an object", pointer))
        return
    block_id = block.get("block_id")
    if block_id is not None:
        if block_id in seen:
            errors.append(error_message(f"duplicate block_id: {block_id}", f"{pointer}/block_id"))
        seen.add(str(block_id))
    kind = block.get("type")
    if kind == "input":
        _text_shape(block, "label", pointer, errors, required=True)
    elif kind == "section":
        _fields_errors(block, pointer, errors)
    for element, at in _elements(block, pointer):
        _element_errors(element, at, errors)
    # Block.parse returns None for a type slack_sdk does not know yet; Slack may know it, so
    # such a block gets only the checks above, not a refusal.
    _model_errors(lambda: Block.parse(block), pointer, errors)


def _elements(block: Mapping[str, Any], pointer: str) -> Iterator[tuple[dict[str, Any], str]]:
    """The interactive elements of a block, each with its json-pointer."""
    for key in ("element", "accessory"):
        if isinstance(block.get(key), dict):
            yield block[key], f"{pointer}/{key}"
    if block.get("type") == "actions" and isinstance(block.get("elements"), list):
        for i, element in enumerate(block["elements"]):
            if isinstance(element, dict):
                yield element, f"{pointer}/elements/{i}"


def _fields_errors(block: Mapping[str, Any], pointer: str, errors: list[str]) -> None:
    # slack_sdk counts a section's fields but not the length of each.
    fields = block.get("fields")
    if not isinstance(fields, list):
        return
    for i, field in enumerate(fields):
        text = field.get("text") if isinstance(field, dict) else None
        if isinstance(text, str) and len(text) > MAX_SECTION_FIELD:
            at = f"{pointer}/fields/{i}/text"
            errors.append(
                error_message(f"must be less than {MAX_SECTION_FIELD + 1} characters", at)
            )


def _element_errors(element: Mapping[str, Any], pointer: str, errors: list[str]) -> None:
    """The limits slack_sdk's element models leave out."""
    kind = element.get("type")
    if kind == "plain_text_input":
        max_ok = _int_range(element, "max_length", pointer, errors, low=1, high=MAX_INPUT_LENGTH)
        _int_range(element, "min_length", pointer, errors, low=0, high=MAX_INPUT_LENGTH)
        max_length = element.get("max_length")
        if max_ok and max_length is not None:
            _max_length(element, "initial_value", max_length, pointer, errors)
    elif kind == "checkboxes":
        options = element.get("options")
        if not isinstance(options, list) or not options:
            errors.append(error_message("missing required field: options", pointer))
        elif len(options) > MAX_CHECKBOX_OPTIONS:
            message = f"no more than {MAX_CHECKBOX_OPTIONS} items allowed"
            errors.append(error_message(message, f"{pointer}/options"))


# --- slack_sdk's models -------------------------------------------------------------------------


def _model_errors(build: Callable[[], JsonObject | None], pointer: str, errors: list[str]) -> None:
    """Build a slack_sdk model and run every validator in it, one message per object at fault."""
    try:
        model = build()
    except _MODEL_ERRORS as error:
        _add_once(errors, _reason(error), pointer)
        return
    if model is None:
        return
    found = len(errors)
    _walk(model, pointer, errors)
    if len(errors) == found:
        # to_dict() is what serialises for Slack: catch anything the walk could not reach.
        try:
            model.to_dict()
        except _MODEL_ERRORS as error:
            _add_once(errors, _reason(error), pointer)


def _walk(model: JsonObject, pointer: str, errors: list[str]) -> None:
    try:
        model.validate_json()
    except SlackObjectFormationError as error:
        _add_once(errors, str(error), _pointer_of(model, str(error), pointer))
    for name in sorted(model.attributes):
        value = getattr(model, name, None)
        if isinstance(value, JsonObject):
            _walk(value, f"{pointer}/{name}", errors)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, JsonObject):
                    _walk(item, f"{pointer}/{name}/{i}", errors)


def _pointer_of(model: JsonObject, message: str, pointer: str) -> str:
    """Where a validator's complaint points: its messages start with the attribute's name."""
    name = message.split(" ", 1)[0]
    if name not in model.attributes or getattr(model, name, None) is None:
        return pointer
    if isinstance(getattr(model, name), TextObject):
        return f"{pointer}/{name}/text"
    return f"{pointer}/{name}"


def _reason(error: Exception) -> str:
    # "InputBlock.__init__() missing 1 required keyword-only argument: 'element'" reads as Slack's
    # "missing required field: element".
    missing = re.search(r"missing \d+ required .*argument: '(\w+)'", str(error))
    if missing:
        return f"missing required field: {missing.group(1)}"
    return f"invalid object: {error}"


def _add_once(errors: list[str], message: str, pointer: str) -> None:
    # A hand-written check may already have reported this spot; Slack says one thing per spot.
    if not any(e.endswith(f"[json-pointer:{pointer}]") for e in errors):
        errors.append(error_message(message, pointer))


# --- small checks on raw dicts ------------------------------------------------------------------


def _text_shape(
    obj: Mapping[str, Any], key: str, pointer: str, errors: list[str], *, required: bool
) -> None:
    """A title, label and the like must be a non-empty text object (slack_sdk takes a string)."""
    value = obj.get(key)
    if value is None:
        if required:
            errors.append(error_message(f"missing required field: {key}", pointer))
        return
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        errors.append(error_message("must be a text object", f"{pointer}/{key}"))
    elif not value["text"]:
        errors.append(error_message("must be more than 0 characters", f"{pointer}/{key}/text"))


def _max_length(
    obj: Mapping[str, Any], key: str, limit: int, pointer: str, errors: list[str]
) -> None:
    value = obj.get(key)
    if value is not None and len(str(value)) > limit:
        message = f"must be less than {limit + 1} characters"
        errors.append(error_message(message, f"{pointer}/{key}"))


def _int_range(
    obj: Mapping[str, Any], key: str, pointer: str, errors: list[str], *, low: int, high: int
) -> bool:
    """True when the field is absent or an integer in range."""
    value = obj.get(key)
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        message = f"must be an integer between {low} and {high}"
        errors.append(error_message(message, f"{pointer}/{key}"))
        return False
    return True
