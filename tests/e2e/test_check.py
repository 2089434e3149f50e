"""`python -m bot check`: one plain line per check against the stand-ins, and never a secret."""

from __future__ import annotations

import io
import socket
import subprocess
from pathlib import Path

from bot.check import CheckResult, check_rescue, describe, run_checks
from devtools.web_process import free_port
from tests.support import (
    AUTH_CODE,
    ENCRYPTION_KEY,
    Delay,
    FakeRescue,
    FakeSlack,
    Result,
    WebProcess,
    app_env,
    run_bot,
    settings_for,
)

SECRET_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "RESCUE_AUTH_CODE")


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.splitlines()


def line_about(result: subprocess.CompletedProcess[str], words: str) -> str:
    (line,) = [line for line in lines(result) if words in line]
    return line


def assert_no_secrets(result: subprocess.CompletedProcess[str], env: dict[str, str]) -> None:
    output = result.stdout + result.stderr
    for name in SECRET_VARIABLES:
        if env.get(name):
            assert env[name] not in output, name
    database = env["DATABASE_URL"].removeprefix("sqlite:///")
    assert database not in output
    assert Path(database).name not in output


def test_all_green_says_ok_on_every_line_and_exits_0(
    tmp_path: Path, slack: FakeSlack, rescue: FakeRescue
) -> None:
    env = app_env(slack, rescue)
    # Everything from .env, as an admin trying a local setup has it.
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    result = run_bot(["check"], tmp_path, {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(lines(result)) == 6
    assert lines(result)[0] == describe(settings_for())
    assert all(line.startswith("OK  ") for line in lines(result)[1:]), result.stdout
    assert "Slack bot token works (workspace Lenspin Test & Co, bot lenspin)" in result.stdout
    assert "Slack's first request will confirm SLACK_SIGNING_SECRET" in result.stdout
    assert "Rescue accepts the shared auth code (" in result.stdout
    assert "Technician Console running)" in result.stdout
    assert "Database reachable and migrated" in result.stdout
    assert "No LENSPIN_PUBLIC_URL: technicians connect by pasting an auth code" in result.stdout
    assert [call.operation for call in rescue.calls] == ["getAccount_v2"]
    assert len(slack.calls_to("auth.test")) == 1
    assert result.stderr == ""
    assert_no_secrets(result, env)


def test_a_wrong_bot_token_says_to_copy_it_again(
    tmp_path: Path, slack: FakeSlack, rescue: FakeRescue
) -> None:
    env = app_env(slack, rescue, SLACK_BOT_TOKEN="xoxb-not-the-installed-one")
    result = run_bot(["check"], tmp_path, env)
    assert result.returncode == 1
    line = line_about(result, "SLACK_BOT_TOKEN")
    assert line.startswith("FAIL  SLACK_BOT_TOKEN is not accepted: copy the Bot User OAuth Token")
    assert "invalid_auth" in line
    # The other checks still ran and passed.
    assert "OK  Rescue accepts the shared auth code" in result.stdout
    assert "OK  Database reachable and migrated" in result.stdout
    assert lines(result)[-1].startswith("FAIL  1 of 4 checks failed")
    assert_no_secrets(result, env)


def test_a_shared_code_rescue_rejects_says_to_get_a_new_one(
    tmp_path: Path, slack: FakeSlack, rescue: FakeRescue
) -> None:
    env = app_env(slack, rescue, RESCUE_AUTH_CODE="voidedcode0123456789abcdefghij")
    result = run_bot(["check"], tmp_path, env)
    assert result.returncode == 1
    line = line_about(result, "Rescue")
    assert line.startswith("FAIL  Rescue does not accept RESCUE_AUTH_CODE")
    assert "Get a new code (README, step 2)" in line
    assert_no_secrets(result, env)


def test_an_unmigrated_database_says_to_run_migrate(
    tmp_path: Path, slack: FakeSlack, rescue: FakeRescue
) -> None:
    env = app_env(slack, rescue, DATABASE_URL=f"sqlite:///{tmp_path / 'new.sqlite3'}")
    result = run_bot(["check"], tmp_path, env)
    assert result.returncode == 1
    line = line_about(result, "database")
    assert line.startswith("FAIL  ")
    assert "Run `python -m bot migrate`" in line
    assert str(tmp_path) not in result.stdout + result.stderr
    assert_no_secrets(result, env)


def test_an_unreachable_rescue_says_where_it_was_looked_for(
    tmp_path: Path, slack: FakeSlack, rescue: FakeRescue
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/API/API.asmx"
    env = app_env(slack, rescue, RESCUE_API_URL=url)
    result = run_bot(["check"], tmp_path, env)
    assert result.returncode == 1
    line = line_about(result, "Rescue")
    assert line.startswith(f"FAIL  Rescue is unreachable at RESCUE_API_URL ({url})")
    assert "Traceback" not in result.stderr
    assert_no_secrets(result, env)


def test_invalid_settings_are_listed_and_nothing_is_tried(tmp_path: Path) -> None:
    result = run_bot(["check"], tmp_path, {"SLACK_BOT_TOKEN": "xoxb-but-nothing-else"})
    assert result.returncode == 2
    assert result.stdout == ""
    assert "LENSPIN_ENCRYPTION_KEY" in result.stderr
    assert "xoxb-but-nothing-else" not in result.stderr


# The rest run the checks in-process: cases the stand-ins can stage without a new process.


def test_a_disabled_rescue_user_and_an_unreachable_slack_are_both_reported(
    slack: FakeSlack, rescue: FakeRescue
) -> None:
    env = app_env(slack, rescue, SLACK_API_URL=f"http://127.0.0.1:{closed_port()}/api/")
    rescue.queue(Result(code="getAccount_User_Deleted_Or_Disabled"))
    out = io.StringIO()
    assert run_checks(settings_for(**env), out=out) is False
    text = out.getvalue()
    assert "FAIL  Cannot reach Slack at SLACK_API_URL (http://127.0.0.1:" in text
    assert "FAIL  The Rescue user RESCUE_AUTH_CODE belongs to is deleted or disabled" in text
    assert text.splitlines()[-1].startswith("FAIL  2 of 4 checks failed")


def test_a_stopped_console_is_still_ok_and_said(rescue: FakeRescue) -> None:
    rescue.set_console_running(AUTH_CODE, running=False)
    settings = settings_for(RESCUE_API_URL=rescue.url, RESCUE_AUTH_CODE=AUTH_CODE)
    result = check_rescue(settings)
    assert result.ok
    assert result.text.endswith("; Technician Console not running)")


def test_a_slow_rescue_names_the_timeout(rescue: FakeRescue) -> None:
    rescue.queue(Delay(2.0))
    settings = settings_for(
        RESCUE_API_URL=rescue.url, RESCUE_AUTH_CODE=AUTH_CODE, RESCUE_TIMEOUT="0.3"
    )
    result = check_rescue(settings)
    assert not result.ok
    assert result.text.startswith("Rescue did not answer within RESCUE_TIMEOUT (0.3 s)")


def test_without_a_shared_code_technicians_connect_their_own() -> None:
    settings = settings_for(RESCUE_AUTH_CODE="", LENSPIN_ALLOWED_USERS="")
    assert check_rescue(settings) == CheckResult(
        ok=True,
        text="No shared Rescue auth code (RESCUE_AUTH_CODE is unset): technicians connect "
        "their own accounts with /lenspin connect",
    )
    sso = settings_for(RESCUE_AUTH_CODE="", RESCUE_SSO_COMPANY_ID="1234", RESCUE_SSO_PASSWORD="p")
    assert "single sign-on (company 1234)" in check_rescue(sso).text


def test_the_first_line_names_the_mode_and_what_only_slack_can_confirm() -> None:
    socket_mode = describe(settings_for(SLACK_APP_TOKEN="xapp-1-A1-1-abc"))
    assert socket_mode == "Settings are complete and valid (Socket Mode: no signing secret needed)"
    assert "Slack's first request will confirm SLACK_SIGNING_SECRET" in describe(settings_for())


def test_the_public_url_is_asked_as_a_browser_would(
    tmp_path: Path, slack: FakeSlack, rescue: FakeRescue
) -> None:
    port = free_port()
    env = app_env(slack, rescue, LENSPIN_PUBLIC_URL=f"http://127.0.0.1:{port}")
    with WebProcess(env, port=port):
        answering = run_bot(["check"], tmp_path, env)
    assert answering.returncode == 0, answering.stdout + answering.stderr
    assert line_about(answering, "LENSPIN_PUBLIC_URL") == (
        f"OK  LENSPIN_PUBLIC_URL answers: the connect page is at http://127.0.0.1:{port}"
    )
    # The web process is gone: nothing answers at that address any more.
    silent = run_bot(["check"], tmp_path, env)
    assert silent.returncode == 1
    line = line_about(silent, "LENSPIN_PUBLIC_URL")
    assert line.startswith(f"FAIL  LENSPIN_PUBLIC_URL (http://127.0.0.1:{port}) does not answer")
    assert_no_secrets(silent, env)


def test_serving_several_workspaces_with_an_operators_code_is_refused_before_anything_is_tried(
    tmp_path: Path,
) -> None:
    env = {
        "SLACK_CLIENT_ID": "1234567890.9876543210",
        "SLACK_CLIENT_SECRET": "client-secret-never-printed-0123456789",
        "SLACK_SIGNING_SECRET": "signing-secret-never-printed-0123456789",
        "LENSPIN_PUBLIC_URL": "https://lenspin.example.com",
        "LENSPIN_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "RESCUE_AUTH_CODE": AUTH_CODE,
        "LENSPIN_ALLOWED_USERS": "*",
    }
    result = run_bot(["check"], tmp_path, env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "RESCUE_AUTH_CODE: cannot be set when lenspin serves several workspaces" in result.stderr
    assert "LENSPIN_ALLOWED_USERS: cannot be set" in result.stderr
    for secret in ("SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET", "RESCUE_AUTH_CODE"):
        assert env[secret] not in result.stderr, secret
