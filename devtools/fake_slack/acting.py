"""FakeSlack acting as Slack towards the app: ids it hands out, and the signed requests it sends.

Every sender takes team_id: the workspace the request comes from. None means the user's
workspace (the one they were added to, or first acted in), else the default workspace.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from devtools.fake_slack.app_requests import AppRequests
from devtools.fake_slack.records import AppResponse
from devtools.fake_slack.signing import FORM_CONTENT_TYPE, signed_headers
from devtools.fake_slack.state import SlackState
from devtools.fake_slack.workspaces import stable_id

GENERAL_CHANNEL = "C0GENERAL"


class ActingAsSlack:
    """The requests Slack sends the app, for FakeSlack."""

    _state: SlackState
    _cond: threading.Condition
    _to_app: AppRequests

    if TYPE_CHECKING:

        @property
        def url(self) -> str:
            """The fake's base URL."""

        @property
        def signing_secret(self) -> str:
            """The secret requests to the app are signed with."""

    # --- ids ---------------------------------------------------------------------------------

    def new_trigger_id(self, *, team_id: str | None = None) -> str:
        """A fresh trigger_id that views.open accepts once within trigger_ttl seconds.

        Only a token of team_id's workspace (None: the default one) may use it.
        """
        with self._cond:
            team = self._state.teams.get(team_id)
        return self._state.issue_trigger(view_id=None, team_id=team.team_id)

    def new_response_url(self, user_id: str, channel_id: str, *, team_id: str | None = None) -> str:
        """A fresh response_url for a command user_id ran in channel_id (of team_id)."""
        team = self._to_app.team_for(user_id, team_id, channel_id=channel_id)
        return self.url + self._state.issue_response_url(user_id, channel_id, team.team_id)

    def dm_channel_id(self, user_id: str) -> str:
        """The DM channel id conversations.open returns for user_id (stable)."""
        return self._state.dm_channel_id(user_id)

    def general_channel(self, team_id: str | None = None) -> str:
        """The channel commands come from unless told: C0GENERAL in the default workspace."""
        with self._cond:
            team = self._state.teams.get(team_id)
        if team.team_id == self._state.default_team.team_id:
            return GENERAL_CHANNEL
        # Channel ids are unique across workspaces: each workspace has its own general.
        return stable_id("C", team.team_id, "general")

    # --- acting as Slack towards the app -----------------------------------------------------

    def signed_headers(
        self, body: bytes, *, timestamp: int | None = None, content_type: str = FORM_CONTENT_TYPE
    ) -> dict[str, str]:
        """The headers Slack sends with a request body, signed with the signing secret."""
        secret = self.signing_secret
        return signed_headers(body, secret=secret, timestamp=timestamp, content_type=content_type)

    def payload_fields(self, user_id: str, *, team_id: str | None = None) -> dict[str, Any]:
        """What every interactivity payload from user_id carries, for payloads built elsewhere.

        team, user, api_app_id, token, is_enterprise_install and enterprise, as Slack sends them
        from the user's workspace (team_id; None: theirs, else the default one).
        """
        team = self._to_app.team_for(user_id, team_id)
        return self._to_app.payload_fields(user_id, team)

    def command_body(
        self,
        *,
        user_id: str,
        text: str = "",
        command: str = "/lenspin",
        channel_id: str | None = None,
        channel_name: str = "general",
        user_name: str | None = None,
        team_id: str | None = None,
    ) -> tuple[bytes, str, str]:
        """A slash command's form body as Slack sends it; returns (body, trigger_id, response_url).

        For an app driven in-process; send_command POSTs it. channel_id None: the workspace's
        general channel (general_channel()).
        """
        team = self._to_app.team_for(user_id, team_id)
        channel = channel_id or self.general_channel(team.team_id)
        response_url = self.new_response_url(user_id, channel, team_id=team.team_id)
        trigger_id = self.new_trigger_id(team_id=team.team_id)
        fields = self._to_app.command_fields(
            team=team,
            user_id=user_id,
            text=text,
            command=command,
            channel_id=channel,
            channel_name=channel_name,
            user_name=user_name,
            response_url=response_url,
            trigger_id=trigger_id,
        )
        return urlencode(fields).encode(), trigger_id, response_url

    def send_command(
        self,
        app_url: str,
        *,
        user_id: str,
        text: str = "",
        command: str = "/lenspin",
        channel_id: str | None = None,
        channel_name: str = "general",
        user_name: str | None = None,
        timestamp: int | None = None,
        signing_secret: str | None = None,
        timeout: float = 10.0,
        team_id: str | None = None,
    ) -> tuple[AppResponse, str, str]:
        """POST a slash command as Slack does; returns (response, trigger_id, response_url).

        channel_id None: the workspace's general channel (general_channel()).
        """
        body, trigger_id, response_url = self.command_body(
            user_id=user_id,
            text=text,
            command=command,
            channel_id=channel_id,
            channel_name=channel_name,
            user_name=user_name,
            team_id=team_id,
        )
        response = self._to_app.send_signed(
            app_url, body, timeout=timeout, timestamp=timestamp, signing_secret=signing_secret
        )
        return response, trigger_id, response_url

    def view_submission_payload(
        self,
        view: dict[str, Any],
        *,
        user_id: str,
        values: Mapping[str, Any] | None = None,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """The interactivity payload Slack sends when user_id submits view with these values.

        team_id None: the user's workspace, else the one the view was opened in.
        """
        return self._to_app.view_submission_payload(
            view, user_id=user_id, values=values, team_id=team_id
        )

    def submit_view(
        self,
        app_url: str,
        view: dict[str, Any],
        *,
        user_id: str,
        values: Mapping[str, Any] | None = None,
        timeout: float = 10.0,
        team_id: str | None = None,
    ) -> AppResponse:
        """POST a view_submission for view to the app, signed, as Slack does."""
        payload = self.view_submission_payload(
            view, user_id=user_id, values=values, team_id=team_id
        )
        return self.send_payload(app_url, payload, timeout=timeout)

    def send_payload(
        self, app_url: str, payload: dict[str, Any], *, timeout: float = 10.0, **sign_kwargs: Any
    ) -> AppResponse:
        """POST any payload as `payload=<json>`, signed; sign_kwargs: timestamp, signing_secret."""
        unknown = set(sign_kwargs) - {"timestamp", "signing_secret"}
        if unknown:
            raise TypeError(f"send_payload() got unexpected keyword arguments {sorted(unknown)}")
        return self._to_app.send_payload(app_url, payload, timeout=timeout, **sign_kwargs)

    def event_body(self, event: Mapping[str, Any], *, team_id: str | None = None) -> bytes:
        """An Events API event_callback from team_id (None: the default workspace), as JSON.

        For an app driven in-process; send_event POSTs it. It names the install serving the
        workspace (authorizations), as Slack's does.
        """
        with self._cond:
            team = self._state.teams.get(team_id)
        return self._to_app.event_body(event, team=team)

    def send_event(
        self,
        app_url: str,
        event: Mapping[str, Any],
        *,
        team_id: str | None = None,
        timeout: float = 10.0,
        signing_secret: str | None = None,
    ) -> AppResponse:
        """POST an Events API event_callback from team_id (None: the default workspace), signed.

        The body says which install it is for (authorizations), as Slack's does.
        """
        return self._to_app.send_signed(
            app_url,
            self.event_body(event, team_id=team_id),
            timeout=timeout,
            signing_secret=signing_secret,
            content_type="application/json",
        )
