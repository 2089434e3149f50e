"""The benchmark's baseline: a bare Bolt app that acks /lenspin and opens a one-block modal."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

# The same Bolt wiring choices as bot/slack/bolt.py (listener pool, static authorize, timeout),
# so that the comparison measures lenspin's own handler work, not a different configuration.
# Copied, not imported: importing them would load 22 of lenspin's modules into the baseline;
# bench.py checks that they still equal lenspin's before it measures anything.
LISTENER_THREADS = 16
ACK_PATH_TIMEOUT = 5

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
COMMAND = "/lenspin"

MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "bare_modal",
    "title": {"type": "plain_text", "text": "Bare modal"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hello from the baseline."}}],
}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def build_app(*, signing_secret: str, bot_token: str, api_url: str) -> App:
    """A Bolt app whose only listener acks /lenspin and opens MODAL."""
    client = WebClient(token=bot_token, base_url=api_url, timeout=ACK_PATH_TIMEOUT)

    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        # Static, like lenspin: Bolt's default would put an auth.test round trip before acks.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=bot_token)

    app = App(
        signing_secret=signing_secret,
        client=client,
        authorize=authorize,
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS),
    )

    @app.command(COMMAND)
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    return app


def create_application() -> WSGIApp:
    """The gunicorn entry point ('bench.bare_app:create_application()')."""
    app = build_app(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        bot_token=os.environ["SLACK_BOT_TOKEN"],
        api_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
    )
    slack = SlackRequestHandler(app, path=SLACK_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in (
            "GET",
            "HEAD",
        ):
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        return slack(environ, start_response)

    return application
