"""The fake Slack's HTTP server: reading bodies (chunked too), keep-alive, connection tracking."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
HTML_CONTENT_TYPE = "text/html"
# A Reply with this status is no answer at all: the connection is cut with a reset.
RESET = 0


@dataclass(frozen=True)
class Reply:
    """A response ready to send, with the error it stands for (recorded with the call)."""

    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    error: str | None = None


def json_reply(payload: dict[str, Any], status: int = 200, **headers: str) -> Reply:
    """A Web API answer; its error is the payload's unless ok."""
    error = None if payload.get("ok", True) else str(payload.get("error"))
    body = json.dumps(payload).encode()
    return Reply(status, body, JSON_CONTENT_TYPE, tuple(headers.items()), error)


def text_reply(status: int, text: str, error: str | None = None) -> Reply:
    """A plain answer, as response_urls and Slack's edge give."""
    return Reply(status, text.encode(), HTML_CONTENT_TYPE, (), error)


# (verb, target, headers, body) -> the reply; runs on the server's handler threads.
RequestHandler = Callable[[str, str, dict[str, str], bytes], Reply]


class SlackServer(ThreadingHTTPServer):
    """A threading HTTP server that hands every request to one function."""

    daemon_threads = True
    # slack_sdk opens a connection per call; socketserver's backlog of 5 overflows under load.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handle: RequestHandler) -> None:
        super().__init__(address, _Handler)
        self.handle_request_body = handle
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, conn: socket.socket, *, open_: bool) -> None:
        """Remember or forget a client connection."""
        with self._connections_lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        """Shut every client connection down."""
        # Keep-alive handler threads would otherwise sit in readline() after stop().
        with self._connections_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up is normal here; anything else gets socketserver's traceback."""
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
    server: SlackServer

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
            self._send(text_reply(400, "invalid_content_length"))
            self.close_connection = True
            return None
        body = self.rfile.read(length) if length > 0 else b""
        if len(body) < length:
            self.close_connection = True  # the client went away mid-body
            return None
        return body

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        while True:
            line = self.rfile.readline(65537)
            if not line:
                self.close_connection = True
                return None
            try:
                size = int(line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                self._send(text_reply(400, "invalid_chunk"))
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
            reply = self.server.handle_request_body(
                self.command, self.path, dict(self.headers), body
            )
        except Exception:
            # A bug in the fake must show up loudly, not as a hung or silent test.
            traceback.print_exc()
            reply = text_reply(500, "fake_slack_internal_error")
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        if reply.status == RESET:
            # Linger 0 makes close() send RST: the client sees "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
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
