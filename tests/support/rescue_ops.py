"""Every Rescue operation lenspin uses, called once each, for tests that run over all of them."""

from __future__ import annotations

from collections.abc import Callable

from bot.rescue.client import RescueClient
from bot.rescue.models import PinRequest
from tests.support.standins import FakeRescue

OPS_AUTH = "test-auth-code"
OPS_EMAIL = "tech@example.com"
OPS_PASSWORD = "tech-password-1"
OPS_COMPANY = "1234"
OPS_SSO_ID = "jdoe"
OPS_SSO_PASSWORD = "global-sso-password"
OPS_PHONE = "+15551234567"


def rescue_for_every_operation() -> FakeRescue:
    """A fake (not started) where every call in OPERATIONS succeeds when left to its logic."""
    fake = FakeRescue(auth_codes=(OPS_AUTH,), rate_limit=None)
    fake.add_account(OPS_EMAIL, OPS_PASSWORD)
    fake.enable_sso(OPS_COMPANY, OPS_SSO_PASSWORD, [OPS_SSO_ID])
    return fake


# By SOAP operation name; V3 is the PIN request with an SMS invitation.
OPERATIONS: dict[str, Callable[[RescueClient], object]] = {
    "requestLensPINCodeV2": lambda client: client.request_lens_pin(
        PinRequest(name="n"), auth_code=OPS_AUTH
    ),
    "requestLensPINCodeV3": lambda client: client.request_lens_pin(
        PinRequest(name="n", sms_number=OPS_PHONE), auth_code=OPS_AUTH
    ),
    "requestAuthCode": lambda client: client.request_auth_code(
        email=OPS_EMAIL, password=OPS_PASSWORD
    ),
    "requestAuthCodeSSO": lambda client: client.request_auth_code_sso(
        sso_id=OPS_SSO_ID, password=OPS_SSO_PASSWORD, company_id=OPS_COMPANY
    ),
    "getAccount_v2": lambda client: client.get_account(OPS_AUTH),
}
