"""The WSGI application gunicorn serves: Slack's endpoint plus a health check."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse

from bot.app import Lenspin, create_app, freeze_startup_heap, open_store, rescue_client
from bot.config import HEALTH_PATH, load_settings
from bot.connect import CONNECT_PATH
from bot.edge import Refused, Signature, log_refusal, logger, read_signed
from bot.logs import configure_logging, never_log
from bot.page.connect_page import ConnectPage

SLACK_PATH = "/slack/events"
# What BoltRequest raises on a body that is signed but not a Slack payload: JSON that is not
# JSON or not an object, nesting past the recursion limit, fields of the wrong type.
UNPARSABLE = (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError)


class WSGIApplication:
    """Serves Slack's requests on /slack/events and answers GET /healthz once built."""

    def __init__(
        self, lenspin: Lenspin, signing_secret: str, *, page: ConnectPage | None = None
    ) -> None:
        self._bolt: App = lenspin.bolt
        self._signature = Signature(signing_secret)
        # lenspin's own page (LENSPIN_PUBLIC_URL): /connect/<token>.
        self._page = page
        # gunicorn's worker_exit hook calls this (see bot/gunicorn_conf.py).
        self.shutdown = lenspin.shutdown

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Route one request."""
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return _answer(start_response, 200, "ok")
        if self._page is not None and path.startswith(CONNECT_PATH):
            return self._page(environ, start_response)
        if path != SLACK_PATH:
            return _answer(start_response, 404, "Not Found")
        try:
            if method != "POST":
                raise Refused(405, "Slack only POSTs")
            request = self._parsed(environ, read_signed(environ, self._signature))
        except Refused as refusal:
            length = environ.get("CONTENT_LENGTH") or 0
            log_refusal(method, path, length, refusal.status, refusal.reason)
            return _answer(start_response, refusal.status, refusal.reason)
        response = self._bolt.dispatch(request)
        wsgi = WsgiHttpResponse(response.status, response.headers, response.body)
        start_response(wsgi.status, wsgi.get_headers())
        return wsgi.get_body()

    @staticmethod
    def _parsed(environ: dict[str, Any], body: str) -> BoltRequest:
        headers: dict[str, str | Sequence[str]] = {
            key[5:].lower().replace("_", "-"): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        headers["content-type"] = str(environ.get("CONTENT_TYPE", ""))
        headers["content-length"] = str(environ.get("CONTENT_LENGTH", ""))
        try:
            request = BoltRequest(body=body, query=environ.get("QUERY_STRING", ""), headers=headers)
        except UNPARSABLE:
            raise Refused(400, "signed, but not a Slack payload") from None
        logger.debug("Accepted POST %s %s bytes", SLACK_PATH, headers["content-length"])
        return request


def _answer(start_response: Callable[..., Any], status: int, text: str) -> list[bytes]:
    body = text.encode()
    start_response(
        WsgiHttpResponse(status).status,
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def create_application() -> WSGIApplication:
    """The gunicorn entry point ('bot.web:create_application()'): build everything once."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    never_log(
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.rescue_auth_code,
        settings.sso_password,
        *settings.encryption_key.split(","),
    )
    store = open_store(settings)
    lenspin = create_app(settings, rescue=rescue_client(settings), store=store)
    page = (
        ConnectPage(
            lenspin.connect_links,
            shared_code=bool(settings.rescue_auth_code),
            on_connected=lenspin.connected,
        )
        if lenspin.connect_links is not None
        else None
    )
    application = WSGIApplication(lenspin, settings.slack_signing_secret, page=page)
    freeze_startup_heap()
    return application
