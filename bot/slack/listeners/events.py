"""Events lenspin subscribes to: the Home tab opened, lenspin uninstalled or its token revoked."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from bot.domain import Workspace
from bot.slack.deps import SlackDeps
from bot.slack.flows import refresh_home, request_lookups
from bot.slack.who import installed_workspace, requester

logger = logging.getLogger(__name__)


def register(app: App, deps: SlackDeps) -> None:
    """Route app_home_opened, app_uninstalled and tokens_revoked here."""

    def home_opened(event: dict[str, Any], context: BoltContext) -> None:
        """Publish a fresh Home tab, off Bolt's threads."""
        if event.get("tab", "home") != "home":
            return
        who, lookups = requester(context), request_lookups(deps, context)
        deps.background(lambda: refresh_home(deps, who, lookups))

    def forget(workspace: Workspace, why: str) -> None:
        """Delete what lenspin keeps for workspace, after the ack (Bolt acks events at once)."""
        logger.info(
            "Forgetting team=%s enterprise=%s: %s",
            workspace.team_id,
            workspace.enterprise_id,
            why,
        )
        deps.background(lambda: deps.forget_workspace(workspace))

    def uninstalled(context: BoltContext) -> None:
        """lenspin was removed from the workspace (or org): its tokens and data go now."""
        forget(installed_workspace(context), "app_uninstalled")

    def revoked(event: dict[str, Any], context: BoltContext) -> None:
        """The bot's token was revoked: without it lenspin can do nothing there, so the same."""
        tokens = event.get("tokens")
        bots = tokens.get("bot") if isinstance(tokens, dict) else None
        # lenspin keeps no user tokens: a revocation of those alone changes nothing here.
        if isinstance(bots, list) and bots:
            forget(installed_workspace(context), "tokens_revoked")

    app.event("app_home_opened")(home_opened)
    # Bolt lets these two through without authorizing them (its no_auth_test_events), in
    # both modes: the install may be gone already.
    app.event("app_uninstalled")(uninstalled)
    app.event("tokens_revoked")(revoked)
