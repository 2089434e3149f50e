"""`python -m bot check`: try Slack, Rescue and the database once, before going live."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Protocol, TextIO

from sqlalchemy.exc import SQLAlchemyError

from bot.check_slack import (
    SLACK_TIMEOUT,
    CheckResult,
    check_oauth_client,
    check_slack_token,
    slack_client,
    without_secrets,
)
from bot.config import HEALTH_PATH, Settings, database_unreachable
from bot.domain import Installation, SecretUnreadable, StoreError, StoreUnavailable
from bot.rescue.errors import Rejected, Timeout, Unavailable
from bot.rescue.models import Account, AccountResult, ResultEnum
from bot.store import Keyring, SchemaOutdated, Store

if TYPE_CHECKING:
    from collections.abc import Callable

    from slack_sdk import WebClient

# The installed workspaces the check names; the rest are counted ("and 3 more").
NAMED_INSTALLS = 10

# Keyed by any result enum, so a Rejected from any operation looks its advice up.
RESCUE_ADVICE: dict[ResultEnum, str] = {
    AccountResult.INVALID_SECRET_AUTH_CODE: (
        "Rescue does not accept RESCUE_AUTH_CODE: it is mistyped, or a newer code was requested "
        "for that account since (which voids the old one). Get a new code (README, step 2) "
        "and put it in RESCUE_AUTH_CODE"
    ),
    AccountResult.USER_DELETED_OR_DISABLED: (
        "The Rescue user RESCUE_AUTH_CODE belongs to is deleted or disabled: enable it in the "
        "Rescue Admin Center, or set RESCUE_AUTH_CODE to the code of an active technician"
    ),
}


class AccountLookup(Protocol):
    """What the Rescue check needs of a client: getAccount_v2."""

    def get_account(self, auth_code: str) -> Account:
        """Say whose auth_code is; raise Rejected, Unavailable or Timeout."""
        ...


def run_checks(
    settings: Settings,
    *,
    out: TextIO,
    slack: WebClient | None = None,
    rescue: AccountLookup | None = None,
    store: Store | None = None,
) -> bool:
    """Run every check, print one line each and a summary to out; True if all passed."""
    # One store for the database line and the installs line (None: the database line says why).
    shared = store or _open_store(settings)
    checks: list[Callable[[], CheckResult]] = [
        lambda: check_slack_token(slack or slack_client(settings)),
        lambda: check_rescue(settings, rescue),
        lambda: check_database(settings, shared),
        lambda: check_public_url(settings),
    ]
    if settings.multi_workspace:
        # No bot token to test: the app's OAuth client instead, and who has installed it.
        checks[0] = lambda: check_oauth_client(settings, slack)
        checks.append(lambda: check_installs(settings, shared))
    print(describe(settings), file=out, flush=True)
    failed = 0
    for check in checks:
        result = check()
        failed += not result.ok
        # Flushed line by line: a slow check should not hide the ones already done.
        print(result.line(), file=out, flush=True)
    if failed:
        summary = CheckResult(
            ok=False,
            text=f"{failed} of {len(checks)} checks failed: fix what the FAIL lines say, then "
            "run `python -m bot check` again.",
        )
    else:
        summary = CheckResult(ok=True, text="Every check passed: lenspin is ready to go live.")
    print(summary.line(), file=out, flush=True)
    return not failed


def describe(settings: Settings) -> str:
    """The line before the checks: the settings are valid (or this would not run) and the mode."""
    if settings.multi_workspace:
        return (
            "Settings are complete and valid (serving several workspaces over HTTP; Slack's "
            "first request will confirm SLACK_SIGNING_SECRET)"
        )
    if settings.socket_mode:
        return "Settings are complete and valid (Socket Mode: no signing secret needed)"
    return (
        "Settings are complete and valid (HTTP mode; Slack's first request will confirm "
        "SLACK_SIGNING_SECRET)"
    )


def check_rescue(settings: Settings, rescue: AccountLookup | None = None) -> CheckResult:
    """Ask Rescue's getAccount_v2 whose the shared RESCUE_AUTH_CODE is, when there is one."""
    if not settings.rescue_auth_code:
        return CheckResult(ok=True, text=_without_shared_code(settings))
    if rescue is None:
        from bot.app import rescue_client  # noqa: PLC0415 (loads zeep and the WSDL)

        rescue = rescue_client(settings)
    where = without_secrets(settings.rescue_api_url)
    try:
        account = rescue.get_account(settings.rescue_auth_code)
    except Rejected as error:
        advice = RESCUE_ADVICE.get(
            error.code,
            "try again in a minute; if it stays, check RESCUE_AUTH_CODE with your Rescue "
            "administrator",
        )
        return CheckResult(ok=False, text=f"{advice} (Rescue answered {error.raw or error.code})")
    except Timeout:
        return CheckResult(
            ok=False,
            text=f"Rescue did not answer within RESCUE_TIMEOUT ({settings.rescue_timeout:g} s) "
            f"at RESCUE_API_URL ({where}): check this machine's network access to it, or "
            "raise RESCUE_TIMEOUT",
        )
    except Unavailable as error:
        # The client writes these texts free of values: "Rescue answered HTTP 404" and such.
        return CheckResult(
            ok=False,
            text=f"Rescue is unreachable at RESCUE_API_URL ({where}): check the URL (normally "
            "https://secure.logmeinrescue.com/API/API.asmx) and this machine's network access "
            f"to it (detail: {error})",
        )
    except ValueError:
        # Raised before anything is sent: the code cannot go into Rescue's XML at all.
        return CheckResult(
            ok=False,
            text="RESCUE_AUTH_CODE holds characters no auth code has: copy it again "
            "(README, step 2)",
        )
    # Rescue leaves out an empty email or organization; the account id is always there.
    whose = ", ".join(x for x in (account.email, account.organization) if x)
    console = "running" if account.console_running else "not running"
    return CheckResult(
        ok=True,
        text=f"Rescue accepts the shared auth code ({whose or f'account {account.account_id}'}; "
        f"Technician Console {console})",
    )


def check_database(settings: Settings, store: Store | None = None) -> CheckResult:
    """Reach the database, check that its schema is current and that the key reads it."""
    try:
        if store is None:
            keyring = Keyring.from_setting(settings.encryption_key)
            store = Store.from_url(settings.database_url, keyring)
        store.ping()
        store.check_schema()
        store.check_key()
    except (SchemaOutdated, SecretUnreadable) as error:
        return CheckResult(ok=False, text=str(error))
    except StoreUnavailable as error:
        if not error.timed_out:
            cause = error.__cause__
            return CheckResult(
                ok=False,
                text=database_unreachable(cause if isinstance(cause, Exception) else error),
            )
        # The message is lenspin's own: "the database did not answer within 3 s".
        where = without_secrets(settings.database_url)
        return CheckResult(
            ok=False,
            text=f"{error.args[0].capitalize()} at DATABASE_URL ({where}): check that it is "
            "running and not overloaded, and this machine's network access to it",
        )
    except SQLAlchemyError as error:
        # Never the error's own text: SQLAlchemy's can quote the URL, password and all.
        return CheckResult(ok=False, text=database_unreachable(error))
    dialect = store.engine.dialect.name
    return CheckResult(
        ok=True,
        text=f"Database reachable and migrated ({dialect}); LENSPIN_ENCRYPTION_KEY reads "
        "what it stores",
    )


def check_public_url(settings: Settings, *, timeout: float = SLACK_TIMEOUT) -> CheckResult:
    """Ask LENSPIN_PUBLIC_URL for lenspin's health check, as a technician's browser would."""
    result = _public_url_answers(settings, timeout)
    if not settings.multi_workspace:
        return result
    # What Slack's app settings must say, whether or not the address answers yet.
    return CheckResult(
        ok=result.ok,
        text=f"{result.text}; admins add lenspin at {settings.install_url}, and the app's "
        f"Redirect URL (OAuth & Permissions) must be {settings.oauth_redirect_url}",
    )


def check_installs(settings: Settings, store: Store | None) -> CheckResult:
    """Say how many workspaces have installed lenspin, and name the first of them."""
    if store is None:
        return CheckResult(
            ok=False,
            text="Installed workspaces cannot be listed without the database (see its line above)",
        )
    try:
        installs = store.workspaces().installations()
    except (StoreError, SQLAlchemyError) as error:
        # Never the error's own text: SQLAlchemy's can quote the URL, password and all.
        return CheckResult(
            ok=False,
            text="Installed workspaces cannot be listed: the database did not give them "
            f"({type(error).__name__}; see the database line above)",
        )
    if not installs:
        return CheckResult(
            ok=True,
            text=f"No workspace has installed lenspin yet: admins add it at {settings.install_url}",
        )
    names = ", ".join(_install_name(i) for i in installs[:NAMED_INSTALLS])
    more = len(installs) - NAMED_INSTALLS
    named = f"{names} and {more} more" if more > 0 else names
    many = "workspace" if len(installs) == 1 else "workspaces"
    return CheckResult(ok=True, text=f"Installed in {len(installs)} {many}: {named}")


def _public_url_answers(settings: Settings, timeout: float) -> CheckResult:
    if not settings.public_url:
        return CheckResult(
            ok=True,
            text="No LENSPIN_PUBLIC_URL: technicians connect by pasting an auth code in Slack "
            "(set it to this deployment's https:// address for the connect page)",
        )
    url = settings.public_url + HEALTH_PATH
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (https, or loopback http)
            body = response.read(16)
    except urllib.error.HTTPError as error:
        # Something answered, with an error page: another site, or this one's router.
        error.close()
        return CheckResult(
            ok=False,
            text=f"LENSPIN_PUBLIC_URL ({settings.public_url}) answers HTTP {error.code}, but not "
            "as lenspin: check that it is this deployment's address, and that its web process "
            "is running",
        )
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or type(error).__name__
        return CheckResult(
            ok=False,
            text=f"LENSPIN_PUBLIC_URL ({settings.public_url}) does not answer ({reason}): check "
            "the address, and that this deployment's web process is running there",
        )
    if body.strip() != b"ok":
        return CheckResult(
            ok=False,
            text=f"LENSPIN_PUBLIC_URL ({settings.public_url}) answers, but not as lenspin: check "
            "that it is this deployment's address",
        )
    return CheckResult(
        ok=True, text=f"LENSPIN_PUBLIC_URL answers: the connect page is at {settings.public_url}"
    )


def _install_name(installation: Installation) -> str:
    # Names are whatever each workspace chose: nothing in them may steer the admin's terminal.
    name = "".join(c if c.isprintable() else "?" for c in installation.name)
    return f"{name} (Enterprise Grid org)" if installation.workspace.org_wide else name


def _open_store(settings: Settings) -> Store | None:
    """The store the checks share, or None if it cannot even be made (the database line says)."""
    try:
        return Store.from_url(settings.database_url, Keyring.from_setting(settings.encryption_key))
    except SQLAlchemyError:
        return None


def _without_shared_code(settings: Settings) -> str:
    if settings.multi_workspace:
        how = "each workspace's admins set theirs, or single sign-on, in lenspin's Home tab (Admin)"
        if settings.linking:
            how += "; technicians may connect their own accounts with /lenspin connect"
        return (
            f"No shared Rescue auth code from the environment (serving several workspaces): {how}"
        )
    if settings.sso_enabled:
        how = (
            "technicians' codes come from single sign-on (company "
            f"{settings.sso_company_id}), tried at each one's first PIN"
        )
        if settings.linking:
            how += ", or from their own account connected with /lenspin connect"
    else:
        how = "technicians connect their own accounts with /lenspin connect"
    return f"No shared Rescue auth code (RESCUE_AUTH_CODE is unset): {how}"
