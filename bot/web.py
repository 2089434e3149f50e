"""The WSGI application gunicorn serves: Slack's endpoint plus a health check."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.oauth import OAuthFlow

from bot.app import (
    Lenspin,
    create_app,
    database_away,
    freeze_startup_heap,
    open_store,
    rescue_client,
    start_refusal,
)
from bot.config import (
    HEALTH_PATH,
    INSTALL_PATH,
    OAUTH_REDIRECT_PATH,
    DatabaseAway,
    Settings,
    StartRefused,
    load_settings,
)
from bot.connect import CONNECT_PATH
from bot.edge import Refused, Signature, log_refusal, logger, read_signed
from bot.logs import configure_logging, never_log
from bot.page.connect_page import ConnectPage
from bot.page.install_pages import BAD_REQUEST, InstallPages
from bot.rescue_loader import DeferredRescue

if TYPE_CHECKING:
    from bot.store import Store

SLACK_PATH = "/slack/events"
# What BoltRequest raises on a body that is signed but not a Slack payload: JSON that is not
# JSON or not an object, nesting past the recursion limit, fields of the wrong type.
UNPARSABLE = (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError)
# Slack's redirect carries a code, a state (43 characters) and perhaps an error; an "Add to
# Slack" link perhaps a team: a few hundred characters. Anything longer is not from them.
OAUTH_QUERY_CAP = 2048
OAUTH_QUERY_FIELDS = 8
# Bolt puts the team into Slack's authorize URL as it is: only an id may reach it.
_TEAM_ID = re.compile(r"[TE][A-Z0-9]{1,30}")


class WSGIApplication:
    """Serves Slack's requests on /slack/events and answers GET /healthz once built."""

    def __init__(
        self, lenspin: Lenspin, signing_secret: str, *, page: ConnectPage | None = None
    ) -> None:
        self._bolt: App = lenspin.bolt
        self._signature = Signature(signing_secret)
        # lenspin's own page (LENSPIN_PUBLIC_URL): /connect/<token>.
        self._page = page
        # "Add to Slack" (multi-workspace mode only): Bolt's OAuth flow and lenspin's pages.
        flow = lenspin.bolt.oauth_flow
        self._install = InstallRoutes(flow) if flow is not None else None
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
        if self._install is not None and path in (INSTALL_PATH, OAUTH_REDIRECT_PATH):
            return self._install(environ, start_response)
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


class InstallRoutes:
    """GET /slack/install and /slack/oauth_redirect, handed to Bolt's OAuth flow.

    No body is read, the method is checked, and Bolt sees only the query fields it needs.
    """

    def __init__(self, flow: OAuthFlow) -> None:
        self._flow = flow
        # For requests refused here, before Bolt (its own answers carry the same pages).
        self._pages = InstallPages(install_path=INSTALL_PATH)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """An 'Add to Slack' page or Slack's redirect back."""
        path = str(environ.get("PATH_INFO", ""))
        method = str(environ.get("REQUEST_METHOD", ""))
        try:
            if method != "GET":
                raise Refused(405, "install pages are GET only")
            query = _oauth_query(path, str(environ.get("QUERY_STRING", "")))
        except Refused as refusal:
            length = environ.get("CONTENT_LENGTH") or 0
            log_refusal(method, path, length, refusal.status, refusal.reason)
            return self._refused(start_response, refusal.status)
        cookie = str(environ.get("HTTP_COOKIE", ""))
        # Bolt checks its state cookie (set with the 'Add to Slack' page) against the state.
        request = BoltRequest(body="", query=query, headers={"cookie": cookie} if cookie else {})
        if path == INSTALL_PATH:
            response: BoltResponse = self._flow.handle_installation(request)
        else:
            response = self._flow.handle_callback(request)
        wsgi = WsgiHttpResponse(response.status, response.headers, response.body)
        start_response(wsgi.status, wsgi.get_headers())
        return wsgi.get_body()

    def _refused(self, start_response: Callable[..., Any], status: int) -> list[bytes]:
        body = self._pages.failed(BAD_REQUEST).encode("utf-8")
        headers = [
            *self._pages.headers,
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ]
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            headers.append(("Allow", "GET"))
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [body]


def _oauth_query(path: str, query: str) -> dict[str, str]:
    """Only what Bolt needs of the query, each field once; Refused for anything else."""
    if len(query) > OAUTH_QUERY_CAP:
        raise Refused(414, f"query over the {OAUTH_QUERY_CAP}-character cap")
    try:
        fields = parse_qs(query, max_num_fields=OAUTH_QUERY_FIELDS, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "not a query Slack sends") from None
    first = {name: values[0] for name, values in fields.items()}
    if path == INSTALL_PATH:
        team = first.get("team", "")
        return {"team": team} if _TEAM_ID.fullmatch(team) else {}
    return {name: first[name] for name in ("code", "state", "error") if name in first}


def _checked_store(settings: Settings) -> Store:
    try:
        return open_store(settings)
    except Exception as error:
        refusal = start_refusal(error)
        if refusal is None:
            raise
        raise (DatabaseAway if database_away(error) else StartRefused)(refusal) from None


def _answer(start_response: Callable[..., Any], status: int, text: str) -> list[bytes]:
    body = text.encode()
    start_response(
        WsgiHttpResponse(status).status,
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def create_application() -> WSGIApplication:
    """The gunicorn entry point ('bot.web:create_application()'): build everything once.

    Raises StartRefused, saying what to do, if the database is not migrated or holds secrets
    LENSPIN_ENCRYPTION_KEY cannot read; DatabaseAway (a StartRefused) if it does not answer.
    """
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    never_log(*settings.secrets)
    store = _checked_store(settings)
    # Built once the worker serves; gc.freeze then keeps zeep's WSDL objects out of later
    # collections, like the rest of start-up (freeze_startup_heap).
    rescue = DeferredRescue(
        lambda: rescue_client(settings), wait=settings.rescue_timeout, then=gc.freeze
    )
    lenspin = create_app(settings, rescue=rescue, store=store)
    page = (
        ConnectPage(
            lenspin.connect_links,
            shared_code=lambda who: bool(lenspin.policies.for_(who).shared_code),
            on_connected=lenspin.connected,
        )
        if lenspin.connect_links is not None
        else None
    )
    application = WSGIApplication(lenspin, settings.slack_signing_secret, page=page)
    freeze_startup_heap()
    rescue.start()
    return application
