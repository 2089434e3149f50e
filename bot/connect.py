"""Links to lenspin's own connect page: issued in Slack, single use, ten minutes, five tries."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.accounts import Accounts
from bot.domain import ConnectLink, Requester
from bot.rescue.errors import RescueError
from bot.rescue.models import Account

logger = logging.getLogger(__name__)

CONNECT_PATH = "/connect/"
LINK_LIFETIME = timedelta(minutes=10)
MOST_TRIES = 5
# 32 random bytes, URL-safe base64 without padding: 43 characters.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
# HMAC's label for the form token: ties each form to its link, under a server secret.
_FORM_LABEL = b"lenspin connect form v1:"


class LinkKeeper(Protocol):
    """Where connect links are kept (bot.store's DatabaseConnectLinks, or a double)."""

    def add_connect_link(self, link: ConnectLink) -> None:
        """Keep a new link."""
        ...

    def get_connect_link(self, token_hash: str) -> ConnectLink | None:
        """The link with this hash, whatever its state, or None."""
        ...

    def spend_connect_try(self, token_hash: str, *, now: datetime, most: int) -> ConnectLink | None:
        """Count one try on a link still open; None if it is not."""
        ...

    def close_connect_link(self, token_hash: str) -> None:
        """Mark the link used."""
        ...


@dataclass(frozen=True)
class Connected:
    """The page's form connected this Rescue account for this Slack user."""

    requester: Requester
    account: Account


@dataclass(frozen=True)
class TryFailed:
    """Rescue refused, or could not be asked; tries_left more tries on this link."""

    error: RescueError
    tries_left: int


def token_hash(token: str) -> str:
    """The SHA-256 a link is kept under (the token has 256 random bits: no salt needed)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class ConnectLinks:
    """Issues links to the connect page and connects the account a link's form is sent with."""

    def __init__(
        self,
        links: LinkKeeper,
        accounts: Accounts,
        *,
        public_url: str,
        form_secret: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._links = links
        self._accounts = accounts
        self._base = public_url.rstrip("/") + CONNECT_PATH
        # A key of its own for form tokens, derived from the secret, never the secret itself.
        self._form_key = hmac.new(form_secret.encode(), _FORM_LABEL, hashlib.sha256).digest()
        self._clock = clock

    def issue(self, who: Requester, *, team_name: str, user_name: str) -> str:
        """A new link for who: the page's address, with a token only the link holds."""
        token = secrets.token_urlsafe(32)
        self._links.add_connect_link(
            ConnectLink(
                token_hash=token_hash(token),
                requester=who,
                team_name=team_name,
                user_name=user_name,
                expires_at=self._clock() + LINK_LIFETIME,
                attempts=0,
                used=False,
            )
        )
        logger.info("Connect link issued for user=%s", who.user_id)
        return self._base + token

    def open_link(self, token: str) -> ConnectLink | None:
        """The link this token opens, if it is unused, unexpired and has tries left."""
        if not _TOKEN.fullmatch(token):
            return None
        link = self._links.get_connect_link(token_hash(token))
        if link is None or link.used or link.attempts >= MOST_TRIES:
            return None
        return link if link.expires_at > self._clock() else None

    def form_token(self, token: str) -> str:
        """The token a form on this link's page must send back (CSRF), derived from the link."""
        return hmac.new(self._form_key, token.encode("ascii"), hashlib.sha256).hexdigest()

    def form_token_matches(self, token: str, sent: str) -> bool:
        """Whether sent is this link's form token."""
        expected = self.form_token(token).encode()
        # surrogatepass: every str encodes, a lone surrogate too; a forged field is False, no raise.
        return hmac.compare_digest(expected, sent.encode("utf-8", "surrogatepass"))

    def connect(
        self, token: str, *, email: str = "", password: str = "", code: str = ""
    ) -> Connected | TryFailed | None:
        """Spend a try of the link on a password or a code; None when the link opens nothing.

        The try is counted before Rescue sees anything, so a sixth never reaches Rescue.
        """
        if not _TOKEN.fullmatch(token):
            return None
        spent = self._links.spend_connect_try(token_hash(token), now=self._clock(), most=MOST_TRIES)
        if spent is None:
            return None
        who = spent.requester
        try:
            if code:
                account = self._accounts.connect_with_code(who, code)
            else:
                account = self._accounts.connect_with_password(who, email=email, password=password)
        except RescueError as error:
            logger.info(
                "Connect page: try %d for user=%s failed: %s",
                spent.attempts,
                who.user_id,
                type(error).__name__,
            )
            return TryFailed(error, tries_left=MOST_TRIES - spent.attempts)
        self._links.close_connect_link(spent.token_hash)
        return Connected(who, account)
