"""The pure Block Kit builders: the PIN modal and the messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import texts
from bot.accounts import CODE_MAX_LENGTH
from bot.domain import AuditRecord, CodeSource
from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import Pin, ResultCode
from bot.slack import ids
from bot.slack.blocks import history as history_blocks
from bot.slack.blocks import home as home_blocks
from bot.slack.blocks import messages
from bot.slack.blocks import modals as views
from bot.slack.blocks.connect import connect_link_message, connect_link_modal
from bot.slack.blocks.outcomes import pin_failure
from bot.slack.forms import PinButtons, read_pin_form, rescue_length
from tests.support import settings_for, view_errors

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


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("\U0001f600" * 64, "\U0001f600" * 32),
        # 63 units fit; the next emoji would need units 64 and 65, so it goes whole.
        ("a" + "\U0001f600" * 64, "a" + "\U0001f600" * 31),
        ("\u4e2d" * 100, "\u4e2d" * 64),
    ],
)
def test_a_prefill_is_cut_in_rescues_utf16_units_and_the_form_takes_it_back(
    typed: str, kept: str
) -> None:
    view = modal(values={"name": typed})
    name = inputs(view)[0]
    assert name["element"]["initial_value"] == kept
    # Submitted unchanged, lenspin itself accepts what it prefilled.
    values = {name["block_id"]: {ids.FIELD_ACTION: {"value": kept}}}
    request, errors = read_pin_form(values, SETTINGS.visible_fields)
    assert errors == {}
    assert request is not None
    assert rescue_length(request.name) <= 64


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
    text = pin_failure(Rejected(code, code.value), timeout_seconds=15)
    assert text
    assert "requestPINCode" not in text
    others = {
        pin_failure(Rejected(c, c.value), timeout_seconds=15)
        for c in ResultCode
        if c not in (code, ResultCode.OK)
    }
    assert text not in others


def test_failure_texts_for_transport_errors_say_what_to_do() -> None:
    assert "Technician Console" in pin_failure(Timeout("t"), timeout_seconds=15)
    assert "15 seconds" in pin_failure(Timeout("t"), timeout_seconds=15)
    assert pin_failure(Unavailable("u"), timeout_seconds=15) == texts.UNAVAILABLE
    assert pin_failure(RescueError("x"), timeout_seconds=15) == texts.UNEXPECTED


def test_failure_message_never_shows_the_raw_error() -> None:
    error = Rejected(ResultCode.UNKNOWN, "requestPINCode_SomethingNew")
    message = messages.pin_failed(error, name="Jane", timeout_seconds=15)
    assert "SomethingNew" not in str(message)
    assert texts.UNKNOWN_ANSWER in message["text"]


def Entry(requested_at: datetime, name: str, result: str, pin: str | None) -> AuditRecord:  # noqa: N802
    return AuditRecord(
        team_id="T1",
        user_id="U1",
        requested_at=requested_at,
        fields={"name": name},
        no_tech_console=False,
        code_source=CodeSource.SHARED,
        result=result,
        latency_ms=None,
        pin=pin,
        id=1,
    )


NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_history_shows_young_pins_masks_old_ones_and_explains_failures() -> None:
    entries = [
        Entry(NOW - timedelta(minutes=5), "Jane <x>", "OK", "004821"),
        Entry(NOW - timedelta(minutes=25), "Bob", "OK", "123456"),
        Entry(NOW - timedelta(minutes=30), "Ann", "NO_TECH_CONSOLE_RUNNING", None),
        Entry(NOW - timedelta(minutes=31), "Eve", "SOMETHING_NEW", None),
    ]
    message = history_blocks.history(entries, now=NOW, visible_minutes=20)
    text = message["blocks"][0]["text"]["text"]
    lines = text.splitlines()[1:]
    assert "`004821`" in lines[0]
    assert "Jane &lt;x&gt;" in lines[0]
    assert "123456" not in text
    assert texts.HISTORY_MASKED in lines[1]
    assert texts.SHORT_REASONS["NO_TECH_CONSOLE_RUNNING"] in lines[2]
    assert texts.SHORT_REASON_OTHER in lines[3]
    assert f"<!date^{int(entries[0].requested_at.timestamp())}^" in lines[0]
    assert message["blocks"][1]["elements"][0]["text"] == texts.HISTORY_MASK_NOTE.format(minutes=20)


def test_history_with_zero_minutes_masks_every_pin() -> None:
    entries = [Entry(NOW, "Jane", "OK", "004821")]
    message = history_blocks.history(entries, now=NOW, visible_minutes=0)
    assert "004821" not in str(message)
    assert texts.HISTORY_ALL_MASKED in str(message)


def test_empty_history_says_so() -> None:
    message = history_blocks.history([], now=NOW, visible_minutes=20)
    assert message["blocks"][0]["text"]["text"] == texts.HISTORY_EMPTY


def test_connect_modal_asks_for_a_code_only() -> None:
    view = views.connect_modal()
    assert view["callback_id"] == ids.CONNECT_MODAL
    blocks = inputs(view)
    assert [b["block_id"] for b in blocks] == [ids.CONNECT_CODE_BLOCK]
    assert not blocks[0].get("optional")
    assert blocks[0]["element"]["max_length"] == CODE_MAX_LENGTH


def test_the_connect_link_message_and_modal_open_the_page() -> None:
    url = "https://lenspin.example.com/connect/" + "A" * 43
    message = connect_link_message(url, lead=texts.NEEDS_CONNECT)
    modal = connect_link_modal(url)
    for blocks in (message["blocks"], modal["blocks"]):
        buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
        assert [(b["action_id"], b["url"]) for b in buttons] == [(ids.CONNECT_LINK_ACTION, url)]
    assert message["blocks"][0]["text"]["text"] == texts.NEEDS_CONNECT
    assert "submit" not in modal


def test_home_shows_the_right_button_for_the_connection_state() -> None:
    def actions(view: dict[str, Any]) -> list[str]:
        return [
            e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]
        ]

    connected = home_blocks.home("s", connected=True, can_connect=True, history=[])
    assert connected["type"] == "home"
    assert actions(connected) == [ids.HOME_DISCONNECT_ACTION]
    assert actions(home_blocks.home("s", connected=False, can_connect=True, history=[])) == [
        ids.HOME_CONNECT_ACTION
    ]
    assert actions(home_blocks.home("s", connected=False, can_connect=False, history=[])) == []


@pytest.mark.parametrize(
    "view",
    [
        pytest.param(modal(values={"name": "x" * 100}), id="pin"),
        pytest.param(views.connect_modal(), id="connect"),
        pytest.param(views.notice_modal(texts.CONNECT_DONE_TITLE, "ok"), id="notice"),
    ],
)
def test_modals_pass_slacks_view_checks(view: dict[str, Any]) -> None:
    assert view_errors(view) == []


@pytest.mark.parametrize("language", texts.CUSTOMER_LANGUAGES)
def test_customer_steps_exist_in_every_language_with_the_pin(language: str) -> None:
    post = messages.customer_post(Pin("004821"), language)
    assert "004821" in post["text"]
    assert "Rescue Lens" in post["text"]
    assert post["text"].startswith(texts.CUSTOMER_SHARE_INTRO[language])


def test_the_pin_message_carries_buttons_and_drops_share_once_shared() -> None:
    value = PinButtons(7, "004821", "Jane", "+447700900123", "de").to_value()
    assert len(value) < 2000
    fresh = messages.pin_ready(Pin("004821"), name="Jane", buttons=value, language="de")
    actions = next(b for b in fresh["blocks"] if b["type"] == "actions")["elements"]
    assert [a["action_id"] for a in actions] == [ids.SHARE_ACTION, ids.AGAIN_ACTION]
    sections = [b["text"]["text"] for b in fresh["blocks"] if b["type"] == "section"]
    assert any(texts.CUSTOMER_STEPS["de"].format(pin="004821") in t for t in sections)
    shared = messages.pin_ready(Pin("004821"), name="Jane", buttons=value, shared=True)
    actions = next(b for b in shared["blocks"] if b["type"] == "actions")["elements"]
    assert [a["action_id"] for a in actions] == [ids.AGAIN_ACTION]
    assert texts.SHARED_NOTE in str(shared["blocks"])


def test_button_values_round_trip_and_forged_ones_are_refused() -> None:
    buttons = PinButtons(7, "004821", "Zoë <x>", "+447700900123", "pt-br")
    assert PinButtons.from_value(buttons.to_value()) == buttons
    for forged in (None, "", "{}", '{"pin": "abc"}', '{"pin": "1", "name": 5}', "[1]"):
        assert PinButtons.from_value(forged) is None


def test_the_sms_inputs_follow_the_checkbox_and_can_be_hidden() -> None:
    settings = settings_for(LENSPIN_SMS_LANGUAGE="nl")
    view = views.pin_modal_for(settings, settings.policy)
    ids_in_order = [b["block_id"] for b in inputs(view)]
    assert ids_in_order[-3:] == [
        ids.NO_TECH_CONSOLE_BLOCK,
        ids.SMS_NUMBER_BLOCK,
        ids.SMS_LANGUAGE_BLOCK,
    ]
    assert inputs(view)[-1]["element"]["initial_option"]["value"] == "nl"
    assert view_errors(view) == []
    hidden_settings = settings_for(LENSPIN_HIDDEN_FIELDS="sms")
    hidden = views.pin_modal_for(hidden_settings, hidden_settings.policy)
    assert ids.SMS_NUMBER_BLOCK not in [b["block_id"] for b in inputs(hidden)]
