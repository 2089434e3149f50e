"""Every Rescue operation lenspin uses, called once each, for tests that run over all of them."""

from __future__ import annotations

from collections.abc import Callable

from bot.rescue.client import RescueClient
from bot.rescue.models import PinRequest
from tests.support.standins import Customer, FakeRescue, ManualClock

OPS_AUTH = "test-auth-code"
OPS_EMAIL = "tech@example.com"
OPS_PASSWORD = "tech-password-1"
OPS_COMPANY = "1234"
OPS_SSO_ID = "jdoe"
OPS_SSO_PASSWORD = "global-sso-password"
OPS_PHONE = "+15551234567"
# The node of OPS_AUTH's technician: the fake numbers technicians from 5001, this one first.
OPS_NODE = 5001


def rescue_for_every_operation() -> FakeRescue:
    """A fake (not started) where every call in OPERATIONS succeeds when left to its logic.

    OPS_NODE's queue holds one waiting session, on a clock that stands still, so that two
    answers of getSession_V3 read alike.
    """
    fake = FakeRescue(auth_codes=(OPS_AUTH,), rate_limit=None, clock=ManualClock())
    fake.add_account(OPS_EMAIL, OPS_PASSWORD)
    fake.enable_sso(OPS_COMPANY, OPS_SSO_PASSWORD, [OPS_SSO_ID])
    if fake.tech_id(OPS_AUTH) != OPS_NODE:
        raise AssertionError("the fake numbers its technicians otherwise now: fix OPS_NODE")
    fake.sessions.add(OPS_NODE, Customer(after=-42), fields={"sCustomField0": "n"})
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
    "getSession_V3": lambda client: client.get_sessions(OPS_AUTH, OPS_NODE),
}
