"""RescueClient reads Rescue's answers liberally: elements the WSDL does not list are ignored."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot.rescue import AccountResult, Pin
from bot.rescue.client import RescueClient
from bot.rescue.errors import Rejected, Unavailable
from tests.support import NS, Amend, FakeRescue, Garbage, MakeClient, Result, build_response
from tests.support.rescue_ops import OPERATIONS, OPS_AUTH, rescue_for_every_operation

# Each operation's answer forced to one value, so an amended answer can be compared with it.
FORCED = {
    "requestLensPINCodeV2": Result(pin="123456"),
    "requestLensPINCodeV3": Result(pin="123456"),
    "requestAuthCode": Result(code="requestAuthCode_OK", pin="code0123"),
    "requestAuthCodeSSO": Result(code="requestAuthCode_OK", pin="code0123"),
    "getAccount_v2": Result(code="getAccount_OK"),
    "getSession_V3": Result(code="getSession_OK"),
}
# What each OK answer holds beside its result, the one the client needs first.
NEEDED = {
    "requestLensPINCodeV2": ("sPINCode", "PIN"),
    "requestLensPINCodeV3": ("sPINCode", "PIN"),
    "requestAuthCode": ("sAuthCode", "auth code"),
    "requestAuthCodeSSO": ("sAuthCode", "auth code"),
    "getAccount_v2": ("iTechID", "account"),
    "getSession_V3": ("aSessions", "session list"),
}
EACH_OPERATION = pytest.mark.parametrize("operation", list(OPERATIONS))
# getSession_V3 reads an absent list as no session (tests/integration/test_rescue_sessions.py).
EACH_NEEDING = pytest.mark.parametrize(
    "operation", [op for op in OPERATIONS if op != "getSession_V3"]
)
# Where an element goes among the answer's children: ahead of the result, after it, at the end.
PLACES = pytest.mark.parametrize("at", [0, 1, None], ids=["first", "middle", "last"])


@pytest.fixture
def fake() -> Iterator[FakeRescue]:
    with rescue_for_every_operation() as server:
        yield server


def plain_and_amended(
    fake: FakeRescue, client: RescueClient, operation: str, amend: Amend
) -> tuple[object, object]:
    """What the client reads from the forced answer, then from the same answer amended."""
    forced = FORCED[operation]
    fake.queue(forced, replace(amend, then=forced))
    call = OPERATIONS[operation]
    return call(client), call(client)


def unavailable(fake: FakeRescue, client: RescueClient, operation: str, amend: Amend) -> str:
    fake.queue(replace(amend, then=FORCED[operation]))
    with pytest.raises(Unavailable) as caught:
        OPERATIONS[operation](client)
    return str(caught.value)


# --- Elements the WSDL does not list ---------------------------------------------------------


@EACH_OPERATION
@PLACES
def test_an_unknown_element_anywhere_is_ignored(
    fake: FakeRescue, client: RescueClient, operation: str, at: int | None
) -> None:
    plain, amended = plain_and_amended(fake, client, operation, Amend(at=at))

    assert amended == plain


@EACH_OPERATION
def test_unknown_elements_attributes_and_namespaces_together_are_ignored_in_soap12(
    fake: FakeRescue, make_client: MakeClient, operation: str
) -> None:
    amend = Amend(
        add=(
            ("iSessionID", "4242"),
            ("{urn:elsewhere}sNote", "x"),
            # A known name in another namespace is another element, as zeep sees it too.
            (f"{{urn:elsewhere}}{NEEDED[operation][0]}", "not this one"),
        ),
        at=1,
        attributes=(("lang", "en"), ("{urn:elsewhere}flag", "1")),
    )

    plain, amended = plain_and_amended(fake, make_client(soap_version="1.2"), operation, amend)

    assert amended == plain


@EACH_OPERATION
def test_known_elements_in_another_order_are_read_by_name(
    fake: FakeRescue, client: RescueClient, operation: str
) -> None:
    amend = Amend(add=(("iSessionID", "4242"),), at=1, reverse=True)

    plain, amended = plain_and_amended(fake, client, operation, amend)

    assert amended == plain


def test_a_sibling_ahead_of_the_answer_and_a_processing_instruction_are_ignored(
    fake: FakeRescue, client: RescueClient
) -> None:
    body = build_response("1.1", "requestLensPINCodeV2", "requestPINCode_OK", [("sPINCode", "7")])
    response_tag = f'<requestLensPINCodeV2Response xmlns="{NS}">'.encode()
    assert response_tag in body
    body = body.replace(
        response_tag, b'<ad xmlns="urn:ads">hello</ad>' + response_tag + b"<?trace id=1?>"
    )
    fake.queue(Garbage(body=body))

    assert OPERATIONS["requestLensPINCodeV2"](client) == Pin("000007")


def test_unknown_elements_are_logged_once_by_name_never_by_value(
    fake: FakeRescue, client: RescueClient, caplog: pytest.LogCaptureFixture
) -> None:
    # Names no other test uses: what was logged once in this process is not logged again.
    value = "value-of-an-unknown-element-5150"
    amend = Amend(add=(("iLoggedOnce", value), ("{urn:elsewhere}sLoggedOnce", value)))
    caplog.set_level(logging.DEBUG)

    for _ in range(3):
        plain_and_amended(fake, client, "requestLensPINCodeV2", amend)
    plain_and_amended(fake, client, "getAccount_v2", amend)

    lines = [r.getMessage() for r in caplog.records if "does not know" in r.getMessage()]
    assert lines == [
        "Rescue requestLensPINCodeV2 answered an element lenspin does not know, ignored: "
        "iLoggedOnce",
        "Rescue requestLensPINCodeV2 answered an element lenspin does not know, ignored: "
        "sLoggedOnce (in another namespace)",
        "Rescue getAccount_v2 answered an element lenspin does not know, ignored: iLoggedOnce",
        "Rescue getAccount_v2 answered an element lenspin does not know, ignored: "
        "sLoggedOnce (in another namespace)",
    ]
    assert all(r.name == "bot.rescue" for r in caplog.records if "does not know" in r.getMessage())
    assert value not in caplog.text
    assert "urn:elsewhere" not in caplog.text


# --- Elements that must be there, once ------------------------------------------------------


@EACH_OPERATION
def test_an_answer_without_its_result_is_unavailable_not_a_rejection(
    fake: FakeRescue, client: RescueClient, operation: str
) -> None:
    amend = Amend(omit=(f"{operation}Result",))

    assert unavailable(fake, client, operation, amend) == (
        f"Rescue answered without {operation}Result"
    )


@EACH_NEEDING
def test_an_ok_without_what_the_client_needs_is_unavailable(
    fake: FakeRescue, client: RescueClient, operation: str
) -> None:
    element, what = NEEDED[operation]
    amend = Amend(at=1, omit=(element,))

    assert unavailable(fake, client, operation, amend) == (
        f"Rescue answered OK without a usable {what}"
    )


@EACH_OPERATION
def test_an_element_given_twice_is_unavailable(
    fake: FakeRescue, client: RescueClient, operation: str
) -> None:
    element = NEEDED[operation][0]
    amend = Amend(add=(("iSessionID", "1"), (element, "1")), at=1)

    assert unavailable(fake, client, operation, amend) == (
        f"Rescue answered {element} more than once"
    )


def test_two_answers_in_one_body_are_unavailable(fake: FakeRescue, client: RescueClient) -> None:
    body = build_response("1.1", "requestLensPINCodeV2", "requestPINCode_OK", [("sPINCode", "7")])
    start, end = body.index(b"<requestLensPINCodeV2Response"), body.index(b"</soap:Body>")
    fake.queue(Garbage(body=body[:end] + body[start:end] + body[end:]))

    with pytest.raises(Unavailable, match="requestLensPINCodeV2Response more than once"):
        OPERATIONS["requestLensPINCodeV2"](client)


def test_a_rejection_without_the_account_fields_is_still_that_rejection(
    fake: FakeRescue, client: RescueClient
) -> None:
    fields = ("iAccountID", "sOrganization", "iAdminID", "iTechID", "sEmail", "bTcRunning")
    code = AccountResult.INVALID_SECRET_AUTH_CODE
    fake.queue(Amend(omit=fields, then=Result(code=code.value)))

    with pytest.raises(Rejected) as caught:
        client.get_account(OPS_AUTH)

    assert caught.value.code is code
