"""The fake Rescue answers like LogMeIn Rescue's ASMX endpoint, over real HTTP on loopback."""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from lxml import etree

from bot.rescue.models import ResultCode
from devtools.fake_rescue import (
    NS,
    SOAP11_NS,
    SOAP12_NS,
    Amend,
    Delay,
    Drip,
    FakeRescue,
    Fault,
    Garbage,
    Hang,
    HttpError,
    Huge,
    Redirect,
    RedirectTarget,
    Reset,
    Result,
)

AUTH = "test-auth-code"
TIMEOUT = 5.0
ROOT = Path(__file__).resolve().parents[2]

PIN_FIELDS: dict[str, str] = {
    "sCField0": "Jane Doe",
    "sCField1": "",
    "sCField2": "",
    "sCField3": "",
    "sCField4": "",
    "sCField5": "",
    "sTracking0": "T-1",
    "bNoTechConsole": "false",
    "sAuthCode": AUTH,
}


def envelope(operation: str, fields: Mapping[str, str | None], version: str = "1.1") -> bytes:
    """A request envelope shaped like the ASMX help page's sample."""
    env_ns = SOAP11_NS if version == "1.1" else SOAP12_NS
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    root = etree.Element(f"{{{env_ns}}}Envelope", nsmap={"soap": env_ns, "xsi": xsi})
    body = etree.SubElement(root, f"{{{env_ns}}}Body")
    call = etree.SubElement(body, f"{{{NS}}}{operation}", nsmap={None: NS})
    for name, value in fields.items():
        child = etree.SubElement(call, f"{{{NS}}}{name}")
        if value is None:
            child.set(f"{{{xsi}}}nil", "true")
        else:
            child.text = value
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def headers_for(operation: str, version: str) -> dict[str, str]:
    """The headers zeep (and ASMX's own clients) send for one version."""
    action = f"{NS}/{operation}"
    if version == "1.1":
        return {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
    return {"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'}


def post(
    fake: FakeRescue,
    operation: str = "requestLensPINCodeV2",
    fields: Mapping[str, str | None] | None = None,
    version: str = "1.1",
    *,
    session: requests.Session | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
) -> requests.Response:
    """POST one SOAP call to the fake."""
    data = body if body is not None else envelope(operation, fields or PIN_FIELDS, version)
    sender: Any = session or requests
    return sender.post(
        fake.url,
        data=data,
        headers=dict(headers) if headers is not None else headers_for(operation, version),
        timeout=TIMEOUT,
    )


def pin_fields(**changes: str | None) -> dict[str, str | None]:
    """The sample PIN request with some fields changed."""
    return {**PIN_FIELDS, **changes}


def values(response: requests.Response, operation: str = "requestLensPINCodeV2") -> dict[str, str]:
    """The children of <operation>Response, by local name (empty elements read as "")."""
    root = etree.fromstring(response.content)
    found = root.find(f".//{{{NS}}}{operation}Response")
    assert found is not None, response.text
    return {etree.QName(child).localname: child.text or "" for child in found}


def fault(response: requests.Response, version: str = "1.1") -> tuple[str, str]:
    """(code, message) of a SOAP fault in the given version's shape."""
    root = etree.fromstring(response.content)
    if version == "1.1":
        node = root.find(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault")
        assert node is not None, response.text
        return node.findtext("faultcode") or "", node.findtext("faultstring") or ""
    node = root.find(f"{{{SOAP12_NS}}}Body/{{{SOAP12_NS}}}Fault")
    assert node is not None, response.text
    code = node.findtext(f"{{{SOAP12_NS}}}Code/{{{SOAP12_NS}}}Value") or ""
    return code, node.findtext(f"{{{SOAP12_NS}}}Reason/{{{SOAP12_NS}}}Text") or ""


def raw_request(body: bytes, operation: str = "requestLensPINCodeV2") -> bytes:
    """A complete SOAP 1.1 HTTP request, for talking over a bare socket."""
    head = (
        f"POST /API/API.asmx HTTP/1.1\r\nHost: rescue\r\n"
        f"Content-Type: text/xml; charset=utf-8\r\n"
        f'SOAPAction: "{NS}/{operation}"\r\nContent-Length: {len(body)}\r\n\r\n'
    )
    return head.encode() + body


def connect(fake: FakeRescue) -> socket.socket:
    """A bare TCP connection to the fake."""
    parts = urlsplit(fake.url)
    return socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT)


def wait_until(deadline: float) -> None:
    """Wait for the monotonic clock to pass deadline (a clock condition, not a sync point)."""
    clock = threading.Event()
    while time.monotonic() < deadline:
        clock.wait(deadline - time.monotonic())


@pytest.fixture
def fake() -> Iterator[FakeRescue]:
    """A running fake without a rate limit, so tests can ask for PINs back to back."""
    with FakeRescue(rate_limit=None) as server:
        yield server


# --- Protocol ------------------------------------------------------------------------------


def test_soap11_call_gets_a_readable_pin(fake: FakeRescue) -> None:
    response = post(fake)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{SOAP11_NS}}}Envelope"
    assert values(response) == {
        "requestLensPINCodeV2Result": ResultCode.OK.value,
        "sPINCode": "100000",
    }
    (call,) = fake.calls
    assert call.operation == "requestLensPINCodeV2"
    assert call.soap_version == "1.1"
    assert call.soap_action == f"{NS}/requestLensPINCodeV2"
    assert call.content_type == "text/xml; charset=utf-8"
    assert call.fields == PIN_FIELDS
    assert call.body == envelope("requestLensPINCodeV2", PIN_FIELDS)


def test_soap12_call_gets_a_readable_pin(fake: FakeRescue) -> None:
    response = post(fake, version="1.2")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/soap+xml; charset=utf-8"
    assert etree.fromstring(response.content).tag == f"{{{SOAP12_NS}}}Envelope"
    assert values(response)["requestLensPINCodeV2Result"] == ResultCode.OK.value
    assert values(response)["sPINCode"] == "100000"
    (call,) = fake.calls
    assert call.soap_version == "1.2"
    assert call.soap_action == f"{NS}/requestLensPINCodeV2"


def test_soap12_without_action_parameter_is_routed_by_the_body(fake: FakeRescue) -> None:
    headers = {"Content-Type": "application/soap+xml; charset=utf-8"}
    response = post(fake, version="1.2", headers=headers)
    assert values(response)["requestLensPINCodeV2Result"] == ResultCode.OK.value
    assert fake.calls[0].soap_action == ""


def test_unquoted_soapaction_is_accepted(fake: FakeRescue) -> None:
    headers = {
        "Content-Type": "text/xml; charset=utf-8",
        "SOAPAction": f"{NS}/requestLensPINCodeV2",
    }
    assert values(post(fake, headers=headers))["sPINCode"] == "100000"


def test_soapaction_not_matching_the_body_is_a_client_fault(fake: FakeRescue) -> None:
    fake.queue(Result(pin="777777"))
    response = post(fake, headers=headers_for("getAccount_v2", "1.1"))
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    code, message = fault(response)
    assert code == "soap:Client"
    assert message.startswith("Server did not recognize the value of HTTP Header SOAPAction")
    assert f"{NS}/getAccount_v2" in message
    # Refused requests are recorded but leave the queued behaviour for the next good one.
    assert fake.calls[0].soap_action == f"{NS}/getAccount_v2"
    assert values(post(fake))["sPINCode"] == "777777"


def test_soap12_action_parameter_not_matching_the_body_is_a_sender_fault(
    fake: FakeRescue,
) -> None:
    headers = headers_for("requestAuthCode", "1.2")
    response = post(fake, version="1.2", headers=headers)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/soap+xml; charset=utf-8"
    code, message = fault(response, "1.2")
    assert code == "soap:Sender"
    assert "SOAPAction" in message


def test_missing_soapaction_on_soap11_is_a_fault(fake: FakeRescue) -> None:
    response = post(fake, headers={"Content-Type": "text/xml; charset=utf-8"})
    assert response.status_code == 500
    assert "valid soap action" in fault(response)[1]


@pytest.mark.parametrize(
    ("content_version", "envelope_version", "expecting"),
    [("1.1", "1.2", SOAP11_NS), ("1.2", "1.1", SOAP12_NS)],
)
def test_envelope_not_matching_the_content_type_is_a_version_mismatch(
    fake: FakeRescue, content_version: str, envelope_version: str, expecting: str
) -> None:
    body = envelope("requestLensPINCodeV2", PIN_FIELDS, envelope_version)
    response = post(fake, headers=headers_for("requestLensPINCodeV2", content_version), body=body)
    assert response.status_code == 500
    code, message = fault(response, content_version)
    assert code == "soap:VersionMismatch"
    assert f"Expecting {expecting}" in message
    assert fake.calls[0].soap_version == content_version


def test_unsupported_content_type_is_415_and_recorded(fake: FakeRescue) -> None:
    response = post(fake, headers={"Content-Type": "application/json"}, body=b"{}")
    assert response.status_code == 415
    (call,) = fake.calls
    assert call.soap_version == ""
    assert call.operation == ""


def test_unreadable_xml_is_a_fault(fake: FakeRescue) -> None:
    response = post(fake, body=b"<soap:Envelope><unclosed")
    assert response.status_code == 500
    code, message = fault(response)
    assert code == "soap:Client"
    assert message.startswith("Server was unable to read request.")
    assert fake.calls[0].operation == ""


def test_unknown_operation_is_a_fault(fake: FakeRescue) -> None:
    response = post(fake, "requestPINCodeV9", {"sAuthCode": AUTH})
    assert response.status_code == 500
    assert "did not recognize" in fault(response)[1]
    assert fake.calls[0].operation == "requestPINCodeV9"


def test_body_element_outside_the_rescue_namespace_is_a_fault(fake: FakeRescue) -> None:
    body = envelope("requestLensPINCodeV2", PIN_FIELDS).replace(NS.encode(), b"urn:elsewhere")
    response = post(fake, body=body)
    assert response.status_code == 500
    assert "was not expected" in fault(response)[1]


def test_boolean_that_is_not_xsd_boolean_is_a_fault(fake: FakeRescue) -> None:
    response = post(fake, fields=pin_fields(bNoTechConsole="yes"))
    assert response.status_code == 500
    assert "not a valid Boolean value" in fault(response)[1]


def test_other_paths_are_404_and_get_shows_a_page(fake: FakeRescue) -> None:
    other = fake.url.replace("/API/API.asmx", "/API/Other.asmx")
    assert requests.post(other, data=b"x", timeout=TIMEOUT).status_code == 404
    page = requests.get(fake.url, timeout=TIMEOUT)
    assert page.status_code == 200
    assert "requestLensPINCodeV2" in page.text
    assert fake.calls == []


def test_keep_alive_reuses_one_connection(fake: FakeRescue) -> None:
    with requests.Session() as session:
        first = post(fake, session=session)
        second = post(fake, session=session)
    assert "close" not in first.headers.get("Connection", "").lower()
    assert int(second.headers["Content-Length"]) == len(second.content)
    third = post(fake)  # no session: a connection of its own
    ids = [call.connection_id for call in fake.calls]
    assert ids[0] == ids[1] != ids[2]
    assert third.status_code == 200


def test_special_characters_round_trip_byte_exact(fake: FakeRescue) -> None:
    tricky = "<&>\"' Zoë 東京 😀 ]]> \t"
    fields = pin_fields(sCField0=tricky, sCField1="", sCField2=None, sTracking0="a&amp;b")
    fake.queue(Result(pin=tricky))
    response = post(fake, fields=fields, version="1.2")
    assert values(response)["sPINCode"] == tricky
    recorded = fake.calls[0].fields
    assert recorded["sCField0"] == tricky
    assert recorded["sCField1"] == ""
    assert recorded["sCField2"] is None
    assert recorded["sTracking0"] == "a&amp;b"


def test_wait_for_calls_blocks_until_calls_arrive(fake: FakeRescue) -> None:
    fake.queue(Hang())
    worker = threading.Thread(target=lambda: _swallow(lambda: post(fake)), daemon=True)
    worker.start()
    (call,) = fake.wait_for_calls(1)
    assert call.operation == "requestLensPINCodeV2"
    with pytest.raises(AssertionError, match="expected at least 2 call"):
        fake.wait_for_calls(2, timeout=0.05)
    fake.stop()
    worker.join(TIMEOUT)
    assert not worker.is_alive()


def _swallow(action: Any) -> None:
    with contextlib.suppress(requests.RequestException):
        action()


def test_queue_is_consumed_in_order_then_default_then_reset(fake: FakeRescue) -> None:
    fake.queue(Result(pin="111111"), Result(pin="222222"))
    fake.set_default(Result(code="requestPINCode_OutOfPINCodes"))
    assert values(post(fake))["sPINCode"] == "111111"
    assert values(post(fake))["sPINCode"] == "222222"
    assert values(post(fake))["requestLensPINCodeV2Result"] == "requestPINCode_OutOfPINCodes"
    fake.queue(Result(pin="333333"))
    fake.reset()
    assert fake.calls == []
    assert values(post(fake))["requestLensPINCodeV2Result"] == ResultCode.OK.value
    assert len(fake.calls) == 1


def test_no_request_logging_on_stderr(fake: FakeRescue, capfd: pytest.CaptureFixture[str]) -> None:
    post(fake)
    post(fake, headers={"Content-Type": "application/json"}, body=b"{}")
    captured = capfd.readouterr()
    assert captured.err == ""
    assert AUTH not in captured.out


# --- Behaviours ----------------------------------------------------------------------------


def test_result_with_a_short_pin_is_returned_as_is(fake: FakeRescue) -> None:
    fake.queue(Result(pin="4821"))
    assert values(post(fake))["sPINCode"] == "4821"


def test_result_with_an_error_code_has_no_pin_and_any_code_passes(fake: FakeRescue) -> None:
    fake.queue(Result(code=ResultCode.NO_ACCESS_TO_LENS.value), Result(code="brandNew_Code"))
    first = values(post(fake))
    assert first == {"requestLensPINCodeV2Result": "requestPINCode_NoAccessToLens", "sPINCode": ""}
    assert values(post(fake))["requestLensPINCodeV2Result"] == "brandNew_Code"


def test_fault_in_soap11_shape(fake: FakeRescue) -> None:
    fake.queue(Fault(message="Boom <&>"))
    response = post(fake)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert fault(response) == ("soap:Server", "Boom <&>")
    node = etree.fromstring(response.content).find(f".//{{{SOAP11_NS}}}Fault")
    assert node is not None
    assert node.find("detail") is not None


def test_fault_in_soap12_shape(fake: FakeRescue) -> None:
    fake.queue(Fault(), Fault(code="soap:Client", status=400))
    response = post(fake, version="1.2")
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/soap+xml; charset=utf-8"
    assert fault(response, "1.2") == ("soap:Receiver", "Server was unable to process request.")
    text = etree.fromstring(response.content).find(f".//{{{SOAP12_NS}}}Text")
    assert text is not None
    assert text.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    second = post(fake, version="1.2")
    assert second.status_code == 400
    assert fault(second, "1.2")[0] == "soap:Sender"


def test_http_error(fake: FakeRescue) -> None:
    fake.queue(HttpError(), HttpError(502, "Bad Gateway", "text/plain"))
    response = post(fake)
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Service Unavailable" in response.text
    second = post(fake)
    assert (second.status_code, second.text) == (502, "Bad Gateway")


def test_garbage(fake: FakeRescue) -> None:
    fake.queue(Garbage())
    response = post(fake)
    assert response.status_code == 200
    assert response.content == b"<soap:Envelope><unclosed"
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(response.content)


def test_delay_answers_later(fake: FakeRescue) -> None:
    fake.queue(Delay(0.2, Result(pin="123456")))
    started = time.monotonic()
    response = post(fake)
    assert time.monotonic() - started >= 0.2
    assert values(response)["sPINCode"] == "123456"


def test_hang_does_not_block_others_and_stop_ends_it_quickly(fake: FakeRescue) -> None:
    fake.queue(Hang(), Delay(60))
    outcome: list[BaseException | requests.Response] = []

    def hanging() -> None:
        try:
            outcome.append(post(fake))
        except requests.RequestException as exc:
            outcome.append(exc)

    workers = [threading.Thread(target=hanging, daemon=True) for _ in range(2)]
    for worker in workers:
        worker.start()
    fake.wait_for_calls(2)
    assert values(post(fake))["requestLensPINCodeV2Result"] == ResultCode.OK.value
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2.0
    for worker in workers:
        worker.join(TIMEOUT)
    # Cut by stop() (a ConnectionError), not left to time out on the client side.
    assert len(outcome) == 2
    assert all(isinstance(item, requests.ConnectionError) for item in outcome), outcome


def test_reset_aborts_the_connection(fake: FakeRescue) -> None:
    fake.queue(Reset())
    with pytest.raises(requests.ConnectionError):
        post(fake)
    fake.queue(Reset())
    with connect(fake) as sock:
        sock.sendall(raw_request(envelope("requestLensPINCodeV2", PIN_FIELDS)))
        # An RST, not an orderly close: the read fails instead of returning b"".
        with pytest.raises(ConnectionResetError):
            sock.recv(1024)


def test_drip_arrives_intact(fake: FakeRescue) -> None:
    fake.queue(Drip(0.0, Result(pin="654321")))
    response = post(fake)
    assert values(response)["sPINCode"] == "654321"


def test_drip_sends_a_byte_at_a_time_and_stop_cuts_it(fake: FakeRescue) -> None:
    fake.queue(Drip(0.05))
    with connect(fake) as sock:
        sock.sendall(raw_request(envelope("requestLensPINCodeV2", PIN_FIELDS)))
        first = sock.recv(1024)
        assert first == b"H"
        started = time.monotonic()
        fake.stop()
        assert time.monotonic() - started < 2.0
        rest = b""
        while chunk := sock.recv(4096):
            rest += chunk
    assert len(first + rest) < 200  # far short of the full response


def test_huge_body(fake: FakeRescue) -> None:
    assert Huge().size == 10 * 1024 * 1024
    fake.queue(Huge(), Huge(2_000), Huge(1_000_000))
    response = post(fake)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert len(response.content) == 10 * 1024 * 1024
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope')
    assert len(post(fake).content) == 2_000
    soap12 = post(fake, version="1.2")
    assert soap12.headers["Content-Type"] == "application/soap+xml; charset=utf-8"
    assert len(soap12.content) == 1_000_000


def test_client_disconnecting_mid_response_is_quiet(
    fake: FakeRescue, capfd: pytest.CaptureFixture[str]
) -> None:
    fake.queue(Huge(8 * 1024 * 1024))
    with connect(fake) as sock:
        sock.sendall(raw_request(envelope("requestLensPINCodeV2", PIN_FIELDS)))
        assert sock.recv(1024)
    # The fake still serves, and printed nothing about the broken pipe.
    assert post(fake).status_code == 200
    fake.stop()
    assert "Traceback" not in capfd.readouterr().err


def response_element(response: requests.Response, operation: str) -> Any:
    """The <operation>Response element of an answer."""
    found = etree.fromstring(response.content).find(f".//{{{NS}}}{operation}Response")
    assert found is not None, response.text
    return found


def test_amend_adds_omits_reorders_and_decorates_the_normal_answer(fake: FakeRescue) -> None:
    operation = "requestLensPINCodeV2"
    fake.queue(
        Amend(),
        Amend(
            add=(("iSessionID", "1"), ("{urn:other}note", "n")),
            at=1,
            attributes=(("extra", "yes"), ("{urn:other}flag", "1")),
            then=Result(pin="4821"),
        ),
        Amend(add=(), omit=(f"{operation}Result",)),
        Amend(add=(), reverse=True, then=Result(code="requestPINCode_Error")),
    )

    def tags(found: Any) -> list[tuple[str, str]]:
        return [(child.tag, child.text or "") for child in found]

    assert tags(response_element(post(fake), operation)) == [
        (f"{{{NS}}}{operation}Result", "requestPINCode_OK"),
        (f"{{{NS}}}sPINCode", "100000"),
        (f"{{{NS}}}iSessionID", "987654"),
    ]
    decorated = response_element(post(fake), operation)
    assert tags(decorated) == [
        (f"{{{NS}}}{operation}Result", "requestPINCode_OK"),
        (f"{{{NS}}}iSessionID", "1"),
        ("{urn:other}note", "n"),
        (f"{{{NS}}}sPINCode", "4821"),
    ]
    for element in (decorated, *decorated):
        assert dict(element.attrib) == {"extra": "yes", "{urn:other}flag": "1"}
    assert tags(response_element(post(fake), operation)) == [(f"{{{NS}}}sPINCode", "100001")]
    assert tags(response_element(post(fake, version="1.2"), operation)) == [
        (f"{{{NS}}}sPINCode", ""),
        (f"{{{NS}}}{operation}Result", "requestPINCode_Error"),
    ]


def test_amend_works_for_every_operation(fake: FakeRescue) -> None:
    fake.queue(Amend(at=0), Amend(add=(("bExtra", "true"),), at=3))
    login = values(post(fake, "getAccount_v2", {"sAuthCode": AUTH}), "getAccount_v2")
    assert next(iter(login)) == "iSessionID"
    assert login["getAccount_v2Result"] == "getAccount_OK"
    account = values(post(fake, "getAccount_v2", {"sAuthCode": AUTH}), "getAccount_v2")
    assert list(account)[:5] == [
        "getAccount_v2Result",
        "iAccountID",
        "sOrganization",
        "bExtra",
        "iAdminID",
    ]


def test_redirect_answers_a_3xx_with_its_location(fake: FakeRescue) -> None:
    fake.queue(Redirect("http://127.0.0.1:9/elsewhere?a=1&b=<2>"), Redirect("/x", status=301))
    first = requests.post(
        fake.url,
        data=envelope("requestLensPINCodeV2", PIN_FIELDS),
        headers=headers_for("requestLensPINCodeV2", "1.1"),
        timeout=TIMEOUT,
        allow_redirects=False,
    )
    second = requests.get(fake.url, timeout=TIMEOUT, allow_redirects=False)

    assert first.status_code == 307
    assert first.headers["Location"] == "http://127.0.0.1:9/elsewhere?a=1&b=<2>"
    assert first.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Object moved" in first.text
    assert "&lt;2&gt;" in first.text
    assert [call.operation for call in fake.calls] == ["requestLensPINCodeV2"]
    assert second.status_code == 200  # a GET is the help page, never a behaviour
    with pytest.raises(ValueError, match="3xx"):
        Redirect("/x", status=200)
    with pytest.raises(ValueError, match="line breaks"):
        Redirect("/x\r\nSet-Cookie: a=b")


def test_redirect_target_records_whatever_reaches_it() -> None:
    with RedirectTarget() as target:
        posted = requests.post(f"{target.url}?q=1", data=b"<body/>", timeout=TIMEOUT)
        got = requests.get(target.url, timeout=TIMEOUT)
        received = target.received
    assert [(r.method, r.path, r.body) for r in received] == [
        ("POST", "/API/API.asmx?q=1", b"<body/>"),
        ("GET", "/API/API.asmx", b""),
    ]
    # It answers like Rescue with a PIN, so a client that followed a redirect looks fine.
    assert values(posted)["sPINCode"] == "999999"
    assert got.status_code == 200
    with pytest.raises(RuntimeError, match="start"):
        _ = target.url


def test_a_client_that_follows_a_redirect_hands_the_target_the_envelope(fake: FakeRescue) -> None:
    with RedirectTarget() as target:
        fake.queue(Redirect(target.url, status=307))
        response = post(fake)  # requests follows redirects unless told not to
        [received] = target.received
    assert response.status_code == 200
    assert received.method == "POST"
    assert AUTH.encode() in received.body


# --- Rescue's logic ------------------------------------------------------------------------


def test_invalid_auth_code(fake: FakeRescue) -> None:
    response = post(fake, fields=pin_fields(sAuthCode="nope"))
    assert values(response) == {
        "requestLensPINCodeV2Result": ResultCode.INVALID_SECRET_AUTH_CODE.value,
        "sPINCode": "",
    }


def test_console_not_running_unless_no_tech_console(fake: FakeRescue) -> None:
    fake.set_console_running(AUTH, False)
    refused = values(post(fake))
    assert refused["requestLensPINCodeV2Result"] == ResultCode.NO_TECH_CONSOLE_RUNNING.value
    assert refused["sPINCode"] == ""
    for flag in ("true", "1"):
        allowed = values(post(fake, fields=pin_fields(bNoTechConsole=flag)))
        assert allowed["requestLensPINCodeV2Result"] == ResultCode.OK.value
    fake.set_console_running(AUTH, True)
    assert values(post(fake))["requestLensPINCodeV2Result"] == ResultCode.OK.value


def test_rate_limit_is_per_auth_code() -> None:
    with FakeRescue(auth_codes=(AUTH, "other-code"), rate_limit=1.0) as fake:
        first = values(post(fake))
        second = values(post(fake))
        other = values(post(fake, fields=pin_fields(sAuthCode="other-code")))
        calls = fake.calls
    assert first["requestLensPINCodeV2Result"] == ResultCode.OK.value
    gap = calls[1].received_at - calls[0].received_at
    expected = ResultCode.POLL_RATE_EXCEEDED if gap < 1.0 else ResultCode.OK
    assert second["requestLensPINCodeV2Result"] == expected.value
    if expected is ResultCode.POLL_RATE_EXCEEDED:
        assert second["sPINCode"] == ""
    assert other["requestLensPINCodeV2Result"] == ResultCode.OK.value


def test_rate_limit_window_counts_from_the_last_successful_pin() -> None:
    with FakeRescue(rate_limit=0.2) as fake:
        assert values(post(fake))["requestLensPINCodeV2Result"] == ResultCode.OK.value
        ok_at = fake.calls[0].received_at
        refused = values(post(fake))["requestLensPINCodeV2Result"]
        if fake.calls[1].received_at - ok_at < 0.2:
            assert refused == ResultCode.POLL_RATE_EXCEEDED.value
        wait_until(ok_at + 0.2)
        assert values(post(fake))["requestLensPINCodeV2Result"] == ResultCode.OK.value


def test_rate_limit_none_disables_it(fake: FakeRescue) -> None:
    results = [values(post(fake)) for _ in range(3)]
    assert [r["sPINCode"] for r in results] == ["100000", "100001", "100002"]


def test_pins_come_from_the_constructor_then_the_sequence() -> None:
    with FakeRescue(rate_limit=None, pins=["000042"]) as fake:
        assert values(post(fake))["sPINCode"] == "000042"
        assert values(post(fake))["sPINCode"] == "100000"


# --- Other operations ----------------------------------------------------------------------


def test_request_lens_pin_code_v3(fake: FakeRescue) -> None:
    fields = pin_fields(sPhoneNumber="+15555550100", sLangCode="pt-br")
    response = post(fake, "requestLensPINCodeV3", fields, version="1.2")
    assert values(response, "requestLensPINCodeV3") == {
        "requestLensPINCodeV3Result": ResultCode.OK.value,
        "sPINCode": "100000",
    }
    assert fake.calls[0].fields["sLangCode"] == "pt-br"
    bad = post(fake, "requestLensPINCodeV3", {**fields, "sAuthCode": "nope"})
    result = values(bad, "requestLensPINCodeV3")["requestLensPINCodeV3Result"]
    assert result == ResultCode.INVALID_SECRET_AUTH_CODE.value


def test_request_auth_code(fake: FakeRescue) -> None:
    fake.add_account("Tech@Example.com", "s3cret")
    bad = values(
        post(fake, "requestAuthCode", {"sEmail": "tech@example.com", "sPassword": "x"}),
        "requestAuthCode",
    )
    assert bad == {"requestAuthCodeResult": "requestAuthCode_Invalid", "sAuthCode": ""}
    login = {"sEmail": "tech@example.com", "sPassword": "s3cret"}
    good = values(post(fake, "requestAuthCode", login), "requestAuthCode")
    assert good["requestAuthCodeResult"] == "requestAuthCode_OK"
    code = good["sAuthCode"]
    assert re.fullmatch(r"[a-z0-9]{80}", code)
    pin = values(post(fake, fields=pin_fields(sAuthCode=code)))
    assert pin["requestLensPINCodeV2Result"] == ResultCode.OK.value
    account = values(post(fake, "getAccount_v2", {"sAuthCode": code}), "getAccount_v2")
    assert account["sEmail"] == "Tech@Example.com"
    # A new code replaces the old one, as in Rescue.
    newer = values(post(fake, "requestAuthCode", login), "requestAuthCode")["sAuthCode"]
    assert newer != code
    stale = values(post(fake, fields=pin_fields(sAuthCode=code)))
    assert stale["requestLensPINCodeV2Result"] == ResultCode.INVALID_SECRET_AUTH_CODE.value


def test_request_auth_code_sso(fake: FakeRescue) -> None:
    fake.enable_sso("1234", "global-pw", ["jdoe", "asmith@example.com"])

    def ask(sso_id: str, password: str, company: str) -> dict[str, str]:
        fields = {"sSSOID": sso_id, "sPassword": password, "sCompany": company}
        return values(post(fake, "requestAuthCodeSSO", fields), "requestAuthCodeSSO")

    good = ask("jdoe", "global-pw", "1234")
    assert good["requestAuthCodeSSOResult"] == "requestAuthCode_OK"
    assert re.fullmatch(r"[a-z0-9]{80}", good["sAuthCode"])
    assert ask("jdoe", "wrong", "1234")["requestAuthCodeSSOResult"] == "requestAuthCode_Invalid"
    assert (
        ask("nobody", "global-pw", "1234")["requestAuthCodeSSOResult"] == "requestAuthCode_Invalid"
    )
    company = ask("jdoe", "global-pw", "9999")
    assert company == {
        "requestAuthCodeSSOResult": "requestAuthCode_InvalidParam_Company",
        "sAuthCode": "",
    }
    account = values(post(fake, "getAccount_v2", {"sAuthCode": good["sAuthCode"]}), "getAccount_v2")
    assert account["getAccount_v2Result"] == "getAccount_OK"


def test_request_auth_code_sso_can_spell_its_results_as_its_own() -> None:
    sso = {"sSSOID": "jdoe", "sPassword": "global-pw", "sCompany": "1234"}

    def ask(fake: FakeRescue, **changes: str) -> dict[str, str]:
        response = post(fake, "requestAuthCodeSSO", {**sso, **changes})
        return values(response, "requestAuthCodeSSO")

    with FakeRescue(rate_limit=None, sso_own_names=True) as fake:
        fake.enable_sso("1234", "global-pw", ["jdoe"])
        fake.add_account("a@example.com", "pw")
        good = ask(fake)
        assert good["requestAuthCodeSSOResult"] == "requestAuthCodeSSO_OK"
        assert re.fullmatch(r"[a-z0-9]{80}", good["sAuthCode"])
        assert ask(fake, sPassword="no")["requestAuthCodeSSOResult"] == "requestAuthCodeSSO_Invalid"
        assert ask(fake, sCompany="9")["requestAuthCodeSSOResult"] == (
            "requestAuthCodeSSO_InvalidParam_Company"
        )
        # Forced results come out in the switch's spelling, whichever spelling they were given.
        fake.queue(
            Result(code="requestAuthCode_PollRateExceeded"),
            Result(code="requestAuthCodeSSO_Error"),
            Result(code="requestAuthCodeSSO_OK"),
        )
        assert ask(fake)["requestAuthCodeSSOResult"] == "requestAuthCodeSSO_PollRateExceeded"
        assert ask(fake)["requestAuthCodeSSOResult"] == "requestAuthCodeSSO_Error"
        forced_ok = ask(fake)
        assert forced_ok["requestAuthCodeSSOResult"] == "requestAuthCodeSSO_OK"
        assert forced_ok["sAuthCode"]  # a forced OK still hands out a working code
        login = {"sEmail": "a@example.com", "sPassword": "pw"}
        own = values(post(fake, "requestAuthCode", login), "requestAuthCode")
        assert own["requestAuthCodeResult"] == "requestAuthCode_OK"  # requestAuthCode keeps its

        fake.set_sso_own_names(False)
        fake.queue(Result(code="requestAuthCodeSSO_Error"))
        assert ask(fake)["requestAuthCodeSSOResult"] == "requestAuthCode_Error"
        assert ask(fake)["requestAuthCodeSSOResult"] == "requestAuthCode_OK"
        fake.reset()  # back to the constructor's spelling
        assert ask(fake)["requestAuthCodeSSOResult"] == "requestAuthCodeSSO_OK"


def test_get_account_v2(fake: FakeRescue) -> None:
    account = values(post(fake, "getAccount_v2", {"sAuthCode": AUTH}), "getAccount_v2")
    assert account["getAccount_v2Result"] == "getAccount_OK"
    assert list(account) == [
        "getAccount_v2Result",
        "iAccountID",
        "sOrganization",
        "iAdminID",
        "iTechID",
        "sEmail",
        "bTcRunning",
    ]
    assert account["iTechID"].isdigit()
    assert account["bTcRunning"] == "true"
    fake.set_console_running(AUTH, False)
    offline = values(post(fake, "getAccount_v2", {"sAuthCode": AUTH}, "1.2"), "getAccount_v2")
    assert offline["bTcRunning"] == "false"
    unknown = values(post(fake, "getAccount_v2", {"sAuthCode": "nope"}), "getAccount_v2")
    assert unknown["getAccount_v2Result"] == "getAccount_Invalid_SecretAuthCode"
    fake.add_auth_code("nope")
    known = values(post(fake, "getAccount_v2", {"sAuthCode": "nope"}), "getAccount_v2")
    assert known["getAccount_v2Result"] == "getAccount_OK"


# --- Lifecycle and command line -------------------------------------------------------------


def test_url_needs_start_and_context_manager_stops() -> None:
    fake = FakeRescue()
    with pytest.raises(RuntimeError):
        _ = fake.url
    with fake:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/API/API\.asmx", fake.url)
        url = fake.url
    with pytest.raises(requests.ConnectionError):
        requests.post(url, data=b"", timeout=TIMEOUT)


def test_command_line_serves_until_interrupted() -> None:
    command = [
        sys.executable,
        "-m",
        "devtools.fake_rescue",
        "--port",
        "0",
        "--auth-code",
        "cli-code",
        "--rate-limit",
        "0",
    ]
    with subprocess.Popen(  # noqa: S603 - a fixed argv: this interpreter and our module
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            fields = pin_fields(sAuthCode="cli-code")
            response = requests.post(
                url,
                data=envelope("requestLensPINCodeV2", fields),
                headers=headers_for("requestLensPINCodeV2", "1.1"),
                timeout=TIMEOUT,
            )
            assert values(response)["requestLensPINCodeV2Result"] == ResultCode.OK.value
            process.send_signal(signal.SIGINT)
            assert process.wait(TIMEOUT) == 0
        finally:
            if process.poll() is None:
                process.kill()


def test_reset_starts_every_technician_console_again(fake: FakeRescue) -> None:
    fake.set_console_running(AUTH, False)
    fake.reset()
    assert values(post(fake))["requestLensPINCodeV2Result"] == ResultCode.OK.value
