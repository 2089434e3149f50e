"""FakeSlack: a fake Slack on loopback, its state, waits and scripted failures, in one facade."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

from devtools.fake_slack.app_requests import AppRequests
from devtools.fake_slack.records import AppResponse, Recordings
from devtools.fake_slack.response_urls import handle_post
from devtools.fake_slack.server import RESET, Reply, SlackServer, text_reply
from devtools.fake_slack.signing import FORM_CONTENT_TYPE, signed_headers
from devtools.fake_slack.state import (
    DEFAULT_BOT_TOKEN,
    DEFAULT_SIGNING_SECRET,
    RESPONSE_URL_TTL,
    Failure,
    SlackState,
    UrlFailure,
    Workspace,
)
from devtools.fake_slack.web_api import WebApi


class FakeSlack(Recordings):
    """Plays Slack on loopback: Web API and response_urls, and the signed requests to the app."""

    def __init__(
        self,
        *,
        bot_token: str = DEFAULT_BOT_TOKEN,
        signing_secret: str = DEFAULT_SIGNING_SECRET,
        team_id: str = "T0LENSPIN",
        team_domain: str = "lenspin-test",
        api_app_id: str = "A0LENSPIN",
        host: str = "127.0.0.1",
        port: int = 0,
        trigger_ttl: float = 3.0,
        response_url_ttl: float = RESPONSE_URL_TTL,
        check_blocks: bool = True,
    ) -> None:
        self.workspace = Workspace(
            bot_token=bot_token,
            signing_secret=signing_secret,
            team_id=team_id,
            team_domain=team_domain,
            api_app_id=api_app_id,
            trigger_ttl=trigger_ttl,
            response_url_ttl=response_url_ttl,
            check_blocks=check_blocks,
        )
        self.host = host
        self._requested_port = port
        self._server: SlackServer | None = None
        self._thread: threading.Thread | None = None
        self._state = SlackState(self.workspace)
        self._cond = self._state.cond
        self._web_api = WebApi(self._state)
        self._to_app = AppRequests(self._state)

    # The workspace's facts, read-only: tests and scenarios build payloads from them.

    @property
    def bot_token(self) -> str:
        """The bot token the Web API accepts."""
        return self.workspace.bot_token

    @property
    def signing_secret(self) -> str:
        """The secret requests to the app are signed with."""
        return self.workspace.signing_secret

    @property
    def team_id(self) -> str:
        """The workspace's id."""
        return self.workspace.team_id

    @property
    def team_domain(self) -> str:
        """The workspace's domain."""
        return self.workspace.team_domain

    @property
    def api_app_id(self) -> str:
        """The app's id."""
        return self.workspace.api_app_id

    @property
    def bot_user_id(self) -> str:
        """The bot's user id."""
        return self.workspace.bot_user_id

    @property
    def bot_id(self) -> str:
        """The bot's bot id."""
        return self.workspace.bot_id

    @property
    def trigger_ttl(self) -> float:
        """How long a trigger_id stays usable, in seconds."""
        return self.workspace.trigger_ttl

    @property
    def response_url_ttl(self) -> float:
        """How long a response_url takes posts, in seconds."""
        return self.workspace.response_url_ttl

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Start serving on a background thread; returns self."""
        if self._server is None:
            self._server = SlackServer((self.host, self._requested_port), self._handle)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                # stop() waits up to one poll interval; tests start and stop a fake each.
                kwargs={"poll_interval": 0.01},
                name=f"fake-slack-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection and outgoing session."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._to_app.close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (after start())."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The server's base URL, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL to give WebClient(base_url=...); ends with a slash."""
        return f"{self.url}/api/"

    def reset(self) -> None:
        """Forget every call, post, failure rule, id and access override; keep serving."""
        with self._cond:
            self._state.clear()
            self._cond.notify_all()

    def _handle(self, verb: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(target)
        if parts.path.startswith("/api/"):
            return self._web_api.handle(parts.path[len("/api/") :], parts.query, headers, body)
        if parts.path.startswith("/commands/") and verb == "POST":
            return handle_post(self._state, self.url, parts.path, body)
        return text_reply(404, "not_found")

    # --- failure injection and workspace details -------------------------------------------------

    def fail(
        self,
        method: str,
        error: str = "internal_error",
        *,
        times: int | None = 1,
        status: int = 200,
        retry_after: int | None = None,
    ) -> None:
        """Make the next `times` calls of method fail (None: until clear_failures)."""
        with self._cond:
            rules = self._state.failures.setdefault(method, [])
            rules.append(Failure(error, times, status, retry_after))

    def fail_response_url(
        self, url: str, status: int = 404, body: str = "expired_url", *, times: int | None = None
    ) -> None:
        """Make posts to url fail with this status and body (None: until clear_failures)."""
        with self._cond:
            rules = self._state.url_failures.setdefault(urlsplit(url).path, [])
            rules.append(UrlFailure(status, body, times))

    def reset_response_url(self, url: str, *, times: int = 1) -> None:
        """Cut the next `times` posts to url with a connection reset instead of an answer."""
        self.fail_response_url(url, status=RESET, body="", times=times)

    def clear_failures(self) -> None:
        """Drop every failure rule."""
        with self._cond:
            self._state.failures.clear()
            self._state.url_failures.clear()

    def set_channel_access(self, channel_id: str, *, member: bool) -> None:
        """Say whether the bot can post to a channel (default: C... yes, G.../D... no)."""
        with self._cond:
            self._state.access[channel_id] = member

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
    ) -> None:
        """Give users.info (and payloads) specific details for a user."""
        user = self._state.user_object(
            user_id, name=name, real_name=real_name, display_name=display_name, email=email
        )
        with self._cond:
            self._state.users[user_id] = user

    # --- ids ---------------------------------------------------------------------------------

    def new_trigger_id(self) -> str:
        """A fresh trigger_id that views.open accepts once within trigger_ttl seconds."""
        return self._state.issue_trigger(view_id=None)

    def new_response_url(self, user_id: str, channel_id: str) -> str:
        """A fresh response_url for a command user_id ran in channel_id."""
        return self.url + self._state.issue_response_url(user_id, channel_id)

    def dm_channel_id(self, user_id: str) -> str:
        """The DM channel id conversations.open returns for user_id (stable)."""
        return self._state.dm_channel_id(user_id)

    # --- acting as Slack towards the app -----------------------------------------------------

    def signed_headers(
        self, body: bytes, *, timestamp: int | None = None, content_type: str = FORM_CONTENT_TYPE
    ) -> dict[str, str]:
        """The headers Slack sends with a request body, signed with the signing secret."""
        secret = self.signing_secret
        return signed_headers(body, secret=secret, timestamp=timestamp, content_type=content_type)

    def send_command(
        self,
        app_url: str,
        *,
        user_id: str,
        text: str = "",
        command: str = "/lenspin",
        channel_id: str = "C0GENERAL",
        channel_name: str = "general",
        user_name: str | None = None,
        timestamp: int | None = None,
        signing_secret: str | None = None,
        timeout: float = 10.0,
    ) -> tuple[AppResponse, str, str]:
        """POST a slash command as Slack does; returns (response, trigger_id, response_url)."""
        response_url = self.new_response_url(user_id, channel_id)
        trigger_id = self.new_trigger_id()
        fields = self._to_app.command_fields(
            user_id=user_id,
            text=text,
            command=command,
            channel_id=channel_id,
            channel_name=channel_name,
            user_name=user_name,
            response_url=response_url,
            trigger_id=trigger_id,
        )
        response = self._to_app.send_signed(
            app_url,
            urlencode(fields).encode(),
            timeout=timeout,
            timestamp=timestamp,
            signing_secret=signing_secret,
        )
        return response, trigger_id, response_url

    def view_submission_payload(
        self, view: dict[str, Any], *, user_id: str, values: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The interactivity payload Slack sends when user_id submits view with these values."""
        return self._to_app.view_submission_payload(view, user_id=user_id, values=values)

    def submit_view(
        self,
        app_url: str,
        view: dict[str, Any],
        *,
        user_id: str,
        values: Mapping[str, Any] | None = None,
        timeout: float = 10.0,
    ) -> AppResponse:
        """POST a view_submission for view to the app, signed, as Slack does."""
        payload = self.view_submission_payload(view, user_id=user_id, values=values)
        return self.send_payload(app_url, payload, timeout=timeout)

    def send_payload(
        self, app_url: str, payload: dict[str, Any], *, timeout: float = 10.0, **sign_kwargs: Any
    ) -> AppResponse:
        """POST any payload as `payload=<json>`, signed; sign_kwargs: timestamp, signing_secret."""
        unknown = set(sign_kwargs) - {"timestamp", "signing_secret"}
        if unknown:
            raise TypeError(f"send_payload() got unexpected keyword arguments {sorted(unknown)}")
        return self._to_app.send_payload(app_url, payload, timeout=timeout, **sign_kwargs)
