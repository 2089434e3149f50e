"""Helpers for the fake Slack's tests: installing the app through it, and a stand-in app."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from devtools.fake_slack import FakeSlack
from tests.support.served import Served

REDIRECT = "http://127.0.0.1:9/slack/oauth_redirect"
SCOPES = "commands,chat:write,users:read,users:read.email"


@dataclass(frozen=True)
class Install:
    """What an app gets from one pass through the authorize page and oauth.v2.access."""

    code: str
    answer: dict[str, Any]


def authorize(fake: FakeSlack, state: str = "s-1", **params: str) -> requests.Response:
    """Visit the authorize page as a browser would, without following the redirect."""
    query = {"client_id": fake.client_id, "scope": SCOPES, "user_scope": "", "state": state}
    query.update(redirect_uri=REDIRECT, **params)
    return requests.get(fake.authorize_url, params=query, allow_redirects=False, timeout=5)


def redirected(response: requests.Response) -> dict[str, str]:
    """The query the authorize page sent the browser back to the app with."""
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[-1] for k, v in parse_qs(urlsplit(location).query).items()}


def install(fake: FakeSlack, team_id: str | None = None, **approval: Any) -> Install:
    """Install the app as Bolt does: authorize, then oauth.v2.access with slack_sdk."""
    if team_id is not None or approval:
        fake.next_install(team_id, **approval)
    code = redirected(authorize(fake))["code"]
    answer = WebClient(base_url=fake.api_url).oauth_v2_access(
        client_id=fake.client_id, client_secret=fake.client_secret, code=code, redirect_uri=REDIRECT
    )
    return Install(code, answer.data if isinstance(answer.data, dict) else {})


def error_of(call: Any) -> str:
    """The error Slack answered a slack_sdk call with."""
    with pytest.raises(SlackApiError) as caught:
        call()
    return str(caught.value.response["error"])


def installed_client(fake: FakeSlack, team_id: str | None = None, **approval: Any) -> WebClient:
    """A WebClient with the bot token of a fresh install in team_id."""
    token = install(fake, team_id, **approval).answer["access_token"]
    return WebClient(token=token, base_url=fake.api_url)


@dataclass(frozen=True)
class Received:
    """One request the app got: its headers and body."""

    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body of an event (JSON), or of an interaction (payload=JSON)."""
        if self.headers.get("Content-Type") == "application/json":
            return json.loads(self.body)
        return json.loads(self.form()["payload"])

    def form(self) -> dict[str, str]:
        """The body as form fields (a slash command)."""
        return {k: v[-1] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


class AppSink(Served):
    """Answers 200 to every POST and keeps it; a context manager, serving meanwhile."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._arrived = threading.Condition()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with sink._arrived:
                    sink.received.append(Received(dict(self.headers), body))
                    sink._arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Keep request lines out of the test output."""

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
        super().__init__(server)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The first count requests, waiting for them."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"the app got {len(self.received)} requests, not {count}")
            return self.received[:count]

    def signed(self, secret: str, count: int) -> list[Any]:
        """The first count requests' bodies, each checked as Bolt checks Slack's signature."""
        verifier = SignatureVerifier(secret)
        received = self.wait_for(count)
        for request in received:
            if not verifier.is_valid_request(request.body, request.headers):
                raise AssertionError("a request to the app is not signed as Slack signs")
        return [request.json() for request in received]
