"""What the Slack layer needs from the rest of lenspin, handed in by create_app."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.accounts import Accounts
from bot.config import Settings
from bot.connect import ConnectLinks
from bot.domain import AuditRecord, Workspace
from bot.pins import PinService
from bot.slack.clients import Clients
from bot.watch import Watcher
from bot.workspaces import Policies


@dataclass(frozen=True)
class SlackDeps:
    """The services listeners call; nothing here is built by the Slack layer itself."""

    settings: Settings
    pins: PinService
    # Each workspace's Slack for work after the ack (deliveries, the Home tab, names).
    clients: Clients
    accounts: Accounts
    # Each request's workspace settings (the environment's, serving one workspace).
    policies: Policies
    # A technician's recent requests (team, user), newest first.
    history: Callable[[str, str], Sequence[AuditRecord]]
    # Runs slow work (Rescue, the database) away from Bolt's ack threads.
    background: Callable[[Callable[[], None]], None]
    # One of the user's own earlier requests by its audit id (id, team, user), or None.
    previous_request: Callable[[int, str, str], AuditRecord | None]
    # Deletes what lenspin keeps for a workspace that uninstalled it (slow: in the background).
    forget_workspace: Callable[[Workspace], None]
    # Links to lenspin's own connect page; None without LENSPIN_PUBLIC_URL (or linking off).
    connect_links: ConnectLinks | None = None
    # Follows each delivered PIN's session (LENSPIN_WATCH); None in tests that need no watching.
    watcher: Watcher | None = None
