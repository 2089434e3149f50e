"""A fake Slack on loopback: the Web API and response_urls, and the platform calling the app."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import json
import secrets
import socket
import string
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

DEFAULT_BOT_TOKEN = "xoxb-fake-bot-token"
DEFAULT_SIGNING_SECRET = "fake-signing-secret"
BOT_USER_ID = "U0LENSPINBOT"
BOT_ID = "B0LENSPINBOT"
# The legacy verification token Slack still puts in every request; Bolt ignores it.
VERIFICATION_TOKEN = "fake-verification-token"
SLACKBOT_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"

RESPONSE_URL_MAX_POSTS = 5
RESPONSE_URL_TTL = 30 * 60.0
MAX_MESSAGE_BLOCKS = 50
MAX_MESSAGE_TEXT = 40_000
MAX_VIEW_BLOCKS = 100
MAX_CHECKBOX_OPTIONS = 10

_JSON_CONTENT_TYPE = "application/json; charset=utf-8"
_HTML_CONTENT_TYPE = "text/html"
# Form fields Slack documents as JSON-encoded strings; anything else stays a string.
_JSON_FORM_FIELDS = frozenset({"view", "blocks", "attachments", "metadata"})
_ALNUM = string.ascii_uppercase + string.digits
_MISSING: Any = object()
_T = TypeVar("_T")
# How many recorded items a timeout message lists.
_SHOWN = 20
# The view fields a view_submission payload carries, in Slack's order.
_SUBMISSION_VIEW_KEYS = (
    "id",
    "team_id",
    "type",
    "blocks",
    "private_metadata",
    "callback_id",
    "hash",
    "title",
    "clear_on_close",
    "notify_on_close",
    "close",
    "submit",
    "previous_view_id",
    "root_view_id",
    "app_id",
    "external_id",
    "app_installed_team_id",
    "bot_id",
)

# Element types whose state is {"value": str | None}.
_VALUE_ELEMENTS = frozenset(
    {"plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input"}
)
# Element types whose state is a list of full option objects.
_MULTI_OPTION_ELEMENTS = frozenset({"checkboxes", "multi_static_select"})
# Element types whose state is a single option object.
_SINGLE_OPTION_ELEMENTS = frozenset({"static_select", "radio_buttons"})
# Other elements: (state key, initial key), passed through as given.
_OTHER_ELEMENTS = {
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "channels_select": ("selected_channel", "initial_channel"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
}


@dataclass(frozen=True, repr=False)
class ApiCall:
    """One Web API call the fake received (recorded even when it was answered with an error)."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    token: str | None
    received_at: float
    # Not part of the request: what the fake answered (None when ok), for asserting on failures.
    error: str | None = None

    def __repr__(self) -> str:
        # Test failures print reprs; keep tokens out of them.
        args = {k: ("<redacted>" if k == "token" else v) for k, v in self.args.items()}
        return f"ApiCall(method={self.method!r}, args={args!r}, error={self.error!r})"


@dataclass(frozen=True)
class ResponsePost:
    """One POST the app made to a response_url (recorded even when it was refused)."""

    url: str
    body: dict[str, Any]
    received_at: float
    # Not part of the request: the HTTP status the fake answered.
    status: int = 200


@dataclass(frozen=True)
class AppResponse:
    """What the app answered to a request the fake sent it."""

    status: int
    body: str
    headers: dict[str, str]
    elapsed: float

    def json(self) -> Any:
        """The body decoded as JSON (Bolt answers view_submission errors this way)."""
        return json.loads(self.body)


@dataclass
class _Failure:
    error: str
    remaining: int | None
    status: int
    retry_after: int | None


@dataclass
class _UrlFailure:
    status: int
    body: str
    remaining: int | None


@dataclass
class _Trigger:
    issued_at: float
    # The view an interaction came from, so views.push can link the stack.
    view_id: str | None
    used: bool = False


@dataclass
class _ResponseUrl:
    user_id: str
    channel_id: str
    issued_at: float
    posts: int = 0


@dataclass
class _StoredView:
    view: dict[str, Any]
    # Canonical JSON of the view as the app sent it, so tests can hand back the app's own dict.
    original: str


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    error: str | None = None


def _json_reply(payload: dict[str, Any], status: int = 200, **headers: str) -> _Reply:
    error = None if payload.get("ok", True) else str(payload.get("error"))
    body = json.dumps(payload).encode()
    return _Reply(status, body, _JSON_CONTENT_TYPE, tuple(headers.items()), error)


def _error(error: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": error, **extra}


def _invalid_arguments(messages: list[str]) -> dict[str, Any]:
    return _error("invalid_arguments", response_metadata={"messages": messages})


def _text_reply(status: int, text: str, error: str | None = None) -> _Reply:
    return _Reply(status, text.encode(), _HTML_CONTENT_TYPE, (), error)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _random_id(prefix: str, length: int = 10) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


def _stable_id(prefix: str, *parts: str) -> str:
    # Stable across resets and runs so tests can predict DM channel ids.
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest().upper()
    return prefix + digest[:10]


# --- view validation, mirroring the checks Slack's views.* endpoints make ------------------------


def _err(message: str, pointer: str) -> str:
    return f"[ERROR] {message} [json-pointer:{pointer}]"


def _check_text(
    obj: Mapping[str, Any], key: str, limit: int, pointer: str, errors: list[str], *, required: bool
) -> None:
    """Check a plain_text object field such as a title, label or placeholder."""
    value = obj.get(key)
    if value is None:
        if required:
            errors.append(_err(f"missing required field: {key}", pointer))
        return
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        errors.append(_err("must be a text object", f"{pointer}/{key}"))
        return
    text = value["text"]
    if not text:
        errors.append(_err("must be more than 0 characters", f"{pointer}/{key}/text"))
    elif len(text) > limit:
        errors.append(_err(f"must be less than {limit + 1} characters", f"{pointer}/{key}/text"))


def _check_length(
    obj: Mapping[str, Any], key: str, limit: int, pointer: str, errors: list[str]
) -> None:
    value = obj.get(key)
    if value is not None and len(str(value)) > limit:
        errors.append(_err(f"must be less than {limit + 1} characters", f"{pointer}/{key}"))


def _check_int_range(
    obj: Mapping[str, Any], key: str, *, low: int, high: int, pointer: str, errors: list[str]
) -> bool:
    """True when the field is absent or a valid integer in range."""
    value = obj.get(key)
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.append(_err(f"must be an integer between {low} and {high}", f"{pointer}/{key}"))
        return False
    return True


def _element_errors(element: Any, pointer: str, errors: list[str]) -> None:
    if not isinstance(element, dict):
        errors.append(_err("must be an object", pointer))
        return
    _check_length(element, "action_id", 255, pointer, errors)
    kind = element.get("type")
    if kind == "plain_text_input":
        max_ok = _check_int_range(
            element, "max_length", low=1, high=3000, pointer=pointer, errors=errors
        )
        _check_int_range(element, "min_length", low=0, high=3000, pointer=pointer, errors=errors)
        _check_text(element, "placeholder", 150, pointer, errors, required=False)
        max_length = element.get("max_length")
        initial = element.get("initial_value")
        if max_ok and max_length is not None and initial is not None:
            _check_length(element, "initial_value", max_length, pointer, errors)
    elif kind == "checkboxes":
        options = element.get("options")
        if not isinstance(options, list) or not options:
            errors.append(_err("missing required field: options", pointer))
        elif len(options) > MAX_CHECKBOX_OPTIONS:
            errors.append(
                _err(f"no more than {MAX_CHECKBOX_OPTIONS} items allowed", f"{pointer}/options")
            )


def _block_errors(block: Any, pointer: str, seen: set[str], errors: list[str]) -> bool:
    """Validate one block; True when it is an input block."""
    if not isinstance(block, dict):
        errors.append(_err("must be an object", pointer))
        return False
    block_id = block.get("block_id")
    if block_id is not None:
        if len(str(block_id)) > 255:
            errors.append(_err("must be less than 256 characters", f"{pointer}/block_id"))
        elif block_id in seen:
            errors.append(_err(f"duplicate block_id: {block_id}", f"{pointer}/block_id"))
        seen.add(block_id)
    if block.get("type") != "input":
        return False
    _check_text(block, "label", 2000, pointer, errors, required=True)
    _check_text(block, "hint", 2000, pointer, errors, required=False)
    if block.get("element") is None:
        errors.append(_err("missing required field: element", pointer))
    else:
        _element_errors(block["element"], f"{pointer}/element", errors)
    return True


def view_errors(view: Any) -> list[str]:
    """Slack-style "[ERROR] ... [json-pointer:/view/...]" messages for a modal; empty when valid."""
    if not isinstance(view, dict):
        return [_err("must be an object", "/view")]
    errors: list[str] = []
    if view.get("type") != "modal":
        errors.append(_err("must be one of: modal", "/view/type"))
    _check_text(view, "title", 24, "/view", errors, required=True)
    _check_text(view, "submit", 24, "/view", errors, required=False)
    _check_text(view, "close", 24, "/view", errors, required=False)
    _check_length(view, "callback_id", 255, "/view", errors)
    _check_length(view, "private_metadata", 3000, "/view", errors)
    _check_length(view, "external_id", 255, "/view", errors)
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        errors.append(_err("missing required field: blocks", "/view"))
        return errors
    if len(blocks) > MAX_VIEW_BLOCKS:
        errors.append(_err(f"no more than {MAX_VIEW_BLOCKS} items allowed", "/view/blocks"))
    seen: set[str] = set()
    has_input = False
    for i, block in enumerate(blocks):
        has_input = _block_errors(block, f"/view/blocks/{i}", seen, errors) or has_input
    if has_input and view.get("submit") is None:
        errors.append(_err("submit is required when the view has input blocks", "/view/submit"))
    return errors


def home_view_errors(view: Any) -> list[str]:
    """Slack-style messages for an App Home view published with views.publish."""
    if not isinstance(view, dict):
        return [_err("must be an object", "/view")]
    errors: list[str] = []
    if view.get("type") != "home":
        errors.append(_err("must be one of: home", "/view/type"))
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return [*errors, _err("missing required field: blocks", "/view")]
    if len(blocks) > MAX_VIEW_BLOCKS:
        errors.append(_err(f"no more than {MAX_VIEW_BLOCKS} items allowed", "/view/blocks"))
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        _block_errors(block, f"/view/blocks/{i}", seen, errors)
    return errors


def _message_error(args: Mapping[str, Any]) -> str | None:
    """The error Slack gives for a message body over its limits, or None."""
    text, blocks = args.get("text"), args.get("blocks")
    if blocks is not None and (not isinstance(blocks, list) or len(blocks) > MAX_MESSAGE_BLOCKS):
        return "invalid_blocks"
    if text is not None and len(str(text)) > MAX_MESSAGE_TEXT:
        return "msg_too_long"
    if not text and not blocks and not args.get("attachments"):
        return "no_text"
    return None


# --- view_submission state ----------------------------------------------------------------------


def _find_option(element: Mapping[str, Any], value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for option in options:
        if option.get("value") == value:
            return copy.deepcopy(option)
    # Not among the element's options: forge one, as a tampered request would.
    return {"text": {"type": "plain_text", "text": str(value)}, "value": value}


def _element_state(element: Mapping[str, Any], value: Any) -> dict[str, Any]:
    """One element's entry in state.values; value is _MISSING when the test gave none."""
    kind = element.get("type", "")
    state: dict[str, Any] = {"type": kind}
    if kind in _VALUE_ELEMENTS:
        given = element.get("initial_value") if value is _MISSING else value
        # Slack sends null for an input left empty, never "".
        state["value"] = None if given == "" else given
    elif kind in _MULTI_OPTION_ELEMENTS:
        if value is _MISSING:
            state["selected_options"] = copy.deepcopy(element.get("initial_options") or [])
        else:
            state["selected_options"] = [_find_option(element, v) for v in value]
    elif kind in _SINGLE_OPTION_ELEMENTS:
        if value is _MISSING:
            state["selected_option"] = copy.deepcopy(element.get("initial_option"))
        else:
            state["selected_option"] = _find_option(element, value)
    elif kind in _OTHER_ELEMENTS:
        state_key, initial_key = _OTHER_ELEMENTS[kind]
        state[state_key] = element.get(initial_key) if value is _MISSING else value
    else:
        state["value"] = None if value is _MISSING else value
    return state


def _state_values(blocks: list[dict[str, Any]], values: Mapping[str, Any]) -> dict[str, Any]:
    inputs = {
        b["block_id"]: b
        for b in blocks
        if isinstance(b, dict) and b.get("type") == "input" and "block_id" in b
    }
    unknown = sorted(set(values) - set(inputs))
    if unknown:
        raise KeyError(f"block_id(s) {unknown} are not input blocks of the view: {sorted(inputs)}")
    result: dict[str, Any] = {}
    for block_id, block in inputs.items():
        element = block.get("element") or {}
        action_id = element.get("action_id") or _random_id("", 5)
        result[block_id] = {action_id: _element_state(element, values.get(block_id, _MISSING))}
    return result


def _fill_ids(blocks: list[Any]) -> None:
    """Give blocks and elements the random ids Slack adds when the app leaves them out."""
    for block in blocks:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", _random_id("", 5))
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        for key in ("element", "accessory"):
            if isinstance(block.get(key), dict):
                elements.append(block[key])
        for element in elements:
            if isinstance(element, dict) and element.get("type") not in (None, "image"):
                element.setdefault("action_id", _random_id("", 5))


# --- HTTP server --------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # slack_sdk opens a connection per call; socketserver's backlog of 5 overflows under load.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], fake: FakeSlack) -> None:
        super().__init__(address, _Handler)
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, conn: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        # Keep-alive handler threads would otherwise sit in readline() after stop().
        with self._connections_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeSlack/1.0"
    timeout = 60
    # Buffer the response and send it in one segment: headers and body in separate writes meet
    # Nagle and delayed ACK on keep-alive connections and cost 40 ms a request.
    wbufsize = -1
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: one stderr line per request would drown test output."""

    def setup(self) -> None:
        """Track the connection so stop() can close idle keep-alive sockets."""
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        """Untrack the connection."""
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def handle(self) -> None:
        """Serve the connection; a client hanging up mid-request is normal, not an error."""
        try:
            super().handle()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def do_GET(self) -> None:
        """Web API methods may be called with GET and query parameters (users.info is)."""
        self._dispatch()

    def do_POST(self) -> None:
        """Web API calls and response_url posts."""
        self._dispatch()

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._send(_text_reply(400, "invalid_content_length"))
            self.close_connection = True
            return None
        body = self.rfile.read(length) if length > 0 else b""
        if len(body) < length:
            self.close_connection = True  # the client went away mid-body
            return None
        return body

    def _read_chunked(self) -> bytes | None:
        chunks = []
        while True:
            line = self.rfile.readline(65537)
            if not line:
                self.close_connection = True
                return None
            try:
                size = int(line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                self._send(_text_reply(400, "invalid_chunk"))
                self.close_connection = True
                return None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(3)

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            return
        try:
            reply = self.server.fake._handle(self.command, self.path, dict(self.headers), body)
        except Exception:
            # A bug in the fake must show up loudly, not as a hung or silent test.
            traceback.print_exc()
            reply = _text_reply(500, "fake_slack_internal_error")
        self._send(reply)

    def _send(self, reply: _Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply.body)
        self.wfile.flush()


# --- the fake ----------------------------------------------------------------------------------


class FakeSlack:
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
    ) -> None:
        self.bot_token = bot_token
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.bot_user_id = BOT_USER_ID
        self.bot_id = BOT_ID
        self.host = host
        self.trigger_ttl = trigger_ttl
        self.response_url_ttl = response_url_ttl
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._cond = threading.Condition()
        self._counter = 0
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.postMessage": self._post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
            "chat.getPermalink": self._get_permalink,
        }
        self._init_state()

    def _init_state(self) -> None:
        self._calls: list[ApiCall] = []
        self._posts: list[ResponsePost] = []
        self._messages: list[tuple[str, dict[str, Any]]] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._url_failures: dict[str, list[_UrlFailure]] = {}
        self._access: dict[str, bool] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._views: dict[str, _StoredView] = {}
        self._dm_users: dict[str, str] = {}
        self._users: dict[str, dict[str, Any]] = {}

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Start serving on a background thread; returns self."""
        if self._server is None:
            self._server = _Server((self.host, self._requested_port), self)
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
        with self._cond:
            sessions, self._sessions = self._sessions, []
            self._local = threading.local()
        for session in sessions:
            session.close()

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
            self._init_state()
            self._cond.notify_all()

    # --- what the app did --------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every Web API call so far, in arrival order."""
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The calls to one Web API method, in arrival order."""
        with self._cond:
            return [c for c in self._calls if c.method == method]

    def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = 5.0,
    ) -> ApiCall:
        """The first call to method matching predicate, waiting for it if needed."""

        def match(call: ApiCall) -> bool:
            return call.method == method and (predicate is None or predicate(call))

        with self._cond:
            found = self._wait_first(lambda: self._calls, match, timeout)
            if found is None:
                seen = [f"{c.method} ({c.error or 'ok'})" for c in self._calls[-_SHOWN:]]
                matching = " matching the predicate" if predicate else ""
                raise AssertionError(
                    f"FakeSlack: no {method} call{matching} within {timeout}s; received: {seen}"
                )
            return found

    @property
    def response_posts(self) -> list[ResponsePost]:
        """Every POST to a response_url so far, in arrival order."""
        with self._cond:
            return list(self._posts)

    def wait_for_response_post(
        self,
        url: str | None = None,
        predicate: Callable[[ResponsePost], bool] | None = None,
        timeout: float = 5.0,
    ) -> ResponsePost:
        """The first response_url post (to url, matching predicate), waiting for it if needed."""
        path = urlsplit(url).path if url else None

        def match(post: ResponsePost) -> bool:
            return (path is None or urlsplit(post.url).path == path) and (
                predicate is None or predicate(post)
            )

        with self._cond:
            found = self._wait_first(lambda: self._posts, match, timeout)
            if found is None:
                seen = [f"{p.url} ({p.status})" for p in self._posts[-_SHOWN:]]
                raise AssertionError(
                    f"FakeSlack: no response_url post to {url or 'any url'} within {timeout}s; "
                    f"received: {seen}"
                )
            return found

    def wait_for_message(
        self,
        user_id: str,
        timeout: float = 5.0,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """The first message that reached user_id by response_url, ephemeral or DM."""

        def match(entry: tuple[str, dict[str, Any]]) -> bool:
            return entry[0] == user_id and (predicate is None or predicate(entry[1]))

        with self._cond:
            found = self._wait_first(lambda: self._messages, match, timeout)
            if found is None:
                seen = [(m["route"], m["channel"]) for uid, m in self._messages if uid == user_id]
                raise AssertionError(
                    f"FakeSlack: no message for {user_id} within {timeout}s; "
                    f"their messages so far (route, channel): {seen[-_SHOWN:]}"
                )
            return copy.deepcopy(found[1])

    def _wait_first(
        self, items: Callable[[], list[_T]], match: Callable[[_T], bool], timeout: float
    ) -> _T | None:
        """The first item matching, waiting up to timeout; call with self._cond held."""
        # Each notify wakes every waiter: scan only what arrived since this waiter last looked,
        # or a benchmark with many waiters goes quadratic.
        seen: list[_T] | None = None
        cursor = 0

        def find() -> _T | None:
            nonlocal seen, cursor
            current = items()
            if current is not seen:  # reset() swapped the list: start over
                seen, cursor = current, 0
            while cursor < len(current):
                item = current[cursor]
                cursor += 1
                if match(item):
                    return item
            return None

        return self._cond.wait_for(find, timeout)

    def messages_for(self, user_id: str) -> list[dict[str, Any]]:
        """Every message that reached user_id privately, in arrival order."""
        with self._cond:
            return [copy.deepcopy(m) for uid, m in self._messages if uid == user_id]

    # --- failure injection -------------------------------------------------------------------

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
            self._failures.setdefault(method, []).append(
                _Failure(error, times, status, retry_after)
            )

    def fail_response_url(
        self, url: str, status: int = 404, body: str = "expired_url", *, times: int | None = None
    ) -> None:
        """Make posts to url fail with this status and body (None: until clear_failures)."""
        with self._cond:
            rules = self._url_failures.setdefault(urlsplit(url).path, [])
            rules.append(_UrlFailure(status, body, times))

    def clear_failures(self) -> None:
        """Drop every failure rule."""
        with self._cond:
            self._failures.clear()
            self._url_failures.clear()

    def set_channel_access(self, channel_id: str, *, member: bool) -> None:
        """Say whether the bot can post to a channel (default: C... yes, G.../D... no)."""
        with self._cond:
            self._access[channel_id] = member

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
        with self._cond:
            self._users[user_id] = self._user_object(
                user_id, name=name, real_name=real_name, display_name=display_name, email=email
            )

    # --- ids ---------------------------------------------------------------------------------

    def _next(self) -> int:
        with self._cond:
            self._counter += 1
            return self._counter

    def new_trigger_id(self) -> str:
        """A fresh trigger_id that views.open accepts once within trigger_ttl seconds."""
        return self._issue_trigger(view_id=None)

    def _issue_trigger(self, view_id: str | None) -> str:
        trigger_id = f"{int(time.time())}.{self._next()}.{secrets.token_hex(16)}"
        with self._cond:
            self._triggers[trigger_id] = _Trigger(time.monotonic(), view_id)
        return trigger_id

    def new_response_url(self, user_id: str, channel_id: str) -> str:
        """A fresh response_url for a command user_id ran in channel_id."""
        path = f"/commands/{self.team_id}/{self._next()}/{secrets.token_hex(12)}"
        with self._cond:
            self._response_urls[path] = _ResponseUrl(user_id, channel_id, time.monotonic())
        return f"{self.url}{path}"

    def dm_channel_id(self, user_id: str) -> str:
        """The DM channel id conversations.open returns for user_id (stable)."""
        return _stable_id("D", self.team_id, user_id)

    # --- acting as Slack towards the app -----------------------------------------------------

    def signed_headers(
        self,
        body: bytes,
        *,
        timestamp: int | None = None,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> dict[str, str]:
        """The headers Slack sends with a request body, signed with the signing secret."""
        return self._signed_headers(body, timestamp, content_type, self.signing_secret)

    @staticmethod
    def _signed_headers(
        body: bytes, timestamp: int | None, content_type: str, secret: str
    ) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        base = b"v0:" + ts.encode() + b":" + body
        signature = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={signature}",
            "User-Agent": SLACKBOT_USER_AGENT,
            "Accept": "application/json,*/*",
        }

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
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name or self._user_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        body = urlencode(fields).encode()
        response = self._send_signed(
            app_url, body, timeout=timeout, timestamp=timestamp, signing_secret=signing_secret
        )
        return response, trigger_id, response_url

    def view_submission_payload(
        self,
        view: dict[str, Any],
        *,
        user_id: str,
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The interactivity payload Slack sends when user_id submits view with these values."""
        full = self._resolve_view(view)
        state = _state_values(full["blocks"], values or {})
        name = self._user_name(user_id)
        payload_view = {key: full.get(key) for key in _SUBMISSION_VIEW_KEYS}
        payload_view["state"] = {"values": state}
        return {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": {"id": user_id, "username": name, "name": name, "team_id": self.team_id},
            "api_app_id": self.api_app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self._issue_trigger(view_id=full["id"]),
            "view": payload_view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

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
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self._send_signed(app_url, body, timeout=timeout, **sign_kwargs)

    def _send_signed(
        self,
        app_url: str,
        body: bytes,
        *,
        timeout: float,
        timestamp: int | None = None,
        signing_secret: str | None = None,
    ) -> AppResponse:
        secret = self.signing_secret if signing_secret is None else signing_secret
        headers = self._signed_headers(body, timestamp, "application/x-www-form-urlencoded", secret)
        started = time.monotonic()
        resp = self._session().post(app_url, data=body, headers=headers, timeout=timeout)
        text = resp.text  # read in full before timing: elapsed covers the whole response
        elapsed = time.monotonic() - started
        return AppResponse(resp.status_code, text, dict(resp.headers), elapsed)

    def _session(self) -> requests.Session:
        # One keep-alive session per thread: requests.Session is not thread-safe.
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # a proxy from the environment must not see loopback calls
            with self._cond:
                self._local.session = session
                self._sessions.append(session)
        return session

    # --- request handling (server threads) ---------------------------------------------------

    def _handle(self, verb: str, target: str, headers: dict[str, str], body: bytes) -> _Reply:
        parts = urlsplit(target)
        if parts.path.startswith("/api/"):
            return self._handle_api(parts.path[len("/api/") :], parts.query, headers, body)
        if parts.path.startswith("/commands/") and verb == "POST":
            return self._handle_response_url(parts.path, body)
        return _text_reply(404, "not_found")

    def _handle_api(self, method: str, query: str, headers: dict[str, str], body: bytes) -> _Reply:
        try:
            args = _decode_args(query, headers, body)
        except ValueError:
            args, reply = {}, _json_reply(_error("invalid_json"))
        else:
            reply = None
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else args.get("token")
        with self._cond:
            if reply is None:
                reply = self._api_reply(method, args, token)
            # Recorded before answering, so a waiter never misses a call the app saw answered.
            self._calls.append(ApiCall(method, args, headers, token, time.monotonic(), reply.error))
            self._cond.notify_all()
        return reply

    def _api_reply(self, method: str, args: dict[str, Any], token: str | None) -> _Reply:
        handler = self._methods.get(method)
        if handler is None:
            return _json_reply(_error("unknown_method"))
        if not token:
            return _json_reply(_error("not_authed"))
        if not hmac.compare_digest(token, self.bot_token):
            return _json_reply(_error("invalid_auth"))
        rule = _consume(self._failures.get(method))
        if rule is not None:
            return _failure_reply(rule)
        return _json_reply(handler(args))

    def _handle_response_url(self, path: str, body: bytes) -> _Reply:
        try:
            decoded = json.loads(body or b"null")
        except ValueError:
            decoded = None
        payload: dict[str, Any] = decoded if isinstance(decoded, dict) else {}
        with self._cond:
            reply = self._response_url_reply(path, decoded, payload)
            self._posts.append(
                ResponsePost(self.url + path, payload, time.monotonic(), reply.status)
            )
            self._cond.notify_all()
        return reply

    def _url_refusal(self, path: str) -> _Reply | None:
        """Why Slack would refuse any post to this URL now, or None."""
        rule = _consume(self._url_failures.get(path))
        if rule is not None:
            return _text_reply(rule.status, rule.body, rule.body)
        state = self._response_urls.get(path)
        if state is None:
            return _text_reply(404, "no_service", "no_service")
        if time.monotonic() - state.issued_at > self.response_url_ttl:
            return _text_reply(404, "expired_url", "expired_url")
        if state.posts >= RESPONSE_URL_MAX_POSTS:
            return _text_reply(404, "used_url", "used_url")
        return None

    def _response_url_reply(self, path: str, decoded: Any, payload: dict[str, Any]) -> _Reply:
        refusal = self._url_refusal(path)
        state = self._response_urls.get(path)
        if refusal is not None or state is None:
            return refusal or _text_reply(404, "no_service", "no_service")
        if not isinstance(decoded, dict):
            return _text_reply(400, "invalid_payload", "invalid_payload")
        is_message = not payload.get("delete_original")
        error = _message_error(payload) if is_message else None
        if error:
            return _text_reply(400, error, error)
        state.posts += 1
        if is_message:
            self._record_message(state.user_id, "response_url", state.channel_id, payload)
        return _text_reply(200, "ok")

    def _record_message(self, user_id: str, route: str, channel: str, raw: dict[str, Any]) -> None:
        raw = {k: v for k, v in raw.items() if k != "token"}
        message = {
            "route": route,
            "text": raw.get("text"),
            "blocks": raw.get("blocks") or [],
            "channel": channel,
            "user": user_id,
            "raw": raw,
        }
        self._messages.append((user_id, message))

    # --- Web API methods (called with self._cond held) ----------------------------------------

    def _ts(self) -> str:
        self._counter += 1
        return f"{int(time.time())}.{self._counter % 1_000_000:06d}"

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain,
            "user": "lenspin",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _take_trigger(self, args: dict[str, Any]) -> tuple[dict[str, Any] | None, _Trigger | None]:
        """The trigger the call carries, or the error Slack answers for it."""
        trigger_id = args.get("trigger_id")
        if not trigger_id:
            return _invalid_arguments([_err("missing required field: trigger_id", "")]), None
        trigger = self._triggers.get(str(trigger_id))
        if trigger is None:
            return _error("invalid_trigger_id"), None
        if trigger.used:
            return _error("exchanged_trigger_id"), None
        if time.monotonic() - trigger.issued_at > self.trigger_ttl:
            return _error("expired_trigger_id"), None
        return None, trigger

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        problem, trigger = self._take_trigger(args)
        problem = problem or self._view_problem(args.get("view"))
        if problem or trigger is None:
            return problem or _error("invalid_trigger_id")
        # Slack exchanges the trigger only when the view is accepted.
        trigger.used = True
        return {"ok": True, "view": self._store_view(args["view"])}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        problem, trigger = self._take_trigger(args)
        problem = problem or self._view_problem(args.get("view"))
        if problem or trigger is None:
            return problem or _error("invalid_trigger_id")
        trigger.used = True
        parent = self._views.get(trigger.view_id or "")
        root = parent.view.get("root_view_id") if parent else None
        view = self._store_view(args["view"], previous_view_id=trigger.view_id, root_view_id=root)
        return {"ok": True, "view": view}

    def _get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel") or ""), str(args.get("message_ts") or "")
        if not channel or not ts:
            return _invalid_arguments([_err("channel and message_ts are required", "")])
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user_id"):
            return _invalid_arguments([_err("missing required field: user_id", "")])
        errors = home_view_errors(args.get("view"))
        if errors:
            return _invalid_arguments(errors)
        self._counter += 1
        return {"ok": True, "view": {**args["view"], "id": f"VHOME{self._counter:06d}"}}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            return _invalid_arguments([_err("either view_id or external_id is required", "")])
        stored = self._views.get(str(view_id)) if view_id else self._by_external_id(external_id)
        if stored is None:
            return _error("not_found")
        if args.get("hash") and args["hash"] != stored.view["hash"]:
            return _error("hash_conflict")
        problem = self._view_problem(args.get("view"), external_id_owner=stored.view["id"])
        if problem:
            return problem
        view = self._store_view(
            args["view"],
            view_id=stored.view["id"],
            previous_view_id=stored.view.get("previous_view_id"),
            root_view_id=stored.view.get("root_view_id"),
        )
        return {"ok": True, "view": view}

    def _by_external_id(self, external_id: Any) -> _StoredView | None:
        for stored in self._views.values():
            if external_id and stored.view.get("external_id") == external_id:
                return stored
        return None

    def _view_problem(
        self, view: Any, *, external_id_owner: str | None = None
    ) -> dict[str, Any] | None:
        if view is None:
            return _invalid_arguments([_err("missing required field: view", "")])
        errors = view_errors(view)
        if errors:
            return _invalid_arguments(errors)
        owner = self._by_external_id(view.get("external_id"))
        if owner is not None and owner.view["id"] != external_id_owner:
            return _error("duplicate_external_id")
        return None

    def _store_view(
        self,
        view: dict[str, Any],
        *,
        view_id: str | None = None,
        previous_view_id: str | None = None,
        root_view_id: str | None = None,
    ) -> dict[str, Any]:
        full = self._complete_view(view, view_id=view_id)
        full["previous_view_id"] = previous_view_id
        full["root_view_id"] = root_view_id or full["id"]
        self._views[full["id"]] = _StoredView(full, _canonical(view))
        return copy.deepcopy(full)

    def _complete_view(self, view: dict[str, Any], *, view_id: str | None = None) -> dict[str, Any]:
        """The view with everything Slack adds: ids, hash, state and the defaults."""
        full = copy.deepcopy(view)
        _fill_ids(full.setdefault("blocks", []))
        for key, default in (
            ("private_metadata", ""),
            ("callback_id", ""),
            ("external_id", ""),
            ("clear_on_close", False),
            ("notify_on_close", False),
            ("close", None),
            ("submit", None),
            ("previous_view_id", None),
        ):
            full.setdefault(key, default)
        full["id"] = view_id or full.get("id") or _random_id("V")
        full["root_view_id"] = full.get("root_view_id") or full["id"]
        full.update(
            team_id=self.team_id,
            state={"values": {}},
            hash=f"{int(time.time())}.{secrets.token_hex(4)}",
            app_id=self.api_app_id,
            app_installed_team_id=self.team_id,
            bot_id=self.bot_id,
        )
        return full

    def _resolve_view(self, view: dict[str, Any]) -> dict[str, Any]:
        """The full view a test means: as returned by the fake, or the app's dict we stored."""
        with self._cond:
            if view.get("id") and view.get("hash"):
                full = copy.deepcopy(view)
                _fill_ids(full.get("blocks") or [])
                return full
            stored = self._views.get(str(view.get("id") or ""))
            if stored is None:
                canonical = _canonical(view)
                matches = [s for s in self._views.values() if s.original == canonical]
                stored = matches[-1] if matches else None
            if stored is not None:
                return copy.deepcopy(stored.view)
            return self._complete_view(view)

    def _channel_error(self, channel: Any, *, direct_ok: bool) -> str | None:
        channel = str(channel or "")
        if not channel:
            return "channel_not_found"
        # chat.postMessage to a user id lands in the bot's DM with them.
        if direct_ok and channel[0] in "UW":
            return None
        if self._access.get(channel, channel.startswith("C")):
            return None
        return "not_in_channel" if channel.startswith("C") else "channel_not_found"

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        user = args.get("user")
        if not user:
            return _error("user_not_found")
        error = self._channel_error(args.get("channel"), direct_ok=False) or _message_error(args)
        if error:
            return _error(error)
        self._record_message(str(user), "ephemeral", str(args["channel"]), args)
        return {"ok": True, "message_ts": self._ts()}

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        error = self._channel_error(channel, direct_ok=True) or _message_error(args)
        if error:
            return _error(error)
        ts = self._ts()
        user = channel if channel[:1] in ("U", "W") else self._dm_users.get(channel)
        if user is not None:
            dm = channel if channel.startswith("D") else self.dm_channel_id(user)
            self._record_message(user, "dm", dm, args)
        message = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.api_app_id,
            "text": args.get("text") or "",
            "blocks": args.get("blocks") or [],
            "ts": ts,
        }
        # Slack answers a post to a user id with the DM channel it landed in.
        answered = self.dm_channel_id(channel) if channel[:1] in ("U", "W") else channel
        return {"ok": True, "channel": answered, "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("ts"):
            return _error("message_not_found")
        channel = args.get("channel")
        return {"ok": True, "channel": channel, "ts": args["ts"], "text": args.get("text") or ""}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("ts"):
            return _error("message_not_found")
        return {"ok": True, "channel": args.get("channel"), "ts": args["ts"]}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        raw_users = args.get("users") or ""
        if isinstance(raw_users, list):
            users = [str(u) for u in raw_users]
        else:
            users = [u.strip() for u in str(raw_users).split(",") if u.strip()]
        if not users:
            if args.get("channel"):
                return {"ok": True, "channel": {"id": args["channel"]}}
            return _error("users_list_not_supplied")
        if len(users) == 1:
            channel_id = self.dm_channel_id(users[0])
            already = channel_id in self._dm_users
            self._dm_users[channel_id] = users[0]
        else:
            channel_id = _stable_id("G", self.team_id, *sorted(users))
            already = self._access.get(channel_id, False)
        self._access[channel_id] = True
        return {
            "ok": True,
            "no_op": already,
            "already_open": already,
            "channel": {"id": channel_id},
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user") or "")
        if user_id in self._users:
            return {"ok": True, "user": copy.deepcopy(self._users[user_id])}
        if not user_id or user_id[0] not in "UW":
            return _error("user_not_found")
        return {"ok": True, "user": self._user_object(user_id)}

    def _user_name(self, user_id: str) -> str:
        with self._cond:
            known = self._users.get(user_id)
        return str(known["name"]) if known else f"user.{user_id.lower()}"

    def _user_object(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        name = name or f"user.{user_id.lower()}"
        real_name = real_name or f"User {user_id}"
        profile = {
            "real_name": real_name,
            "display_name": display_name if display_name is not None else name,
            "email": email or f"{name}@{self.team_domain}.example.com",
        }
        return {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": False,
            "tz": "Europe/Budapest",
            "profile": profile,
        }


_Rule = TypeVar("_Rule", _Failure, _UrlFailure)


def _consume(rules: list[_Rule] | None) -> _Rule | None:
    """The failure rule that applies now, counting it down; None when no rule is left."""
    if not rules:
        return None
    rule = rules[0]
    if rule.remaining is not None:
        rule.remaining -= 1
        if rule.remaining <= 0:
            rules.pop(0)
    return rule


def _failure_reply(rule: _Failure) -> _Reply:
    if rule.status == 429:
        payload = _error("ratelimited")
        return _json_reply(payload, 429, **{"Retry-After": str(rule.retry_after or 1)})
    if rule.status >= 500:
        # Slack's edge answers 5xx with an HTML page, not JSON.
        try:
            phrase = HTTPStatus(rule.status).phrase
        except ValueError:
            phrase = ""
        page = f"<html><head><title>{rule.status} {phrase}</title></head><body></body></html>"
        return _text_reply(rule.status, page, rule.error)
    return _json_reply(_error(rule.error), rule.status)


def _decode_args(query: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """Merge query and body arguments the way Slack reads them; ValueError on a bad JSON body."""
    args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if not body.strip():
        return args
    if content_type.lower().startswith("application/json"):
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("JSON body is not an object")
        args.update(decoded)
        return args
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    for key, values in form.items():
        value: Any = values[-1]
        if key in _JSON_FORM_FIELDS and value[:1] in ("{", "["):
            # A string that is not JSON stays a string; the method reports it as Slack would.
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        args[key] = value
    return args
