"""The files an admin deploys with: manifest.yml, .env.example, Procfile, requirements.txt.

manifest.yml is checked against Slack's manifest schema, vendored beside this file
(slackapi/manifest-schema, MIT: see README.md here).
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.__main__ import GUNICORN_ARGS
from bot.config import Settings
from bot.slack import ids
from tests.support import ENCRYPTION_KEY, procfile_command, settings_for

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("manifest.schema.1.0.0.json")


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_is_valid_for_slack() -> None:
    jsonschema.validate(manifest(), json.loads(SCHEMA.read_text()))


def test_manifest_has_the_command_interactivity_and_only_needed_scopes() -> None:
    data = manifest()
    (command,) = data["features"]["slash_commands"]
    assert command["command"] == ids.COMMAND
    assert command["usage_hint"]
    assert command["url"].endswith("/slack/events")
    assert data["settings"]["interactivity"] == {
        "is_enabled": True,
        "request_url": command["url"],
    }
    assert sorted(data["oauth_config"]["scopes"]["bot"]) == ["chat:write", "commands", "users:read"]
    shortcuts = {s["type"]: s["callback_id"] for s in data["features"]["shortcuts"]}
    assert shortcuts == {"message": ids.MESSAGE_SHORTCUT, "global": ids.GLOBAL_SHORTCUT}
    events = data["settings"]["event_subscriptions"]
    assert events == {"request_url": command["url"], "bot_events": ["app_home_opened"]}
    assert data["features"]["app_home"]["home_tab_enabled"] is True


def test_env_example_lists_every_variable_the_bot_reads() -> None:
    sources = [ROOT / "bot" / name for name in ("config.py", "env.py", "gunicorn_conf.py")]
    pattern = re.compile(r'"((?:SLACK|RESCUE|LENSPIN|LOG|WEB|GUNICORN|DATABASE)_[A-Z0-9_]+|PORT)"')
    read = {name for path in sources for name in pattern.findall(path.read_text())}
    read |= {
        f"LENSPIN_{kind}_{f.key.upper()}"
        for f in settings_for().fields
        for kind in ("LABEL", "HINT")
    }
    example = (ROOT / ".env.example").read_text()
    # Serving several workspaces is listed commented out: uncommenting it changes the mode.
    listed = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    assert read - listed == set()
    # Every variable sits under a comment that says what it is for.
    for paragraph in example.split("\n\n"):
        if re.search(r"^[A-Z]", paragraph, re.M):
            assert re.search(r"^# ", paragraph, re.M), paragraph


def test_env_example_as_is_gives_a_clear_error_not_a_crash() -> None:
    values = dict(
        re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", (ROOT / ".env.example").read_text(), re.M)
    )
    with pytest.raises(Exception, match="SLACK_BOT_TOKEN") as caught:
        Settings.from_env(values)
    assert "LENSPIN_ENCRYPTION_KEY" in str(caught.value)


def test_env_example_with_its_commented_out_client_serves_several_workspaces() -> None:
    example = (ROOT / ".env.example").read_text()
    commented = dict(re.findall(r"^# ([A-Z][A-Z0-9_]*)=(.*)$", example, re.M))
    assert set(commented) == {"SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_OAUTH_AUTHORIZE_URL"}
    values = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", example, re.M))
    filled = {
        **values,
        **commented,
        "SLACK_CLIENT_ID": "1234567890.9876543210",
        "SLACK_CLIENT_SECRET": "client-secret",
        "SLACK_SIGNING_SECRET": "signing-secret",
        "LENSPIN_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "LENSPIN_PUBLIC_URL": "https://lenspin.example.com",
    }
    settings = Settings.from_env(filled)
    assert settings.multi_workspace
    assert settings.slack_oauth_authorize_url == commented["SLACK_OAUTH_AUTHORIZE_URL"]


def test_procfile_checks_the_settings_then_runs_gunicorn() -> None:
    command = shlex.split(procfile_command("web"))
    assert command[:4] == ["python", "-m", "bot", "web"]
    assert command[4:] == GUNICORN_ARGS
    assert procfile_command("release") == "python -m bot migrate"


def test_requirements_are_pinned_and_include_the_server() -> None:
    lines = [
        line.split("#")[0].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    assert all("==" in line for line in lines), lines
    names = {line.split("==")[0].lower().replace("_", "-") for line in lines}
    assert {"slack-bolt", "zeep", "gunicorn", "python-dotenv"} <= names
    assert (ROOT / ".python-version").read_text().strip()
    assert os.path.exists(ROOT / "pyproject.toml")
