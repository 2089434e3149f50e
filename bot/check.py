"""`python -m bot check`: try Slack, Rescue and the database once, before going live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TextIO
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings, database_unreachable
from bot.domain import SecretUnreadable, StoreUnavailable
from bot.rescue.errors import Rejected, Timeout, Unavailable
from bot.rescue.models import Account, AccountResult, ResultEnum
from bot.store import Keyring, SchemaOutdated, Store

if TYPE_CHECKING:
    from collections.abc import Callable

# Long enough for a slow link to Slack, short enough that a wrong address fails quickly.
SLACK_TIMEOUT = 10

SLACK_ADVICE = {
    "invalid_auth": (
        "SLACK_BOT_TOKEN is not accepted: copy the Bot User OAuth Token again from "
        "OAuth & Permissions"
    ),
    "token_revoked": (
        "SLACK_BOT_TOKEN was revoked (the app was uninstalled or the token regenerated): "
        "install the app again and copy the new Bot User OAuth Token from OAuth & Permissions"
    ),
    "token_expired": (
        "SLACK_BOT_TOKEN has expired (token rotation is on for this app): turn token rotation "
        "off in OAuth & Permissions, or copy a fresh Bot User OAuth Token"
    ),
    "account_inactive": (
        "SLACK_BOT_TOKEN belongs to an app or workspace that is no longer active: install the "
        "app again and copy the new Bot User OAuth Token from OAuth & Permissions"
    ),
}

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


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict: ok, and a line an admin can act on."""

    ok: bool
    text: str

    def line(self) -> str:
        """The line printed for this check."""
        return f"{'OK' if self.ok else 'FAIL'}  {self.text}"


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
    checks: list[Callable[[], CheckResult]] = [
        lambda: check_slack_token(slack or slack_client(settings)),
        lambda: check_rescue(settings, rescue),
        lambda: check_database(settings, store),
    ]
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


def slack_client(settings: Settings) -> WebClient:
    """A Slack Web API client for these settings, as the bot builds its own."""
    return WebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=SLACK_TIMEOUT
    )


def describe(settings: Settings) -> str:
    """The line before the checks: the settings are valid (or this would not run) and the mode."""
    if settings.socket_mode:
        return "Settings are complete and valid (Socket Mode: no signing secret needed)"
    return (
        "Settings are complete and valid (HTTP mode; Slack's first request will confirm "
        "SLACK_SIGNING_SECRET)"
    )


def check_slack_token(client: WebClient) -> CheckResult:
    """Ask Slack's auth.test whose SLACK_BOT_TOKEN is."""
    where = _without_secrets(client.base_url)
    try:
        answer = client.auth_test()
    except SlackApiError as error:
        # The exception's text may quote the request; only Slack's error code is shown.
        # 429 carries Slack's own "ratelimited"; other statuses mean it wasn't Slack answering.
        if error.response.status_code not in (200, 429):
            return CheckResult(
                ok=False,
                text=f"Slack answered HTTP {error.response.status_code} at SLACK_API_URL "
                f"({where}): check SLACK_API_URL (normally https://slack.com/api/)",
            )
        code = str(error.response.get("error") or "an error")
        advice = SLACK_ADVICE.get(
            code, "check SLACK_BOT_TOKEN and that the app is installed in the workspace"
        )
        return CheckResult(ok=False, text=f"{advice} (Slack answered auth.test with {code})")
    except (SlackClientError, OSError) as error:
        return CheckResult(
            ok=False,
            text=f"Cannot reach Slack at SLACK_API_URL ({where}): check this machine's network "
            f"access to it (proxy, firewall, DNS) and the URL itself ({type(error).__name__})",
        )
    team, user = answer.get("team") or answer.get("team_id"), answer.get("user")
    return CheckResult(ok=True, text=f"Slack bot token works (workspace {team}, bot {user})")


def check_rescue(settings: Settings, rescue: AccountLookup | None = None) -> CheckResult:
    """Ask Rescue's getAccount_v2 whose the shared RESCUE_AUTH_CODE is, when there is one."""
    if not settings.rescue_auth_code:
        return CheckResult(ok=True, text=_without_shared_code(settings))
    if rescue is None:
        from bot.app import rescue_client  # noqa: PLC0415 (loads zeep and the WSDL)

        rescue = rescue_client(settings)
    where = _without_secrets(settings.rescue_api_url)
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
        where = _without_secrets(settings.database_url)
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


def _without_shared_code(settings: Settings) -> str:
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


def _without_secrets(url: str) -> str:
    """url without a user, password, query or fragment: what is safe to print."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2], query="", fragment="").geturl()
