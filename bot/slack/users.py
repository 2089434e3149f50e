"""What Slack knows about a user that the bot needs: their profile email, for single sign-on."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

logger = logging.getLogger(__name__)


def profile_email(client: WebClient, user_id: str) -> str | None:
    """The user's profile email (needs users:read.email), or None when Slack won't say."""
    try:
        response = client.users_info(user=user_id)
    except (SlackApiError, SlackClientError, OSError) as error:
        logger.warning("users.info for user=%s failed: %s", user_id, type(error).__name__)
        return None
    email = ((response.get("user") or {}).get("profile") or {}).get("email")
    return email if isinstance(email, str) and email else None
