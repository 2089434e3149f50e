"""RescueClient's auth-code and account operations against the fake API.asmx on loopback."""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Callable, Iterator
from functools import partial

import pytest

from bot.rescue import Account, AccountResult, AuthResult, ResultCode
from bot.rescue.client import RescueClient
from bot.rescue.errors import Rejected, RescueError, Timeout, Unavailable
from bot.rescue.models import PinRequest
from tests.support import (
    ACCOUNT_ID,
    ADMIN_ID,
    NS,
    ORGANIZATION,
    FakeRescue,
    Fault,
    Garbage,
    Hang,
    HttpError,
    MakeClient,
    Result,
    build_response,
)

AUTH = "test-auth-code"
EMAIL = "Tech@Example.com"
PASSWORD = "tech-password-1"
COMPANY = "1234"
SSO_ID = "jdoe"
SSO_PASSWORD = "global-sso-password"
SSO_EMAIL = f"{SSO_ID}@company{COMPANY}.example"
SHORT = 0.3  # the timeout where a test waits for it to pass
SLACK = 0.35  # how late past the deadline a Timeout may still arrive on a busy machine
VERSIONS = pytest.mark.parametrize("soap_version", ["1.1", "1.2"])


@pytest.fixture
def fake() -> Iterator[FakeRescue]:
    with FakeRescue(auth_codes=(AUTH,), rate_limit=None) as server:
        server.add_account(EMAIL, PASSWORD)
        server.enable_sso(COMPANY, SSO_PASSWORD, [SSO_ID])
        yield server


def login(client: RescueClient, password: str = PASSWORD, email: str = EMAIL) -> str:
    return client.request_auth_code(email=email, password=password)


def login_sso(
    client: RescueClient,
    sso_id: str = SSO_ID,
    password: str = SSO_PASSWORD,
    company_id: str = COMPANY,
) -> str:
    return client.request_auth_code_sso(sso_id=sso_id, password=password, company_id=company_id)


def rejected(call: Callable[[], object]) -> Rejected:
    with pytest.raises(Rejected) as caught:
        call()
    return caught.value


def others(codes: type[AuthResult | AccountResult]) -> list[AuthResult | AccountResult]:
    return [code for code in codes if code.name not in ("OK", "UNKNOWN")]


def account_reply(version: str, **changes: str | None) -> Garbage:
    """A getAccount_v2 OK reply written by hand, with fields changed or (None) left out."""
    values = {
        "iAccountID": "1",
        "sOrganization": "Org",
        "iAdminID": "2",
        "iTechID": "3",
        "sEmail": "a@example.com",
        "bTcRunning": "true",
        **changes,
    }
    present = [(name, text) for name, text in values.items() if text is not None]
    body = build_response(version, "getAccount_v2", "getAccount_OK", present)
    content_type = "text/xml" if version == "1.1" else "application/soap+xml"
    return Garbage(body=body, content_type=f"{content_type}; charset=utf-8")


# --- The result enums ------------------------------------------------------------------------


@pytest.mark.parametrize("codes", [ResultCode, AuthResult, AccountResult])
def test_each_enum_parses_its_own_values_and_nothing_else(
    codes: type[ResultCode | AuthResult | AccountResult],
) -> None:
    for member in codes:
        assert codes.parse(f" {member.value}\n") is member
    assert codes.parse(None) is codes.UNKNOWN
    assert codes.parse("") is codes.UNKNOWN
    assert codes.parse("requestPINCode_OK" if codes is not ResultCode else "getAccount_OK") is (
        codes.UNKNOWN
    )


# --- requestAuthCode -------------------------------------------------------------------------


@VERSIONS
def test_a_login_returns_a_code_that_rescue_then_accepts_for_pins(
    fake: FakeRescue, make_client: MakeClient, soap_version: str
) -> None:
    client = make_client(soap_version=soap_version)

    code = login(client)

    assert re.fullmatch(r"[a-z0-9]{80}", code)
    [call] = fake.calls
    assert call.operation == "requestAuthCode"
    assert call.soap_version == soap_version
    assert call.soap_action == f"{NS}/requestAuthCode"
    assert call.fields == {"sEmail": EMAIL, "sPassword": PASSWORD}
    pin = client.request_lens_pin(PinRequest(name="n"), auth_code=code)
    assert len(pin.code) == 6
    assert client.get_account(code).email == EMAIL


def test_a_new_login_voids_the_previous_code(client: RescueClient) -> None:
    first = login(client)
    second = login(client)

    assert first != second
    assert rejected(lambda: client.get_account(first)).code is (
        AccountResult.INVALID_SECRET_AUTH_CODE
    )
    assert client.get_account(second).email == EMAIL


@pytest.mark.parametrize(("email", "password"), [(EMAIL, "wrong"), ("nobody@example.com", "x")])
def test_a_wrong_login_is_rejected_as_invalid(
    client: RescueClient, email: str, password: str
) -> None:
    error = rejected(lambda: login(client, password=password, email=email))

    assert error.code is AuthResult.INVALID
    assert error.raw == "requestAuthCode_Invalid"


@pytest.mark.parametrize("code", others(AuthResult))
def test_every_other_auth_result_is_rejected_with_that_code(
    fake: FakeRescue, client: RescueClient, code: AuthResult
) -> None:
    fake.queue(Result(code=code.value))

    assert rejected(lambda: login(client)).code is code


@VERSIONS
def test_an_unknown_auth_result_is_rejected_as_unknown(
    fake: FakeRescue, make_client: MakeClient, soap_version: str
) -> None:
    fake.queue(Result(code="requestAuthCode_SomethingNew"))

    error = rejected(lambda: login(make_client(soap_version=soap_version)))

    assert error.code is AuthResult.UNKNOWN
    assert error.raw == "requestAuthCode_SomethingNew"


def test_the_code_is_stripped(fake: FakeRescue, client: RescueClient) -> None:
    # The fake's forced Result carries its sAuthCode in the field named pin.
    fake.queue(Result(code="requestAuthCode_OK", pin="\n  abc123  \t"))

    assert login(client) == "abc123"


@pytest.mark.parametrize("sent", ["", "   \n"])
def test_ok_without_a_code_is_unavailable(
    fake: FakeRescue, client: RescueClient, sent: str
) -> None:
    fake.queue(Result(code="requestAuthCode_OK", pin=sent))

    with pytest.raises(Unavailable, match="without a usable auth code"):
        login(client)


# --- requestAuthCodeSSO ----------------------------------------------------------------------


@VERSIONS
def test_sso_returns_a_working_code_for_that_user(
    fake: FakeRescue, make_client: MakeClient, soap_version: str
) -> None:
    client = make_client(soap_version=soap_version)

    code = login_sso(client)

    assert re.fullmatch(r"[a-z0-9]{80}", code)
    [call] = fake.calls
    assert call.operation == "requestAuthCodeSSO"
    assert call.soap_action == f"{NS}/requestAuthCodeSSO"
    assert call.fields == {"sSSOID": SSO_ID, "sPassword": SSO_PASSWORD, "sCompany": COMPANY}
    assert client.get_account(code).email == SSO_EMAIL
    assert len(client.request_lens_pin(PinRequest(name="n"), auth_code=code).code) == 6


@pytest.mark.parametrize(
    ("sso_id", "password", "company_id", "expected"),
    [
        (SSO_ID, "wrong", COMPANY, AuthResult.INVALID),
        ("nobody", SSO_PASSWORD, COMPANY, AuthResult.INVALID),
        (SSO_ID, SSO_PASSWORD, "9999", AuthResult.INVALID_COMPANY),
        (SSO_ID, SSO_PASSWORD, "acme", AuthResult.INVALID_COMPANY),
    ],
    ids=["wrong-password", "unknown-sso-id", "unknown-company", "non-numeric-company"],
)
def test_sso_rejections(
    client: RescueClient, sso_id: str, password: str, company_id: str, expected: AuthResult
) -> None:
    error = rejected(lambda: login_sso(client, sso_id, password, company_id))

    assert error.code is expected
    assert error.raw == expected.value


def test_sso_ok_without_a_code_is_unavailable(fake: FakeRescue, client: RescueClient) -> None:
    fake.queue(Result(code="requestAuthCode_OK", pin=""))

    with pytest.raises(Unavailable, match="without a usable auth code"):
        login_sso(client)


# --- getAccount_v2 ---------------------------------------------------------------------------


@VERSIONS
def test_get_account_returns_every_field_typed(
    fake: FakeRescue, make_client: MakeClient, soap_version: str
) -> None:
    client = make_client(soap_version=soap_version)
    code = login(client)

    account = client.get_account(code)
    fake.set_console_running(code, False)
    offline = client.get_account(code)

    assert account == Account(
        account_id=ACCOUNT_ID,
        organization=ORGANIZATION,
        admin_id=ADMIN_ID,
        tech_id=account.tech_id,
        email=EMAIL,
        console_running=True,
    )
    for number in (account.account_id, account.admin_id, account.tech_id):
        assert type(number) is int
    assert account.tech_id > 0
    assert offline.console_running is False
    assert account.console_running is True
    assert offline.tech_id == account.tech_id
    assert fake.calls[-1].fields == {"sAuthCode": code}
    assert fake.calls[-1].soap_action == f"{NS}/getAccount_v2"


def test_get_account_with_an_unknown_code_is_rejected(client: RescueClient) -> None:
    error = rejected(lambda: client.get_account("not-a-code"))

    assert error.code is AccountResult.INVALID_SECRET_AUTH_CODE
    assert error.raw == "getAccount_Invalid_SecretAuthCode"


@pytest.mark.parametrize("code", others(AccountResult))
def test_every_other_account_result_is_rejected_with_that_code(
    fake: FakeRescue, client: RescueClient, code: AccountResult
) -> None:
    fake.queue(Result(code=code.value))

    assert rejected(lambda: client.get_account(AUTH)).code is code


def test_an_unknown_account_result_is_rejected_as_unknown(
    fake: FakeRescue, client: RescueClient
) -> None:
    fake.queue(Result(code="getAccount_SomethingNew"))

    assert rejected(lambda: client.get_account(AUTH)).code is AccountResult.UNKNOWN


def test_get_account_tolerates_absent_strings(fake: FakeRescue, client: RescueClient) -> None:
    fake.queue(account_reply("1.1", sOrganization=None, sEmail=None))

    assert client.get_account(AUTH) == Account(1, "", 2, 3, "", console_running=True)


@pytest.mark.parametrize(
    "changes",
    [
        {"iTechID": ""},
        {"iAccountID": "abc"},
        {"iAdminID": None},
        {"bTcRunning": ""},
        {"bTcRunning": None},
    ],
    ids=["empty-int", "bad-int", "absent-int", "empty-bool", "absent-bool"],
)
def test_ok_without_a_usable_account_is_unavailable(
    fake: FakeRescue, client: RescueClient, changes: dict[str, str | None]
) -> None:
    fake.queue(account_reply("1.1", **changes))

    with pytest.raises(Unavailable):
        client.get_account(AUTH)


# --- Failures that are not results, for every operation ---------------------------------------


OPERATIONS: dict[str, Callable[[RescueClient], object]] = {
    "requestAuthCode": login,
    "requestAuthCodeSSO": login_sso,
    "getAccount_v2": lambda client: client.get_account(AUTH),
}
EACH_OPERATION = pytest.mark.parametrize("operation", list(OPERATIONS))


@EACH_OPERATION
@pytest.mark.parametrize(
    ("soap_version", "fault_code"), [("1.1", "soap:Server"), ("1.2", "soap:Receiver")]
)
def test_a_soap_fault_is_unavailable(
    fake: FakeRescue, make_client: MakeClient, operation: str, soap_version: str, fault_code: str
) -> None:
    fake.queue(Fault(message=f"It broke on {PASSWORD}"))

    with pytest.raises(Unavailable) as caught:
        OPERATIONS[operation](make_client(soap_version=soap_version))

    assert fault_code in str(caught.value)
    assert PASSWORD not in str(caught.value)


@EACH_OPERATION
def test_an_html_error_page_is_unavailable(
    fake: FakeRescue, client: RescueClient, operation: str
) -> None:
    fake.queue(HttpError(status=503))

    with pytest.raises(Unavailable, match="HTTP 503"):
        OPERATIONS[operation](client)


@EACH_OPERATION
def test_a_server_that_hangs_times_out_on_time(
    fake: FakeRescue, make_client: MakeClient, operation: str
) -> None:
    fake.queue(Hang())
    client = make_client(timeout=SHORT)
    started = time.monotonic()

    with pytest.raises(Timeout):
        OPERATIONS[operation](client)

    assert SHORT - 0.05 < time.monotonic() - started < SHORT + SLACK
    assert len(fake.calls) == 1


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.request_auth_code(email="e", password="secret\x00pw"), "sPassword"),
        (lambda c: c.request_auth_code(email="secret\x07@x", password="pw"), "sEmail"),
        (
            lambda c: c.request_auth_code_sso(sso_id="s", password="secret\x1b", company_id="1"),
            "sPassword",
        ),
        (lambda c: c.get_account("secret\ufffe"), "sAuthCode"),
    ],
    ids=["password", "email", "sso-password", "auth-code"],
)
def test_text_xml_cannot_carry_is_refused_before_sending(
    fake: FakeRescue,
    client: RescueClient,
    call: Callable[[RescueClient], object],
    field: str,
) -> None:
    with pytest.raises(ValueError, match=f"XML 1\\.0 cannot carry the text of {field}$") as caught:
        call(client)

    assert "secret" not in str(caught.value)
    assert fake.calls == []


# --- Secrets stay out of logs, errors and reprs ----------------------------------------------


def test_no_password_or_auth_code_reaches_logs_errors_or_reprs(
    fake: FakeRescue, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger, so zeep and urllib3 speak up too
    secrets = [PASSWORD, SSO_PASSWORD, AUTH]
    errors: list[BaseException] = []
    seen: list[object] = []

    def attempt(call: Callable[[], object]) -> None:
        try:
            seen.append(call())
        except (RescueError, ValueError) as exc:
            errors.append(exc)

    for soap_version in ("1.1", "1.2"):
        client = RescueClient(api_url=fake.url, soap_version=soap_version, timeout=SHORT)
        code = login(client)
        sso_code = login_sso(client)
        secrets += [code, sso_code]
        for auth_code in (code, sso_code, AUTH):
            seen.append(client.get_account(auth_code))
        # Every way to fail, each echoing the secrets back where a careless layer would log them.
        echo = " ".join(secrets)
        for behaviour in (
            Result(code="requestAuthCode_Invalid"),
            Fault(message=f"Server was unable to process {echo}"),
            HttpError(status=500, body=f"<html>{echo}</html>"),
            Garbage(body=f"<oops>{echo}".encode()),
        ):
            for call in (
                partial(login, client),
                partial(login_sso, client),
                partial(client.get_account, code),
            ):
                fake.queue(behaviour)
                attempt(call)
        fake.queue(Hang())  # one is enough: a timeout has the least to say
        attempt(partial(login, client))
        attempt(partial(login, client, password=f"{PASSWORD}\x00"))
        attempt(partial(client.get_account, f"{code}\x00"))
        client.close()

    assert any(record.name.startswith("zeep") for record in caplog.records)  # DEBUG is on
    infos = [
        record.getMessage()
        for record in caplog.records
        if record.name == "bot.rescue" and record.levelno == logging.INFO
    ]
    for operation in OPERATIONS:
        assert any(re.fullmatch(rf"Rescue {operation} answered OK in \d+ ms", i) for i in infos)
    assert any(record.levelno == logging.WARNING for record in caplog.records)
    assert len(errors) == 2 * (4 * 3 + 1 + 2)
    logged = caplog.text + "".join(record.getMessage() for record in caplog.records)
    raised = "".join(
        str(error) + repr(error) + "".join(traceback.format_exception(error)) for error in errors
    )
    shown = "".join(repr(value) + str(value) for value in seen)
    for secret in secrets:
        assert secret not in logged
        assert secret not in raised
        assert secret not in shown
    assert "Envelope" not in logged
    assert "Envelope" not in raised
