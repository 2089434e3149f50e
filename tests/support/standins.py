"""The one place tests import the Slack and Rescue stand-ins from.

The stand-ins live in the top-level devtools package; tests of the stand-ins themselves
(tests/devtools/) import them directly.
"""

from __future__ import annotations

from devtools.demo import DEMO_AUTH_CODE
from devtools.fake_rescue import (
    ACCOUNT_ID,
    ADMIN_ID,
    NS,
    ORGANIZATION,
    PICKED_UP,
    WAITING,
    Amend,
    Customer,
    Delay,
    Drip,
    FakeRescue,
    Fault,
    Garbage,
    Hang,
    HttpError,
    Huge,
    ManualClock,
    Redirect,
    RedirectTarget,
    Reset,
    Result,
    Stage,
    build_response,
)
from devtools.fake_slack import ApiCall, AppResponse, FakeSlack, ResponsePost, view_errors
from devtools.scenario import (
    OpenedModal,
    click,
    click_in_message,
    global_shortcut,
    message_shortcut,
    open_pin_modal,
    submit_pin_modal,
)
from devtools.web_process import LOG_DIR_VARIABLE, ROOT, WebProcess, procfile_command

__all__ = [
    "ACCOUNT_ID",
    "ADMIN_ID",
    "DEMO_AUTH_CODE",
    "LOG_DIR_VARIABLE",
    "NS",
    "ORGANIZATION",
    "PICKED_UP",
    "ROOT",
    "WAITING",
    "Amend",
    "ApiCall",
    "AppResponse",
    "Customer",
    "Delay",
    "Drip",
    "FakeRescue",
    "FakeSlack",
    "Fault",
    "Garbage",
    "Hang",
    "HttpError",
    "Huge",
    "ManualClock",
    "OpenedModal",
    "Redirect",
    "RedirectTarget",
    "Reset",
    "ResponsePost",
    "Result",
    "Stage",
    "WebProcess",
    "build_response",
    "click",
    "click_in_message",
    "global_shortcut",
    "message_shortcut",
    "open_pin_modal",
    "procfile_command",
    "submit_pin_modal",
    "view_errors",
]
