"""A technician's steps as Slack delivers them: run /lenspin, get the modal, submit it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.devtools.fake_slack import AppResponse, FakeSlack


@dataclass(frozen=True)
class OpenedModal:
    """What came of one /lenspin: the app's answer and the view it opened."""

    ack: AppResponse
    view: dict[str, Any]
    trigger_id: str
    response_url: str


def open_pin_modal(
    slack: FakeSlack,
    events_url: str,
    *,
    user_id: str,
    text: str = "",
    channel_id: str = "C0GENERAL",
    timeout: float = 5.0,
) -> OpenedModal:
    """Send /lenspin and wait until the app opens a modal with that command's trigger."""
    ack, trigger_id, response_url = slack.send_command(
        events_url, user_id=user_id, text=text, channel_id=channel_id
    )
    if ack.status != 200:
        raise AssertionError(f"/lenspin answered {ack.status}: {ack.body}")
    call = slack.wait_for_call(
        "views.open", lambda c: c.args.get("trigger_id") == trigger_id, timeout=timeout
    )
    return OpenedModal(ack, call.args["view"], trigger_id, response_url)


def submit_pin_modal(
    slack: FakeSlack,
    events_url: str,
    opened: OpenedModal,
    *,
    user_id: str,
    values: Mapping[str, Any],
) -> AppResponse:
    """Submit the modal with values keyed by block_id, as the technician would."""
    return slack.submit_view(events_url, opened.view, user_id=user_id, values=values)
