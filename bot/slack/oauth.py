"""'Add to Slack' through Bolt's OAuth flow, with lenspin's own pages and its own database."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Protocol

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation as SdkInstallation

from bot.config import INSTALL_PATH, OAUTH_REDIRECT_PATH
from bot.domain import StoreError
from bot.slack.installs import (
    BOT_SCOPES,
    STATE_LIFETIME,
    WorkspaceInstallations,
    WorkspaceStates,
    to_domain,
)
from bot.slack.io import SLACK_FAILURES
from bot.workspaces import WorkspaceStore

logger = logging.getLogger(__name__)
# Bolt's own lines about the flow: under slack_bolt, so bot.logs holds them to its floor and
# cuts what they quote (a failed exchange's line names the code, which is redacted too).
BOLT_LOGGER = "slack_bolt.OAuthFlow"

# Bolt's reason for a database that failed while the install was saved; ours for any step.
STORAGE_ERROR = "storage_error"
# A reason Slack or Bolt names is a word of lower case and underscores; anything else is
# whatever a visitor put in the query, and is logged as such.
_REASON = re.compile(r"[a-z_]{1,40}")


class InstallScreens(Protocol):
    """The pages an admin sees while installing (bot.page.install_pages.InstallPages)."""

    @property
    def headers(self) -> Sequence[tuple[str, str]]:
        """The headers every page carries (the Content-Security-Policy and the like)."""
        ...

    def add_to_slack(self, authorize_url: str) -> str:
        """The 'Add to Slack' page, its button linking to authorize_url, as HTML."""
        ...

    def installed(self, name: str) -> str:
        """The page saying lenspin is installed in the workspace (or org) called name."""
        ...

    def failed(self, reason: str) -> str:
        """The page saying the install did not happen, for Bolt's or Slack's reason."""
        ...


class InstallFlow(OAuthFlow):
    """Bolt's OAuth flow, answering with lenspin's pages; a database failure is a page too."""

    def __init__(self, *, settings: OAuthSettings, client: WebClient, screens: InstallScreens):
        self._screens = screens
        settings.callback_options = CallbackOptions(success=self._installed, failure=self._failed)
        super().__init__(client=client, logger=logging.getLogger(BOLT_LOGGER), settings=settings)

    def handle_installation(self, request: BoltRequest) -> BoltResponse:
        """The 'Add to Slack' page, with a new state in its link and in a cookie."""
        try:
            response = super().handle_installation(request)
        except StoreError as error:
            logger.warning("The install page could not keep its state: %s", error)
            return self._page(503, self._screens.failed(STORAGE_ERROR))
        return self._with_page_headers(response)

    def handle_callback(self, request: BoltRequest) -> BoltResponse:
        """Slack's redirect back: the state checked, the code exchanged, the install kept."""
        try:
            return super().handle_callback(request)
        except StoreError as error:
            logger.warning("An install could not use the database: %s", error)
            return self._page(503, self._screens.failed(STORAGE_ERROR))

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        """lenspin's own 'Add to Slack' page (Bolt's loads Slack's button image)."""
        return self._screens.add_to_slack(url)

    def run_installation(self, code: str) -> SdkInstallation | None:
        """Exchange the code (oauth.v2.access); None when Slack refused it or did not answer."""
        try:
            return super().run_installation(code)
        except SLACK_FAILURES as error:
            # Bolt catches Slack's refusals only; a time-out or a reset is a refusal here too.
            logger.warning("oauth.v2.access failed: %s", type(error).__name__)
            return None

    def _installed(self, args: SuccessArgs) -> BoltResponse:
        installation = to_domain(args.installation)
        workspace = installation.workspace
        logger.info(
            "Installed in team=%s enterprise=%s", workspace.team_id, workspace.enterprise_id
        )
        return self._page(200, self._screens.installed(installation.name))

    def _failed(self, args: FailureArgs) -> BoltResponse:
        reason = args.reason if _REASON.fullmatch(args.reason) else "unreadable"
        logger.info("An install did not complete: %s", reason)
        status = 503 if reason == STORAGE_ERROR else args.suggested_status_code
        return self._page(status, self._screens.failed(reason))

    def _page(self, status: int, html: str) -> BoltResponse:
        # The state's cookie has done its work (or failed it): the browser forgets it.
        cookie = self.settings.state_utils.build_set_cookie_for_deletion()
        response = BoltResponse(
            status=status,
            body=html,
            headers={"Content-Type": "text/html; charset=utf-8", "Set-Cookie": [cookie]},
        )
        return self._with_page_headers(response)

    def _with_page_headers(self, response: BoltResponse) -> BoltResponse:
        for name, value in self._screens.headers:
            response.headers[name.lower()] = [value]
        return response


def install_flow(
    *,
    client_id: str,
    client_secret: str,
    public_url: str,
    authorize_url: str,
    workspaces: WorkspaceStore,
    client: WebClient,
    screens: InstallScreens,
) -> InstallFlow:
    """Bolt's OAuth flow for lenspin: its scopes, paths, database and pages.

    client makes the token exchange (oauth.v2.access, then auth.test): it must talk to
    SLACK_API_URL with a deadline.
    """
    settings = OAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        # Given, so Bolt reads nothing from the environment.
        user_scopes=[],
        redirect_uri=public_url + OAUTH_REDIRECT_PATH,
        install_path=INSTALL_PATH,
        redirect_uri_path=OAUTH_REDIRECT_PATH,
        authorization_url=authorize_url,
        installation_store=WorkspaceInstallations(workspaces),
        state_store=WorkspaceStates(workspaces),
        state_expiration_seconds=int(STATE_LIFETIME.total_seconds()),
        logger=logging.getLogger(BOLT_LOGGER),
    )
    return InstallFlow(settings=settings, client=client, screens=screens)
