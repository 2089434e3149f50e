"""Slack's side towards the app: slash commands and interactivity payloads, signed, over HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import requests

from devtools.fake_slack.blocks import view_errors
from devtools.fake_slack.records import AppResponse
from devtools.fake_slack.signing import signed_headers
from devtools.fake_slack.state import SlackState
from devtools.fake_slack.views import SUBMISSION_VIEW_KEYS, state_values

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

    def command_fields(
        self,
        *,
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
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.workspace.team_id,
            "team_domain": self.workspace.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name or self.state.user_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": self.workspace.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }

    def view_submission_payload(
        self, view: dict[str, Any], *, user_id: str, values: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The interactivity payload Slack sends when user_id submits view with these values."""
        with self.state.cond:
            full = self.state.views.resolve(view)
        state = state_values(full["blocks"], values or {})
        name = self.state.user_name(user_id)
        payload_view = {key: full.get(key) for key in SUBMISSION_VIEW_KEYS}
        payload_view["state"] = {"values": state}
        team_id = self.workspace.team_id
        return {
            "type": "view_submission",
            "team": {"id": team_id, "domain": self.workspace.team_domain},
            "user": {"id": user_id, "username": name, "name": name, "team_id": team_id},
            "api_app_id": self.workspace.api_app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self.state.issue_trigger(view_id=full["id"]),
            "view": payload_view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

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
    ) -> AppResponse:
        """POST a form body signed with the signing secret (or another, to forge one)."""
        secret = self.workspace.signing_secret if signing_secret is None else signing_secret
        headers = signed_headers(body, secret=secret, timestamp=timestamp)
        started = time.monotonic()
        resp = self._session().post(app_url, data=body, headers=headers, timeout=timeout)
        text = resp.text  # read in full before timing: elapsed covers the whole response
        elapsed = time.monotonic() - started
        return AppResponse(resp.status_code, text, dict(resp.headers), elapsed)

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
