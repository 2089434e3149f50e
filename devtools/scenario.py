"""A technician's steps as Slack delivers them from their workspace: commands, modals, clicks."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from devtools.fake_slack import AppResponse, FakeSlack


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
    channel_id: str | None = None,
    team_id: str | None = None,
    timeout: float = 5.0,
) -> OpenedModal:
    """Send /lenspin and wait until the app opens a modal with that command's trigger.

    channel_id None: the workspace's general channel; team_id None: the user's workspace.
    """
    ack, trigger_id, response_url = slack.send_command(
        events_url, user_id=user_id, text=text, channel_id=channel_id, team_id=team_id
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


def _from(slack: FakeSlack, user_id: str, team_id: str | None) -> tuple[dict[str, Any], str]:
    """What a payload from user_id carries (team, user, enterprise...), and their workspace's id.

    team_id None: the user's workspace (where they were added or first acted), else the default.
    """
    fields = slack.payload_fields(user_id, team_id=team_id)
    return fields, str(fields["team"]["id"])


def click(
    slack: FakeSlack,
    events_url: str,
    *,
    user_id: str,
    action_id: str,
    view: dict[str, Any],
    team_id: str | None = None,
) -> AppResponse:
    """Click a button in a view (a Home tab or a modal), as Slack sends block_actions."""
    fields, team = _from(slack, user_id, team_id)
    payload = {
        "type": "block_actions",
        **fields,
        "container": {"type": "view", "view_id": view.get("id", "")},
        "trigger_id": slack.new_trigger_id(team_id=team),
        "view": view,
        "actions": [
            {"action_id": action_id, "block_id": "b", "type": "button", "action_ts": "1.0"}
        ],
    }
    return slack.send_payload(events_url, payload)


def message_shortcut(
    slack: FakeSlack,
    events_url: str,
    *,
    user_id: str,
    callback_id: str,
    channel_id: str,
    message: dict[str, Any],
    team_id: str | None = None,
) -> tuple[AppResponse, str]:
    """Run a message shortcut on message, as Slack sends it; return the answer and response_url."""
    fields, team = _from(slack, user_id, team_id)
    response_url = slack.new_response_url(user_id, channel_id, team_id=team)
    payload = {
        "type": "message_action",
        "callback_id": callback_id,
        "trigger_id": slack.new_trigger_id(team_id=team),
        "response_url": response_url,
        **fields,
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "message_ts": message["ts"],
        "message": {"type": "message", **message},
    }
    return slack.send_payload(events_url, payload), response_url


def global_shortcut(
    slack: FakeSlack,
    events_url: str,
    *,
    user_id: str,
    callback_id: str,
    team_id: str | None = None,
) -> AppResponse:
    """Run a global shortcut, as Slack sends it (no channel, no response_url)."""
    fields, team = _from(slack, user_id, team_id)
    payload = {
        "type": "shortcut",
        "callback_id": callback_id,
        "trigger_id": slack.new_trigger_id(team_id=team),
        **fields,
    }
    return slack.send_payload(events_url, payload)


def click_in_message(
    slack: FakeSlack,
    events_url: str,
    *,
    user_id: str,
    channel_id: str,
    message: dict[str, Any],
    action_id: str,
    team_id: str | None = None,
) -> tuple[AppResponse, str]:
    """Click a button in an (ephemeral) message lenspin sent; return the answer and response_url."""
    button = next(
        e
        for block in message["blocks"]
        if block.get("type") == "actions"
        for e in block["elements"]
        if e.get("action_id") == action_id
    )
    fields, team = _from(slack, user_id, team_id)
    response_url = slack.new_response_url(user_id, channel_id, team_id=team)
    payload = {
        "type": "block_actions",
        **fields,
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": channel_id,
            "is_ephemeral": True,
        },
        "trigger_id": slack.new_trigger_id(team_id=team),
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b",
                "type": "button",
                "value": button["value"],
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return slack.send_payload(events_url, payload), response_url
