"""The WSGI application gunicorn serves: Slack's endpoint plus a health check."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from dotenv import find_dotenv, load_dotenv
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.app import create_app, rescue_client
from bot.config import ConfigError, Settings
from bot.logs import configure_logging

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_application(app: App) -> WSGIApp:
    """Serve app on /slack/events and answer GET /healthz once it is built."""
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


def load_settings() -> Settings:
    """Read .env (platform variables win) and validate the settings for HTTP mode."""
    load_dotenv(find_dotenv(usecwd=True), override=False)
    settings = Settings.from_env()
    if not settings.slack_signing_secret:
        raise ConfigError(
            ["SLACK_SIGNING_SECRET: missing; HTTP mode cannot verify Slack's requests without it"]
        )
    return settings


def create_application() -> WSGIApp:
    """The gunicorn entry point ('bot.web:create_application()'): build everything once."""
    settings = load_settings()
    configure_logging(settings.log_level)
    return wsgi_application(create_app(settings, rescue=rescue_client(settings)))
