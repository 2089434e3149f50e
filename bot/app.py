"""create_app: wires settings and dependencies into the bot; wiring only."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from slack_bolt import App, Respond

from bot.accounts import Accounts, AccountSource, LinkStore
from bot.audit import AuditPurger, Purgeable
from bot.config import INSTALL_PATH, Settings, database_unreachable
from bot.connect import ConnectLinks, LinkKeeper
from bot.domain import AuditRecord, Requester, StoreError, StoreUnavailable
from bot.lanes import MAX_WAIT, Seats
from bot.page.install_pages import InstallPages
from bot.pins import RETRY_BUDGET, AuditLog, Pacer, PinService, PinSource
from bot.rescue.models import RESCUE_INTERVAL, Account
from bot.slack.blocks.outcomes import store_failure
from bot.slack.bolt import multi_workspace, single_workspace
from bot.slack.clients import Clients
from bot.slack.deps import SlackDeps
from bot.slack.flows import refresh_home, tell_connected
from bot.slack.follow import SessionNews
from bot.slack.io.delivery import Delivery
from bot.slack.io.users import profile_email
from bot.slack.listeners import register
from bot.watch import Watcher
from bot.watch_ports import WatchRescue, WatchStore
from bot.workspaces import Policies, WorkspaceStore

if TYPE_CHECKING:
    from bot.rescue.client import RescueClient
    from bot.store import Store

logger = logging.getLogger(__name__)

HISTORY_LENGTH = 10
# Beyond the longest a request can live (its wait, its retries, Rescue's answer to the last):
# time to record it and for the pacer's last turn.
SEAT_MARGIN = 30.0
WATCH_LEASE_MARGIN = 60.0


class RescueApi(PinSource, AccountSource, WatchRescue, Protocol):
    """Every Rescue operation the bot uses (bot.rescue.client.RescueClient, or a stand-in)."""


class StoreApi(LinkStore, AuditLog, Purgeable, Protocol):
    """Everything the bot keeps (bot.store.Store, or an in-memory double in tests)."""

    def recent_requests(self, team_id: str, user_id: str, limit: int = 10) -> list[AuditRecord]:
        """The user's latest requests, newest first."""
        ...

    def get_request(self, request_id: int, team_id: str, user_id: str) -> AuditRecord | None:
        """One of the user's own requests by id, or None."""
        ...

    def pacer(self, *, interval: float, sleep: Callable[[float], None]) -> Pacer:
        """A pacer shared by every process using this store."""
        ...

    def seats(self, *, lifetime: float) -> Seats:
        """Places in line counted for every process using this store; older ones expire."""
        ...

    def connect_links(self) -> LinkKeeper:
        """Links to the connect page, shared by every process using this store."""
        ...

    def watches(self) -> WatchStore:
        """Watched PINs and each watched queue's turn, shared by every process (bot.watch)."""
        ...

    def workspaces(self) -> WorkspaceStore:
        """Installs, OAuth states and each workspace's settings (serving several workspaces)."""
        ...


@dataclass(frozen=True)
class Lenspin:
    """The assembled bot: the Bolt app to serve, and what to stop when the process ends."""

    bolt: App
    pins: PinService
    background: ThreadPoolExecutor
    purger: AuditPurger
    # Each workspace's settings (the environment's, with one workspace).
    policies: Policies
    # The connect page's links and what tells Slack of a connection; None without the page.
    connect_links: ConnectLinks | None = None
    connected: Callable[[Requester, Account], None] = lambda who, account: None
    watcher: Watcher | None = None

    def shutdown(self) -> None:
        """Finish the PIN requests under way and answer the queued ones before exiting."""
        self.purger.stop()
        self.pins.shutdown()
        # After the PINs: those delivered while stopping are watched too (by the next process).
        if self.watcher is not None:
            self.watcher.stop()
        self.background.shutdown(wait=True)


def create_app(
    settings: Settings,
    *,
    rescue: RescueApi,
    store: StoreApi,
    pin_workers: int = 8,
) -> Lenspin:
    """Build the bot for these settings, with Rescue and the store handed in."""
    if settings.multi_workspace:
        # Every workspace that installs lenspin, each request with its install's token.
        screens = InstallPages(install_path=INSTALL_PATH)
        app, clients = multi_workspace(settings, store.workspaces(), screens)
    else:
        app, clients = single_workspace(settings)
    app.error(_answer_store_faults)
    policies = Policies(
        store.workspaces() if settings.multi_workspace else None,
        settings.policy,
        multi=settings.multi_workspace,
    )
    accounts = Accounts(
        links=store,
        rescue=rescue,
        policy_of=policies.for_,
        sso_ids=settings.sso_ids,
        sso_id_of=lambda who: _profile_email(clients, who),
        linking=settings.linking,
    )
    pins = PinService(
        rescue,
        credentials=accounts,
        audit=store,
        # Paced through the database, so every process and machine sharing it keeps one pace.
        pacer=lambda sleep: store.pacer(interval=RESCUE_INTERVAL, sleep=sleep),
        workers=pin_workers,
        # The cap on each technician's requests in line holds across processes too.
        seats=store.seats(lifetime=MAX_WAIT + RETRY_BUDGET + settings.rescue_timeout + SEAT_MARGIN),
    )
    background = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lenspin-bg")
    connect_links = (
        ConnectLinks(
            store.connect_links(),
            accounts,
            public_url=settings.public_url,
            # Ties each page's form to its link under a secret only this deployment knows.
            form_secret=settings.slack_signing_secret,
        )
        if settings.connect_page
        else None
    )
    news = SessionNews(
        lambda who: _delivery(clients, who),
        validity=settings.pin_validity,
        # deps is bound below, before the watcher starts and anything can change.
        refresh=lambda watch: deps.background(lambda: refresh_home(deps, watch.requester)),
    )
    watcher = Watcher(
        store.watches(),
        rescue,
        refusals=accounts,
        on_change=news.on_change,
        interval=settings.watch_interval,
        validity=settings.pin_validity,
        enabled=settings.watch,
        # Longer than one getSession_V3 can take, so a live process never loses its lease.
        lease=settings.rescue_timeout + WATCH_LEASE_MARGIN,
    )
    deps = SlackDeps(
        settings=settings,
        pins=pins,
        clients=clients,
        accounts=accounts,
        policies=policies,
        history=lambda team, user: store.recent_requests(team, user, limit=HISTORY_LENGTH),
        background=lambda work: _run_logged(background, work),
        previous_request=store.get_request,
        # Read when an uninstall comes: a single workspace's store needs no more until then.
        forget_workspace=lambda workspace: store.workspaces().forget_workspace(workspace),
        connect_links=connect_links,
        watcher=watcher,
    )
    register(app, deps)
    purger = AuditPurger(
        store,
        days=settings.audit_days,
        retentions=policies.retentions if policies.multi else None,
    )
    purger.start()
    watcher.start()
    return Lenspin(
        bolt=app,
        pins=pins,
        background=background,
        purger=purger,
        connect_links=connect_links,
        connected=lambda who, account: tell_connected(deps, who, account),
        watcher=watcher,
        policies=policies,
    )


def _answer_store_faults(error: Exception, respond: Respond | None, logger: logging.Logger) -> None:
    """Bolt's last word on a listener that raised: logged, and told if the database failed."""
    if not isinstance(error, StoreError):
        logger.exception("Failed to run listener function (error: %s)", error)
        return
    # Expected while the database is down or the key is wrong: the message says enough.
    logger.warning("A listener could not use the database: %s", error)
    if respond is None:
        return
    try:
        respond(text=store_failure(error), response_type="ephemeral")
    except Exception:
        # Raising here would also make Bolt forget the ack it already sent.
        logger.exception("Could not tell the user the database failed")


def _delivery(clients: Clients, who: Requester) -> Delivery | None:
    side = clients.for_(who)
    return None if side is None else side.delivery


def _profile_email(clients: Clients, who: Requester) -> str | None:
    side = clients.for_(who)
    return None if side is None else profile_email(side.client, who.user_id)


def _run_logged(executor: ThreadPoolExecutor, work: Callable[[], None]) -> None:
    def run() -> None:
        try:
            work()
        except StoreError as error:
            # Expected while the database is down or the key is wrong: the message says enough.
            logger.warning("Background work could not use the database: %s", error)
        except Exception:
            logger.exception("Background work failed")

    executor.submit(run)


def open_store(settings: Settings, *, check_key: bool = True) -> Store:
    """The store for these settings, checked before anything relies on it.

    Raises SchemaOutdated unless it is migrated, SecretUnreadable if LENSPIN_ENCRYPTION_KEY
    cannot decrypt what is stored (unless check_key is False), StoreUnavailable if the
    database does not answer.
    """
    from bot.store import Keyring, Store  # noqa: PLC0415

    store = Store.from_url(settings.database_url, Keyring.from_setting(settings.encryption_key))
    store.check_schema()
    if check_key:
        store.check_key()
    return store


def start_refusal(error: Exception) -> str | None:
    """What an admin reads when open_store raises error; None for an error it does not raise."""
    from bot.store import DatabaseError, SchemaOutdated  # noqa: PLC0415 (see open_store)

    if isinstance(error, SchemaOutdated):
        return str(error)
    if isinstance(error, StoreError):
        return store_refusal(error)
    if isinstance(error, DatabaseError):
        return database_unreachable(error)
    return None


def database_away(error: Exception) -> bool:
    """Whether open_store's error says the database is out of reach, not wrong."""
    from bot.store import DatabaseError  # noqa: PLC0415 (see open_store)

    return isinstance(error, StoreUnavailable | DatabaseError)


def store_refusal(error: StoreError) -> str:
    """What an admin reads when open_store fails on the database or the key."""
    if isinstance(error, StoreUnavailable):
        # The message is ours ("did not answer within 3 s", or the driver error's name).
        return (
            f"lenspin cannot use its database: {error}. Check DATABASE_URL and that the "
            "database is running and not overloaded, then start lenspin again."
        )
    return str(error)


def freeze_startup_heap() -> None:
    """Keep everything built so far out of later garbage collections (entry points only)."""
    # Start-up objects (SQLAlchemy, Bolt, the modules) live as long as the process, yet each
    # full collection walked all of them with the GIL held: about 60 ms, every 2,000 requests
    # or so, during which no request in the worker moved. Only the young generations are
    # collected first: a full collection here took 40-50 ms of every start and found nothing
    # more (the imports' garbage is gone by the time it reaches the oldest generation).
    gc.collect(1)
    gc.freeze()


def rescue_client(settings: Settings) -> RescueClient:
    """The real Rescue client for these settings (entry points only: it loads zeep)."""
    from bot.rescue.client import RescueClient  # noqa: PLC0415

    return RescueClient(
        api_url=settings.rescue_api_url,
        soap_version=settings.rescue_soap_version,
        timeout=settings.rescue_timeout,
    )
