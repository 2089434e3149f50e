"""RescueClient against the fake API.asmx over real HTTP on loopback."""

from __future__ import annotations

import logging
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.rescue.client import RescueClient
from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import Pin, PinRequest, ResultCode
from tests.support import (
    Delay,
    Drip,
    FakeRescue,
    Fault,
    Garbage,
    Hang,
    HttpError,
    Huge,
    MakeClient,
    Reset,
    Result,
)

AUTH = "test-auth-code"
ACTION = "https://secure.logmeinrescue.com/API/API.asmx/requestLensPINCodeV2"
ODD = "<&>\"']]> Zoë Ñandú 東京 😀"
# Known to the fake, so a call with it succeeds and its arrival can be checked too.
ODD_AUTH = f"auth-{ODD}"
FULL = PinRequest(
    name="Name 0",
    custom1="custom 1",
    custom2="custom 2",
    custom3="custom 3",
    custom4="custom 4",
    custom5="custom 5",
    tracking="TICKET-7",
    no_tech_console=True,
)
FULL_FIELDS = {
    "sCField0": "Name 0",
    "sCField1": "custom 1",
    "sCField2": "custom 2",
    "sCField3": "custom 3",
    "sCField4": "custom 4",
    "sCField5": "custom 5",
    "sTracking0": "TICKET-7",
    "bNoTechConsole": "true",
    "sAuthCode": AUTH,
}
PIN_FIELDS = ("name", "custom1", "custom2", "custom3", "custom4", "custom5", "tracking")
SHORT = 0.3  # the timeout where a test waits for it to pass
SLACK = 0.35  # how late past the deadline a Timeout may still arrive on a busy machine


@pytest.fixture
def fake() -> Iterator[FakeRescue]:
    with FakeRescue(auth_codes=(AUTH, ODD_AUTH), rate_limit=None) as server:
        yield server


def ask(client: RescueClient, request: PinRequest = FULL, auth_code: str = AUTH) -> Pin:
    return client.request_lens_pin(request, auth_code=auth_code)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- What goes on the wire -------------------------------------------------------------------


def test_soap11_sends_every_field_with_its_content_type_and_action(
    fake: FakeRescue, client: RescueClient
) -> None:
    pin = ask(client)

    assert len(pin.code) == 6
    assert pin.code.isdigit()
    [call] = fake.calls
    assert call.operation == "requestLensPINCodeV2"
    assert call.soap_version == "1.1"
    assert call.content_type == "text/xml; charset=utf-8"
    assert call.headers["SOAPAction"] == f'"{ACTION}"'
    assert call.soap_action == ACTION
    assert call.fields == FULL_FIELDS


def test_soap12_sends_every_field_with_its_content_type_and_action(
    fake: FakeRescue, make_client: MakeClient
) -> None:
    pin = ask(make_client(soap_version="1.2"))

    assert len(pin.code) == 6
    [call] = fake.calls
    assert call.soap_version == "1.2"
    assert call.content_type.startswith("application/soap+xml; charset=utf-8")
    assert f'action="{ACTION}"' in call.content_type
    assert call.soap_action == ACTION
    assert call.fields == FULL_FIELDS


def test_empty_fields_are_sent_as_empty_elements_and_the_flag_as_false(
    fake: FakeRescue, client: RescueClient
) -> None:
    ask(client, PinRequest(name="only a name"))

    [call] = fake.calls
    assert call.fields == {
        "sCField0": "only a name",
        "sCField1": "",
        "sCField2": "",
        "sCField3": "",
        "sCField4": "",
        "sCField5": "",
        "sTracking0": "",
        "bNoTechConsole": "false",
        "sAuthCode": AUTH,
    }
    assert b"<ns0:sCField1></ns0:sCField1>" in call.body


@pytest.mark.parametrize("soap_version", ["1.1", "1.2"])
def test_xml_specials_and_non_ascii_arrive_exactly_in_every_field(
    fake: FakeRescue, make_client: MakeClient, soap_version: str
) -> None:
    values = {field: f"{field} {ODD} \r\n\t end " for field in PIN_FIELDS}
    request = PinRequest(**values, no_tech_console=True)  # type: ignore[arg-type]

    ask(make_client(soap_version=soap_version), request, auth_code=ODD_AUTH)

    [call] = fake.calls
    assert call.fields == {
        "sCField0": values["name"],
        "sCField1": values["custom1"],
        "sCField2": values["custom2"],
        "sCField3": values["custom3"],
        "sCField4": values["custom4"],
        "sCField5": values["custom5"],
        "sTracking0": values["tracking"],
        "bNoTechConsole": "true",
        "sAuthCode": ODD_AUTH,
    }


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b", "\ufffe", "\ud800"])
@pytest.mark.parametrize("target", [*PIN_FIELDS, "auth_code"])
def test_text_xml_cannot_carry_is_refused_before_sending(
    fake: FakeRescue, client: RescueClient, target: str, bad: str
) -> None:
    value = f"secret{bad}value"
    if target == "auth_code":
        request, auth_code = FULL, value
    else:
        request, auth_code = PinRequest(**{"name": "n", target: value}), AUTH  # type: ignore[arg-type]

    with pytest.raises(ValueError, match=r"XML 1\.0 cannot carry") as caught:
        ask(client, request, auth_code=auth_code)

    assert "secret" not in str(caught.value)
    assert fake.calls == []


# --- Result codes and PINs -------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", [c for c in ResultCode if c not in (ResultCode.OK, ResultCode.UNKNOWN)]
)
def test_every_other_result_code_is_rejected_with_that_code(
    fake: FakeRescue, client: RescueClient, code: ResultCode
) -> None:
    fake.queue(Result(code=code.value))

    with pytest.raises(Rejected) as caught:
        ask(client)

    assert caught.value.code is code
    assert caught.value.raw == code.value


@pytest.mark.parametrize("soap_version", ["1.1", "1.2"])
def test_an_unknown_result_string_is_rejected_as_unknown(
    fake: FakeRescue, make_client: MakeClient, soap_version: str
) -> None:
    # zeep does not check enumerations, so a code newer than our WSDL reaches us as text.
    fake.queue(Result(code="requestPINCode_SomethingNew"))

    with pytest.raises(Rejected) as caught:
        ask(make_client(soap_version=soap_version))

    assert caught.value.code is ResultCode.UNKNOWN
    assert caught.value.raw == "requestPINCode_SomethingNew"


def test_an_empty_result_code_is_rejected_as_unknown(
    fake: FakeRescue, client: RescueClient
) -> None:
    fake.queue(Result(code=""))

    with pytest.raises(Rejected) as caught:
        ask(client)

    assert caught.value.code is ResultCode.UNKNOWN


@pytest.mark.parametrize(
    ("sent", "expected"), [("4821", "004821"), ("7", "000007"), ("012345", "012345")]
)
def test_short_pins_are_zero_padded(
    fake: FakeRescue, client: RescueClient, sent: str, expected: str
) -> None:
    fake.queue(Result(pin=sent))

    assert ask(client) == Pin(expected)


FULLWIDTH_DIGITS = "\uff11\uff12\uff13\uff14\uff15\uff16"  # isdigit() is True for these


@pytest.mark.parametrize("sent", ["", "12a456", "1234567", "-12345", FULLWIDTH_DIGITS])
def test_ok_without_a_usable_pin_is_unavailable(
    fake: FakeRescue, client: RescueClient, sent: str
) -> None:
    fake.queue(Result(pin=sent))

    with pytest.raises(Unavailable, match="without a usable PIN"):
        ask(client)


def test_rescue_logic_of_the_fake_maps_to_rejections(
    fake: FakeRescue, client: RescueClient
) -> None:
    fake.set_console_running(AUTH, False)
    offline = PinRequest(name="n", no_tech_console=False)

    with pytest.raises(Rejected) as no_console:
        ask(client, offline)
    with pytest.raises(Rejected) as bad_code:
        ask(client, auth_code="not-a-code")

    assert no_console.value.code is ResultCode.NO_TECH_CONSOLE_RUNNING
    assert bad_code.value.code is ResultCode.INVALID_SECRET_AUTH_CODE
    assert len(ask(client, PinRequest(name="n", no_tech_console=True)).code) == 6


def test_a_second_pin_within_a_second_is_rate_limited() -> None:
    with FakeRescue(auth_codes=(AUTH,), rate_limit=1.0) as limited:
        client = RescueClient(api_url=limited.url, timeout=2.0)
        try:
            ask(client)
            with pytest.raises(Rejected) as caught:
                ask(client)
        finally:
            client.close()

    assert caught.value.code is ResultCode.POLL_RATE_EXCEEDED


# --- Failures that are not results -----------------------------------------------------------


@pytest.mark.parametrize(
    ("soap_version", "fault_code"), [("1.1", "soap:Server"), ("1.2", "soap:Receiver")]
)
def test_a_soap_fault_is_unavailable(
    fake: FakeRescue, make_client: MakeClient, soap_version: str, fault_code: str
) -> None:
    fake.queue(Fault(code="soap:Server", message=f"It broke on {AUTH}"))

    with pytest.raises(Unavailable) as caught:
        ask(make_client(soap_version=soap_version))

    assert fault_code in str(caught.value)
    assert AUTH not in str(caught.value)


@pytest.mark.parametrize("status", [500, 503])
def test_an_html_error_page_is_unavailable(
    fake: FakeRescue, client: RescueClient, status: int
) -> None:
    fake.queue(HttpError(status=status))

    with pytest.raises(Unavailable, match=f"HTTP {status}"):
        ask(client)


@pytest.mark.parametrize(
    "garbage",
    [
        Garbage(),  # not well-formed
        Garbage(body=b"<html><body><p>Hi</p></body></html>", content_type="text/html"),
        Garbage(body=b"<html><body>Maintenance<br></body></html>", content_type="text/html"),
        Garbage(body=b'<?xml version="1.0"?><Envelope>no namespace</Envelope>'),
        Garbage(body=b""),
        Garbage(
            body=b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa">]>'
            b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
            b"<soap:Body>&a;</soap:Body></soap:Envelope>"
        ),
        Garbage(body=b"<h1>Bad Gateway</h1>", status=502, content_type="text/xml"),
    ],
    ids=["invalid-xml", "html-200", "broken-html-200", "not-soap", "empty", "dtd", "502-xml"],
)
def test_a_reply_that_is_not_a_soap_envelope_is_unavailable(
    fake: FakeRescue, client: RescueClient, garbage: Garbage
) -> None:
    fake.queue(garbage)

    with pytest.raises(Unavailable):
        ask(client)


def test_a_reply_of_the_other_soap_version_is_unavailable(
    fake: FakeRescue, client: RescueClient
) -> None:
    envelope_12 = (
        b'<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>'
        b'<requestLensPINCodeV2Response xmlns="https://secure.logmeinrescue.com/API/API.asmx">'
        b"<requestLensPINCodeV2Result>requestPINCode_OK</requestLensPINCodeV2Result>"
        b"<sPINCode>123456</sPINCode></requestLensPINCodeV2Response></soap:Body></soap:Envelope>"
    )
    fake.queue(Garbage(body=envelope_12))

    with pytest.raises(Unavailable):
        ask(client)


def test_a_huge_reply_is_cut_off_as_unavailable(fake: FakeRescue, client: RescueClient) -> None:
    fake.queue(Huge())

    with pytest.raises(Unavailable, match="too large"):
        ask(client)


def test_a_reset_connection_is_unavailable(fake: FakeRescue, client: RescueClient) -> None:
    fake.queue(Reset())

    with pytest.raises(Unavailable):
        ask(client)


def test_a_refused_connection_is_unavailable(make_client: MakeClient) -> None:
    client = make_client(url=f"http://127.0.0.1:{free_port()}/API/API.asmx")

    with pytest.raises(Unavailable):
        ask(client)


def test_a_connect_timeout_is_unavailable_not_timeout(make_client: MakeClient) -> None:
    # A listener that never accepts, with its backlog already full: Linux drops further
    # SYNs, so connecting times out (elsewhere it may be refused, which is Unavailable too).
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        try:
            for filler in fillers:
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
            client = make_client(url=f"http://127.0.0.1:{port}/API/API.asmx", timeout=SHORT)
            started = time.monotonic()
            with pytest.raises(Unavailable):
                ask(client)
            assert time.monotonic() - started < SHORT + SLACK
        finally:
            for filler in fillers:
                filler.close()


# --- The deadline ----------------------------------------------------------------------------


@pytest.mark.parametrize("soap_version", ["1.1", "1.2"])
def test_a_server_that_hangs_times_out_on_time(
    fake: FakeRescue, make_client: MakeClient, soap_version: str
) -> None:
    fake.queue(Hang())
    client = make_client(soap_version=soap_version, timeout=SHORT)
    started = time.monotonic()

    with pytest.raises(Timeout):
        ask(client)

    assert SHORT - 0.05 < time.monotonic() - started < SHORT + SLACK
    assert len(fake.calls) == 1  # it was sent: a PIN may exist, hence Timeout


@pytest.mark.parametrize("interval", [0.05, 0.002])
def test_a_server_that_drips_its_reply_times_out_on_the_total_deadline(
    fake: FakeRescue, make_client: MakeClient, interval: float
) -> None:
    # Each byte comes well within any per-read timeout; only a total deadline stops this.
    fake.queue(Drip(interval))
    client = make_client(timeout=SHORT)
    started = time.monotonic()

    with pytest.raises(Timeout):
        ask(client)

    assert time.monotonic() - started < SHORT + SLACK


def test_a_slow_but_timely_reply_succeeds_and_keeps_the_connection(
    fake: FakeRescue, client: RescueClient
) -> None:
    fake.queue(Delay(0.1), Drip(0.0002))

    assert len(ask(client).code) == 6
    assert len(ask(client).code) == 6
    assert len({call.connection_id for call in fake.calls}) == 1


def test_the_client_recovers_after_a_timeout(fake: FakeRescue, make_client: MakeClient) -> None:
    client = make_client(timeout=SHORT)
    fake.queue(Hang())
    with pytest.raises(Timeout):
        ask(client)

    assert len(ask(client).code) == 6


# --- Connections and threads -----------------------------------------------------------------


def test_calls_reuse_one_connection(fake: FakeRescue, client: RescueClient) -> None:
    ask(client)
    ask(client)

    first, second = fake.calls
    assert first.connection_id == second.connection_id


def test_concurrent_calls_from_eight_threads_all_succeed(
    fake: FakeRescue, client: RescueClient
) -> None:
    names = [f"customer {i}" for i in range(24)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        pins = list(pool.map(lambda name: ask(client, PinRequest(name=name)), names))

    assert len({pin.code for pin in pins}) == len(names)
    assert sorted(call.fields["sCField0"] or "" for call in fake.calls) == sorted(names)


def test_sixteen_concurrent_calls_keep_their_connections_pooled(
    fake: FakeRescue, client: RescueClient
) -> None:
    # The delay keeps all sixteen in flight at once; a smaller pool would discard some
    # connections and the second wave would open new ones.
    fake.set_default(Delay(0.1))
    barrier = threading.Barrier(16)

    def call(_: int) -> Pin:
        barrier.wait()
        return ask(client)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(call, range(16)))
        list(pool.map(call, range(16)))

    assert len(fake.calls) == 32
    assert len({call.connection_id for call in fake.calls}) <= 16


# --- Secrets stay out of logs and errors -----------------------------------------------------


def test_no_auth_code_field_value_or_envelope_reaches_logs_or_errors(
    fake: FakeRescue, caplog: pytest.LogCaptureFixture
) -> None:
    secret_code = "secretauthcode0123456789"
    fake.add_auth_code(secret_code)
    request = PinRequest(
        **{field: f"secret-{field}-value" for field in PIN_FIELDS},  # type: ignore[arg-type]
        no_tech_console=True,
    )
    secrets = [secret_code, *(f"secret-{field}-value" for field in PIN_FIELDS)]
    caplog.set_level(logging.DEBUG)  # the root logger, so zeep and urllib3 speak up too
    errors: list[BaseException] = []

    for soap_version in ("1.1", "1.2"):
        client = RescueClient(api_url=fake.url, soap_version=soap_version, timeout=SHORT)
        fake.queue(
            Result(),
            Result(code="requestPINCode_Error"),
            Fault(message=f"Server was unable to process {secret_code}"),
            HttpError(status=500, body=f"<html>{secret_code}</html>"),
            Garbage(body=f"<oops>{secret_code}".encode()),
            Garbage(body=f"<html><p>{secret_code}</p></html>".encode(), content_type="text/html"),
            Huge(),
            Reset(),
            Hang(),
        )
        for _ in range(9):
            try:
                ask(client, request, auth_code=secret_code)
            except RescueError as exc:
                errors.append(exc)
        with pytest.raises(ValueError, match="sCField0") as caught:
            ask(client, PinRequest(name=f"{secret_code}\x00"), auth_code=secret_code)
        errors.append(caught.value)
        client.close()

    assert any(record.name.startswith("zeep") for record in caplog.records)  # DEBUG is on
    assert any(
        record.name == "bot.rescue"
        and record.levelno == logging.INFO
        and "requestLensPINCodeV2" in record.getMessage()
        and "OK" in record.getMessage()
        and "ms" in record.getMessage()
        for record in caplog.records
    )
    assert any(record.levelno == logging.WARNING for record in caplog.records)
    logged = caplog.text + "".join(record.getMessage() for record in caplog.records)
    raised = "".join("".join(traceback.format_exception(error)) for error in errors)
    for secret in secrets:
        assert secret not in logged
        assert secret not in raised
    assert "Envelope" not in logged
    assert "Envelope" not in raised
    assert not [record for record in caplog.records if record.name == "zeep.transports"]


def test_an_echoed_unknown_code_is_kept_short(fake: FakeRescue, client: RescueClient) -> None:
    fake.queue(Result(code="requestPINCode_" + "x" * 5000))

    with pytest.raises(Rejected) as caught:
        ask(client)

    assert caught.value.code is ResultCode.UNKNOWN
    assert len(str(caught.value)) < 200


# --- Construction ----------------------------------------------------------------------------


def test_only_soap_11_and_12_are_accepted(fake: FakeRescue) -> None:
    with pytest.raises(ValueError, match="soap_version"):
        RescueClient(api_url=fake.url, soap_version="1.3")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/API.asmx", "API.asmx"])
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(ValueError, match="api_url"):
        RescueClient(api_url=url)
