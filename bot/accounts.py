"""Whose Rescue auth code a PIN request uses, and connecting a technician's own account."""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.domain import CodeSource, Credential, Link, LinkSource, Policy, Requester
from bot.lanes import NotSent
from bot.rescue.errors import Rejected, RescueError
from bot.rescue.models import Account, AccountResult, AuthResult, ResultCode, SessionResult

logger = logging.getLogger(__name__)

# The longest sign-in details lenspin passes on: an email address (RFC 5321), a password, and
# an auth code or API token (Rescue's are a few hundred characters).
EMAIL_MAX_LENGTH = 254
PASSWORD_MAX_LENGTH = 256
CODE_MAX_LENGTH = 512

# Rescue answers these when a code no longer belongs to a working user.
STALE_CODES = frozenset(
    {
        ResultCode.INVALID_SECRET_AUTH_CODE,
        ResultCode.USER_DELETED_OR_DISABLED,
        ResultCode.USER_IS_DELETED,
        AccountResult.INVALID_SECRET_AUTH_CODE,
        AccountResult.USER_DELETED_OR_DISABLED,
        SessionResult.INVALID_SECRET_AUTH_CODE,
        SessionResult.USER_DELETED_OR_DISABLED,
    }
)


_DISABLED = frozenset(
    {
        AccountResult.USER_DELETED_OR_DISABLED,
        ResultCode.USER_DELETED_OR_DISABLED,
        ResultCode.USER_IS_DELETED,
    }
)


class ConnectFailure(enum.Enum):
    """Why connecting an account failed, in the terms a technician can act on."""

    SHARED_ACCOUNT = "shared_account"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 (a name)
    WRONG_CODE = "wrong_code"
    DISABLED = "disabled"
    UNREACHABLE = "unreachable"


def connect_failure_of(error: RescueError) -> ConnectFailure:
    """What a failed connect means, whichever page or form it came from."""
    if isinstance(error, SharedAccount):
        return ConnectFailure.SHARED_ACCOUNT
    if isinstance(error, Rejected):
        if error.code is AuthResult.INVALID:
            return ConnectFailure.WRONG_PASSWORD
        if error.code is AccountResult.INVALID_SECRET_AUTH_CODE:
            return ConnectFailure.WRONG_CODE
        if error.code in _DISABLED:
            return ConnectFailure.DISABLED
    return ConnectFailure.UNREACHABLE


class NotConnected(NotSent):
    """This technician has no auth code to use: they must connect their account first."""


class LinkStale(NotSent):
    """Rescue stopped accepting this technician's connected account."""


class SharedAccount(RescueError):
    """A password sign-in to the shared code's account would make Rescue void that code."""


class AccountSource(Protocol):
    """The Rescue operations linking needs (the Rescue client, or a stand-in)."""

    def request_auth_code(self, *, email: str, password: str) -> str:
        """Exchange an email and password for the user's auth code."""
        ...

    def request_auth_code_sso(self, *, sso_id: str, password: str, company_id: str) -> str:
        """Get a user's auth code with the company's single sign-on password."""
        ...

    def get_account(self, auth_code: str) -> Account:
        """Say whose code this is."""
        ...


class LinkStore(Protocol):
    """Where connected accounts are kept (bot.store.Store)."""

    def get_link(self, team_id: str, user_id: str) -> Link | None:
        """The user's link, if any."""
        ...

    def save_link(
        self,
        *,
        team_id: str,
        user_id: str,
        auth_code: str,
        email: str,
        organization: str,
        source: LinkSource,
        enterprise_id: str = "",
    ) -> Link:
        """Insert or replace the user's link."""
        ...

    def mark_link_stale(self, team_id: str, user_id: str) -> None:
        """Remember that Rescue stopped accepting the link."""
        ...

    def delete_link(self, team_id: str, user_id: str) -> bool:
        """Forget the link; tell whether there was one."""
        ...


class StatusKind(enum.Enum):
    """What a technician's PINs use right now."""

    LINKED = "linked"
    STALE = "stale"
    SSO = "sso"
    SHARED = "shared"
    NOTHING = "nothing"


@dataclass(frozen=True)
class Status:
    """A technician's connection, and what Rescue says about it if asked."""

    kind: StatusKind
    link: Link | None = None
    account: Account | None = None


class Accounts:
    """Chooses each request's auth code and connects, checks and forgets accounts.

    Who may use the shared code, which code that is and the single sign-on come from the
    requester's workspace settings (policy_of), read on each call: an admin's change counts
    at once, in every process.
    """

    def __init__(
        self,
        *,
        links: LinkStore,
        rescue: AccountSource,
        policy_of: Callable[[Requester], Policy],
        sso_ids: Mapping[str, str] | None = None,
        sso_id_of: Callable[[Requester], str | None] | None = None,
        linking: bool = True,
    ) -> None:
        self._links = links
        self._rescue = rescue
        self._policy_of = policy_of
        # The deployment's own SSO ids by Slack user (LENSPIN_SSO_IDS), before the profile's.
        self._sso_ids = dict(sso_ids or {})
        self._sso_id_of = sso_id_of
        # Off (LENSPIN_LINKING=off): accounts connected earlier stay saved but unused.
        self._linking = linking
        # Each shared code's account email, casefolded, once Rescue has said it ("" = none).
        self._shared_emails: dict[str, str] = {}
        self._shared_email_lock = threading.Lock()

    def credential_for(self, who: Requester) -> Credential:
        """The technician's own code, else an SSO code, else the shared one if allowed."""
        link = self._usable_link(who)
        if link is not None and link.source is not LinkSource.SSO:
            # Never fall back to another code: the session would land in another queue.
            if link.stale:
                raise LinkStale("the linked code was refused before")
            return Credential(link.auth_code, CodeSource.LINKED)
        policy = self._policy_of(who)
        if policy.sso_company_id:
            if link is not None and not link.stale:
                return Credential(link.auth_code, CodeSource.SSO)
            credential = self._sso_credential(who, policy)
            if credential is not None:
                return credential
        if policy.shared_code and policy.allows(who.user_id):
            return Credential(policy.shared_code, CodeSource.SHARED)
        raise NotConnected("no auth code for this user")

    def has_own_code(self, who: Requester) -> bool:
        """Tell whether the user connected an account (working or not) that may be used."""
        return self._usable_link(who) is not None

    def refused(self, who: Requester, credential: Credential, error: Rejected) -> bool:
        """Note a refusal; True when a fresh SSO code is worth one retry.

        A connected account Rescue no longer accepts is marked stale and reported as
        LinkStale, so the technician is told to reconnect rather than to call an admin.
        """
        if error.code not in STALE_CODES:
            return False
        if credential.source is CodeSource.LINKED:
            self._links.mark_link_stale(who.team_id, who.user_id)
            logger.info("Linked code of user=%s refused by Rescue; marked stale", who.user_id)
            raise LinkStale("Rescue refused the linked code") from error
        if credential.source is CodeSource.SSO:
            self._links.delete_link(who.team_id, who.user_id)
            return True
        return False

    def connect_with_password(self, who: Requester, *, email: str, password: str) -> Account:
        """Ask Rescue for the user's code with their password (used once), check it, keep it.

        Raises SharedAccount, before Rescue sees the password, for the shared code's account.
        """
        shared = self._shared_account_email(self._policy_of(who).shared_code)
        if shared and email.strip().casefold() == shared:
            # Rescue answers a password sign-in with a new auth code and voids the old one:
            # every technician on the shared code would lose their PINs.
            raise SharedAccount("a password sign-in would void the shared auth code")
        code = self._rescue.request_auth_code(email=email, password=password)
        return self._keep(who, code, source=LinkSource.PASSWORD)

    def connect_with_code(self, who: Requester, code: str) -> Account:
        """Check a pasted auth code with Rescue and keep it."""
        return self._keep(who, code.strip(), source=LinkSource.TOKEN)

    def disconnect(self, who: Requester) -> bool:
        """Forget the user's connected account."""
        return self._links.delete_link(who.team_id, who.user_id)

    def status(self, who: Requester) -> Status:
        """What the user's PINs use, asking Rescue about a connected account."""
        link = self._usable_link(who)
        if link is not None and link.source is not LinkSource.SSO:
            return self._linked_status(link)
        policy = self._policy_of(who)
        if policy.sso_company_id:
            return Status(StatusKind.SSO, link)
        if policy.shared_code and policy.allows(who.user_id):
            return Status(StatusKind.SHARED)
        return Status(StatusKind.NOTHING)

    def _usable_link(self, who: Requester) -> Link | None:
        link = self._links.get_link(who.team_id, who.user_id)
        if link is not None and link.source is not LinkSource.SSO and not self._linking:
            return None
        return link

    def _shared_account_email(self, shared_code: str) -> str:
        if not shared_code:
            return ""
        # Held while Rescue answers: concurrent connects ask once, not once each.
        with self._shared_email_lock:
            known = self._shared_emails.get(shared_code)
            if known is None:
                try:
                    account = self._rescue.get_account(shared_code)
                except Rejected as error:
                    if error.code not in STALE_CODES:
                        raise
                    # A code Rescue no longer takes has nothing left to void.
                    known = ""
                else:
                    known = account.email.strip().casefold()
                self._shared_emails[shared_code] = known
            return known

    def _linked_status(self, link: Link) -> Status:
        if link.stale:
            return Status(StatusKind.STALE, link)
        try:
            account = self._rescue.get_account(link.auth_code)
        except Rejected as error:
            if error.code not in STALE_CODES:
                return Status(StatusKind.LINKED, link)
            self._links.mark_link_stale(link.team_id, link.user_id)
            return Status(StatusKind.STALE, link)
        except RescueError:
            # Rescue can't be asked right now; the link itself is still there.
            return Status(StatusKind.LINKED, link)
        return Status(StatusKind.LINKED, link, account)

    def _keep(self, who: Requester, code: str, *, source: LinkSource) -> Account:
        account = self._rescue.get_account(code)
        self._save(who, code, email=account.email, organization=account.organization, source=source)
        logger.info("User=%s connected Rescue account %s", who.user_id, account.account_id)
        return account

    def _save(
        self, who: Requester, code: str, *, email: str, organization: str, source: LinkSource
    ) -> None:
        self._links.save_link(
            team_id=who.team_id,
            user_id=who.user_id,
            enterprise_id=who.enterprise_id,
            auth_code=code,
            email=email,
            organization=organization,
            source=source,
        )

    def _sso_credential(self, who: Requester, policy: Policy) -> Credential | None:
        sso_id = self._sso_ids.get(who.user_id)
        if sso_id is None and self._sso_id_of is not None:
            sso_id = self._sso_id_of(who)
        if not sso_id:
            return None
        try:
            code = self._rescue.request_auth_code_sso(
                sso_id=sso_id, password=policy.sso_password, company_id=policy.sso_company_id
            )
        except RescueError as error:
            logger.warning("SSO code for user=%s failed: %s", who.user_id, type(error).__name__)
            return None
        self._save(who, code, email=sso_id, organization="", source=LinkSource.SSO)
        return Credential(code, CodeSource.SSO)
