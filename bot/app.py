"""create_app: wires settings and dependencies into the bot; wiring only."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from slack_bolt import App, Respond
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.accounts import Accounts, AccountSource, LinkStore
from bot.audit import AuditPurger, Purgeable
from bot.config import Settings
from bot.connect import ConnectLinks, LinkKeeper
from bot.domain import AuditRecord, Requester, StoreError, StoreUnavailable
from bot.lanes import MAX_WAIT, Seats
from bot.pins import RETRY_BUDGET, AuditLog, Pacer, PinService, PinSource
from bot.rescue.models import RESCUE_INTERVAL, Account
from bot.slack.blocks.outcomes import store_failure
from bot.slack.deps import SlackDeps
from bot.slack.flows import refresh_home, tell_connected
from bot.slack.follow import SessionNews
from bot.slack.io.delivery import Delivery
from bot.slack.io.users import Lookups, profile_email
from bot.slack.listeners import register
from bot.watch import Watcher
from bot.watch_ports import WatchRescue, WatchStore
from bot.workspaces import Policies, WorkspaceStore

if TYPE_CHECKING:
    from bot.rescue.client import RescueClient
    from bot.store import Store

logger = logging.getLogger(__name__)

# views.open must finish while the trigger is fresh (3 s), so a slow Slack is cut short.
ACK_PATH_TIMEOUT = 5
DELIVERY_TIMEOUT = 10
# Bolt runs listeners on this pool; each holds a thread only for a views.open call.
LISTENER_THREADS = 16
HISTORY_LENGTH = 10
LOOKUP_TIMEOUT = 1
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


@dataclass(frozen=True)
class Lenspin:
    """The assembled bot: the Bolt app to serve, and what to stop when the process ends."""

    bolt: App
    pins: PinService
    background: ThreadPoolExecutor
    purger: AuditPurger
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
    workspaces: WorkspaceStore | None = None,
    pin_workers: int = 8,
) -> Lenspin:
    """Build the bot for these settings, with Rescue and the store handed in.

    workspaces: installs and each workspace's settings, serving several workspaces.
    """
    # Listeners open modals with this client: no retry may sleep inside Slack's 3 s.
    client = WebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=ACK_PATH_TIMEOUT
    )
    # Answers travel after ack(), on PIN threads, where honouring Retry-After is right.
    delivery_client = WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=DELIVERY_TIMEOUT,
        retry_handlers=[
            # The attempt count is shared by the handlers: 2 lets a 429 and then a 500 both retry.
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )
    bolt_logger = logging.getLogger("slack_bolt.App")
    bolt_logger.addFilter(_QUIET)
    app = App(
        signing_secret=settings.slack_signing_secret,
        client=client,
        # A static answer instead of Bolt's auth.test, which would put a Slack round trip
        # in front of the first ack after every start.
        authorize=_static_authorize(settings.slack_bot_token),
        listener_executor=ThreadPoolExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="lenspin-bolt"
        ),
    )
    app.error(_answer_store_faults)
    policies = Policies(workspaces, settings.policy, multi=settings.multi_workspace)
    accounts = Accounts(
        links=store,
        rescue=rescue,
        policy_of=policies.for_,
        sso_ids=settings.sso_ids,
        sso_id_of=lambda who: profile_email(delivery_client, who.user_id),
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
    delivery = Delivery(delivery_client, slack_api_url=settings.slack_api_url)
    news = SessionNews(
        delivery,
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
        delivery=delivery,
        accounts=accounts,
        policies=policies,
        history=lambda team, user: store.recent_requests(team, user, limit=HISTORY_LENGTH),
        background=lambda work: _run_logged(background, work),
        client=delivery_client,
        # Asked while the trigger is fresh: a slow answer is dropped, not waited for.
        lookups=Lookups(
            WebClient(
                token=settings.slack_bot_token,
                base_url=settings.slack_api_url,
                timeout=LOOKUP_TIMEOUT,
            )
        ),
        previous_request=store.get_request,
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
    # Start-up objects (zeep's WSDL, SQLAlchemy, Bolt, the modules) live as long as the
    # process, yet each full collection walked all of them with the GIL held: about 60 ms,
    # every 2,000 requests or so, during which no request in the worker moved.
    gc.collect()
    gc.freeze()


def rescue_client(settings: Settings) -> RescueClient:
    """The real Rescue client for these settings (entry points only: it loads zeep)."""
    from bot.rescue.client import RescueClient  # noqa: PLC0415

    return RescueClient(
        api_url=settings.rescue_api_url,
        soap_version=settings.rescue_soap_version,
        timeout=settings.rescue_timeout,
    )


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
