"""The HTTP side of a Rescue call: one total deadline, a size cap, and never a logged body."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

import requests
import urllib3
import zeep
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError
from zeep.utils import get_media_type

from bot.rescue.errors import Timeout, Unavailable

# A Rescue reply is a few hundred bytes; anything near this is not a reply we can use.
MAX_REPLY_BYTES = 1024 * 1024
_READ_SIZE = 64 * 1024


class DeadlineTransport(zeep.Transport):
    """Posts under one total deadline with a size cap, and never logs a body.

    zeep's own post() logs whole envelopes (auth code included) at DEBUG, so this one
    replaces it rather than extending it.
    """

    def __init__(self, *, session: requests.Session, timeout: float) -> None:
        # zeep annotates nothing, and a super() call escapes mypy's untyped_calls_exclude.
        super().__init__(session=session, operation_timeout=timeout)  # type: ignore[no-untyped-call]
        self._timeout = timeout

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
        """Post message and read the whole reply within the deadline, or raise a RescueError."""
        # total= also bounds connect plus the wait for headers; requests alone bounds each
        # socket operation, which a server sending a byte at a time never trips.
        limits = urllib3.Timeout(connect=self._timeout, read=self._timeout, total=self._timeout)
        with _Deadline(self._timeout) as deadline:
            try:
                # requests' hints name only floats, but its adapter takes a urllib3 Timeout
                # as is (HTTPAdapter.send), and only that carries total=.
                response = self.session.post(
                    address,
                    data=message,
                    headers=headers,
                    stream=True,
                    timeout=limits,  # type: ignore[arg-type]
                    # Following one would re-send the envelope, auth code or password in it,
                    # to wherever Location points (http too); Rescue's endpoint never moves.
                    allow_redirects=False,
                )
                with response:
                    body = _read_body(response.raw, deadline)
            except requests.ConnectTimeout:
                # Nothing was sent, so no PIN can exist: safe to call it unavailable.
                raise Unavailable("connect to Rescue timed out") from None
            except (requests.RequestException, Urllib3Error, OSError) as exc:
                if deadline.expired or isinstance(exc, requests.Timeout | ReadTimeoutError):
                    raise Timeout("Rescue did not answer in time") from None
                raise Unavailable(f"Rescue unreachable ({type(exc).__name__})") from None
            if deadline.expired:
                # The deadline cut the connection; what was read may be a truncated reply.
                raise Timeout("Rescue did not answer in time")
        if 300 <= response.status_code <= 399:
            # The status only: Location may carry anything, a token in its query included.
            raise Unavailable(
                f"Rescue answered HTTP {response.status_code} (a redirect, not followed)"
            )
        media_type = get_media_type(response.headers.get("Content-Type", "text/xml"))
        if response.status_code != 200 and "xml" not in media_type:
            # An error page from IIS or a proxy, not a SOAP fault: zeep would quote it whole.
            raise Unavailable(f"Rescue answered HTTP {response.status_code}")
        # zeep reads response.content; the stream is consumed, so hand the body over.
        response._content = body
        return response


def _read_body(raw: urllib3.BaseHTTPResponse, deadline: _Deadline) -> bytes:
    """Read the body one socket read at a time, up to MAX_REPLY_BYTES, within the deadline."""
    body = bytearray()
    while chunk := raw.read1(_READ_SIZE):
        body += chunk
        if len(body) > MAX_REPLY_BYTES:
            raise Unavailable("Rescue reply too large")
        # Needed only where _Deadline cannot cut the connection (a session passed in).
        if deadline.passed():
            raise Timeout("Rescue did not answer in time")
    return bytes(body)


# --- The deadline: cutting a call's connection when its time is up ----------------------------

_current = threading.local()  # the _Deadline of the call running on this thread, if any
# Guards which call owns a pooled connection, so a late deadline never cuts the next call.
_owner_lock = threading.Lock()


class _Deadline:
    """One call's deadline; when it passes, the call's socket is shut so no read waits on.

    Per-read socket timeouts cannot bound a whole call: a server that sends a byte every
    second keeps every read short and the call alive forever.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._at = time.monotonic() + seconds
        self._connection: _CuttableConnection | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        _current.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        _current.deadline = None
        with _owner_lock:
            self._connection = None

    def passed(self) -> bool:
        """Tell whether the deadline has passed, whether or not the timer has fired yet."""
        return self.expired or time.monotonic() >= self._at

    def attach(self, connection: _CuttableConnection) -> None:
        """Make connection the one to cut (called with _owner_lock held)."""
        self._connection = connection

    def _expire(self) -> None:
        with _owner_lock:
            self.expired = True
            connection = self._connection
            if connection is None or connection.deadline is not self:
                return
            sock = connection.sock
            if sock is not None:
                with contextlib.suppress(OSError):  # already closed: nothing left to cut
                    sock.shutdown(socket.SHUT_RDWR)


class _CuttableConnection(HTTPConnection):
    """A pooled connection that tells the current call's _Deadline it is the one in use."""

    deadline: _Deadline | None = None

    def request(self, *args: Any, **kwargs: Any) -> None:
        """Register with the calling thread's deadline, then send as usual."""
        deadline = getattr(_current, "deadline", None)
        with _owner_lock:
            self.deadline = deadline
            if deadline is not None:
                deadline.attach(self)
        super().request(*args, **kwargs)


class _CuttableHTTPSConnection(_CuttableConnection, HTTPSConnection):
    """The same over TLS."""


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _CuttableConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _CuttableHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections a call's _Deadline can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Build the pool manager as usual, with pools of cuttable connections."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
