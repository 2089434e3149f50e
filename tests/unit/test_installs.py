"""bot/slack/installs.py: lenspin's installs as slack_sdk's, the way Bolt calls the stores."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from slack_bolt.error import BoltError
from slack_sdk.oauth.installation_store import Installation as SdkInstallation

from bot.domain import StoreUnavailable, Workspace
from bot.slack.installs import (
    STATE_LIFETIME,
    WorkspaceInstallations,
    WorkspaceStates,
    to_domain,
    to_sdk,
    to_sdk_bot,
)
from tests.support.doubles import MemoryWorkspaces, installation

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TEAM_A = Workspace("", "T0A")


def test_an_install_round_trips_through_slack_sdk() -> None:
    expires_at = NOW + timedelta(hours=12)
    rotating = installation(
        TEAM_A, bot_token="xoxe.xoxb-1", refresh_token="xoxe-1-r", expires_at=expires_at
    )
    rotating = replace(rotating, installed_at=NOW)
    assert to_domain(to_sdk(rotating)) == rotating
    # A Bot has no installer.
    assert to_domain(to_sdk_bot(rotating)) == replace(rotating, installer_user_id="")
    plain = replace(installation(Workspace("", "T0B"), bot_token="xoxb-2"), installed_at=NOW)
    sdk = to_sdk(plain)
    assert sdk.bot_refresh_token is None
    assert sdk.bot_token_expires_at is None
    assert sdk.is_enterprise_install is False
    assert to_domain(sdk) == plain


def test_an_org_wide_install_is_its_enterprise_with_no_team() -> None:
    sdk = SdkInstallation(
        enterprise_id="E0GRID",
        enterprise_name="Grid",
        team_id=None,
        bot_token="xoxb-org",
        bot_id="B1",
        bot_user_id="U0BOT",
        user_id="U0ADMIN",
        is_enterprise_install=True,
    )
    kept = to_domain(sdk)
    assert kept.workspace == Workspace("E0GRID", "")
    assert kept.workspace.org_wide
    assert kept.name == "Grid"
    back = to_sdk(kept)
    assert (back.enterprise_id, back.team_id, back.is_enterprise_install) == ("E0GRID", None, True)
    # A team of a Grid org installed on its own keeps both ids.
    sdk.team_id, sdk.is_enterprise_install = "T0G", False
    assert to_domain(sdk).workspace == Workspace("E0GRID", "T0G")


def test_an_install_without_a_bot_token_is_refused() -> None:
    with pytest.raises(BoltError):
        to_domain(SdkInstallation(team_id="T0A", user_id="U1", user_token="xoxp-1"))


def test_bolt_finds_the_install_of_the_team_else_of_its_org() -> None:
    kept = MemoryWorkspaces()
    store = WorkspaceInstallations(kept)
    kept.save_installation(installation(TEAM_A, bot_token="xoxb-a"))
    kept.save_installation(installation(Workspace("E0GRID", ""), bot_token="xoxb-org"))
    found = store.find_installation(enterprise_id=None, team_id="T0A")
    assert found is not None
    assert found.bot_token == "xoxb-a"
    grid = store.find_installation(enterprise_id="E0GRID", team_id="T0G")
    assert grid is not None
    assert grid.bot_token == "xoxb-org"
    org = store.find_bot(enterprise_id="E0GRID", team_id=None, is_enterprise_install=True)
    assert org is not None
    assert org.bot_token == "xoxb-org"
    assert store.find_installation(enterprise_id=None, team_id="T0NONE") is None
    # lenspin keeps no user's own install: Bolt's look-up by user finds none.
    assert store.find_installation(enterprise_id=None, team_id="T0A", user_id="U1") is None


def test_deleting_forgets_the_whole_workspace_once() -> None:
    kept = MemoryWorkspaces()
    store = WorkspaceInstallations(kept)
    store.delete_all(enterprise_id=None, team_id="T0A")
    store.delete_bot(enterprise_id="E0GRID", team_id=None)
    store.delete_installation(enterprise_id=None, team_id="T0B", user_id="U1")  # a user's: none
    store.delete_installation(enterprise_id="E0GRID", team_id="T0G")
    assert kept.forgotten == [
        Workspace("", "T0A"),
        Workspace("E0GRID", ""),
        Workspace("E0GRID", "T0G"),
    ]


def test_a_database_failure_while_saving_is_a_bolt_error() -> None:
    class Down(MemoryWorkspaces):
        def save_installation(self, installation: object) -> None:
            raise StoreUnavailable("the database did not answer within 3 s", timed_out=True)

    with pytest.raises(BoltError, match="could not keep the install"):
        WorkspaceInstallations(Down()).save(to_sdk(installation(TEAM_A, bot_token="xoxb-a")))


def test_a_refreshed_bot_keeps_the_rest_of_its_install() -> None:
    kept = MemoryWorkspaces()
    before = installation(TEAM_A, bot_token="xoxe.xoxb-1", refresh_token="xoxe-1-a", expires_at=NOW)
    kept.save_installation(before)
    bot = to_sdk_bot(before)
    bot.bot_token, bot.bot_refresh_token = "xoxe.xoxb-2", "xoxe-1-b"
    WorkspaceInstallations(kept).save_bot(bot)
    after = kept.find_installation(TEAM_A)
    assert after is not None
    assert (after.bot_token, after.bot_refresh_token) == ("xoxe.xoxb-2", "xoxe-1-b")
    assert after.installer_user_id == before.installer_user_id


def test_a_state_is_random_works_once_and_expires_in_ten_minutes() -> None:
    now = [NOW]
    kept = MemoryWorkspaces(now=lambda: now[0])
    states = WorkspaceStates(kept, clock=lambda: now[0])
    first, second = states.issue(), states.issue()
    assert first != second
    assert len(first) >= 40
    assert states.consume(first)
    assert not states.consume(first)
    assert not states.consume("")
    now[0] += STATE_LIFETIME
    assert not states.consume(second)
