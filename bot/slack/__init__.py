"""The Slack layer: Bolt handlers and Block Kit; knows nothing of zeep."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App

from bot.config import Settings
from bot.pins import PinService
from bot.slack import ids
from bot.slack.commands import PinCommand
from bot.slack.delivery import Delivery
from bot.slack.submissions import PinSubmission


@dataclass(frozen=True)
class SlackDeps:
    """What the handlers need from the rest of the bot."""

    settings: Settings
    pins: PinService
    delivery: Delivery


def register(app: App, deps: SlackDeps) -> None:
    """The whole routing table: every command, view and action lenspin answers."""
    app.command(ids.COMMAND)(PinCommand(deps.settings).handle)
    app.view_submission(ids.PIN_MODAL)(
        PinSubmission(deps.settings, deps.pins, deps.delivery).handle
    )
