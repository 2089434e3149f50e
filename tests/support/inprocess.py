"""The bot in this process: create_app() on in-memory doubles, driven with App.dispatch().

Requests are the bodies Slack sends, signed with the settings' signing secret, handed to
Bolt as bolt-python's own scenario tests do (BoltRequest -> App.dispatch -> BoltResponse).
The Web API side is the real FakeSlack on loopback, so views.open and friends really happen.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from slack_bolt import BoltRequest, BoltResponse

from bot.app import Lenspin, create_app
from bot.config import Settings
from bot.domain import Workspace
from bot.slack import ids
from bot.web import WSGIApplication
from tests.support.doubles import MemoryRescue, MemoryStore
from tests.support.installing import PUBLIC_URL, install
from tests.support.standins import ApiCall, FakeSlack
from tests.support.world import ENCRYPTION_KEY, settings_for

# The stand-in Slack's default workspace's general channel: where its commands come from.
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
    # The workspace its requests come from; "" for the stand-in Slack's default one.
    team: str = ""

    @property
    def team_id(self) -> str:
        return self.team or self.slack.team_id

    def from_team(self, team: str) -> InProcessBot:
        """The same bot, its requests sent from another workspace (one the stand-in plays)."""
        return replace(self, team=team)

    @property
    def web(self) -> WSGIApplication:
        """The web process's WSGI app around this bot: /slack/events and the install pages."""
        return WSGIApplication(self.lenspin, self.settings.slack_signing_secret)

    # --- requests, as Slack sends them from the bot's workspace ------------------------------

    def dispatch(
        self, body: str, *, content_type: str = "application/x-www-form-urlencoded"
    ) -> BoltResponse:
        """Hand Bolt one signed request body; return its HTTP answer (the ack)."""
        headers: dict[str, str | Sequence[str]] = {
            **self.slack.signed_headers(body.encode(), content_type=content_type)
        }
        return self.lenspin.bolt.dispatch(BoltRequest(body=body, headers=headers))

    def command(self, user_id: str, text: str = "", *, channel_id: str | None = None) -> Sent:
        """/lenspin [text] from user_id in channel_id (the workspace's general channel)."""
        body, trigger_id, response_url = self.slack.command_body(
            user_id=user_id, text=text, channel_id=channel_id, team_id=self.team_id
        )
        return Sent(self.dispatch(body.decode()), trigger_id, response_url)

    def interact(self, payload: Mapping[str, Any]) -> BoltResponse:
        """An interactivity request (view_submission, block_actions, shortcuts): payload=JSON."""
        return self.dispatch(urlencode({"payload": json.dumps(payload)}))

    def event(self, event: Mapping[str, Any]) -> BoltResponse:
        """An Events API event_callback, as JSON, for the install serving the workspace."""
        body = self.slack.event_body(event, team_id=self.team_id)
        return self.dispatch(body.decode(), content_type="application/json")

    def submit(
        self, view: Mapping[str, Any], *, user_id: str, values: Mapping[str, Any] | None = None
    ) -> BoltResponse:
        """Submit an opened modal with values keyed by block_id, as the technician would."""
        payload = self.slack.view_submission_payload(
            dict(view), user_id=user_id, values=values, team_id=self.team_id
        )
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
        trigger_id = self._trigger_id()
        payload: dict[str, Any] = {
            "type": "block_actions",
            **self._payload_fields(user_id),
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
        self,
        user_id: str,
        message: Mapping[str, Any],
        action_id: str,
        *,
        channel_id: str | None = None,
    ) -> Sent:
        """Click a button of a private message lenspin sent, in channel_id (else general)."""
        value = next(
            element["value"]
            for block in message["blocks"]
            if block.get("type") == "actions"
            for element in block["elements"]
            if element.get("action_id") == action_id
        )
        channel = channel_id or self.slack.general_channel(self.team_id)
        container = {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": channel,
            "is_ephemeral": True,
        }
        return self.click(
            user_id,
            action_id,
            value=value,
            container=container,
            channel_id=channel,
            response_url=self._response_url(user_id, channel),
        )

    def message_shortcut(
        self, user_id: str, message: Mapping[str, Any], *, channel_id: str | None = None
    ) -> Sent:
        """The message shortcut on message in channel_id (else general), as Slack sends it."""
        channel = channel_id or self.slack.general_channel(self.team_id)
        trigger_id = self._trigger_id()
        response_url = self._response_url(user_id, channel)
        response = self.interact(
            {
                "type": "message_action",
                "callback_id": ids.MESSAGE_SHORTCUT,
                "trigger_id": trigger_id,
                "response_url": response_url,
                **self._payload_fields(user_id),
                "channel": {"id": channel, "name": channel.lower()},
                "message_ts": message["ts"],
                "message": {"type": "message", **message},
            }
        )
        return Sent(response, trigger_id, response_url)

    def global_shortcut(self, user_id: str) -> Sent:
        """The global shortcut, as Slack sends it (no channel, no response_url)."""
        trigger_id = self._trigger_id()
        response = self.interact(
            {
                "type": "shortcut",
                "callback_id": ids.GLOBAL_SHORTCUT,
                "trigger_id": trigger_id,
                **self._payload_fields(user_id),
            }
        )
        return Sent(response, trigger_id, "")

    def _payload_fields(self, user_id: str) -> dict[str, Any]:
        return self.slack.payload_fields(user_id, team_id=self.team_id)

    def _trigger_id(self) -> str:
        return self.slack.new_trigger_id(team_id=self.team_id)

    def _response_url(self, user_id: str, channel_id: str) -> str:
        return self.slack.new_response_url(user_id, channel_id, team_id=self.team_id)

    # --- what came of them -----------------------------------------------------------------

    def opened_with(self, trigger_id: str) -> ApiCall:
        """The views.open call made with this trigger, waiting for it."""
        return self.slack.wait_for_call(
            "views.open", lambda c: c.args.get("trigger_id") == trigger_id, timeout=WAIT
        )

    def open_pin_form(
        self, user_id: str, text: str = "", *, channel_id: str | None = None
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


def several_settings(slack: FakeSlack, **env: str) -> Settings:
    """Settings for serving several workspaces through slack: its OAuth client instead of
    SLACK_BOT_TOKEN, its authorize step, and nothing shared from the environment."""
    return Settings.from_env(
        {
            "SLACK_CLIENT_ID": slack.client_id,
            "SLACK_CLIENT_SECRET": slack.client_secret,
            "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_URL": slack.api_url,
            "SLACK_OAUTH_AUTHORIZE_URL": slack.authorize_url,
            "LENSPIN_PUBLIC_URL": PUBLIC_URL,
            "LENSPIN_ENCRYPTION_KEY": ENCRYPTION_KEY,
            **env,
        }
    )


@contextmanager
def in_process_bot(
    slack: FakeSlack,
    *,
    store: MemoryStore | None = None,
    workspaces: Sequence[Workspace] | None = None,
    **env: str,
) -> Iterator[InProcessBot]:
    """lenspin on MemoryStore (this one, or a new one) and MemoryRescue, its Web API calls
    going to slack, on SLACK_BOT_TOKEN.

    With workspaces (even none), it serves several: each is installed through lenspin's 'Add to
    Slack' and slack's authorize step, so its requests are authorized with its own token.
    """
    # Following sessions asks Rescue after each PIN; the tests of it turn it on.
    env = {"LENSPIN_WATCH": "off", **env}
    if workspaces is None:
        settings = settings_for(
            SLACK_BOT_TOKEN=slack.bot_token,
            SLACK_SIGNING_SECRET=slack.signing_secret,
            SLACK_API_URL=slack.api_url,
            **env,
        )
    else:
        settings = several_settings(slack, **env)
    store, rescue = (store if store is not None else MemoryStore()), MemoryRescue()
    lenspin = create_app(settings, rescue=rescue, store=store, pin_workers=2)
    bot = InProcessBot(lenspin, slack, store, rescue, settings)
    try:
        for workspace in workspaces or ():
            install(bot.web, slack, workspace)
        yield bot
    finally:
        bot.settle()


# The `make_bot` fixture: settings (env variables) in, a running InProcessBot out.
MakeBot = Callable[..., InProcessBot]
