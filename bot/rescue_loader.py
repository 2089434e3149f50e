"""The Rescue client, built on a thread once the worker serves: zeep stays off the first ack."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.rescue.errors import Unavailable
from bot.rescue.models import Account, Pin, PinRequest, QueueSession

if TYPE_CHECKING:
    from bot.app import RescueApi

logger = logging.getLogger(__name__)


class DeferredRescue:
    """Every Rescue operation the bot uses, answered by a client a thread builds after start-up.

    Importing zeep and parsing the WSDL take about 0.1 s of a worker's start, which acks and
    the modal never need; the first call to Rescue waits for the client, up to wait seconds.
    """

    def __init__(
        self,
        build: Callable[[], RescueApi],
        *,
        wait: float,
        then: Callable[[], None] = lambda: None,
    ) -> None:
        self._build = build
        self._wait = wait
        # Run on the thread once the client is built (the entry point freezes its objects).
        self._then = then
        self._ready = threading.Event()
        self._client: RescueApi | None = None

    def start(self) -> DeferredRescue:
        """Build the client on a thread of its own; return at once."""
        thread = threading.Thread(target=self._load, name="lenspin-rescue-load", daemon=True)
        thread.start()
        return self

    def _load(self) -> None:
        try:
            self._client = self._build()
            self._then()
        except Exception:
            # The shipped WSDL and checked settings make this a bug, not a state to wait out.
            logger.exception("The Rescue client could not be built")
        finally:
            self._ready.set()

    def _ready_client(self) -> RescueApi:
        if not self._ready.wait(self._wait):
            raise Unavailable("the Rescue client is still loading")
        if self._client is None:
            raise Unavailable("the Rescue client could not be built")
        return self._client

    def request_lens_pin(self, request: PinRequest, *, auth_code: str) -> Pin:
        """RescueClient.request_lens_pin, once the client is built."""
        return self._ready_client().request_lens_pin(request, auth_code=auth_code)

    def request_auth_code(self, *, email: str, password: str) -> str:
        """RescueClient.request_auth_code, once the client is built."""
        return self._ready_client().request_auth_code(email=email, password=password)

    def request_auth_code_sso(self, *, sso_id: str, password: str, company_id: str) -> str:
        """RescueClient.request_auth_code_sso, once the client is built."""
        return self._ready_client().request_auth_code_sso(
            sso_id=sso_id, password=password, company_id=company_id
        )

    def get_account(self, auth_code: str) -> Account:
        """RescueClient.get_account, once the client is built."""
        return self._ready_client().get_account(auth_code)

    def get_sessions(self, auth_code: str, node_id: int) -> list[QueueSession]:
        """RescueClient.get_sessions, once the client is built."""
        return self._ready_client().get_sessions(auth_code, node_id)
