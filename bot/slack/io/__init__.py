"""Slack I/O: the calls to Slack's Web API and response_urls, each with its deadline."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk.errors import SlackApiError, SlackClientError

logger = logging.getLogger(__name__)

# What a Slack call can raise: SlackApiError is a SlackClientError, and sockets raise OSError.
SLACK_FAILURES = (SlackClientError, OSError)


def attempt(method: str, call: Callable[[], object]) -> bool:
    """Make one Web API call; False (logged with Slack's error code, never a body) if it failed."""
    try:
        call()
    except SlackApiError as error:
        logger.warning("%s failed: %s", method, error.response.get("error"))
        return False
    except SLACK_FAILURES as error:
        logger.warning("%s failed: %s", method, type(error).__name__)
        return False
    return True
