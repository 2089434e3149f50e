"""What Slack knows about a user that the bot needs: their profile email for single sign-on,
their name, and whether they are an admin of their workspace."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.slack.io import SLACK_FAILURES

logger = logging.getLogger(__name__)


def profile_email(client: WebClient, user_id: str) -> str | None:
    """The user's profile email (needs users:read.email), or None when Slack won't say."""
    user = _user(client, user_id)
    email = (user.get("profile") or {}).get("email")
    return email if isinstance(email, str) and email else None


def _user(client: WebClient, user_id: str) -> dict[str, Any]:
    """users.info's user object, or {} when Slack won't say."""
    try:
        response = client.users_info(user=user_id)
    except SLACK_FAILURES as error:
        logger.warning("users.info for user=%s failed: %s", user_id, type(error).__name__)
        return {}
    user = response.get("user")
    return user if isinstance(user, dict) else {}


def _has_role(user: dict[str, Any]) -> bool:
    return any(user.get(role) is True for role in ("is_admin", "is_owner", "is_primary_owner"))


class Lookups:
    """Quick questions to Slack before a modal opens, each cut short so the trigger stays fresh."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def is_admin(self, user_id: str, *, team_id: str = "", enterprise_id: str = "") -> bool | None:
        """True for an admin or owner of the workspace team_id, as users.info says; None if it
        won't say. With enterprise_id and no team_id (an org-wide install): of the whole org."""
        user = _user(self._client, user_id)
        if user.get("id") != user_id:
            return None
        if user.get("deleted"):
            return False
        grid = user.get("enterprise_user")
        grid = grid if isinstance(grid, dict) else {}
        if enterprise_id and not team_id:
            # A workspace's admin is not the org's: only the org's may change what all share.
            return grid.get("enterprise_id") == enterprise_id and _has_role(grid)
        if team_id and team_id != user.get("team_id") and team_id not in (grid.get("teams") or []):
            # Someone of another workspace (a shared channel's): their roles are theirs only.
            return False
        return _has_role(user)

    def real_name(self, user_id: str) -> str | None:
        """The user's real name (needs users:read), or None."""
        user = _user(self._client, user_id)
        profile = user.get("profile") or {}
        name = profile.get("real_name") or user.get("real_name") or profile.get("display_name")
        return name if isinstance(name, str) and name.strip() else None

    def team_name(self) -> str | None:
        """The workspace's name, as Slack tells the bot's own token (auth.test), or None."""
        try:
            response = self._client.auth_test()
        except SLACK_FAILURES as error:
            logger.warning("auth.test failed: %s", type(error).__name__)
            return None
        name = response.get("team")
        return name if isinstance(name, str) and name.strip() else None

    def permalink(self, channel_id: str, message_ts: str) -> str | None:
        """A link to the message, or None."""
        try:
            response = self._client.chat_getPermalink(channel=channel_id, message_ts=message_ts)
        except SLACK_FAILURES as error:
            logger.warning("chat.getPermalink failed: %s", type(error).__name__)
            return None
        link = response.get("permalink")
        return link if isinstance(link, str) else None
