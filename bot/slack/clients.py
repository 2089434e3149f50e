"""Slack clients for work after the ack, with the token of the workspace the work is for."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.domain import Installation, Requester
from bot.slack.io.delivery import Delivery
from bot.slack.io.users import Lookups

logger = logging.getLogger(__name__)

# Answers travel after ack(), on lenspin's own threads, where honouring Retry-After is right.
DELIVERY_TIMEOUT = 10
# Quick questions to Slack while a trigger is fresh: a slow answer is dropped, not waited for.
LOOKUP_TIMEOUT = 1


@dataclass(frozen=True)
class SlackSide:
    """One workspace's Slack, for work after the ack: calls, deliveries and quick questions."""

    # For calls made from background work, with retries that may wait.
    client: WebClient
    delivery: Delivery
    lookups: Lookups


def side_for(token: str, *, slack_api_url: str) -> SlackSide:
    """The clients of one bot token."""
    client = WebClient(
        token=token,
        base_url=slack_api_url,
        timeout=DELIVERY_TIMEOUT,
        retry_handlers=[
            # The attempt count is shared by the handlers: 2 lets a 429 and then a 500 both retry.
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )
    return SlackSide(
        client=client,
        delivery=Delivery(client, slack_api_url=slack_api_url),
        lookups=Lookups(WebClient(token=token, base_url=slack_api_url, timeout=LOOKUP_TIMEOUT)),
    )


def quick_lookups(client: WebClient) -> Lookups:
    """Lookups with a listener's own client (the request's token), cut short for its trigger."""
    return Lookups(WebClient(token=client.token, base_url=client.base_url, timeout=LOOKUP_TIMEOUT))


class Clients:
    """Which Slack a piece of work talks to: the one workspace's, or the install's of who."""

    def __init__(
        self,
        *,
        slack_api_url: str,
        fixed: SlackSide | None = None,
        install_of: Callable[[Requester], Installation | None] | None = None,
    ) -> None:
        self._slack_api_url = slack_api_url
        self._fixed = fixed
        self._install_of = install_of

    @classmethod
    def single(cls, token: str, *, slack_api_url: str) -> Clients:
        """One workspace (SLACK_BOT_TOKEN): the same clients for everyone, built once."""
        return cls(slack_api_url=slack_api_url, fixed=side_for(token, slack_api_url=slack_api_url))

    @classmethod
    def installed(
        cls, install_of: Callable[[Requester], Installation | None], *, slack_api_url: str
    ) -> Clients:
        """Every workspace that installed lenspin: each with its install's (fresh) token."""
        return cls(slack_api_url=slack_api_url, install_of=install_of)

    def for_(self, who: Requester) -> SlackSide | None:
        """The clients for work on who's behalf; None when their workspace has no install now.

        Raises the StoreError that kept the install from being read.
        """
        if self._fixed is not None:
            return self._fixed
        installation = self._install_of(who) if self._install_of is not None else None
        if installation is None:
            # Uninstalled (or its token could not be refreshed) since the work began.
            logger.info(
                "No install for team=%s enterprise=%s: its work is dropped",
                who.team_id,
                who.enterprise_id,
            )
            return None
        return side_for(installation.bot_token, slack_api_url=self._slack_api_url)
