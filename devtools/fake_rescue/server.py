"""The fake Rescue's HTTP server: IIS-like framing, request bodies, and connection-level faults."""

from __future__ import annotations

import socket
import socketserver
import struct
import sys
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from devtools.fake_rescue.faults import Answer, Behaviour, Delay, Drip, Hang, Reset
from devtools.fake_rescue.operations import OPERATIONS, SIGNATURES
from devtools.fake_rescue.soap import CONTENT_TYPES, HTML, Inspection, build_fault, inspect

if TYPE_CHECKING:
    from devtools.fake_rescue.fake import FakeRescue

ENDPOINT_PATH = "/API/API.asmx"

# Far above any real request; stops a runaway client from filling memory.
_MAX_REQUEST_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class RescueCall:
    """One request the fake received, recorded even when it was answered with an error."""

    operation: str
    soap_version: str
    soap_action: str
    content_type: str
    fields: dict[str, str | None]
    body: bytes
    headers: dict[str, str]
    connection_id: int
    received_at: float


def html_page(title: str, text: str) -> bytes:
    """An error page as IIS writes one."""
    return f"<html><head><title>{title}</title></head><body><h1>{text}</h1></body></html>".encode()


class RescueServer(ThreadingHTTPServer):
    """The HTTP server; it carries the FakeRescue its handlers answer for."""

    daemon_threads = True  # FakeRescue.stop() joins them itself, with a deadline
    request_queue_size = 128  # the benchmark opens many connections at once

    def __init__(self, address: tuple[str, int], fake: FakeRescue) -> None:
        self.fake = fake
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall without DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away mid-request is normal here, not worth a traceback.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class RescueServer6(RescueServer):
    """The same server on IPv6."""

    address_family = socket.AF_INET6


class _RequestHandler(BaseHTTPRequestHandler):
    """Answers requests on one TCP connection, as IIS with ASP.NET would."""

    protocol_version = "HTTP/1.1"
    server: RescueServer
    connection_id = 0
    _refused = False

    def setup(self) -> None:
        """Register the connection so stop() can cut it."""
        super().setup()
        connection_id = self.server.fake._open_connection(self.connection)
        if connection_id is None:
            self._refused = True
            self.close_connection = True
        else:
            self.connection_id = connection_id

    def handle(self) -> None:
        """Serve requests until the client or stop() closes the connection."""
        if not self._refused:
            super().handle()

    def finish(self) -> None:
        """Forget the connection."""
        try:
            super().finish()
        finally:
            self.server.fake._close_connection(self.connection_id)

    def version_string(self) -> str:
        """Name the server as IIS does."""
        return "Microsoft-IIS/10.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: request lines are noise in test output."""

    def do_GET(self) -> None:
        """Answer the ASMX help page, as a browser would see it."""
        if not self._on_endpoint():
            self._send(Answer(404, HTML, html_page("Not Found", "404 - File not found.")))
            return
        operations = "".join(f"<li>{name}</li>" for name in sorted(OPERATIONS))
        page = (
            "<html><head><title>API Web Service</title></head><body><h1>API</h1>"
            f"<p>The following operations are supported.</p><ul>{operations}</ul></body></html>"
        )
        self._send(Answer(200, HTML, page.encode()))

    def do_POST(self) -> None:
        """Answer a SOAP call: validate it like ASMX, record it, then apply a behaviour."""
        received_at = time.monotonic()
        body = self._read_body()
        if body is None:
            return
        if not self._on_endpoint():
            self._send(Answer(404, HTML, html_page("Not Found", "404 - File not found.")))
            return
        content_type = self.headers.get("Content-Type", "")
        inspection = inspect(content_type, self.headers.get("SOAPAction"), body, SIGNATURES)
        fake = self.server.fake
        fake._record(
            RescueCall(
                operation=inspection.operation,
                soap_version=inspection.version,
                soap_action=inspection.soap_action,
                content_type=content_type,
                fields=dict(inspection.fields),
                body=body,
                headers=dict(self.headers.items()),
                connection_id=self.connection_id,
                received_at=received_at,
            )
        )
        rejection = inspection.rejection
        if rejection is not None:
            if rejection.fault_code:
                self._send(
                    Answer(
                        rejection.status,
                        CONTENT_TYPES[inspection.version],
                        build_fault(inspection.version, rejection.fault_code, rejection.message),
                    )
                )
            else:
                page = html_page(rejection.message, rejection.message)
                self._send(Answer(rejection.status, HTML, page))
            return
        self._perform(
            fake._next_behaviour(inspection, received_at), inspection, received_at, drip=None
        )

    def _on_endpoint(self) -> bool:
        # IIS matches paths case-insensitively.
        return urlsplit(self.path).path.lower() == ENDPOINT_PATH.lower()

    def _perform(
        self, behaviour: Behaviour, inspection: Inspection, received_at: float, drip: float | None
    ) -> None:
        fake = self.server.fake
        match behaviour:
            case Delay(seconds=seconds, then=then):
                if fake._stopping.wait(seconds):
                    self.close_connection = True
                    return
                self._perform(then, inspection, received_at, drip)
            case Hang():
                fake._stopping.wait()
                self.close_connection = True
            case Reset():
                self._reset()
            case Drip(interval=interval, then=then):
                self._perform(then, inspection, received_at, interval)
            case _:
                try:
                    answer = fake._render(behaviour, inspection, received_at)
                except Exception as exc:
                    # A bug in the fake (or an unserializable test value) should read as a
                    # server fault to the client and a traceback to the developer.
                    traceback.print_exc()
                    message = f"Server was unable to process request. ---> {exc!r}"
                    answer = Answer(
                        500,
                        CONTENT_TYPES[inspection.version],
                        build_fault(inspection.version, "soap:Server", message),
                    )
                self._send(answer, drip=drip)

    def _read_body(self) -> bytes | None:
        """Read the request body; on a framing problem answer it and return None."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            self.close_connection = True
            self._send(Answer(411, HTML, html_page("Length Required", "Length Required")))
            return None
        try:
            length = int(raw_length)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(Answer(400, HTML, html_page("Bad Request", "Bad Request")))
            return None
        if length > _MAX_REQUEST_BYTES:
            self.close_connection = True
            self._send(Answer(413, HTML, html_page("Too Large", "Request Entity Too Large")))
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True  # the client went away mid-body
            return None
        return body

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                self._send(Answer(400, HTML, html_page("Bad Request", "Bad Request")))
                return None
            if size == 0:
                break
            total += size
            if total > _MAX_REQUEST_BYTES:
                self.close_connection = True
                self._send(Answer(413, HTML, html_page("Too Large", "Request Entity Too Large")))
                return None
            chunk = self.rfile.read(size)
            self.rfile.readline(16)
            if len(chunk) < size:
                self.close_connection = True
                return None
            chunks.append(chunk)
        while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
            pass  # trailers carry nothing we need
        return b"".join(chunks)

    def _send(self, answer: Answer, drip: float | None = None) -> None:
        """Put a complete response on the wire, at once or a byte at a time."""
        reason = self.responses.get(answer.status, ("Unknown",))[0]
        lines = [
            f"HTTP/1.1 {answer.status} {reason}",
            "Cache-Control: private",
            f"Content-Type: {answer.content_type}",
            f"Server: {self.version_string()}",
            "X-AspNet-Version: 4.0.30319",
            "X-Powered-By: ASP.NET",
            f"Date: {self.date_time_string()}",
            f"Content-Length: {len(answer.body)}",
            *(f"{name}: {value}" for name, value in answer.headers),
        ]
        if self.close_connection:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + answer.body
        stopping = self.server.fake._stopping
        try:
            if drip is None:
                self.wfile.write(data)
                return
            for index in range(len(data)):
                self.wfile.write(data[index : index + 1])
                if index + 1 < len(data) and stopping.wait(drip):
                    self.close_connection = True
                    return
        except OSError:
            self.close_connection = True

    def _reset(self) -> None:
        # Linger on with a zero timeout turns close() into an RST instead of a FIN.
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # rfile holds a reference to the socket; the fd only closes once both are closed.
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass
