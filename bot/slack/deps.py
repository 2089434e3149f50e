"""What the Slack layer needs from the rest of lenspin, handed in by create_app."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.accounts import Accounts
from bot.config import Settings
from bot.connect import ConnectLinks
from bot.domain import AuditRecord
from bot.pins import PinService
from bot.slack.io.delivery import Delivery
from bot.slack.io.users import Lookups
from bot.watch import Watcher
from bot.workspaces import Policies


@dataclass(frozen=True)
class SlackDeps:
    """The services listeners call; nothing here is built by the Slack layer itself."""

    settings: Settings
    pins: PinService
    delivery: Delivery
    accounts: Accounts
    # Each request's workspace settings (the environment's, serving one workspace).
    policies: Policies
    # A technician's recent requests (team, user), newest first.
    history: Callable[[str, str], Sequence[AuditRecord]]
    # Runs slow work (Rescue, the database) away from Bolt's ack threads.
    background: Callable[[Callable[[], None]], None]
    # For calls made from background work, with retries that may wait.
    client: WebClient
    # Quick questions to Slack before a modal opens (names, permalinks).
    lookups: Lookups
    # One of the user's own earlier requests by its audit id (id, team, user), or None.
    previous_request: Callable[[int, str, str], AuditRecord | None]
    # Links to lenspin's own connect page; None without LENSPIN_PUBLIC_URL (or linking off).
    connect_links: ConnectLinks | None = None
    # Follows each delivered PIN's session (LENSPIN_WATCH); None in tests that need no watching.
    watcher: Watcher | None = None
