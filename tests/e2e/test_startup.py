"""Starting the bot: clear words for a missing configuration, .env handling, each run mode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest

from bot.__main__ import SOCKET_MODE_REFUSED
from tests.support import (
    AUTH_CODE,
    ENCRYPTION_KEY,
    ROOT,
    TECHS,
    FakeRescue,
    FakeSlack,
    WebProcess,
    app_env,
    fresh_database,
    open_pin_modal,
    run_bot,
    submit_pin_modal,
)


def test_without_configuration_it_says_exactly_what_to_set(tmp_path: Path) -> None:
    result = run_bot([], tmp_path, {})
    assert result.returncode == 2
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "LENSPIN_ENCRYPTION_KEY", ".env"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_platform_variables_win_over_the_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("RESCUE_SOAP_VERSION=9.9\nRESCUE_TIMEOUT=soon\n")
    result = run_bot([], tmp_path, {"RESCUE_SOAP_VERSION": "1.2"})
    assert result.returncode == 2
    assert "RESCUE_TIMEOUT" in result.stderr  # read from .env
    assert "RESCUE_SOAP_VERSION" not in result.stderr  # the platform's 1.2 won


def test_a_bad_server_setting_is_named_not_a_traceback(
    slack: FakeSlack, rescue: FakeRescue
) -> None:
    process = WebProcess(app_env(slack, rescue, WEB_CONCURRENCY="lots", PORT="http"))
    with pytest.raises(RuntimeError) as caught:
        process.start(timeout=20)
    process.stop()
    output = str(caught.value)
    assert "WEB_CONCURRENCY: 'lots' must be a whole number of at least 1" in output
    assert "PORT: 'http' is not a TCP port number" in output
    assert "Traceback" not in output


def test_the_web_process_refuses_to_start_without_configuration() -> None:
    process = WebProcess({})
    with pytest.raises(RuntimeError) as caught:
        process.start(timeout=20)
    process.stop()
    output = str(caught.value)
    assert "SLACK_BOT_TOKEN" in output
    assert output.count("lenspin cannot start") == 1  # said once, by the master
    assert "Traceback" not in output


def test_the_web_process_needs_a_signing_secret_even_with_an_app_token() -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_APP_TOKEN": "xapp-1-A1-1-abc",
        "RESCUE_AUTH_CODE": "c",
        "LENSPIN_ALLOWED_USERS": "*",
        "LENSPIN_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "DATABASE_URL": fresh_database(),
    }
    process = WebProcess(env)
    with pytest.raises(RuntimeError, match="SLACK_SIGNING_SECRET"):
        process.start(timeout=20)
    process.stop()


def test_with_an_app_token_it_connects_out_in_socket_mode(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        env = {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_APP_TOKEN": "xapp-1-A0LENSPIN-1-notvalid",
            "SLACK_API_URL": slack.api_url,
            "RESCUE_AUTH_CODE": "c",
            "LENSPIN_ALLOWED_USERS": "*",
            "LENSPIN_ENCRYPTION_KEY": ENCRYPTION_KEY,
            "DATABASE_URL": fresh_database(),
        }
        result = run_bot([], tmp_path, env)
        (call,) = slack.calls_to("apps.connections.open")
    assert result.returncode == 1
    assert SOCKET_MODE_REFUSED.format(error=call.error) in result.stderr
    assert "xapp-1-A0LENSPIN-1-notvalid" not in result.stderr


def test_soap_12_is_spoken_end_to_end_when_configured() -> None:
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,)) as rescue:
        env = app_env(slack, rescue, RESCUE_SOAP_VERSION="1.2")
        with WebProcess(env) as web:
            opened = open_pin_modal(slack, web.events_url, user_id=TECHS[-1], text="Jane")
            submit_pin_modal(slack, web.events_url, opened, user_id=TECHS[-1], values={})
            (call,) = rescue.wait_for_calls(1)
            message = slack.wait_for_message(TECHS[-1])
    assert call.soap_version == "1.2"
    assert call.content_type.startswith("application/soap+xml")
    assert "Rescue Lens PIN for Jane" in message["text"]


def test_python_m_bot_serves_http_like_the_procfile_with_settings_from_dotenv() -> None:
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,)) as rescue:
        dotenv = "".join(f"{k}={v}\n" for k, v in app_env(slack, rescue).items())
        web = WebProcess({}, command=[sys.executable, "-m", "bot"], dotenv=dotenv)
        with web:
            opened = open_pin_modal(slack, web.events_url, user_id=TECHS[-2], text="Jane")
    assert opened.ack.status == 200
    assert "gunicorn" in web.output()


@pytest.fixture(scope="module")
def built_worker(slack_server: FakeSlack, rescue_server: FakeRescue) -> dict[str, Any]:
    """What a process holds once it has built the app the way a gunicorn worker does."""
    # The Rescue client is built on a thread once the app is: joined first, so its objects
    # are counted as a worker holds them a moment after it starts serving.
    probe = (
        "import gc, json, sys, threading; from bot.web import create_application; "
        "create_application(); "
        "[t.join(30) for t in threading.enumerate() if t.name == 'lenspin-rescue-load']; "
        "print(json.dumps({'modules': sorted(m for m in ('alembic', 'mako', 'pygments', 'zeep', "
        "'sqlalchemy.dialects.postgresql', 'psycopg') if m in sys.modules), "
        "'frozen': gc.get_freeze_count(), 'tracked': len(gc.get_objects())}))"
    )
    return cast(dict[str, Any], run_probe(probe, slack_server, rescue_server))


def test_a_worker_leaves_the_migration_tooling_unloaded(built_worker: dict[str, Any]) -> None:
    # alembic, mako and pygments are 11 MiB of every worker's memory, for `migrate` alone, and
    # a worker on SQLite (as here) loads nothing of PostgreSQL's; zeep is there, loaded on a
    # thread after the app is built.
    assert built_worker["modules"] == ["zeep"]


def test_the_master_loads_neither_the_app_nor_the_database_stack(
    slack_server: FakeSlack, rescue_server: FakeRescue
) -> None:
    # What a gunicorn master of the Procfile's line imports before it forks: the command,
    # gunicorn, its config (which checks the settings) and the worker class. A dyno pays for
    # each of these once more than it has workers.
    probe = (
        "import json, sys; import bot.__main__, gunicorn.app.wsgiapp, gunicorn.arbiter; "
        "import bot.gunicorn_conf, bot.front; "
        "print(json.dumps(sorted(m for m in ('sqlalchemy', 'cryptography', 'slack_bolt', "
        "'slack_sdk', 'zeep', 'bot.app', 'bot.store') if m in sys.modules)))"
    )
    assert run_probe(probe, slack_server, rescue_server) == []


def run_probe(probe: str, slack: FakeSlack, rescue: FakeRescue) -> Any:
    """Run probe in a fresh interpreter with the app's environment; what it printed, as JSON."""
    result = subprocess.run(  # noqa: S603 - this interpreter and a fixed probe
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"PATH": str(Path(sys.executable).parent), **app_env(slack, rescue)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def test_a_worker_keeps_its_start_up_objects_out_of_garbage_collection(
    built_worker: dict[str, Any],
) -> None:
    # Full collections over them stalled every request in the worker for ~60 ms.
    assert built_worker["frozen"] > 50_000
    assert built_worker["tracked"] < built_worker["frozen"] / 10
