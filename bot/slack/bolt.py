"""The Bolt app of each mode: one workspace's fixed token, or every install's through OAuth."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_sdk import WebClient
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.config import Settings
from bot.slack.clients import Clients
from bot.slack.oauth import InstallScreens, install_flow
from bot.slack.tokens import InstallAuthorize, Tokens
from bot.texts import install as install_texts
from bot.workspaces import WorkspaceStore

# views.open must finish while the trigger is fresh (3 s), so a slow Slack is cut short.
ACK_PATH_TIMEOUT = 5
# Bolt runs listeners on this pool; each holds a thread only for a views.open call.
LISTENER_THREADS = 16
# The code's exchange (oauth.v2.access, then auth.test) while the admin's browser waits.
OAUTH_TIMEOUT = 10
# A refresh may run before a request's ack; one that is slow is tried again on a later
# request, as the old token works until it expires (refreshes start 2 hours before).
ROTATION_TIMEOUT = 2


def request_client(settings: Settings) -> WebClient:
    """Bolt's client, which it copies for each request with that request's token."""
    # Listeners open modals with it: no retry may sleep inside Slack's 3 s.
    return WebClient(
        token=settings.slack_bot_token or None,
        base_url=settings.slack_api_url,
        timeout=ACK_PATH_TIMEOUT,
    )


def _listener_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="lenspin-bolt")


def single_workspace(settings: Settings) -> tuple[App, Clients]:
    """SLACK_BOT_TOKEN's workspace: Bolt and the background clients on that one token."""
    logging.getLogger("slack_bolt.App").addFilter(_QUIET)
    app = App(
        signing_secret=settings.slack_signing_secret,
        client=request_client(settings),
        # A static answer instead of Bolt's auth.test, which would put a Slack round trip
        # in front of the first ack after every start.
        authorize=_static_authorize(settings.slack_bot_token),
        listener_executor=_listener_pool(),
    )
    return app, Clients.single(settings.slack_bot_token, slack_api_url=settings.slack_api_url)


def multi_workspace(
    settings: Settings, workspaces: WorkspaceStore, screens: InstallScreens
) -> tuple[App, Clients]:
    """Every workspace that installs lenspin: 'Add to Slack', and each request on its install."""
    rotator = TokenRotator(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        # Refreshes go through SLACK_API_URL like every other call (Bolt's would go to slack.com).
        client=WebClient(base_url=settings.slack_api_url, timeout=ROTATION_TIMEOUT),
    )
    tokens = Tokens(workspaces, rotator)
    flow = install_flow(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        public_url=settings.public_url,
        authorize_url=settings.slack_oauth_authorize_url,
        workspaces=workspaces,
        client=WebClient(base_url=settings.slack_api_url, timeout=OAUTH_TIMEOUT),
        screens=screens,
    )
    app = App(
        signing_secret=settings.slack_signing_secret,
        client=request_client(settings),
        oauth_flow=flow,
        # The install's token and ids from the database (refreshed when due), no auth.test.
        # Bolt takes an Authorize as it is (isinstance), whatever App's annotation says.
        authorize=InstallAuthorize(tokens),  # type: ignore[arg-type]
        user_facing_authorize_error_message=install_texts.NOT_INSTALLED,
        listener_executor=_listener_pool(),
    )
    return app, Clients.installed(tokens.install_of, slack_api_url=settings.slack_api_url)


def _static_authorize(bot_token: str) -> Callable[..., AuthorizeResult]:
    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=bot_token)

    return authorize


class _ExpectedBoltWarnings(logging.Filter):
    """Drops Bolt's notes that SLACK_BOT_TOKEN goes unused: we hand it a client on purpose."""

    _EXPECTED = frozenset((warning_client_prioritized_and_token_skipped(), warning_token_skipped()))

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self._EXPECTED


_QUIET = _ExpectedBoltWarnings()
