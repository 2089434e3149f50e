"""Slack's side towards the app: slash commands and interactivity payloads, signed, over HTTP."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import requests

from devtools.fake_slack.blocks import view_errors
from devtools.fake_slack.records import AppResponse
from devtools.fake_slack.signing import FORM_CONTENT_TYPE, signed_headers
from devtools.fake_slack.state import SlackState
from devtools.fake_slack.views import SUBMISSION_VIEW_KEYS, state_values
from devtools.fake_slack.workspaces import Grant, Team

# The legacy verification token Slack still puts in every request; Bolt ignores it.
VERIFICATION_TOKEN = "fake-verification-token"


class AppRequests:
    """Sends the app what Slack would, with one keep-alive session per thread."""

    def __init__(self, state: SlackState) -> None:
        self.state = state
        self.workspace = state.workspace
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    # --- who a request comes from ----------------------------------------------------------

    def team_for(self, user_id: str, team_id: str | None, *, channel_id: str | None = None) -> Team:
        """The workspace a request as user_id comes from, claiming the user (and channel) for it.

        team_id None: the user's workspace (added to, or first acted in), else the default one.
        """
        with self.state.cond:
            teams = self.state.teams
            team = teams.get(team_id) if team_id else teams.user_team(user_id)
            teams.claim_user(user_id, team)
            if channel_id:
                teams.claim_channel(channel_id, team)
            return team

    def org_installed(self, team: Team) -> bool:
        """True when the team's enterprise has an org-wide install: requests then say so."""
        with self.state.cond:
            installs = self.state.installs
            return bool(team.enterprise_id) and installs.find(team.enterprise_id, "") is not None

    def serving_grant(self, team: Team) -> Grant:
        """The bot of the install that serves team: its own, else its org's, else the team's."""
        with self.state.cond:
            installs = self.state.installs
            install = installs.find(team.enterprise_id, team.team_id)
            if install is None and team.enterprise_id:
                install = installs.find(team.enterprise_id, "")
            return install.grant if install is not None else self.state.bot_grant(team)

    def payload_fields(self, user_id: str, team: Team) -> dict[str, Any]:
        """The fields of every interactivity payload user_id sends from team, in Slack's shape."""
        name = self.state.user_name(user_id)
        team_fields = {"id": team.team_id, "domain": team.domain}
        enterprise = None
        if team.enterprise_id:
            team_fields.update(
                enterprise_id=team.enterprise_id, enterprise_name=team.enterprise_name
            )
            enterprise = {"id": team.enterprise_id, "name": team.enterprise_name}
        return {
            "team": team_fields,
            "user": {"id": user_id, "username": name, "name": name, "team_id": team.team_id},
            "api_app_id": self.workspace.api_app_id,
            "token": VERIFICATION_TOKEN,
            "is_enterprise_install": self.org_installed(team),
            "enterprise": enterprise,
        }

    def command_fields(
        self,
        *,
        team: Team,
        user_id: str,
        text: str,
        command: str,
        channel_id: str,
        channel_name: str,
        user_name: str | None,
        response_url: str,
        trigger_id: str,
    ) -> dict[str, str]:
        """The form fields of a slash command, in Slack's order."""
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": team.team_id,
            "team_domain": team.domain,
        }
        if team.enterprise_id:
            fields.update(enterprise_id=team.enterprise_id, enterprise_name=team.enterprise_name)
        fields.update(
            channel_id=channel_id,
            channel_name=channel_name,
            user_id=user_id,
            user_name=user_name or self.state.user_name(user_id),
            command=command,
            text=text,
            api_app_id=self.workspace.api_app_id,
            is_enterprise_install="true" if self.org_installed(team) else "false",
            response_url=response_url,
            trigger_id=trigger_id,
        )
        return fields

    def view_submission_payload(
        self,
        view: dict[str, Any],
        *,
        user_id: str,
        values: Mapping[str, Any] | None = None,
        team_id: str | None = None,
    ) -> dict[str, Any]:
        """The interactivity payload Slack sends when user_id submits view with these values."""
        with self.state.cond:
            teams = self.state.teams
            if team_id is None and teams.knows_user(user_id):
                team_id = teams.user_team(user_id).team_id
            full = self.state.views.resolve(view, team_id)
            # A view the app opened remembers its workspace: a new submitter is from there.
            if team_id is None and teams.has(str(full.get("team_id") or "")):
                team_id = str(full["team_id"])
        team = self.team_for(user_id, team_id)
        state = state_values(full["blocks"], values or {})
        payload_view = {key: full.get(key) for key in SUBMISSION_VIEW_KEYS}
        payload_view["state"] = {"values": state}
        fields = self.payload_fields(user_id, team)
        return {
            "type": "view_submission",
            "team": fields["team"],
            "user": fields["user"],
            "api_app_id": fields["api_app_id"],
            "token": fields["token"],
            "trigger_id": self.state.issue_trigger(view_id=full["id"], team_id=team.team_id),
            "view": payload_view,
            "response_urls": [],
            "is_enterprise_install": fields["is_enterprise_install"],
            "enterprise": fields["enterprise"],
        }

    def event_body(
        self,
        event: Mapping[str, Any],
        *,
        team: Team,
        org_wide: bool = False,
        grant: Grant | None = None,
    ) -> bytes:
        """An Events API event_callback from team, as JSON, authorized for the install serving it.

        org_wide: the event concerns the org-wide install as a whole (team is any of its teams);
        grant: the install's bot, when it is no longer installed (an uninstall's events).
        """
        if grant is None:
            grant = self.serving_grant(team)
        now = time.time()
        body: dict[str, Any] = {
            "token": VERIFICATION_TOKEN,
            # An event to an org-wide install as a whole comes from the org, not a team.
            "team_id": team.enterprise_id if org_wide else team.team_id,
        }
        if team.enterprise_id:
            body["enterprise_id"] = team.enterprise_id
        body.update(
            api_app_id=self.workspace.api_app_id,
            event={**event, "event_ts": event.get("event_ts") or f"{now:.6f}"},
            type="event_callback",
            event_id=f"Ev{uuid.uuid4().hex[:10].upper()}",
            event_time=int(now),
            authorizations=[
                {
                    "enterprise_id": team.enterprise_id or None,
                    "team_id": None if org_wide else team.team_id,
                    "user_id": grant.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": grant.org_wide,
                }
            ],
            is_ext_shared_channel=False,
        )
        return json.dumps(body).encode()

    def send_payload(
        self,
        app_url: str,
        payload: dict[str, Any],
        *,
        timeout: float,
        timestamp: int | None = None,
        signing_secret: str | None = None,
    ) -> AppResponse:
        """POST a payload as `payload=<json>`, signed; a view the app answers with is checked."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        response = self.send_signed(
            app_url, body, timeout=timeout, timestamp=timestamp, signing_secret=signing_secret
        )
        if payload.get("type") == "view_submission":
            _check_response_action(response)
        return response

    def send_signed(
        self,
        app_url: str,
        body: bytes,
        *,
        timeout: float,
        timestamp: int | None = None,
        signing_secret: str | None = None,
        content_type: str = FORM_CONTENT_TYPE,
    ) -> AppResponse:
        """POST a body (a form unless told) signed with the signing secret (or another)."""
        secret = self.workspace.signing_secret if signing_secret is None else signing_secret
        headers = signed_headers(
            body, secret=secret, timestamp=timestamp, content_type=content_type
        )
        started = time.monotonic()
        resp = self._session().post(app_url, data=body, headers=headers, timeout=timeout)
        text = resp.text  # read in full before timing: elapsed covers the whole response
        elapsed = time.monotonic() - started
        return AppResponse(resp.status_code, text, dict(resp.headers), elapsed, sent_at=started)

    def close(self) -> None:
        """Close every thread's session."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
            self._local = threading.local()
        for session in sessions:
            session.close()

    def _session(self) -> requests.Session:
        # One keep-alive session per thread: requests.Session is not thread-safe.
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # a proxy from the environment must not see loopback calls
            with self._sessions_lock:
                self._local.session = session
                self._sessions.append(session)
        return session


def _check_response_action(response: AppResponse) -> None:
    """Refuse a view_submission answer whose new view Slack would not show."""
    try:
        answer = json.loads(response.body) if response.body.strip() else None
    except ValueError:
        return
    if not isinstance(answer, dict) or answer.get("response_action") not in ("update", "push"):
        return
    errors = view_errors(answer.get("view"))
    if errors:
        # Slack would leave the modal as it was and show the user an error; nobody would see
        # that in a test, so the fake fails the test instead.
        raise AssertionError(
            f"FakeSlack: the app answered response_action={answer['response_action']} with a "
            f"view Slack refuses: {errors}"
        )
