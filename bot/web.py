"""The WSGI application gunicorn serves: Slack's endpoint plus a health check."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.app import Lenspin, create_app, freeze_startup_heap, open_store, rescue_client
from bot.config import load_settings
from bot.logs import configure_logging

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


class WSGIApplication:
    """Serves Slack's requests on /slack/events and answers GET /healthz once built."""

    def __init__(self, lenspin: Lenspin) -> None:
        self._slack = SlackRequestHandler(lenspin.bolt, path=SLACK_PATH)
        # gunicorn's worker_exit hook calls this (see bot/gunicorn_conf.py).
        self.shutdown = lenspin.shutdown

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Route one request."""
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in (
            "GET",
            "HEAD",
        ):
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        return self._slack(environ, start_response)


def create_application() -> WSGIApplication:
    """The gunicorn entry point ('bot.web:create_application()'): build everything once."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    store = open_store(settings)
    application = WSGIApplication(create_app(settings, rescue=rescue_client(settings), store=store))
    freeze_startup_heap()
    return application
