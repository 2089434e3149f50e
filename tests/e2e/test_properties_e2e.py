"""Property tests end to end: any valid text reaches Rescue byte-exact, any invalid is refused.

The app runs as the Procfile starts it; tests/unit/test_properties.py holds the form reader's
own properties, and tests/support/pin_texts.py the oracle both share.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings

from bot import texts
from bot.slack import ids
from tests.support import (
    TECHS,
    AppResponse,
    FakeRescue,
    FakeSlack,
    WebProcess,
    open_pin_modal,
    submit_pin_modal,
)
from tests.support.pin_texts import (
    KEYS,
    applicable_errors,
    invalid_field_sets,
    is_valid,
    valid_field_sets,
)

RESCUE_NAMES = [
    "sCField0",
    "sCField1",
    "sCField2",
    "sCField3",
    "sCField4",
    "sCField5",
    "sTracking0",
]

# The end-to-end properties run through the app as the Procfile starts it. Technicians from
# the end of the list: the `tech` fixture counts up from 0 and test_startup takes the last
# two. Cycling only matters while hypothesis shrinks a failure.
_techs = itertools.cycle(TECHS[300:390])


def submit_fresh(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, fields: dict[str, str]
) -> tuple[str, AppResponse]:
    """Open the form as the next technician and submit fields; return who and the ack."""
    # Hypothesis runs every example inside one use of the fixtures: start each afresh.
    slack.reset()
    rescue.reset()
    tech = next(_techs)
    opened = open_pin_modal(slack, web.events_url, user_id=tech)
    values = {ids.field_block(key): text for key, text in fields.items()}
    return tech, submit_pin_modal(slack, web.events_url, opened, user_id=tech, values=values)


_E2E = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@_E2E
@given(fields=valid_field_sets)
def test_any_valid_text_reaches_rescue_byte_exact(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, fields: dict[str, str]
) -> None:
    tech, ack = submit_fresh(web, slack, rescue, fields)
    assert ack.status == 200
    assert ack.body == ""
    (call,) = rescue.wait_for_calls(1)
    assert [call.fields[name] for name in RESCUE_NAMES] == [fields[key] for key in KEYS]
    # The PIN reaching the technician closes the example: nothing is in flight at reset.
    slack.wait_for_message(tech)
    assert len(rescue.calls) == 1


@settings(_E2E, max_examples=25)
@given(fields=invalid_field_sets())
def test_any_invalid_text_gets_inline_errors_and_reaches_nothing(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, fields: dict[str, str]
) -> None:
    tech, ack = submit_fresh(web, slack, rescue, fields)
    assert ack.status == 200
    body = ack.json()
    assert body["response_action"] == "errors"
    bad = {key for key, text in fields.items() if not is_valid(key, text)}
    assert set(body["errors"]) == {ids.field_block(key) for key in bad}
    for key in bad:
        assert body["errors"][ids.field_block(key)] in applicable_errors(key, fields[key])
    assert rescue.calls == []
    assert slack.messages_for(tech) == []


def test_a_lone_surrogate_gets_an_inline_error_not_a_500(
    web: WebProcess, slack: FakeSlack, rescue: FakeRescue, tech: str
) -> None:
    opened = open_pin_modal(slack, web.events_url, user_id=tech)
    # json.dumps writes the surrogate as the escape "\\ud800", as a forger would.
    payload = slack.view_submission_payload(
        opened.view, user_id=tech, values={ids.field_block("name"): "Jane\ud800"}
    )
    ack = slack.send_payload(web.events_url, payload)
    assert ack.status == 200
    assert ack.json()["errors"] == {ids.field_block("name"): texts.ERROR_UNSAFE}
    assert rescue.calls == []
