"""FakeSlack: a fake Slack on loopback, its state, waits and scripted failures, in one facade.

It plays one workspace by default (T0LENSPIN, whose bot token is DEFAULT_BOT_TOKEN), and more
when a test adds them: OAuth installs give each its own tokens (see installing.py), and every
request the fake sends the app comes from one of them (see acting.py).
"""

from __future__ import annotations

import threading
from types import TracebackType
from urllib.parse import urlsplit

from devtools.fake_slack.acting import ActingAsSlack
from devtools.fake_slack.app_requests import AppRequests
from devtools.fake_slack.installing import InstallControls
from devtools.fake_slack.installs import CODE_TTL, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from devtools.fake_slack.oauth import AUTHORIZE_PATH
from devtools.fake_slack.records import Recordings
from devtools.fake_slack.response_urls import handle_post
from devtools.fake_slack.server import RESET, Reply, SlackServer, text_reply
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


class FakeSlack(Recordings, ActingAsSlack, InstallControls):
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
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        code_ttl: float = CODE_TTL,
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
            client_id=client_id,
            client_secret=client_secret,
            code_ttl=code_ttl,
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
        """The default workspace's id."""
        return self.workspace.team_id

    @property
    def team_domain(self) -> str:
        """The default workspace's domain."""
        return self.workspace.team_domain

    @property
    def api_app_id(self) -> str:
        """The app's id."""
        return self.workspace.api_app_id

    @property
    def bot_user_id(self) -> str:
        """The bot's user id in the default workspace."""
        return self.workspace.bot_user_id

    @property
    def bot_id(self) -> str:
        """The bot's bot id in the default workspace."""
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
        """Forget every call, post, failure rule, id, access override, added workspace and user,
        install and OAuth script, and turn token rotation off; keep serving."""
        with self._cond:
            self._state.clear()
            self._cond.notify_all()

    def _handle(self, verb: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(target)
        if parts.path.startswith("/api/"):
            return self._web_api.handle(parts.path[len("/api/") :], parts.query, headers, body)
        if parts.path.startswith("/commands/") and verb == "POST":
            return handle_post(self._state, self.url, parts.path, body)
        if parts.path == AUTHORIZE_PATH and verb == "GET":
            with self._cond:
                reply = self._web_api.oauth.authorize(parts.query)
                self._cond.notify_all()
            return reply
        return text_reply(404, "not_found")

    # --- failure injection and channel access ----------------------------------------------------

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
