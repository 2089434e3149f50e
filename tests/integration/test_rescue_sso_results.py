"""requestAuthCodeSSO's results read alike spelled requestAuthCode_* or requestAuthCodeSSO_*."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.rescue import AuthResult
from bot.rescue.client import RescueClient
from bot.rescue.errors import Rejected
from tests.support import FakeRescue, Result
from tests.support.rescue_ops import (
    OPS_COMPANY,
    OPS_EMAIL,
    OPS_PASSWORD,
    OPS_SSO_ID,
    OPS_SSO_PASSWORD,
    rescue_for_every_operation,
)

# The guide leaves the spelling open (API-NOTES, Authentication): each test tries both.
SPELLINGS = {False: "requestAuthCode_", True: "requestAuthCodeSSO_"}
NOT_OK = [code for code in AuthResult if code not in (AuthResult.OK, AuthResult.UNKNOWN)]


@pytest.fixture
def fake() -> Iterator[FakeRescue]:
    with rescue_for_every_operation() as server:
        yield server


def login_sso(
    client: RescueClient, password: str = OPS_SSO_PASSWORD, company_id: str = OPS_COMPANY
) -> str:
    return client.request_auth_code_sso(sso_id=OPS_SSO_ID, password=password, company_id=company_id)


def rejected_sso(client: RescueClient, **kwargs: str) -> Rejected:
    with pytest.raises(Rejected) as caught:
        login_sso(client, **kwargs)
    return caught.value


def test_ok_in_either_spelling_returns_a_working_code(
    fake: FakeRescue, client: RescueClient
) -> None:
    for own_names in SPELLINGS:
        fake.set_sso_own_names(own_names)

        code = login_sso(client)

        assert re.fullmatch(r"[a-z0-9]{80}", code)
        assert client.get_account(code).email.startswith(OPS_SSO_ID)


@pytest.mark.parametrize("code", NOT_OK, ids=[code.name for code in NOT_OK])
def test_every_other_result_in_either_spelling_is_the_same_member(
    fake: FakeRescue, client: RescueClient, code: AuthResult
) -> None:
    for own_names, prefix in SPELLINGS.items():
        fake.set_sso_own_names(own_names)
        fake.queue(Result(code=code.value))

        error = rejected_sso(client)

        assert error.code is code
        # Rescue's own text stays as it came, for the logs.
        assert error.raw == prefix + code.value.removeprefix("requestAuthCode_")


def test_rescue_logic_rejections_in_either_spelling(fake: FakeRescue, client: RescueClient) -> None:
    for own_names in SPELLINGS:
        fake.set_sso_own_names(own_names)

        assert rejected_sso(client, password="wrong").code is AuthResult.INVALID
        assert rejected_sso(client, company_id="9999").code is AuthResult.INVALID_COMPANY


def test_only_requestauthcodesso_reads_the_sso_spelling(
    fake: FakeRescue, client: RescueClient
) -> None:
    fake.set_sso_own_names(True)
    fake.queue(Result(code="requestAuthCodeSSO_OK"), Result(code="requestAuthCodeSSO_OK"))

    assert login_sso(client)
    with pytest.raises(Rejected) as caught:
        client.request_auth_code(email=OPS_EMAIL, password=OPS_PASSWORD)
    assert caught.value.code is AuthResult.UNKNOWN


def test_parse_sso_maps_both_spellings_and_nothing_else() -> None:
    for code in AuthResult:
        if code is AuthResult.UNKNOWN:
            continue
        own = "requestAuthCodeSSO_" + code.value.removeprefix("requestAuthCode_")
        assert AuthResult.parse_sso(code.value) is code
        assert AuthResult.parse_sso(f" {own}\n") is code
    for other in ("requestAuthCodeSSO_", "requestAuthCodeSSO_Nope", "requestPINCode_OK", None):
        assert AuthResult.parse_sso(other) is AuthResult.UNKNOWN
