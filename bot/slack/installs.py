"""lenspin's WorkspaceStore as slack_sdk's InstallationStore and OAuthStateStore, for Bolt."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.error import BoltError
from slack_sdk.oauth.installation_store import Bot, InstallationStore
from slack_sdk.oauth.installation_store import Installation as SdkInstallation
from slack_sdk.oauth.state_store import OAuthStateStore

from bot.domain import Installation, Requester, StoreError, Workspace
from bot.workspaces import WorkspaceStore, install_of

logger = logging.getLogger(__name__)

# What the distributed app asks each workspace for: the slash command, posting its answers,
# names for the connect page and the emails single sign-on matches.
BOT_SCOPES = ("commands", "chat:write", "users:read", "users:read.email")
# An OAuth state is good for one redirect, within ten minutes of the "Add to Slack" page.
STATE_LIFETIME = timedelta(minutes=10)


def workspace_of(enterprise_id: str | None, team_id: str | None, *, org_wide: bool) -> Workspace:
    """The install's Workspace: (E, "") for an org-wide install, else (E or "", T)."""
    if org_wide and enterprise_id:
        return Workspace(enterprise_id, "")
    return Workspace(enterprise_id or "", team_id or "")


def to_domain(installation: SdkInstallation | Bot) -> Installation:
    """slack_sdk's record of an install (or of its bot) as lenspin keeps it."""
    if not installation.bot_token:
        # lenspin asks for bot scopes only: an install without a bot token is of no use.
        raise BoltError("Slack's answer held no bot token")
    expires_at = installation.bot_token_expires_at
    expiry = None if expires_at is None else datetime.fromtimestamp(expires_at, UTC)
    return Installation(
        workspace=workspace_of(
            installation.enterprise_id,
            installation.team_id,
            org_wide=installation.is_enterprise_install,
        ),
        team_name=installation.team_name or "",
        enterprise_name=installation.enterprise_name or "",
        app_id=installation.app_id or "",
        bot_id=installation.bot_id or "",
        bot_user_id=installation.bot_user_id or "",
        bot_scopes=",".join(installation.bot_scopes or ()),
        bot_token=installation.bot_token,
        bot_refresh_token=installation.bot_refresh_token or "",
        bot_token_expires_at=expiry,
        installer_user_id=getattr(installation, "user_id", "") or "",
        installed_at=datetime.fromtimestamp(installation.installed_at, UTC),
    )


def _sdk_fields(installation: Installation) -> dict[str, Any]:
    workspace = installation.workspace
    expires_at = installation.bot_token_expires_at
    return {
        "app_id": installation.app_id or None,
        "enterprise_id": workspace.enterprise_id or None,
        "enterprise_name": installation.enterprise_name or None,
        "team_id": workspace.team_id or None,
        "team_name": installation.team_name or None,
        "bot_token": installation.bot_token,
        "bot_id": installation.bot_id,
        "bot_user_id": installation.bot_user_id,
        "bot_scopes": installation.bot_scopes,
        "bot_refresh_token": installation.bot_refresh_token or None,
        "bot_token_expires_at": None if expires_at is None else int(expires_at.timestamp()),
        "is_enterprise_install": workspace.org_wide,
        "installed_at": installation.installed_at.timestamp(),
    }


def to_sdk(installation: Installation) -> SdkInstallation:
    """An install as slack_sdk and Bolt read it."""
    # token_type is the kind of token (oauth.v2.access's "bot"), not a secret.
    return SdkInstallation(
        **_sdk_fields(installation),
        user_id=installation.installer_user_id,
        token_type="bot",  # noqa: S106
    )


def to_sdk_bot(installation: Installation) -> Bot:
    """An install's bot as slack_sdk's TokenRotator reads it."""
    return Bot(**_sdk_fields(installation))


def _found(
    store: WorkspaceStore, enterprise_id: str | None, team_id: str | None, org_wide: bool | None
) -> Installation | None:
    if org_wide and enterprise_id:
        return store.find_installation(Workspace(enterprise_id, ""))
    # A request from a team belongs to its team's install, else its org's (Workspace.candidates).
    who = Requester(team_id=team_id or "", user_id="", enterprise_id=enterprise_id or "")
    return install_of(store, who)


class WorkspaceInstallations(InstallationStore):
    """Bolt's InstallationStore over lenspin's WorkspaceStore: bot installs only, no user tokens."""

    def __init__(self, store: WorkspaceStore) -> None:
        self._store = store

    @property
    def logger(self) -> logging.Logger:
        """Where slack_sdk's stores log; this one logs nothing of what it keeps."""
        return logger

    def save(self, installation: SdkInstallation) -> None:
        """Keep an install Bolt completed (or refreshed); BoltError if the database failed."""
        self._save(to_domain(installation))

    def save_bot(self, bot: Bot) -> None:
        """Keep a bot's refreshed token; the rest of its install stays as it was."""
        refreshed = to_domain(bot)
        kept = self._store.find_installation(refreshed.workspace)
        if kept is not None:
            refreshed = replace(
                kept,
                bot_token=refreshed.bot_token,
                bot_refresh_token=refreshed.bot_refresh_token,
                bot_token_expires_at=refreshed.bot_token_expires_at,
            )
        self._save(refreshed)

    def _save(self, installation: Installation) -> None:
        try:
            self._store.save_installation(installation)
        except StoreError as error:
            # Bolt shows its "storage_error" page for a BoltError, and only for that.
            raise BoltError(f"lenspin could not keep the install: {error}") from None

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> SdkInstallation | None:
        """The install a request belongs to; None for a user's own (lenspin keeps none)."""
        if user_id is not None:
            return None
        found = _found(self._store, enterprise_id, team_id, is_enterprise_install)
        return None if found is None else to_sdk(found)

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The bot of the install a request belongs to, or None."""
        found = _found(self._store, enterprise_id, team_id, is_enterprise_install)
        return None if found is None else to_sdk_bot(found)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """The bot's token is gone: so is everything lenspin keeps for that workspace."""
        self._forget(enterprise_id, team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Forget the workspace; a user's own token is not kept, so nothing to do for one."""
        if user_id is None:
            self._forget(enterprise_id, team_id)

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the workspace, once."""
        self._forget(enterprise_id, team_id)

    def _forget(self, enterprise_id: str | None, team_id: str | None) -> None:
        self._store.forget_workspace(
            workspace_of(enterprise_id, team_id, org_wide=not team_id and bool(enterprise_id))
        )


class WorkspaceStates(OAuthStateStore):
    """OAuth states in lenspin's database: random, single use, ten minutes."""

    def __init__(
        self, store: WorkspaceStore, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._store = store
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        """Where slack_sdk's stores log; this one logs no state."""
        return logger

    def issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state for one "Add to Slack" page, remembered until it expires."""
        state = secrets.token_urlsafe(32)
        self._store.issue_state(state, self._clock() + STATE_LIFETIME)
        return state

    def consume(self, state: str) -> bool:
        """True once for a state issued here and not yet expired."""
        return bool(state) and self._store.consume_state(state)
