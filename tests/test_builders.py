"""The pure Block Kit builders: the PIN modal and the messages."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot import texts
from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import Pin, ResultCode
from bot.slack import ids, messages, views
from tests.conftest import settings_for

SETTINGS = settings_for()


def inputs(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view["blocks"] if b["type"] == "input"]


def modal(**kwargs: Any) -> dict[str, Any]:
    return views.pin_modal(
        SETTINGS.visible_fields, checkbox_label=SETTINGS.no_tech_console_label, **kwargs
    )


def test_modal_shows_seven_fields_in_rescue_order_then_the_checkbox() -> None:
    view = modal()
    assert view["callback_id"] == ids.PIN_MODAL
    assert len(view["title"]["text"]) <= 24
    blocks = inputs(view)
    assert [b["block_id"] for b in blocks] == [
        *(ids.field_block(k) for k in ("name", "custom1", "custom2", "custom3")),
        *(ids.field_block(k) for k in ("custom4", "custom5", "tracking")),
        ids.NO_TECH_CONSOLE_BLOCK,
    ]
    text_inputs = [b["element"] for b in blocks[:7]]
    assert [e["max_length"] for e in text_inputs] == [64, 512, 512, 256, 64, 64, 64]
    assert all(e["action_id"] == ids.FIELD_ACTION for e in text_inputs)
    assert [b["optional"] for b in blocks] == [False, True, True, True, True, True, True, True]
    checkbox = blocks[7]["element"]
    assert checkbox["type"] == "checkboxes"
    assert checkbox["action_id"] == ids.NO_TECH_CONSOLE_ACTION
    assert [o["value"] for o in checkbox["options"]] == [ids.NO_TECH_CONSOLE_OPTION]
    assert "initial_options" not in checkbox


def test_modal_prefills_the_name_cut_to_rescue_limit_and_xml_safe() -> None:
    view = modal(values={"name": "  Jane Doe  "})
    assert inputs(view)[0]["element"]["initial_value"] == "Jane Doe"
    long = modal(values={"name": "A\x07" + "b" * 100})
    assert long["blocks"][1]["element"]["initial_value"] == "A" + "b" * 63
    empty = modal(values={"name": "   "})
    assert "initial_value" not in inputs(empty)[0]["element"]


def test_modal_follows_labels_hints_and_hidden_fields() -> None:
    fields = tuple(
        replace(f, label="Ticket") if f.key == "custom1" else f
        for f in SETTINGS.visible_fields
        if f.key != "custom5"
    )
    view = views.pin_modal(fields, checkbox_label=None, private_metadata="meta")
    blocks = inputs(view)
    assert ids.field_block("custom5") not in [b["block_id"] for b in blocks]
    assert ids.NO_TECH_CONSOLE_BLOCK not in [b["block_id"] for b in blocks]
    assert blocks[1]["label"]["text"] == "Ticket"
    assert blocks[0]["hint"]["text"] == SETTINGS.visible_fields[0].hint
    assert "hint" not in blocks[1]
    assert view["private_metadata"] == "meta"


def test_modal_can_start_with_the_box_ticked() -> None:
    element = inputs(modal(no_tech_console=True))[-1]["element"]
    assert element["initial_options"] == element["options"]


def test_pin_message_shows_six_digits_the_name_and_customer_steps() -> None:
    message = messages.pin_ready(Pin.from_rescue("4821"), name="Jane <Doe> & co")
    assert message["text"] == "Rescue Lens PIN for Jane &lt;Doe&gt; &amp; co: 004821"
    rendered = str(message["blocks"])
    assert "004821" in rendered
    assert "Jane &lt;Doe&gt; &amp; co" in rendered
    assert "Rescue Lens app" in rendered
    assert "Connect" in rendered
    assert {"type": "header", "text": {"type": "plain_text", "text": "004821"}} in message["blocks"]


@pytest.mark.parametrize("code", [c for c in ResultCode if c is not ResultCode.OK])
def test_every_result_code_has_its_own_plain_explanation(code: ResultCode) -> None:
    text = texts.failure(Rejected(code, code.value), timeout_seconds=15)
    assert text
    assert "requestPINCode" not in text
    others = {
        texts.failure(Rejected(c, c.value), timeout_seconds=15)
        for c in ResultCode
        if c not in (code, ResultCode.OK)
    }
    assert text not in others


def test_failure_texts_for_transport_errors_say_what_to_do() -> None:
    assert "Technician Console" in texts.failure(Timeout("t"), timeout_seconds=15)
    assert "15 seconds" in texts.failure(Timeout("t"), timeout_seconds=15)
    assert texts.failure(Unavailable("u"), timeout_seconds=15) == texts.UNAVAILABLE
    assert texts.failure(RescueError("x"), timeout_seconds=15) == texts.UNEXPECTED


def test_failure_message_never_shows_the_raw_error() -> None:
    error = Rejected(ResultCode.UNKNOWN, "requestPINCode_SomethingNew")
    message = messages.pin_failed(error, name="Jane", timeout_seconds=15)
    assert "SomethingNew" not in str(message)
    assert texts.UNKNOWN_ANSWER in message["text"]
