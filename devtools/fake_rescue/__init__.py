"""A stand-in for LogMeIn Rescue's ASMX SOAP endpoint, serving real HTTP on loopback."""

from devtools.fake_rescue.fake import FakeRescue
from devtools.fake_rescue.faults import (
    Behaviour,
    Delay,
    Drip,
    Fault,
    Garbage,
    Hang,
    HttpError,
    Huge,
    Reset,
    Result,
)
from devtools.fake_rescue.operations import (
    ACCOUNT_ID,
    ACCOUNT_INVALID_AUTH_CODE,
    ACCOUNT_OK,
    ADMIN_ID,
    AUTH_INVALID,
    AUTH_INVALID_COMPANY,
    AUTH_OK,
    ORGANIZATION,
    PIN_INVALID_AUTH_CODE,
    PIN_NO_CONSOLE,
    PIN_OK,
    PIN_POLL_RATE,
)
from devtools.fake_rescue.server import ENDPOINT_PATH, RescueCall
from devtools.fake_rescue.soap import NS, SOAP11_NS, SOAP12_NS, build_fault, build_response

__all__ = [
    "ACCOUNT_ID",
    "ACCOUNT_INVALID_AUTH_CODE",
    "ACCOUNT_OK",
    "ADMIN_ID",
    "AUTH_INVALID",
    "AUTH_INVALID_COMPANY",
    "AUTH_OK",
    "ENDPOINT_PATH",
    "NS",
    "ORGANIZATION",
    "PIN_INVALID_AUTH_CODE",
    "PIN_NO_CONSOLE",
    "PIN_OK",
    "PIN_POLL_RATE",
    "SOAP11_NS",
    "SOAP12_NS",
    "Behaviour",
    "Delay",
    "Drip",
    "FakeRescue",
    "Fault",
    "Garbage",
    "Hang",
    "HttpError",
    "Huge",
    "RescueCall",
    "Reset",
    "Result",
    "build_fault",
    "build_response",
]
