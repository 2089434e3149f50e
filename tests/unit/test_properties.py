"""Property tests: any text a technician or a forger sends is carried exactly or refused.

Here the form reader alone; tests/e2e/test_properties_e2e.py runs the same oracle
(tests/support/pin_texts.py) through the app as the Procfile starts it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import texts
from bot.rescue.models import SMS_LANGUAGES, PinRequest
from bot.slack import ids
from bot.slack.forms import read_pin_form
from tests.support.pin_texts import FIELDS, KEYS, any_field_sets, applicable_errors, is_valid

ALL_BLOCKS = {ids.field_block(key) for key in KEYS} | {ids.SMS_NUMBER_BLOCK, ids.SMS_LANGUAGE_BLOCK}


def state_values(fields: dict[str, str | None]) -> dict[str, Any]:
    """view.state.values as Slack builds it for these field texts."""
    return {
        ids.field_block(key): {ids.FIELD_ACTION: {"type": "plain_text_input", "value": text}}
        for key, text in fields.items()
    }


# Forged payloads: any JSON-ish shape, with the form's own keys likely enough to reach deep.
_form_keys = st.sampled_from(
    [
        *sorted(ALL_BLOCKS),
        ids.NO_TECH_CONSOLE_BLOCK,
        ids.FIELD_ACTION,
        ids.NO_TECH_CONSOLE_ACTION,
        "selected_options",
        "selected_option",
        ids.NO_TECH_CONSOLE_OPTION,
    ]
)
forged_shapes = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | _form_keys,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(_form_keys | st.text(max_size=5), children, max_size=5)
    ),
    max_leaves=30,
)


# The first draw of st.characters() builds hypothesis's Unicode tables (seconds, once per
# checkout): too_slow would fail a clean clone's first run for that alone.
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(fields=any_field_sets, sms=st.booleans())
def test_read_pin_form_carries_valid_text_exactly_and_flags_exactly_the_bad_fields(
    fields: dict[str, str | None], sms: bool
) -> None:
    request, errors = read_pin_form(state_values(fields), FIELDS, sms=sms)
    given_texts = {key: fields.get(key) or "" for key in KEYS}
    bad = {key for key, text in given_texts.items() if not is_valid(key, text)}
    if not bad:
        assert errors == {}
        assert request == PinRequest(**given_texts)
        return
    assert request is None
    assert set(errors) == {ids.field_block(key) for key in bad}
    for key in bad:
        assert errors[ids.field_block(key)] in applicable_errors(key, given_texts[key])


@settings(max_examples=500)
@given(values=forged_shapes, sms=st.booleans())
def test_read_pin_form_never_raises_on_forged_state(values: Any, sms: bool) -> None:
    request, errors = read_pin_form(values, FIELDS, sms=sms)
    assert (request is None) == bool(errors)
    assert set(errors) <= ALL_BLOCKS
    if request is not None:
        assert request.sms_language in SMS_LANGUAGES
        assert all(isinstance(getattr(request, key), str) for key in KEYS)


# JSON may spell a lone surrogate ("\\ud800") and json.loads keeps it: a forged payload can
# put one in any field, and it must be refused like any other character XML cannot carry.
lone_surrogate_texts = st.tuples(
    st.text(max_size=5), st.characters(categories=["Cs"]), st.text(max_size=5)
).map("".join)


@settings(max_examples=50)
@given(key=st.sampled_from(KEYS), text=lone_surrogate_texts)
def test_read_pin_form_refuses_lone_surrogates(key: str, text: str) -> None:
    fields = {"name": "Jane", key: text}
    assert read_pin_form(state_values(fields), FIELDS) == (
        None,
        {ids.field_block(key): texts.ERROR_UNSAFE},
    )
