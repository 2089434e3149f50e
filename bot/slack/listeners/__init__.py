"""Bolt listeners, one module per kind; register() below is the whole routing table."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import SlackDeps
from bot.slack.listeners import actions, commands, events, shortcuts, views


def register(app: App, deps: SlackDeps) -> None:
    """Every command, view, action, shortcut and event lenspin answers, group by group."""
    commands.register(app, deps)  # /lenspin [help|connect|status|disconnect|history|Name]
    views.register(app, deps)  # PIN, connect and settings form submissions
    actions.register(app, deps)  # Home: Connect, Disconnect, Change settings; Share, New PIN
    shortcuts.register(app, deps)  # message shortcut, global shortcut
    events.register(app, deps)  # app_home_opened, app_uninstalled, tokens_revoked
