"""read_pin_form: the server re-checks what the modal sent; a forged request may send anything."""

from __future__ import annotations

from typing import Any

import pytest

from bot import texts
from bot.rescue.models import PinRequest
from bot.slack import ids
from bot.slack.forms import read_pin_form
from tests.support import settings_for

FIELDS = settings_for().visible_fields


def state(values: dict[str, str | None], *, ticked: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {
        ids.field_block(k): {ids.FIELD_ACTION: {"type": "plain_text_input", "value": v}}
        for k, v in values.items()
    }
    options = [{"value": ids.NO_TECH_CONSOLE_OPTION}] if ticked else []
    result[ids.NO_TECH_CONSOLE_BLOCK] = {
        ids.NO_TECH_CONSOLE_ACTION: {"type": "checkboxes", "selected_options": options}
    }
    return result


def test_a_full_form_becomes_a_pin_request_byte_exact() -> None:
    values = {
        "name": "Zoë <&> \"quoted\" 'x'",
        "custom1": "東京 😀",
        "custom2": " padded ",
        "custom3": "c3",
        "custom4": "c4",
        "custom5": "c5",
        "tracking": "TCK-1",
    }
    request, errors = read_pin_form(state(values, ticked=True), FIELDS)
    assert errors == {}
    assert request == PinRequest(**values, no_tech_console=True)


def test_empty_optional_fields_become_empty_strings() -> None:
    request, errors = read_pin_form(state({"name": "Jane", "custom1": None}), FIELDS)
    assert errors == {}
    assert request == PinRequest(name="Jane")


def test_name_is_required() -> None:
    for name in (None, "", "   "):
        request, errors = read_pin_form(state({"name": name}), FIELDS)
        assert request is None
        assert errors == {ids.field_block("name"): texts.ERROR_REQUIRED}


def test_too_long_fields_get_inline_errors_keyed_by_block() -> None:
    request, errors = read_pin_form(
        state({"name": "n" * 65, "custom1": "x" * 512, "custom3": "y" * 257, "tracking": "t" * 64}),
        FIELDS,
    )
    assert request is None
    assert errors == {
        ids.field_block("name"): texts.ERROR_TOO_LONG.format(limit=64, length=65),
        ids.field_block("custom3"): texts.ERROR_TOO_LONG.format(limit=256, length=257),
    }


def test_length_counts_as_rescue_does() -> None:
    # 32 emoji are 64 UTF-16 units: the limit exactly; one more is too long.
    ok, errors = read_pin_form(state({"name": "😀" * 32}), FIELDS)
    assert errors == {}
    assert ok is not None
    _, errors = read_pin_form(state({"name": "😀" * 32 + "a"}), FIELDS)
    assert ids.field_block("name") in errors


def test_control_characters_are_refused() -> None:
    request, errors = read_pin_form(state({"name": "Jane\x00", "custom2": "a\x1bb"}), FIELDS)
    assert request is None
    assert errors == {
        ids.field_block("name"): texts.ERROR_UNSAFE,
        ids.field_block("custom2"): texts.ERROR_UNSAFE,
    }


def test_hidden_fields_are_ignored_even_when_forged() -> None:
    visible = tuple(f for f in FIELDS if f.key != "custom5")
    request, errors = read_pin_form(state({"name": "Jane", "custom5": "forged"}), visible)
    assert errors == {}
    assert request == PinRequest(name="Jane")


@pytest.mark.parametrize(
    "garbage",
    [None, [], "text", {ids.field_block("name"): []}, {ids.field_block("name"): {"value": "x"}}],
)
def test_any_shape_of_forged_state_is_an_error_not_a_crash(garbage: object) -> None:
    request, errors = read_pin_form(garbage, FIELDS)
    assert request is None
    assert errors == {ids.field_block("name"): texts.ERROR_REQUIRED}


def test_garbage_state_is_an_error_not_a_crash() -> None:
    request, errors = read_pin_form({ids.field_block("name"): {}}, FIELDS)
    assert request is None
    assert ids.field_block("name") in errors
    forged = {ids.field_block("name"): {ids.FIELD_ACTION: {"value": 42}}}
    request, errors = read_pin_form(forged, FIELDS)
    assert request is None
