"""A technician's steps as Slack delivers them: commands, modals, clicks and events."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

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


def send_event(slack: FakeSlack, events_url: str, event: dict[str, Any]) -> requests.Response:
    """Deliver an Events API event_callback as Slack does: JSON, signed."""
    body = json.dumps(
        {
            "token": "fake-verification-token",
            "team_id": slack.team_id,
            "api_app_id": slack.api_app_id,
            "event": {"event_ts": f"{time.time():.6f}", **event},
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
        }
    ).encode()
    headers = slack.signed_headers(body, content_type="application/json")
    return requests.post(events_url, data=body, headers=headers, timeout=10)


def click(
    slack: FakeSlack, events_url: str, *, user_id: str, action_id: str, view: dict[str, Any]
) -> AppResponse:
    """Click a button in a view (a Home tab or a modal), as Slack sends block_actions."""
    payload = {
        "type": "block_actions",
        "team": {"id": slack.team_id, "domain": slack.team_domain},
        "user": {"id": user_id, "username": user_id, "name": user_id, "team_id": slack.team_id},
        "api_app_id": slack.api_app_id,
        "token": "fake-verification-token",
        "container": {"type": "view", "view_id": view.get("id", "")},
        "trigger_id": slack.new_trigger_id(),
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
) -> tuple[AppResponse, str]:
    """Run a message shortcut on message, as Slack sends it; return the answer and response_url."""
    response_url = slack.new_response_url(user_id, channel_id)
    payload = {
        "type": "message_action",
        "callback_id": callback_id,
        "trigger_id": slack.new_trigger_id(),
        "response_url": response_url,
        "team": {"id": slack.team_id, "domain": slack.team_domain},
        "user": {"id": user_id, "username": user_id, "team_id": slack.team_id},
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "message_ts": message["ts"],
        "message": {"type": "message", **message},
        "token": "fake-verification-token",
        "is_enterprise_install": False,
    }
    return slack.send_payload(events_url, payload), response_url


def global_shortcut(
    slack: FakeSlack, events_url: str, *, user_id: str, callback_id: str
) -> AppResponse:
    """Run a global shortcut, as Slack sends it (no channel, no response_url)."""
    payload = {
        "type": "shortcut",
        "callback_id": callback_id,
        "trigger_id": slack.new_trigger_id(),
        "team": {"id": slack.team_id, "domain": slack.team_domain},
        "user": {"id": user_id, "username": user_id, "team_id": slack.team_id},
        "token": "fake-verification-token",
        "is_enterprise_install": False,
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
) -> tuple[AppResponse, str]:
    """Click a button in an (ephemeral) message lenspin sent; return the answer and response_url."""
    button = next(
        e
        for block in message["blocks"]
        if block.get("type") == "actions"
        for e in block["elements"]
        if e.get("action_id") == action_id
    )
    response_url = slack.new_response_url(user_id, channel_id)
    payload = {
        "type": "block_actions",
        "team": {"id": slack.team_id, "domain": slack.team_domain},
        "user": {"id": user_id, "username": user_id, "team_id": slack.team_id},
        "api_app_id": slack.api_app_id,
        "token": "fake-verification-token",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": channel_id,
            "is_ephemeral": True,
        },
        "trigger_id": slack.new_trigger_id(),
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
