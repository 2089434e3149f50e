"""The one place tests import the Slack and Rescue stand-ins from.

The stand-ins live in bot.devtools today; when they move, only these imports change. Tests of
the stand-ins themselves (tests/devtools/) import them directly.
"""

from __future__ import annotations

from bot.devtools.demo import DEMO_AUTH_CODE
from bot.devtools.fake_rescue import (
    ACCOUNT_ID,
    ADMIN_ID,
    NS,
    ORGANIZATION,
    Delay,
    Drip,
    FakeRescue,
    Fault,
    Garbage,
    Hang,
    HttpError,
    Huge,
    Reset,
    Result,
    build_response,
)
from bot.devtools.fake_slack import ApiCall, AppResponse, FakeSlack, ResponsePost, view_errors
from bot.devtools.scenario import (
    OpenedModal,
    click,
    click_in_message,
    global_shortcut,
    message_shortcut,
    open_pin_modal,
    send_event,
    submit_pin_modal,
)
from bot.devtools.web_process import LOG_DIR_VARIABLE, ROOT, WebProcess, procfile_command

__all__ = [
    "ACCOUNT_ID",
    "ADMIN_ID",
    "DEMO_AUTH_CODE",
    "LOG_DIR_VARIABLE",
    "NS",
    "ORGANIZATION",
    "ROOT",
    "ApiCall",
    "AppResponse",
    "Delay",
    "Drip",
    "FakeRescue",
    "FakeSlack",
    "Fault",
    "Garbage",
    "Hang",
    "HttpError",
    "Huge",
    "OpenedModal",
    "Reset",
    "ResponsePost",
    "Result",
    "WebProcess",
    "build_response",
    "click",
    "click_in_message",
    "global_shortcut",
    "message_shortcut",
    "open_pin_modal",
    "procfile_command",
    "send_event",
    "submit_pin_modal",
    "view_errors",
]
