"""The Slack layer: Bolt handlers and Block Kit; knows nothing of zeep."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

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
from bot.slack.pin_actions import PinActions
from bot.slack.shortcuts import Shortcuts
from bot.slack.submissions import PinSubmission
from bot.slack.users import Lookups


class PreviousRequest(HistoryEntry, Protocol):
    """An earlier request as the 'New PIN for the same customer' button needs it."""

    custom1: str
    custom2: str
    custom3: str
    custom4: str
    custom5: str
    tracking: str
    no_tech_console: bool


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
    # Quick questions to Slack before a modal opens (names, permalinks).
    lookups: Lookups
    # One of the user's own earlier requests by its audit id, or None.
    previous_request: Callable[[int, str, str], PreviousRequest | None]


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
    pin_actions = PinActions(deps)
    app.action(ids.SHARE_ACTION)(pin_actions.share)
    app.action(ids.AGAIN_ACTION)(pin_actions.again)
    shortcuts = Shortcuts(deps)
    app.shortcut(ids.MESSAGE_SHORTCUT)(shortcuts.from_message)
    app.shortcut(ids.GLOBAL_SHORTCUT)(shortcuts.anywhere)
