"""SOAP as ASMX speaks it: reading and checking 1.1 and 1.2 requests, writing answers and faults."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

from lxml import etree

NS = "https://secure.logmeinrescue.com/API/API.asmx"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"

_XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_XSD_NS = "http://www.w3.org/2001/XMLSchema"
_XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'
CONTENT_TYPES = {"1.1": "text/xml; charset=utf-8", "1.2": "application/soap+xml; charset=utf-8"}
_VERSION_BY_MEDIA_TYPE = {"text/xml": "1.1", "application/soap+xml": "1.2"}
_ENVELOPE_NS = {"1.1": SOAP11_NS, "1.2": SOAP12_NS}
HTML = "text/html; charset=utf-8"
# Rescue's namespace as the default one; lxml takes None for "no prefix", its stubs only str.
_DEFAULT_NS = cast("dict[str, str]", {None: NS})

# Operation name -> the names of its boolean fields: what the checks need to know of operations.
Signatures = Mapping[str, frozenset[str]]
# An element of an answer: its name (local, or "{namespace}name") and its text or its children.
Child: TypeAlias = tuple[str, "str | Sequence[Child]"]


# --- Reading requests ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    """A request ASMX refuses before running the operation (fault or HTTP error)."""

    status: int
    fault_code: str = ""  # "" means a plain HTML answer instead of a SOAP fault
    message: str = ""


@dataclass(frozen=True)
class Inspection:
    """What could be read from a request, and whether ASMX would refuse it."""

    version: str
    soap_action: str
    operation: str
    fields: dict[str, str | None]
    rejection: Rejection | None


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
    return str(etree.QName(element).localname)


def _namespace(element: Any) -> str | None:
    # lxml-stubs say str, but an element outside any namespace has None here.
    namespace: str | None = etree.QName(element).namespace
    return None if namespace is None else str(namespace)


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


def _unreadable(detail: str) -> Rejection:
    return Rejection(500, "soap:Client", f"Server was unable to read request. ---> {detail}")


def _unknown_action(action: str) -> Rejection:
    return Rejection(
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


def _check_xml(request: _Parsed, operations: Signatures) -> Rejection | None:
    if not request.version:
        return Rejection(415, message="Unsupported Media Type")
    if request.root is None:
        return _unreadable(request.syntax_error)
    if request.root.getroottree().docinfo.doctype:
        return _unreadable("For security reasons DTD is prohibited in this XML document.")
    return None


def _check_envelope(request: _Parsed, operations: Signatures) -> Rejection | None:
    expected = _ENVELOPE_NS[request.version]
    if _local(request.root) != "Envelope":
        return _unreadable(f"<{_local(request.root)}> was not expected.")
    if _namespace(request.root) != expected:
        return Rejection(
            500,
            "soap:VersionMismatch",
            f"Possible SOAP version mismatch: Envelope namespace {_namespace(request.root)} "
            f"was unexpected. Expecting {expected}.",
        )
    if request.body is None or _namespace(request.body) != expected or request.op_element is None:
        return _unreadable("The SOAP Body is missing or empty.")
    return None


def _check_action(request: _Parsed, operations: Signatures) -> Rejection | None:
    # ASMX routes SOAP 1.1 by the SOAPAction header before it looks at the body.
    if request.version == "1.1" and not request.action:
        return Rejection(
            500,
            "soap:Client",
            "Unable to handle request without a valid action parameter. "
            "Please supply a valid soap action.",
        )
    if request.operation not in operations:
        return _unknown_action(request.action or f"{NS}/{request.operation}")
    if request.action and request.action != f"{NS}/{request.operation}":
        return _unknown_action(request.action)
    return None


def _check_operation(request: _Parsed, operations: Signatures) -> Rejection | None:
    if _namespace(request.op_element) != NS:
        namespace = _namespace(request.op_element) or ""
        return _unreadable(f"<{request.operation} xmlns='{namespace}'> was not expected.")
    for name in operations[request.operation]:
        value = request.fields.get(name)
        if value is not None and value.strip() not in ("true", "false", "1", "0"):
            return _unreadable(f"The string '{value}' is not a valid Boolean value.")
    return None


_CHECKS: tuple[Callable[[_Parsed, Signatures], Rejection | None], ...] = (
    _check_xml,
    _check_envelope,
    _check_action,
    _check_operation,
)


def inspect(
    content_type: str, soap_action_header: str | None, body: bytes, operations: Signatures
) -> Inspection:
    """Read a request as ASMX does and decide whether it gets past its checks."""
    request = _parse(content_type, soap_action_header, body)
    rejection = None
    for check in _CHECKS:
        rejection = check(request, operations)
        if rejection is not None:
            break
    return Inspection(request.version, request.action, request.operation, request.fields, rejection)


def is_true(value: str | None) -> bool:
    """How XmlSerializer reads a boolean field."""
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
    return _XML_DECLARATION + bytes(
        etree.tostring(envelope, encoding="utf-8", xml_declaration=False)
    )


def build_response(version: str, operation: str, result: str, values: Sequence[Child]) -> bytes:
    """Serialize `<operation>Response` with its `<operation>Result` and further values."""
    return build_answer(version, operation, [(f"{operation}Result", result), *values])


def build_answer(
    version: str,
    operation: str,
    children: Sequence[Child],
    attributes: Sequence[tuple[str, str]] = (),
) -> bytes:
    """Serialize `<operation>Response` with exactly these children, attributes on each element.

    A name is a local name in Rescue's namespace, or "{namespace}name" for another one; a
    child holds a text, or children of its own (getSession_V3's list of sessions).
    """
    envelope, body = _envelope(version)
    response = etree.SubElement(body, f"{{{NS}}}{operation}Response", nsmap=_DEFAULT_NS)
    _add_children(response, children)
    for element in (response, *response):
        for name, value in attributes:
            element.set(name, value)
    return _serialize(envelope)


def _add_children(parent: Any, children: Sequence[Child]) -> None:
    for name, content in children:
        element = etree.SubElement(parent, _qualified(name))
        if isinstance(content, str):
            element.text = content
        else:
            _add_children(element, content)


def _qualified(name: str) -> str:
    return name if name.startswith("{") else f"{{{NS}}}{name}"


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


def huge_body(version: str, size: int) -> bytes:
    """An envelope-looking body of size bytes that never ends properly."""
    start = (
        _XML_DECLARATION
        + f'<soap:Envelope xmlns:soap="{_ENVELOPE_NS[version]}"><soap:Body>'
        f'<requestLensPINCodeV2Response xmlns="{NS}"><requestLensPINCodeV2Result>'.encode()
    )
    return start[:size] + b"A" * max(0, size - len(start))
