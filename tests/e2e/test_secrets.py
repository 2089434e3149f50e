"""Secrets stay secret: a DEBUG-level run logs no token, signing secret, auth code or PIN."""

from __future__ import annotations

import json

from bot.rescue.models import ResultCode
from tests.support import (
    AUTH_CODE,
    STRANGER,
    FakeRescue,
    FakeSlack,
    Fault,
    Hang,
    Result,
    WebProcess,
    app_env,
    open_pin_modal,
    submit_pin_modal,
)


def test_a_debug_run_through_every_path_logs_no_secret() -> None:
    techs = [f"U0SECRET{i}" for i in range(4)]
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        env = app_env(slack, rescue, LOG_LEVEL="DEBUG", LENSPIN_ALLOWED_USERS=",".join(techs))
        web = WebProcess(env).start()
        try:
            # A PIN, a fault that echoes the auth code, a refused code, a timeout.
            rescue.queue(
                Result(pin="4821"),
                Fault(message=f"echoing {AUTH_CODE}"),
                Result(code=ResultCode.INVALID_SECRET_AUTH_CODE.value),
                Hang(),
            )
            response_urls = []
            messages = []
            for tech in techs:
                opened = open_pin_modal(slack, web.events_url, user_id=tech, text="Jane")
                response_urls.append(opened.response_url)
                submit_pin_modal(slack, web.events_url, opened, user_id=tech, values={})
                messages.append(slack.wait_for_message(tech, timeout=10))
            slack.send_command(web.events_url, user_id=STRANGER)
            slack.send_command(web.events_url, user_id=techs[0], signing_secret="forged")
        finally:
            web.stop()
        logs = web.output()

    assert "004821" in messages[0]["text"]
    assert "DEBUG" in logs  # the run really logged at DEBUG
    secrets = [AUTH_CODE, slack.bot_token, slack.signing_secret, "004821", *response_urls]
    for secret in secrets:
        assert secret not in logs
        assert all(secret not in str(m) for m in messages[1:])


def test_json_logs_give_one_object_per_line_with_request_id_user_result_and_latency() -> None:
    tech = "U0JSONLOG1"
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        env = app_env(slack, rescue, LOG_FORMAT="json", LENSPIN_ALLOWED_USERS=tech)
        with WebProcess(env) as web:
            opened = open_pin_modal(slack, web.events_url, user_id=tech, text="Jane")
            submit_pin_modal(slack, web.events_url, opened, user_id=tech, values={})
            pin = slack.wait_for_message(tech)["text"].rsplit(": ", 1)[1]
        logs = web.output()
    ours = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    (line,) = [entry for entry in ours if entry.get("logger") == "bot.pins"]
    assert line["user"] == tech
    assert line["result"] == "OK"
    assert isinstance(line["latency_ms"], int)
    assert len(line["request_id"]) == 12
    # The Rescue client's line for the same request carries the same id.
    rescue_lines = [e for e in ours if e.get("logger") == "bot.rescue"]
    assert rescue_lines[0]["request_id"] == line["request_id"]
    assert pin not in logs
    assert AUTH_CODE not in logs
