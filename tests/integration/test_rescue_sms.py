"""SMS invitations: RescueClient.request_lens_pin over requestLensPINCodeV3, and normalize_phone."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

import pytest

from bot.rescue import SMS_LANGUAGES, normalize_phone
from bot.rescue.client import RescueClient
from bot.rescue.errors import Rejected, RescueError, Unavailable
from bot.rescue.models import Pin, PinRequest, ResultCode
from tests.support import FakeRescue, Fault, Garbage, Hang, HttpError, MakeClient, Reset, Result

AUTH = "test-auth-code"
NS = "https://secure.logmeinrescue.com/API/API.asmx"
V2 = "requestLensPINCodeV2"
V3 = "requestLensPINCodeV3"
# A number Ofcom keeps for drama, so no one is ever texted by mistake.
NUMBER = "+447700900123"
DIGITS = NUMBER.removeprefix("+")  # what a log would show had it dropped the "+"
SMS = PinRequest(
    name="Name 0",
    custom1="custom 1",
    custom2="custom 2",
    custom3="custom 3",
    custom4="custom 4",
    custom5="custom 5",
    tracking="TICKET-7",
    no_tech_console=True,
    sms_number=NUMBER,
    sms_language="pt-br",
)
V2_FIELDS = {
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
SHORT = 0.3


@pytest.fixture
def fake() -> Iterator[FakeRescue]:
    with FakeRescue(auth_codes=(AUTH,), rate_limit=None) as server:
        yield server


def ask(client: RescueClient, request: PinRequest = SMS, auth_code: str = AUTH) -> Pin:
    return client.request_lens_pin(request, auth_code=auth_code)


# --- What goes on the wire -------------------------------------------------------------------


@pytest.mark.parametrize("soap_version", ["1.1", "1.2"])
def test_a_number_sends_v3_with_phone_and_language_after_the_auth_code(
    fake: FakeRescue, make_client: MakeClient, soap_version: str
) -> None:
    fake.queue(Result(pin="4821"))

    pin = ask(make_client(soap_version=soap_version))

    assert pin == Pin("004821")
    [call] = fake.calls
    assert call.operation == V3
    assert call.soap_version == soap_version
    assert call.soap_action == f"{NS}/{V3}"
    if soap_version == "1.1":
        assert call.headers["SOAPAction"] == f'"{NS}/{V3}"'
    else:
        assert f'action="{NS}/{V3}"' in call.content_type
    assert call.fields == {**V2_FIELDS, "sPhoneNumber": NUMBER, "sLangCode": "pt-br"}
    # In API-NOTES' order: the two new elements last, right after sAuthCode.
    assert list(call.fields)[-3:] == ["sAuthCode", "sPhoneNumber", "sLangCode"]
    assert (
        f"<ns0:sAuthCode>{AUTH}</ns0:sAuthCode><ns0:sPhoneNumber>{NUMBER}</ns0:sPhoneNumber>"
        f"<ns0:sLangCode>pt-br</ns0:sLangCode></ns0:{V3}>"
    ).encode() in call.body


def test_every_language_arrives_as_given_and_rescue_logic_answers_v3(
    fake: FakeRescue, client: RescueClient
) -> None:
    pins = [
        ask(client, PinRequest(name="n", sms_number=NUMBER, sms_language=language))
        for language in SMS_LANGUAGES
    ]

    # Result() is the fake's own logic, so these PINs come from its sequence.
    assert [pin.code for pin in pins] == [f"{100000 + i}" for i in range(len(SMS_LANGUAGES))]
    assert [call.fields["sLangCode"] for call in fake.calls] == list(SMS_LANGUAGES)
    assert {call.operation for call in fake.calls} == {V3}


def test_the_language_defaults_to_english(fake: FakeRescue, client: RescueClient) -> None:
    ask(client, PinRequest(name="n", sms_number=NUMBER))

    assert fake.calls[0].fields["sLangCode"] == "en"


@pytest.mark.parametrize(
    "request_",
    [PinRequest(name="n"), PinRequest(name="n", sms_language="fr")],
    ids=["default", "language-without-number"],
)
def test_without_a_number_it_is_still_v2_without_phone_elements(
    fake: FakeRescue, client: RescueClient, request_: PinRequest
) -> None:
    fake.queue(Result(pin="7"))

    assert ask(client, request_) == Pin("000007")

    [call] = fake.calls
    assert call.operation == V2
    assert call.soap_action == f"{NS}/{V2}"
    assert list(call.fields)[-1] == "sAuthCode"
    assert b"sPhoneNumber" not in call.body
    assert b"sLangCode" not in call.body


@pytest.mark.parametrize("language", ["pt_BR", "EN", "pt", "", "en "])
def test_a_language_rescue_does_not_offer_is_refused_before_sending(
    fake: FakeRescue, client: RescueClient, language: str
) -> None:
    with pytest.raises(ValueError, match="sms_language") as caught:
        ask(client, PinRequest(name="n", sms_number=NUMBER, sms_language=language))

    assert fake.calls == []
    assert NUMBER not in str(caught.value)


def test_a_number_xml_cannot_carry_is_refused_by_field_name_only(
    fake: FakeRescue, client: RescueClient
) -> None:
    with pytest.raises(ValueError, match="sPhoneNumber") as caught:
        ask(client, PinRequest(name="n", sms_number=f"{NUMBER}\x00"))

    assert fake.calls == []
    assert DIGITS not in str(caught.value)


# --- Result codes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        ResultCode.OUT_OF_PIN_CODES,
        ResultCode.NO_ACCESS_TO_LENS,
        ResultCode.POLL_RATE_EXCEEDED,
        ResultCode.NO_TECH_CONSOLE_RUNNING,
    ],
)
def test_v3_result_codes_are_rejected_with_that_code(
    fake: FakeRescue, client: RescueClient, code: ResultCode
) -> None:
    fake.queue(Result(code=code.value))

    with pytest.raises(Rejected) as caught:
        ask(client)

    assert caught.value.code is code
    assert caught.value.raw == code.value
    assert fake.calls[0].operation == V3


def test_an_unknown_v3_result_is_rejected_as_unknown(
    fake: FakeRescue, make_client: MakeClient
) -> None:
    # A code our WSDL lacks (an SMS failure, say) still reaches us as text, as with V2.
    fake.queue(Result(code="requestPINCode_SMSFailed"))

    with pytest.raises(Rejected) as caught:
        ask(make_client(soap_version="1.2"))

    assert caught.value.code is ResultCode.UNKNOWN
    assert caught.value.raw == "requestPINCode_SMSFailed"


def test_rescue_logic_of_the_fake_rejects_a_bad_auth_code_over_v3(client: RescueClient) -> None:
    with pytest.raises(Rejected) as caught:
        ask(client, auth_code="not-a-code")

    assert caught.value.code is ResultCode.INVALID_SECRET_AUTH_CODE


def test_v3_ok_without_a_usable_pin_is_unavailable(fake: FakeRescue, client: RescueClient) -> None:
    fake.queue(Result(pin="12a456"))

    with pytest.raises(Unavailable, match="without a usable PIN"):
        ask(client)


# --- The number is personal data --------------------------------------------------------------


def test_the_number_is_in_no_repr() -> None:
    assert DIGITS not in repr(SMS)
    assert DIGITS not in str(SMS)
    assert "pt-br" in repr(SMS)  # the language is no secret


def test_the_number_reaches_no_log_record_nor_error(
    fake: FakeRescue, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger, so zeep and urllib3 speak up too
    errors: list[BaseException] = []

    for soap_version in ("1.1", "1.2"):
        client = RescueClient(api_url=fake.url, soap_version=soap_version, timeout=SHORT)
        fake.queue(
            Result(),
            Result(code=ResultCode.OUT_OF_PIN_CODES.value),
            Result(code=f"requestPINCode_NoSuchNumber {NUMBER}"),  # echoed in a result code
            Fault(message=f"Server was unable to text {NUMBER}"),
            HttpError(status=500, body=f"<html>Cannot text {NUMBER}</html>"),
            Garbage(body=f"<oops>{NUMBER}".encode()),
            Reset(),
            Hang(),
        )
        for _ in range(8):
            try:
                ask(client)
            except RescueError as exc:
                errors.append(exc)
        with pytest.raises(ValueError, match="sms_language") as bad_language:
            ask(client, PinRequest(name="n", sms_number=NUMBER, sms_language="xx"))
        with pytest.raises(ValueError, match="sPhoneNumber") as bad_text:
            ask(client, PinRequest(name="n", sms_number=f"{NUMBER}\x1b"))
        errors += [bad_language.value, bad_text.value]
        client.close()

    ok = [r for r in caplog.records if r.levelno == logging.INFO and r.name == "bot.rescue"]
    assert any(V3 in r.getMessage() and "OK" in r.getMessage() for r in ok)
    assert all(V3 in r.getMessage() and " ms" in r.getMessage() for r in ok)
    assert any(record.name.startswith("zeep") for record in caplog.records)  # DEBUG is on
    assert len(errors) == 2 * (8 - 1 + 2)  # all but the OK call failed
    echoed = [e for e in errors if isinstance(e, Rejected) and e.code is ResultCode.UNKNOWN]
    assert len(echoed) == 2
    logged = caplog.text + "".join(
        f"{record.getMessage()}{record.args!r}{record.exc_text or ''}" for record in caplog.records
    )
    raised = "".join(
        f"{error}{error!r}{''.join(traceback.format_exception(error))}" for error in errors
    )
    assert DIGITS not in logged
    assert DIGITS not in raised


def test_one_info_line_per_call(
    fake: FakeRescue, client: RescueClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.rescue")
    fake.queue(Result(), Result(code=ResultCode.OUT_OF_PIN_CODES.value))

    ask(client)
    with pytest.raises(Rejected):
        ask(client)
    ask(client, PinRequest(name="n"))

    lines = [r.getMessage() for r in caplog.records if r.name == "bot.rescue"]
    assert len(lines) == 3
    assert lines[0].startswith(f"Rescue {V3} answered OK in ")
    assert lines[1].startswith(f"Rescue {V3} answered OUT_OF_PIN_CODES in ")
    assert lines[2].startswith(f"Rescue {V2} answered OK in ")
    assert all(line.endswith(" ms") for line in lines)


# --- normalize_phone -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("0049.170.1234567", "00491701234567"),
        ("15551234567", "15551234567"),
        ("+1(415)555-0100", "+14155550100"),
        ("(020) 7946 0958", "02079460958"),
        ("020 - 7946 - 0958", "02079460958"),
        ("  +44 7700 900123 ", "+447700900123"),
        ("1234567", "1234567"),
        ("+123456789012345", "+123456789012345"),
    ],
)
def test_normalize_phone_accepts_typed_numbers(typed: str, expected: str) -> None:
    assert normalize_phone(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "+",
        "12345",
        "123456",
        "+1234567890123456",
        "call me",
        "+44 20 7946 0958 ext 2",
        "++44123456789",
        "+44(20)(7946)0958",
        "+44 20 7946 0958)",
        "+44 20) 7946 (0958",
        "()1234567",
        "+ 44 20 7946 0958",
        "-4420794609",
        "44 20 7946 0958-",
        "44 20 7946 0958+",
        "44+20 7946 0958",
        "+44/20/7946/0958",
        "+44\t20 7946 0958",
        "+44 (0)20 7946 0958",  # the trunk 0 must go, not stay
        "+0044 20 7946 0958",  # no country code starts with 0
        "\uff14\uff14\uff12\uff10\uff17\uff19\uff14\uff16",  # full-width digits
        "\u0664\u0664\u0662\u0660\u0667\u0669\u0664\u0666",  # Arabic-Indic digits
    ],
)
def test_normalize_phone_rejects_anything_else(typed: str) -> None:
    assert normalize_phone(typed) is None


def test_normalize_phone_stays_fast_on_long_junk() -> None:
    # A regular expression with nested repeats can take exponential time on such input.
    assert normalize_phone("1 " * 20_000 + "x") is None
    assert normalize_phone("1" * 20_000) is None
