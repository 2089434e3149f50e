"""The files an admin deploys with: the manifests, .env.example, Procfile, requirements.txt.

manifest.yml (one workspace) and manifest-distributed.yml (several, "Add to Slack") are
checked against Slack's manifest schema, vendored beside this file (slackapi/manifest-schema,
MIT: see README.md here).
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
from bot.config import OAUTH_REDIRECT_PATH, Settings
from bot.slack import ids
from tests.support import ENCRYPTION_KEY, procfile_command, settings_for

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("manifest.schema.1.0.0.json")


ONE_WORKSPACE = "manifest.yml"
DISTRIBUTED = "manifest-distributed.yml"
MANIFESTS = (ONE_WORKSPACE, DISTRIBUTED)
# The host each manifest says to replace, and how its header counts the replacements.
HOST = "lenspin.example.com"
TIMES = {"three": 3, "four": 4, "five": 5}


def manifest(name: str = ONE_WORKSPACE) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


@pytest.mark.parametrize("name", MANIFESTS)
def test_manifest_is_valid_for_slack(name: str) -> None:
    jsonschema.validate(manifest(name), json.loads(SCHEMA.read_text()))


@pytest.mark.parametrize("name", MANIFESTS)
def test_manifest_has_the_command_shortcuts_interactivity_and_home_tab(name: str) -> None:
    data = manifest(name)
    (command,) = data["features"]["slash_commands"]
    assert command["command"] == ids.COMMAND
    assert command["usage_hint"]
    assert command["url"] == f"https://{HOST}/slack/events"
    assert data["settings"]["interactivity"] == {
        "is_enabled": True,
        "request_url": command["url"],
    }
    shortcuts = {s["type"]: s["callback_id"] for s in data["features"]["shortcuts"]}
    assert shortcuts == {"message": ids.MESSAGE_SHORTCUT, "global": ids.GLOBAL_SHORTCUT}
    assert data["settings"]["event_subscriptions"]["request_url"] == command["url"]
    assert "app_home_opened" in data["settings"]["event_subscriptions"]["bot_events"]
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["settings"]["socket_mode_enabled"] is False


def test_both_manifests_offer_the_same_command_shortcuts_and_home_tab() -> None:
    one, several = manifest(ONE_WORKSPACE), manifest(DISTRIBUTED)
    assert several["features"] == one["features"]
    assert several["display_information"] == one["display_information"]
    assert several["settings"]["interactivity"] == one["settings"]["interactivity"]


def test_one_workspaces_manifest_asks_only_the_scopes_and_events_it_needs() -> None:
    data = manifest(ONE_WORKSPACE)
    assert sorted(data["oauth_config"]["scopes"]["bot"]) == ["chat:write", "commands", "users:read"]
    assert data["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert "redirect_urls" not in data["oauth_config"]
    assert data["settings"]["org_deploy_enabled"] is False
    assert data["settings"]["token_rotation_enabled"] is False


def test_the_distributed_manifest_installs_through_lenspins_oauth_redirect() -> None:
    data = manifest(DISTRIBUTED)
    assert data["oauth_config"]["redirect_urls"] == [f"https://{HOST}{OAUTH_REDIRECT_PATH}"]
    assert sorted(data["oauth_config"]["scopes"]["bot"]) == [
        "chat:write",
        "commands",
        "users:read",
        "users:read.email",
    ]
    events = data["settings"]["event_subscriptions"]["bot_events"]
    assert events == ["app_home_opened", "app_uninstalled", "tokens_revoked"]
    settings = data["settings"]
    assert (settings["socket_mode_enabled"], settings["org_deploy_enabled"]) == (False, True)
    assert settings["token_rotation_enabled"] is True


@pytest.mark.parametrize("name", MANIFESTS)
def test_each_manifest_says_how_many_times_to_replace_its_host(name: str) -> None:
    text = (ROOT / name).read_text()
    (said,) = re.findall(rf"replace {re.escape(HOST)} \((\w+) times\)", text)
    used = [
        line for line in text.splitlines() if HOST in line and not line.lstrip().startswith("#")
    ]
    assert len(used) == TIMES[said]


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


def test_readmes_settings_table_has_a_row_for_every_variable_in_env_example() -> None:
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("\n## Settings\n") :].split("\n## ", 2)[1]
    rows = set(re.findall(r"^\| (.*?) \|", table, re.MULTILINE))
    named = {n for row in rows for n in re.findall(r"`([A-Z][A-Z0-9_]*)`", row)}
    # The table writes custom fields 1-5 as one row: `LENSPIN_LABEL_CUSTOM1`…`5`.
    assert {re.sub(r"CUSTOM[2-5]$", "CUSTOM1", n) for n in listed} - named == set()


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
