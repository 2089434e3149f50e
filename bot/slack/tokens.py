"""Each workspace's bot token, refreshed before it expires: for requests and background work."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from slack_bolt import BoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.domain import Installation, Requester
from bot.slack.installs import to_sdk_bot
from bot.slack.io import SLACK_FAILURES
from bot.workspaces import WorkspaceStore, install_of

logger = logging.getLogger(__name__)

# Refresh a rotating token this long before it expires (Bolt's default, 2 of its 12 hours).
ROTATION_WINDOW_MINUTES = 120


class Tokens:
    """The bot token of the install a request belongs to, refreshed when it is due.

    One refresh at a time in this process; a refresh another process made first (Slack then
    refuses the old refresh token) is found in the store instead of failing the request.
    """

    def __init__(
        self,
        store: WorkspaceStore,
        rotator: TokenRotator,
        *,
        window_minutes: int = ROTATION_WINDOW_MINUTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._rotator = rotator
        self._window = window_minutes
        self._clock = clock
        self._lock = threading.Lock()

    def install_of(self, who: Requester) -> Installation | None:
        """who's install with a token good for now, or None (not installed, or no usable token)."""
        installation = install_of(self._store, who)
        if installation is None:
            return None
        return self.fresh(installation)

    def due(self, installation: Installation) -> bool:
        """True when the install's token rotates and expires within the window."""
        expires_at = installation.bot_token_expires_at
        if not installation.bot_refresh_token or expires_at is None:
            return False
        return expires_at.timestamp() <= self._clock() + self._window * 60

    def fresh(self, installation: Installation) -> Installation | None:
        """installation, or its refreshed and saved copy if due; None if no token works now."""
        if not self.due(installation):
            return installation
        with self._lock:
            # Another thread may have refreshed it while this one waited for the lock.
            current = self._store.find_installation(installation.workspace)
            if current is None or not self.due(current):
                return current
            return self._refresh(current)

    def _refresh(self, current: Installation) -> Installation | None:
        team = current.workspace.team_id or current.workspace.enterprise_id
        try:
            bot = self._rotator.perform_bot_token_rotation(
                bot=to_sdk_bot(current), minutes_before_expiration=self._window
            )
        except SlackTokenRotationError as error:
            again = self._store.find_installation(current.workspace)
            if again is not None and again.bot_token != current.bot_token:
                return again  # refreshed by another process first
            answer = error.api_error.response.get("error")
            logger.warning("Refreshing the token of team=%s failed: %s", team, answer)
            return self._unless_expired(current)
        except SLACK_FAILURES as error:
            logger.warning("Refreshing the token of team=%s failed: %s", team, type(error).__name__)
            return self._unless_expired(current)
        if bot is None or bot.bot_token_expires_at is None:
            logger.warning("Refreshing the token of team=%s gave no bot token", team)
            return self._unless_expired(current)
        refreshed = replace(
            current,
            bot_token=bot.bot_token,
            bot_refresh_token=bot.bot_refresh_token or "",
            bot_token_expires_at=datetime.fromtimestamp(bot.bot_token_expires_at, UTC),
        )
        self._store.save_installation(refreshed)
        logger.info("Refreshed the bot token of team=%s", team)
        return refreshed

    def _unless_expired(self, current: Installation) -> Installation | None:
        # Due is not expired: the old token still works until its time is up.
        expires_at = current.bot_token_expires_at
        if expires_at is not None and expires_at.timestamp() > self._clock():
            return current
        return None


class InstallAuthorize(Authorize):
    """Bolt's authorize step in multi-workspace mode: the request's install, from the database.

    Unlike Bolt's InstallationStoreAuthorize, no auth.test goes before the ack: the install
    already holds the bot's ids from the day it was made.
    """

    def __init__(self, tokens: Tokens) -> None:
        self._tokens = tokens

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        """The request's install as Bolt's AuthorizeResult, or None (Bolt then refuses)."""
        who = Requester(
            team_id=team_id or "", user_id=user_id or "", enterprise_id=enterprise_id or ""
        )
        # A StoreError reaches the app's error handler (bot.app): the database, not "not installed".
        installation = self._tokens.install_of(who)
        if installation is None:
            logger.info("No install for team=%s enterprise=%s", who.team_id, who.enterprise_id)
            return None
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_id=installation.bot_id,
            bot_user_id=installation.bot_user_id,
            bot_token=installation.bot_token,
            bot_scopes=installation.bot_scopes,
            user_id=user_id,
        )
