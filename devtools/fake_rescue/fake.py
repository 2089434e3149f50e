"""A stand-in for LogMeIn Rescue's ASMX SOAP endpoint, serving real HTTP on loopback."""

from __future__ import annotations

import argparse
import contextlib
import secrets
import signal
import socket
import socketserver
import string
import struct
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

NS = "https://secure.logmeinrescue.com/API/API.asmx"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"

ENDPOINT_PATH = "/API/API.asmx"

_XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_XSD_NS = "http://www.w3.org/2001/XMLSchema"
_XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'
_CONTENT_TYPES = {"1.1": "text/xml; charset=utf-8", "1.2": "application/soap+xml; charset=utf-8"}
_VERSION_BY_MEDIA_TYPE = {"text/xml": "1.1", "application/soap+xml": "1.2"}
_ENVELOPE_NS = {"1.1": SOAP11_NS, "1.2": SOAP12_NS}
_HTML = "text/html; charset=utf-8"

# Far above any real request; stops a runaway client from filling memory.
_MAX_REQUEST_BYTES = 16 * 1024 * 1024
# How long stop() waits for handler threads before giving up on them (they are daemons).
_STOP_JOIN_SECONDS = 3.0

# What getAccount_v2 reports about the (single) account every fake technician belongs to.
ACCOUNT_ID = 4242
ORGANIZATION = "Example Support"
ADMIN_ID = 1000

_AUTH_CODE_ALPHABET = string.ascii_lowercase + string.digits
_AUTH_CODE_LENGTH = 80

PIN_OK = "requestPINCode_OK"
PIN_INVALID_AUTH_CODE = "requestPINCode_Invalid_SecretAuthCode"
PIN_NO_CONSOLE = "requestPINCode_NoTechConsoleRunning"
PIN_POLL_RATE = "requestPINCode_PollRateExceeded"
AUTH_OK = "requestAuthCode_OK"
AUTH_INVALID = "requestAuthCode_Invalid"
AUTH_INVALID_COMPANY = "requestAuthCode_InvalidParam_Company"
ACCOUNT_OK = "getAccount_OK"
ACCOUNT_INVALID_AUTH_CODE = "getAccount_Invalid_SecretAuthCode"


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


# --- Behaviours: how the fake answers one request ------------------------------------------


@dataclass(frozen=True)
class Result:
    """Answer 200 with the operation's normal response; Result() means "apply Rescue's logic"."""

    code: str = PIN_OK
    pin: str | None = None


@dataclass(frozen=True)
class Fault:
    """Answer with a SOAP fault in the request's SOAP version."""

    code: str = "soap:Server"
    message: str = "Server was unable to process request."
    status: int = 500


@dataclass(frozen=True)
class HttpError:
    """Answer with a non-SOAP HTTP error, like an IIS or load-balancer error page."""

    status: int = 503
    body: str = "<html><body><h1>Service Unavailable</h1></body></html>"
    content_type: str = _HTML

    def __post_init__(self) -> None:
        _check_header_value(self.content_type)


@dataclass(frozen=True)
class Garbage:
    """Answer with a body that is not a readable SOAP envelope."""

    body: bytes = b"<soap:Envelope><unclosed"
    status: int = 200
    content_type: str = "text/xml; charset=utf-8"

    def __post_init__(self) -> None:
        _check_header_value(self.content_type)


@dataclass(frozen=True)
class Delay:
    """Answer `then` after `seconds` (cut short, without an answer, by stop())."""

    seconds: float
    then: Behaviour = Result()

    def __post_init__(self) -> None:
        if self.seconds < 0:
            raise ValueError("Delay.seconds must not be negative")


@dataclass(frozen=True)
class Hang:
    """Never answer; the connection is closed without a response when the fake stops."""


@dataclass(frozen=True)
class Reset:
    """Abort the TCP connection (RST) without sending anything."""


@dataclass(frozen=True)
class Drip:
    """Send the whole `then` response, status line and headers included, a byte at a time."""

    interval: float
    then: Behaviour = Result()

    def __post_init__(self) -> None:
        if self.interval < 0:
            raise ValueError("Drip.interval must not be negative")


@dataclass(frozen=True)
class Huge:
    """Answer 200 with an envelope-looking body of `size` bytes that never ends properly."""

    size: int = 10 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError("Huge.size must not be negative")


Behaviour = Result | Fault | HttpError | Garbage | Delay | Hang | Reset | Drip | Huge


def _check_header_value(value: str) -> None:
    # A CR or LF would let a test behaviour forge extra headers by accident.
    if "\r" in value or "\n" in value:
        raise ValueError("header values must not contain line breaks")


# --- Reading requests ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rejection:
    """A request ASMX refuses before running the operation (fault or HTTP error)."""

    status: int
    fault_code: str = ""  # "" means a plain HTML answer instead of a SOAP fault
    message: str = ""


@dataclass(frozen=True)
class _Inspection:
    """What could be read from a request, and whether ASMX would refuse it."""

    version: str
    soap_action: str
    operation: str
    fields: dict[str, str | None]
    rejection: _Rejection | None


def _split_content_type(value: str) -> tuple[str, dict[str, str]]:
    media, _, rest = value.partition(";")
    params: dict[str, str] = {}
    for part in rest.split(";"):
        name, sep, raw = part.partition("=")
        if sep:
            params[name.strip().lower()] = _unquote(raw)
    return media.strip().lower(), params


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _local(element: Any) -> str:
    return etree.QName(element).localname


def _namespace(element: Any) -> str | None:
    return etree.QName(element).namespace


def _first_child(element: Any, local: str | None = None) -> Any | None:
    for child in element:
        # Comments and processing instructions have a non-string tag.
        if isinstance(child.tag, str) and (local is None or _local(child) == local):
            return child
    return None


def _field_text(element: Any) -> str | None:
    if element.get(f"{{{_XSI_NS}}}nil") in ("true", "1"):
        return None
    # itertext skips comments, so "a<!--x-->b" reads as "ab" like XmlSerializer reads it.
    return "".join(element.itertext())


def _parser() -> etree.XMLParser:
    # No entity expansion, no network, no DTD loading: the request is untrusted input.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _unreadable(detail: str) -> _Rejection:
    return _Rejection(500, "soap:Client", f"Server was unable to read request. ---> {detail}")


def _unknown_action(action: str) -> _Rejection:
    return _Rejection(
        500,
        "soap:Client",
        f"Server did not recognize the value of HTTP Header SOAPAction: {action}.",
    )


@dataclass(frozen=True)
class _Parsed:
    """The pieces of a request that the checks look at."""

    version: str
    action: str
    root: Any
    syntax_error: str
    body: Any
    op_element: Any
    operation: str
    fields: dict[str, str | None]


def _parse(content_type: str, soap_action_header: str | None, body: bytes) -> _Parsed:
    """Read what can be read from a request, valid or not, so that it can be recorded."""
    media, params = _split_content_type(content_type)
    version = _VERSION_BY_MEDIA_TYPE.get(media, "")
    # SOAP 1.2 carries the action in the content type; ASMX ignores a SOAPAction header then.
    action = params.get("action", "") if version == "1.2" else _unquote(soap_action_header or "")
    root: Any = None
    syntax_error = ""
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        syntax_error = f"There is an error in XML document ({line}, {column})."
    body_element = _first_child(root, "Body") if root is not None else None
    op_element = _first_child(body_element) if body_element is not None else None
    fields: dict[str, str | None] = {}
    if op_element is not None:
        for child in op_element:
            if isinstance(child.tag, str):
                fields[_local(child)] = _field_text(child)
    operation = _local(op_element) if op_element is not None else ""
    return _Parsed(version, action, root, syntax_error, body_element, op_element, operation, fields)


def _check_xml(request: _Parsed) -> _Rejection | None:
    if not request.version:
        return _Rejection(415, message="Unsupported Media Type")
    if request.root is None:
        return _unreadable(request.syntax_error)
    if request.root.getroottree().docinfo.doctype:
        return _unreadable("For security reasons DTD is prohibited in this XML document.")
    return None


def _check_envelope(request: _Parsed) -> _Rejection | None:
    expected = _ENVELOPE_NS[request.version]
    if _local(request.root) != "Envelope":
        return _unreadable(f"<{_local(request.root)}> was not expected.")
    if _namespace(request.root) != expected:
        return _Rejection(
            500,
            "soap:VersionMismatch",
            f"Possible SOAP version mismatch: Envelope namespace {_namespace(request.root)} "
            f"was unexpected. Expecting {expected}.",
        )
    if request.body is None or _namespace(request.body) != expected or request.op_element is None:
        return _unreadable("The SOAP Body is missing or empty.")
    return None


def _check_action(request: _Parsed) -> _Rejection | None:
    # ASMX routes SOAP 1.1 by the SOAPAction header before it looks at the body.
    if request.version == "1.1" and not request.action:
        return _Rejection(
            500,
            "soap:Client",
            "Unable to handle request without a valid action parameter. "
            "Please supply a valid soap action.",
        )
    if request.operation not in _OPERATIONS:
        return _unknown_action(request.action or f"{NS}/{request.operation}")
    if request.action and request.action != f"{NS}/{request.operation}":
        return _unknown_action(request.action)
    return None


def _check_operation(request: _Parsed) -> _Rejection | None:
    if _namespace(request.op_element) != NS:
        namespace = _namespace(request.op_element) or ""
        return _unreadable(f"<{request.operation} xmlns='{namespace}'> was not expected.")
    for name in _OPERATIONS[request.operation].booleans:
        value = request.fields.get(name)
        if value is not None and value.strip() not in ("true", "false", "1", "0"):
            return _unreadable(f"The string '{value}' is not a valid Boolean value.")
    return None


_CHECKS = (_check_xml, _check_envelope, _check_action, _check_operation)


def _inspect(content_type: str, soap_action_header: str | None, body: bytes) -> _Inspection:
    """Read a request as ASMX does and decide whether it gets past its checks."""
    request = _parse(content_type, soap_action_header, body)
    rejection = None
    for check in _CHECKS:
        rejection = check(request)
        if rejection is not None:
            break
    return _Inspection(
        request.version, request.action, request.operation, request.fields, rejection
    )


def _is_true(value: str | None) -> bool:
    return value is not None and value.strip() in ("true", "1")


# --- Writing responses -----------------------------------------------------------------------


def _envelope(version: str) -> tuple[Any, Any]:
    env_ns = _ENVELOPE_NS[version]
    envelope = etree.Element(
        f"{{{env_ns}}}Envelope", nsmap={"soap": env_ns, "xsi": _XSI_NS, "xsd": _XSD_NS}
    )
    return envelope, etree.SubElement(envelope, f"{{{env_ns}}}Body")


def _serialize(envelope: Any) -> bytes:
    # lxml writes the declaration with single quotes; ASMX uses double quotes.
    return _XML_DECLARATION + etree.tostring(envelope, encoding="utf-8", xml_declaration=False)


def build_response(
    version: str, operation: str, result: str, values: Sequence[tuple[str, str]]
) -> bytes:
    """Serialize `<operation>Response` with its `<operation>Result` and further values."""
    envelope, body = _envelope(version)
    response = etree.SubElement(body, f"{{{NS}}}{operation}Response", nsmap={None: NS})
    for name, text in ((f"{operation}Result", result), *values):
        etree.SubElement(response, f"{{{NS}}}{name}").text = text
    return _serialize(envelope)


_FAULT_CODES_11 = {"Receiver": "Server", "Sender": "Client"}
_FAULT_CODES_12 = {"Server": "Receiver", "Client": "Sender"}


def build_fault(version: str, code: str, message: str) -> bytes:
    """Serialize a SOAP fault as ASMX writes it (1.2: Code/Value and Reason/Text)."""
    local = code.rpartition(":")[2]
    head, dot, tail = local.partition(".")
    names = _FAULT_CODES_11 if version == "1.1" else _FAULT_CODES_12
    qname = f"soap:{names.get(head, head)}{dot}{tail}"
    env_ns = _ENVELOPE_NS[version]
    envelope, body = _envelope(version)
    fault = etree.SubElement(body, f"{{{env_ns}}}Fault")
    if version == "1.1":
        etree.SubElement(fault, "faultcode").text = qname
        etree.SubElement(fault, "faultstring").text = message
        etree.SubElement(fault, "detail")
    else:
        code_element = etree.SubElement(fault, f"{{{env_ns}}}Code")
        etree.SubElement(code_element, f"{{{env_ns}}}Value").text = qname
        reason = etree.SubElement(fault, f"{{{env_ns}}}Reason")
        text = etree.SubElement(reason, f"{{{env_ns}}}Text")
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        text.text = message
        etree.SubElement(fault, f"{{{env_ns}}}Detail")
    return _serialize(envelope)


def _huge_body(version: str, size: int) -> bytes:
    start = (
        _XML_DECLARATION
        + f'<soap:Envelope xmlns:soap="{_ENVELOPE_NS[version]}"><soap:Body>'
        f'<requestLensPINCodeV2Response xmlns="{NS}"><requestLensPINCodeV2Result>'.encode()
    )
    return start[:size] + b"A" * max(0, size - len(start))


def _html_page(title: str, text: str) -> bytes:
    return f"<html><head><title>{title}</title></head><body><h1>{text}</h1></body></html>".encode()


@dataclass(frozen=True)
class _Answer:
    """A response ready to put on the wire."""

    status: int
    content_type: str
    body: bytes


# --- Operations ------------------------------------------------------------------------------


@dataclass
class _Identity:
    """Who an auth code belongs to, for getAccount_v2."""

    tech_id: int
    email: str


@dataclass
class _Account:
    """A Rescue login for requestAuthCode."""

    password: str
    identity: _Identity


@dataclass
class _SsoCompany:
    """A company that allows requestAuthCodeSSO."""

    password: str
    users: dict[str, _Identity]


_Values = list[tuple[str, str]]
_Handle = Callable[["FakeRescue", Mapping[str, str | None], float], tuple[str, _Values]]
_Forced = Callable[["FakeRescue", Mapping[str, str | None], Result], tuple[str, _Values]]


@dataclass(frozen=True)
class _Operation:
    """One SOAP operation: its normal logic, its answer to a forced Result, its typed fields."""

    handle: _Handle
    forced: _Forced
    booleans: frozenset[str] = frozenset()


# --- The server ------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    """The HTTP server; it carries the FakeRescue its handlers answer for."""

    daemon_threads = True  # FakeRescue.stop() joins them itself, with a deadline
    request_queue_size = 128  # the benchmark opens many connections at once

    def __init__(self, address: tuple[str, int], fake: FakeRescue) -> None:
        self.fake = fake
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away mid-request is normal here, not worth a traceback.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Server6(_Server):
    """The same server on IPv6."""

    address_family = socket.AF_INET6


class _RequestHandler(BaseHTTPRequestHandler):
    """Answers requests on one TCP connection, as IIS with ASP.NET would."""

    protocol_version = "HTTP/1.1"
    server: _Server
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
            self._send(_Answer(404, _HTML, _html_page("Not Found", "404 - File not found.")))
            return
        operations = "".join(f"<li>{name}</li>" for name in sorted(_OPERATIONS))
        page = (
            "<html><head><title>API Web Service</title></head><body><h1>API</h1>"
            f"<p>The following operations are supported.</p><ul>{operations}</ul></body></html>"
        )
        self._send(_Answer(200, _HTML, page.encode()))

    def do_POST(self) -> None:
        """Answer a SOAP call: validate it like ASMX, record it, then apply a behaviour."""
        received_at = time.monotonic()
        body = self._read_body()
        if body is None:
            return
        if not self._on_endpoint():
            self._send(_Answer(404, _HTML, _html_page("Not Found", "404 - File not found.")))
            return
        content_type = self.headers.get("Content-Type", "")
        inspection = _inspect(content_type, self.headers.get("SOAPAction"), body)
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
                    _Answer(
                        rejection.status,
                        _CONTENT_TYPES[inspection.version],
                        build_fault(inspection.version, rejection.fault_code, rejection.message),
                    )
                )
            else:
                page = _html_page(rejection.message, rejection.message)
                self._send(_Answer(rejection.status, _HTML, page))
            return
        self._perform(fake._next_behaviour(), inspection, received_at, drip=None)

    def _on_endpoint(self) -> bool:
        # IIS matches paths case-insensitively.
        return urlsplit(self.path).path.lower() == ENDPOINT_PATH.lower()

    def _perform(
        self, behaviour: Behaviour, inspection: _Inspection, received_at: float, drip: float | None
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
                    answer = _Answer(
                        500,
                        _CONTENT_TYPES[inspection.version],
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
            self._send(_Answer(411, _HTML, _html_page("Length Required", "Length Required")))
            return None
        try:
            length = int(raw_length)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(_Answer(400, _HTML, _html_page("Bad Request", "Bad Request")))
            return None
        if length > _MAX_REQUEST_BYTES:
            self.close_connection = True
            self._send(_Answer(413, _HTML, _html_page("Too Large", "Request Entity Too Large")))
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
                self._send(_Answer(400, _HTML, _html_page("Bad Request", "Bad Request")))
                return None
            if size == 0:
                break
            total += size
            if total > _MAX_REQUEST_BYTES:
                self.close_connection = True
                self._send(_Answer(413, _HTML, _html_page("Too Large", "Request Entity Too Large")))
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

    def _send(self, answer: _Answer, drip: float | None = None) -> None:
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


class FakeRescue:
    """LogMeIn Rescue's API.asmx on loopback, scriptable request by request."""

    def __init__(
        self,
        *,
        auth_codes: Iterable[str] = ("test-auth-code",),
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: float | None = 1.0,
        pins: Iterable[str] | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._rate_limit = rate_limit
        self._lock = threading.Lock()
        self._calls_changed = threading.Condition(self._lock)
        self._calls: list[RescueCall] = []
        self._queue: deque[Behaviour] = deque()
        self._default: Behaviour = Result()
        self._codes: dict[str, _Identity] = {}
        self._console_running: dict[str, bool] = {}
        self._last_pin_at: dict[str, float] = {}
        self._accounts: dict[str, _Account] = {}
        self._sso: dict[str, _SsoCompany] = {}
        # The code each user last obtained: a new one replaces it, as in Rescue.
        self._current_code: dict[int, str] = {}
        self._pins: Iterator[str] | None = iter(pins) if pins is not None else None
        self._pin_counter = 100000
        self._next_tech_id = 5001
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: dict[int, tuple[socket.socket, threading.Thread]] = {}
        self._next_connection_id = 1
        for code in auth_codes:
            self.add_auth_code(code)

    # Lifecycle

    @property
    def url(self) -> str:
        """The endpoint URL, e.g. http://127.0.0.1:8081/API/API.asmx (after start())."""
        server = self._server
        if server is None:
            raise RuntimeError("FakeRescue is not running: call start() first")
        host, port = server.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else str(host)
        return f"http://{shown}:{port}{ENDPOINT_PATH}"

    def start(self) -> FakeRescue:
        """Bind and serve in a background thread; returns self."""
        if self._server is not None:
            raise RuntimeError("FakeRescue is already running")
        self._stopping.clear()
        server_class = _Server6 if ":" in self._host else _Server
        server = server_class((self._host, self._port), self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() returns promptly
            name=f"fake-rescue:{server.server_address[1]}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut every connection (Hang, Delay and Drip included) and join."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        with self._lock:
            # Under the lock so a connection accepted right now either registers before the
            # cut below or sees the flag in _open_connection and closes itself.
            self._stopping.set()
            connections = list(self._connections.values())
        closer = threading.Thread(target=server.shutdown, name="fake-rescue-stop", daemon=True)
        closer.start()
        # serve_forever only looks at the shutdown flag when select() returns; a connection
        # makes it return now instead of at the end of the poll interval.
        with contextlib.suppress(OSError):
            socket.create_connection(server.server_address[:2], timeout=0.5).close()
        closer.join(_STOP_JOIN_SECONDS)
        server.server_close()
        for sock, _ in connections:
            with contextlib.suppress(OSError):  # already closed by its handler
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + _STOP_JOIN_SECONDS
        for _, handler_thread in connections:
            handler_thread.join(max(0.0, deadline - time.monotonic()))
        thread.join(max(0.0, deadline - time.monotonic()))
        self._server = self._thread = None

    def __enter__(self) -> FakeRescue:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Scripting

    def queue(self, *behaviours: Behaviour) -> None:
        """Answer the next well-formed requests with these behaviours, in order, once each."""
        with self._lock:
            self._queue.extend(behaviours)

    def set_default(self, behaviour: Behaviour) -> None:
        """Answer with this once the queue is empty (initially Result(): Rescue's logic)."""
        with self._lock:
            self._default = behaviour

    def set_console_running(self, auth_code: str, running: bool) -> None:
        """Say whether the Technician Console of this code's user is running (default True)."""
        with self._lock:
            self._console_running[auth_code] = running

    def add_auth_code(self, code: str) -> None:
        """Make a code valid, as if its technician had requested it."""
        with self._lock:
            if code not in self._codes:
                identity = self._new_identity_locked(None)
                self._codes[code] = identity
                self._current_code[identity.tech_id] = code

    def add_account(self, email: str, password: str) -> None:
        """Create a Rescue login that requestAuthCode accepts."""
        with self._lock:
            self._accounts[email.strip().lower()] = _Account(
                password, self._new_identity_locked(email)
            )

    def enable_sso(self, company_id: str, password: str, sso_ids: Iterable[str]) -> None:
        """Let requestAuthCodeSSO issue codes for these SSO ids of this company."""
        with self._lock:
            company = self._sso.setdefault(str(company_id), _SsoCompany(password, {}))
            company.password = password
            for sso_id in sso_ids:
                if sso_id not in company.users:
                    email = sso_id if "@" in sso_id else f"{sso_id}@company{company_id}.example"
                    company.users[sso_id] = self._new_identity_locked(email)

    def reset(self) -> None:
        """Forget calls, behaviours and rate-limit state; every Technician Console runs again."""
        with self._lock:
            self._calls.clear()
            self._queue.clear()
            self._default = Result()
            self._last_pin_at.clear()
            # A test that stopped a console must not leave it stopped for the next test.
            self._console_running.clear()

    # Inspection

    @property
    def calls(self) -> list[RescueCall]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._calls)

    def wait_for_calls(self, n: int, timeout: float = 5.0) -> list[RescueCall]:
        """Block until at least n requests were received; AssertionError on timeout."""
        with self._calls_changed:
            if not self._calls_changed.wait_for(lambda: len(self._calls) >= n, timeout):
                seen = [call.operation or "<unreadable>" for call in self._calls]
                raise AssertionError(
                    f"FakeRescue expected at least {n} call(s) within {timeout}s "
                    f"but received {len(seen)}: {seen}"
                )
            return list(self._calls)

    # Used by the request handler

    def _open_connection(self, sock: socket.socket) -> int | None:
        with self._lock:
            if self._stopping.is_set():
                return None
            connection_id = self._next_connection_id
            self._next_connection_id += 1
            self._connections[connection_id] = (sock, threading.current_thread())
            return connection_id

    def _close_connection(self, connection_id: int) -> None:
        with self._lock:
            self._connections.pop(connection_id, None)

    def _record(self, call: RescueCall) -> None:
        with self._calls_changed:
            self._calls.append(call)
            self._calls_changed.notify_all()

    def _next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else self._default

    def _render(self, behaviour: Behaviour, inspection: _Inspection, received_at: float) -> _Answer:
        version = inspection.version
        soap_type = _CONTENT_TYPES[version]
        match behaviour:
            case Result():
                spec = _OPERATIONS[inspection.operation]
                if behaviour == Result():
                    code, values = spec.handle(self, inspection.fields, received_at)
                else:
                    code, values = spec.forced(self, inspection.fields, behaviour)
                body = build_response(version, inspection.operation, code, values)
                return _Answer(200, soap_type, body)
            case Fault(code=code, message=message, status=status):
                return _Answer(status, soap_type, build_fault(version, code, message))
            case HttpError(status=status, body=text, content_type=content_type):
                return _Answer(status, content_type, text.encode())
            case Garbage(body=raw, status=status, content_type=content_type):
                return _Answer(status, content_type, raw)
            case Huge(size=size):
                return _Answer(200, soap_type, _huge_body(version, size))
        raise TypeError(f"not a renderable behaviour: {behaviour!r}")

    # State helpers; callers hold self._lock

    def _new_identity_locked(self, email: str | None) -> _Identity:
        tech_id = self._next_tech_id
        self._next_tech_id += 1
        return _Identity(tech_id, email or f"tech{tech_id}@example.com")

    def _next_pin_locked(self) -> str:
        if self._pins is not None:
            try:
                return str(next(self._pins))
            except StopIteration:
                self._pins = None  # then carry on with the sequence
        pin = f"{self._pin_counter % 1_000_000:06d}"
        self._pin_counter += 1
        return pin

    def _issue_code_locked(self, identity: _Identity) -> str:
        code = "".join(secrets.choice(_AUTH_CODE_ALPHABET) for _ in range(_AUTH_CODE_LENGTH))
        old = self._current_code.get(identity.tech_id)
        if old is not None:
            self._codes.pop(old, None)
        self._current_code[identity.tech_id] = code
        self._codes[code] = identity
        return code

    # Operations: (fields, received_at) -> (result code, further values)

    def _lens_pin(
        self, fields: Mapping[str, str | None], received_at: float
    ) -> tuple[str, _Values]:
        auth_code = fields.get("sAuthCode") or ""
        with self._lock:
            if auth_code not in self._codes:
                return PIN_INVALID_AUTH_CODE, [("sPINCode", "")]
            running = self._console_running.get(auth_code, True)
            if not running and not _is_true(fields.get("bNoTechConsole")):
                return PIN_NO_CONSOLE, [("sPINCode", "")]
            last = self._last_pin_at.get(auth_code)
            limit = self._rate_limit
            if limit is not None and last is not None and received_at - last < limit:
                return PIN_POLL_RATE, [("sPINCode", "")]
            self._last_pin_at[auth_code] = max(received_at, last or received_at)
            return PIN_OK, [("sPINCode", self._next_pin_locked())]

    def _lens_pin_forced(
        self, fields: Mapping[str, str | None], result: Result
    ) -> tuple[str, _Values]:
        pin = result.pin
        if pin is None:
            # Rescue only hands out a PIN with _OK; an error with a PIN would be a new failure
            # mode nobody asked for (pass pin= explicitly to get one).
            with self._lock:
                pin = self._next_pin_locked() if result.code == PIN_OK else ""
        return result.code, [("sPINCode", pin)]

    def _auth_code(
        self, fields: Mapping[str, str | None], received_at: float
    ) -> tuple[str, _Values]:
        email = (fields.get("sEmail") or "").strip().lower()
        with self._lock:
            account = self._accounts.get(email)
            if account is None or account.password != (fields.get("sPassword") or ""):
                return AUTH_INVALID, [("sAuthCode", "")]
            return AUTH_OK, [("sAuthCode", self._issue_code_locked(account.identity))]

    def _auth_code_sso(
        self, fields: Mapping[str, str | None], received_at: float
    ) -> tuple[str, _Values]:
        company_id = (fields.get("sCompany") or "").strip()
        with self._lock:
            company = self._sso.get(company_id)
            if company is None or not company_id.isdigit():
                return AUTH_INVALID_COMPANY, [("sAuthCode", "")]
            identity = company.users.get(fields.get("sSSOID") or "")
            if identity is None or company.password != (fields.get("sPassword") or ""):
                return AUTH_INVALID, [("sAuthCode", "")]
            return AUTH_OK, [("sAuthCode", self._issue_code_locked(identity))]

    def _auth_code_forced(
        self, fields: Mapping[str, str | None], result: Result
    ) -> tuple[str, _Values]:
        code = result.pin
        if code is None:
            with self._lock:
                # A forced OK hands out a working code so the flow under test can go on.
                code = (
                    self._issue_code_locked(self._new_identity_locked(None))
                    if result.code == AUTH_OK
                    else ""
                )
        return result.code, [("sAuthCode", code)]

    def _account(self, fields: Mapping[str, str | None], received_at: float) -> tuple[str, _Values]:
        code, values = self._account_values(fields.get("sAuthCode") or "")
        return (ACCOUNT_OK if code else ACCOUNT_INVALID_AUTH_CODE), values

    def _account_forced(
        self, fields: Mapping[str, str | None], result: Result
    ) -> tuple[str, _Values]:
        return result.code, self._account_values(fields.get("sAuthCode") or "")[1]

    def _account_values(self, auth_code: str) -> tuple[bool, _Values]:
        with self._lock:
            identity = self._codes.get(auth_code)
            running = self._console_running.get(auth_code, True)
        if identity is None:
            return False, [
                ("iAccountID", "0"),
                ("sOrganization", ""),
                ("iAdminID", "0"),
                ("iTechID", "0"),
                ("sEmail", ""),
                ("bTcRunning", "false"),
            ]
        return True, [
            ("iAccountID", str(ACCOUNT_ID)),
            ("sOrganization", ORGANIZATION),
            ("iAdminID", str(ADMIN_ID)),
            ("iTechID", str(identity.tech_id)),
            ("sEmail", identity.email),
            ("bTcRunning", "true" if running else "false"),
        ]


# Add an operation here: its normal logic, its forced-Result answer and its boolean fields.
_OPERATIONS: dict[str, _Operation] = {
    "requestLensPINCodeV2": _Operation(
        FakeRescue._lens_pin, FakeRescue._lens_pin_forced, frozenset({"bNoTechConsole"})
    ),
    "requestLensPINCodeV3": _Operation(
        FakeRescue._lens_pin, FakeRescue._lens_pin_forced, frozenset({"bNoTechConsole"})
    ),
    "requestAuthCode": _Operation(FakeRescue._auth_code, FakeRescue._auth_code_forced),
    "requestAuthCodeSSO": _Operation(FakeRescue._auth_code_sso, FakeRescue._auth_code_forced),
    "getAccount_v2": _Operation(FakeRescue._account, FakeRescue._account_forced),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fake in the foreground until Ctrl-C (or SIGTERM)."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.fake_rescue",
        description="Serve a fake LogMeIn Rescue API.asmx for manual runs and benchmarks.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument(
        "--auth-code",
        dest="auth_codes",
        action="append",
        metavar="CODE",
        help="a valid auth code (repeatable; default: test-auth-code)",
    )
    parser.add_argument(
        "--delay", type=float, default=0.0, metavar="SECONDS", help="answer every call this late"
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="minimum gap between PINs for one auth code (0 disables; default 1)",
    )
    args = parser.parse_args(argv)
    fake = FakeRescue(
        auth_codes=args.auth_codes or ("test-auth-code",),
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit if args.rate_limit > 0 else None,
    )
    if args.delay > 0:
        fake.set_default(Delay(args.delay))
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with fake:
        print(fake.url, flush=True)
        print("Fake Rescue is running; press Ctrl-C to stop.", file=sys.stderr, flush=True)
        try:
            # A timed wait keeps the main thread responsive to Ctrl-C on every platform.
            while not stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
