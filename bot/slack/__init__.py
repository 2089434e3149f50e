"""The Slack layer: Bolt handlers and Block Kit; knows nothing of zeep."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient

from bot.accounts import Accounts
from bot.config import Settings
from bot.pins import PinService
from bot.slack import ids
from bot.slack.commands import LenspinCommand
from bot.slack.connect import ConnectSubmission
from bot.slack.delivery import Delivery
from bot.slack.home import Home
from bot.slack.messages import HistoryEntry
from bot.slack.submissions import PinSubmission


@dataclass(frozen=True)
class SlackDeps:
    """What the handlers need from the rest of the bot."""

    settings: Settings
    pins: PinService
    delivery: Delivery
    accounts: Accounts
    # A technician's recent requests, newest first.
    history: Callable[[str, str], Sequence[HistoryEntry]]
    # Runs slow work (Rescue, the database) away from Bolt's ack threads.
    background: Callable[[Callable[[], None]], None]
    # For calls made from background work, with retries that may wait.
    client: WebClient


def register(app: App, deps: SlackDeps) -> None:
    """The whole routing table: every command, view, action and event lenspin answers."""
    home = Home(deps)
    app.command(ids.COMMAND)(LenspinCommand(deps).handle)
    app.view_submission(ids.PIN_MODAL)(
        PinSubmission(deps.settings, deps.pins, deps.delivery).handle
    )
    app.view_submission(ids.CONNECT_MODAL)(ConnectSubmission(deps, home.refresh).handle)
    app.event("app_home_opened")(home.opened)
    app.action(ids.HOME_CONNECT_ACTION)(home.connect_clicked)
    app.action(ids.HOME_DISCONNECT_ACTION)(home.disconnect_clicked)
