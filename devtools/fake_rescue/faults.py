"""How the fake answers one request: Rescue's logic, a forced result, or a scripted fault."""

from __future__ import annotations

import html
from dataclasses import dataclass

from devtools.fake_rescue.operations import OPERATIONS, PIN_OK, Directory, Outcome
from devtools.fake_rescue.soap import (
    CONTENT_TYPES,
    HTML,
    Child,
    Inspection,
    build_answer,
    build_fault,
    huge_body,
)


@dataclass(frozen=True)
class Result:
    """Answer 200 with the operation's normal response; Result() means "apply Rescue's logic"."""

    code: str = PIN_OK
    pin: str | None = None


@dataclass(frozen=True)
class Amend:
    """Answer `then` reshaped: elements the WSDL does not list, some left out, attributes, order.

    Names are local names in Rescue's namespace, or "{namespace}name" for another one.
    """

    add: tuple[tuple[str, str], ...] = (("iSessionID", "987654"),)
    at: int | None = None  # where `add` goes among the response's children; None: the end
    omit: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()  # on the response element and each child
    reverse: bool = False  # the response's own elements in reverse order
    then: Result = Result()


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
    content_type: str = HTML

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
class Redirect:
    """Answer with an HTTP redirect to `location`, as a moved endpoint or a proxy would."""

    location: str
    status: int = 307

    def __post_init__(self) -> None:
        _check_header_value(self.location)
        if not 300 <= self.status <= 399:
            raise ValueError("Redirect.status must be a 3xx status")


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


Behaviour = (
    Result | Amend | Fault | HttpError | Garbage | Redirect | Delay | Hang | Reset | Drip | Huge
)


def _check_header_value(value: str) -> None:
    # A CR or LF would let a test behaviour forge extra headers by accident.
    if "\r" in value or "\n" in value:
        raise ValueError("header values must not contain line breaks")


def _moved_page(location: str) -> bytes:
    """The page IIS sends with a redirect (clients that follow one never show it)."""
    link = f'<a href="{html.escape(location)}">here</a>'
    head = "<html><head><title>Object moved</title></head>"
    return f"{head}<body><h2>Object moved to {link}.</h2></body></html>".encode()


@dataclass(frozen=True)
class Answer:
    """A response ready to put on the wire."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()  # beyond the ones every answer carries


def _outcome(
    result: Result, inspection: Inspection, received_at: float, directory: Directory
) -> Outcome:
    """The result code and values an operation answers: Rescue's logic, or the forced ones."""
    spec = OPERATIONS[inspection.operation]
    if result == Result():
        return spec.handle(directory, inspection.fields, received_at)
    return spec.forced(directory, inspection.fields, result)


def _response(
    behaviour: Result | Amend, inspection: Inspection, received_at: float, directory: Directory
) -> bytes:
    """The operation's normal response, as Amend reshapes it if it is one."""
    result = behaviour.then if isinstance(behaviour, Amend) else behaviour
    code, values = _outcome(result, inspection, received_at, directory)
    operation = inspection.operation
    children = [(f"{operation}Result", code), *values]
    if isinstance(behaviour, Amend):
        return build_answer(
            inspection.version, operation, _amended(children, behaviour), behaviour.attributes
        )
    return build_answer(inspection.version, operation, children)


def _amended(children: list[Child], amend: Amend) -> list[Child]:
    """The response's children as Amend reshapes them."""
    kept = [child for child in children if child[0] not in amend.omit]
    if amend.reverse:
        kept.reverse()
    at = len(kept) if amend.at is None else amend.at
    return [*kept[:at], *amend.add, *kept[at:]]


def render(
    behaviour: Behaviour, inspection: Inspection, received_at: float, directory: Directory
) -> Answer:
    """The answer a behaviour gives; the connection-level ones (Delay, Hang...) have none."""
    version = inspection.version
    soap_type = CONTENT_TYPES[version]
    match behaviour:
        case Result() | Amend():
            return Answer(200, soap_type, _response(behaviour, inspection, received_at, directory))
        case Fault(code=code, message=message, status=status):
            return Answer(status, soap_type, build_fault(version, code, message))
        case HttpError(status=status, body=text, content_type=content_type):
            return Answer(status, content_type, text.encode())
        case Garbage(body=raw, status=status, content_type=content_type):
            return Answer(status, content_type, raw)
        case Redirect(location=location, status=status):
            return Answer(status, HTML, _moved_page(location), (("Location", location),))
        case Huge(size=size):
            return Answer(200, soap_type, huge_body(version, size))
    raise TypeError(f"not a renderable behaviour: {behaviour!r}")
