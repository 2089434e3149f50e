"""Where a redirect from the fake Rescue points: a loopback server that records all it receives."""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devtools.fake_rescue.operations import PIN_OK
from devtools.fake_rescue.server import ENDPOINT_PATH
from devtools.fake_rescue.soap import CONTENT_TYPES, build_response

# What the trap answers: a PIN, so that a client which followed a redirect would look fine.
TRAP_PIN = "999999"


@dataclass(frozen=True)
class Received:
    """One request the trap received, whatever its method, path or body."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class RedirectTarget:
    """A loopback HTTP server recording every request, to prove a redirect was not followed."""

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self._host = host
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._server: _TrapServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """An endpoint URL on this server, e.g. http://127.0.0.1:8082/API/API.asmx."""
        if self._server is None:
            raise RuntimeError("RedirectTarget is not running: call start() first")
        return f"http://{self._host}:{self._server.server_address[1]}{ENDPOINT_PATH}"

    @property
    def received(self) -> list[Received]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._received)

    def start(self) -> RedirectTarget:
        """Bind and serve in a background thread; returns self."""
        if self._server is not None:
            raise RuntimeError("RedirectTarget is already running")
        server = _TrapServer((self._host, 0), self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() returns promptly
            name=f"redirect-target:{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and join the serving thread."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> RedirectTarget:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)


class _TrapServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], trap: RedirectTarget) -> None:
        self.trap = trap
        super().__init__(address, _TrapHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall without DNS.
        socketserver.TCPServer.server_bind(self)


class _TrapHandler(BaseHTTPRequestHandler):
    # One request per connection, so no handler thread outlives the request it served.
    protocol_version = "HTTP/1.0"
    server: _TrapServer

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: request lines are noise in test output."""

    def _answer(self) -> None:
        """Record the request (before answering, so a client that got an answer was recorded)."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        self.server.trap._record(
            Received(self.command, self.path, dict(self.headers.items()), body)
        )
        reply = build_response("1.1", "requestLensPINCodeV2", PIN_OK, [("sPINCode", TRAP_PIN)])
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPES["1.1"])
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply)

    def do_GET(self) -> None:
        """Record a GET: what a followed 301, 302 or 303 turns a POST into."""
        self._answer()

    def do_POST(self) -> None:
        """Record a POST: what a followed 307 or 308 re-sends, envelope and all."""
        self._answer()

    def do_HEAD(self) -> None:
        """Record a HEAD; the answer has headers only."""
        self._answer()
