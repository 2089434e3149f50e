"""The bot in this process: create_app() on in-memory doubles, driven with App.dispatch().

Requests are the bodies Slack sends, signed with the settings' signing secret, handed to
Bolt as bolt-python's own scenario tests do (BoltRequest -> App.dispatch -> BoltResponse).
The Web API side is the real FakeSlack on loopback, so views.open and friends really happen.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from slack_bolt import BoltRequest, BoltResponse

from bot.app import Lenspin, create_app
from bot.config import Settings
from bot.slack import ids
from tests.support.doubles import MemoryRescue, MemoryStore
from tests.support.standins import ApiCall, FakeSlack
from tests.support.workspaces import MemoryWorkspaces
from tests.support.world import settings_for

CHANNEL = "C0GENERAL"
# The one technician the `bot` fixture allows to use the shared code, and someone else. Ids
# of their own: the session's gunicorn app (tests/e2e) shares the fake Slack with this tier.
TECH = "U0SCENTECH"
STRANGER = "U0SCENSTRANGER"
# Work after ack() (views.open, deliveries) lands within this; a miss fails, never hangs.
WAIT = 5.0


@dataclass(frozen=True)
class Sent:
    """One request sent: Bolt's answer, and the trigger and response_url it carried."""

    response: BoltResponse
    trigger_id: str
    response_url: str


@dataclass(frozen=True)
class OpenedForm:
    """A modal the app opened with a request's trigger, and that request's response_url."""

    view: dict[str, Any]
    response_url: str


@dataclass
class InProcessBot:
    """lenspin built by create_app() in this process, as Slack (FakeSlack) would drive it."""

    lenspin: Lenspin
    slack: FakeSlack
    store: MemoryStore
    rescue: MemoryRescue
    settings: Settings
    # Installs and each workspace's settings, when it serves several workspaces.
    workspaces: MemoryWorkspaces | None = None

    @property
    def team_id(self) -> str:
        return self.slack.team_id

    # --- requests, as Slack sends them -----------------------------------------------------

    def dispatch(
        self, body: str, *, content_type: str = "application/x-www-form-urlencoded"
    ) -> BoltResponse:
        """Hand Bolt one signed request body; return its HTTP answer (the ack)."""
        headers: dict[str, str | Sequence[str]] = {
            **self.slack.signed_headers(body.encode(), content_type=content_type)
        }
        return self.lenspin.bolt.dispatch(BoltRequest(body=body, headers=headers))

    def command(self, user_id: str, text: str = "", *, channel_id: str = CHANNEL) -> Sent:
        """/lenspin [text] from user_id in channel_id, as a form-encoded slash command."""
        trigger_id = self.slack.new_trigger_id()
        response_url = self.slack.new_response_url(user_id, channel_id)
        body = urlencode(
            {
                "token": "fake-verification-token",
                "team_id": self.team_id,
                "team_domain": self.slack.team_domain,
                "channel_id": channel_id,
                "channel_name": channel_id.lower(),
                "user_id": user_id,
                "user_name": user_id.lower(),
                "command": ids.COMMAND,
                "text": text,
                "api_app_id": self.slack.api_app_id,
                "is_enterprise_install": "false",
                "response_url": response_url,
                "trigger_id": trigger_id,
            }
        )
        return Sent(self.dispatch(body), trigger_id, response_url)

    def interact(self, payload: Mapping[str, Any]) -> BoltResponse:
        """An interactivity request (view_submission, block_actions, shortcuts): payload=JSON."""
        return self.dispatch(urlencode({"payload": json.dumps(payload)}))

    def event(self, event: Mapping[str, Any]) -> BoltResponse:
        """An Events API event_callback, as JSON."""
        body = json.dumps(
            {
                "token": "fake-verification-token",
                "team_id": self.team_id,
                "api_app_id": self.slack.api_app_id,
                "event": {"event_ts": f"{time.time():.6f}", **event},
                "type": "event_callback",
                "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": self.team_id, "is_bot": True}],
            }
        )
        return self.dispatch(body, content_type="application/json")

    def submit(
        self, view: Mapping[str, Any], *, user_id: str, values: Mapping[str, Any] | None = None
    ) -> BoltResponse:
        """Submit an opened modal with values keyed by block_id, as the technician would."""
        payload = self.slack.view_submission_payload(dict(view), user_id=user_id, values=values)
        return self.interact(payload)

    def click(
        self,
        user_id: str,
        action_id: str,
        *,
        value: str | None = None,
        container: Mapping[str, Any] | None = None,
        channel_id: str | None = None,
        response_url: str | None = None,
    ) -> Sent:
        """A block_actions click on one button (in a Home tab, or in a message with a channel)."""
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": "b",
            "type": "button",
            "action_ts": f"{time.time():.6f}",
        }
        if value is not None:
            action["value"] = value
        trigger_id = self.slack.new_trigger_id()
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": self.team_id, "domain": self.slack.team_domain},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "api_app_id": self.slack.api_app_id,
            "token": "fake-verification-token",
            "container": dict(container or {"type": "view", "view_id": "VHOME"}),
            "trigger_id": trigger_id,
            "actions": [action],
        }
        if channel_id is not None:
            payload["channel"] = {"id": channel_id, "name": channel_id.lower()}
        if response_url is not None:
            payload["response_url"] = response_url
        return Sent(self.interact(payload), trigger_id, response_url or "")

    def click_in_message(
        self, user_id: str, message: Mapping[str, Any], action_id: str, *, channel_id: str = CHANNEL
    ) -> Sent:
        """Click a button of a private message lenspin sent, in channel_id."""
        value = next(
            element["value"]
            for block in message["blocks"]
            if block.get("type") == "actions"
            for element in block["elements"]
            if element.get("action_id") == action_id
        )
        response_url = self.slack.new_response_url(user_id, channel_id)
        container = {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": channel_id,
            "is_ephemeral": True,
        }
        return self.click(
            user_id,
            action_id,
            value=value,
            container=container,
            channel_id=channel_id,
            response_url=response_url,
        )

    def message_shortcut(
        self, user_id: str, message: Mapping[str, Any], *, channel_id: str = CHANNEL
    ) -> Sent:
        """The message shortcut on message, as Slack sends it."""
        trigger_id = self.slack.new_trigger_id()
        response_url = self.slack.new_response_url(user_id, channel_id)
        response = self.interact(
            {
                "type": "message_action",
                "callback_id": ids.MESSAGE_SHORTCUT,
                "trigger_id": trigger_id,
                "response_url": response_url,
                "team": {"id": self.team_id, "domain": self.slack.team_domain},
                "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
                "channel": {"id": channel_id, "name": channel_id.lower()},
                "message_ts": message["ts"],
                "message": {"type": "message", **message},
                "token": "fake-verification-token",
                "is_enterprise_install": False,
            }
        )
        return Sent(response, trigger_id, response_url)

    def global_shortcut(self, user_id: str) -> Sent:
        """The global shortcut, as Slack sends it (no channel, no response_url)."""
        trigger_id = self.slack.new_trigger_id()
        response = self.interact(
            {
                "type": "shortcut",
                "callback_id": ids.GLOBAL_SHORTCUT,
                "trigger_id": trigger_id,
                "team": {"id": self.team_id, "domain": self.slack.team_domain},
                "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
                "token": "fake-verification-token",
                "is_enterprise_install": False,
            }
        )
        return Sent(response, trigger_id, "")

    # --- what came of them -----------------------------------------------------------------

    def opened_with(self, trigger_id: str) -> ApiCall:
        """The views.open call made with this trigger, waiting for it."""
        return self.slack.wait_for_call(
            "views.open", lambda c: c.args.get("trigger_id") == trigger_id, timeout=WAIT
        )

    def open_pin_form(
        self, user_id: str, text: str = "", *, channel_id: str = CHANNEL
    ) -> OpenedForm:
        """/lenspin [text], and the PIN form it opened."""
        sent = self.command(user_id, text, channel_id=channel_id)
        assert sent.response.status == 200, sent.response.body
        return OpenedForm(self.opened_with(sent.trigger_id).args["view"], sent.response_url)

    def published_home(self, user_id: str) -> dict[str, Any]:
        """The Home view published for user_id, waiting for it."""
        call = self.slack.wait_for_call(
            "views.publish", lambda c: c.args.get("user_id") == user_id, timeout=WAIT
        )
        view: dict[str, Any] = call.args["view"]
        return view

    def settle(self) -> None:
        """Let every listener, PIN request and background job finish; the app stops.

        For asserting that something did *not* happen: after this nothing more will.
        """
        # Bolt runs listeners (and an event's whole listener) on this pool after the ack.
        self.lenspin.bolt.listener_runner.listener_executor.shutdown(wait=True)
        self.lenspin.shutdown()


@contextmanager
def in_process_bot(
    slack: FakeSlack,
    *,
    store: MemoryStore | None = None,
    workspaces: MemoryWorkspaces | None = None,
    **env: str,
) -> Iterator[InProcessBot]:
    """lenspin on MemoryStore (this one, or a new one) and MemoryRescue, its Web API calls
    going to slack; with workspaces, serving several workspaces (their installs, settings)."""
    settings = settings_for(
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_SIGNING_SECRET=slack.signing_secret,
        SLACK_API_URL=slack.api_url,
        # Following sessions asks Rescue after each PIN; the tests of it turn it on.
        **{"LENSPIN_WATCH": "off", **env},
    )
    if workspaces is not None:
        # Every request still gets the stand-in's one token: what differs is whose settings.
        settings = replace(settings, slack_client_id="0000.fake", slack_client_secret="fake")
    store, rescue = (store if store is not None else MemoryStore()), MemoryRescue()
    lenspin = create_app(settings, rescue=rescue, store=store, workspaces=workspaces, pin_workers=2)
    bot = InProcessBot(lenspin, slack, store, rescue, settings, workspaces)
    try:
        yield bot
    finally:
        bot.settle()


# The `make_bot` fixture: settings (env variables) in, a running InProcessBot out.
MakeBot = Callable[..., InProcessBot]
