"""`python -m bot check`'s Slack line: the bot token (auth.test), or the app's OAuth client."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.config import Settings

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

# The code the OAuth client check exchanges. No install ever has it, so Slack answers
# invalid_code once it knows the client id and accepts the secret, and says which it refused.
PROBE_CODE = "lenspin-check"
# Slack's answer to PROBE_CODE when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are right.
CLIENT_KNOWN = "invalid_code"

OAUTH_ADVICE = {
    "invalid_client_id": (
        "Slack knows no app with this SLACK_CLIENT_ID: copy the Client ID again from your "
        "Slack app's Basic Information → App Credentials"
    ),
    "bad_client_secret": (
        "Slack does not accept SLACK_CLIENT_SECRET for this SLACK_CLIENT_ID: copy the Client "
        "Secret again from Basic Information → App Credentials (Show), or regenerate it there"
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


def slack_client(settings: Settings) -> WebClient:
    """A Slack Web API client for these settings, as the bot builds its own."""
    return WebClient(
        token=settings.slack_bot_token or None,
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT,
    )


def check_slack_token(client: WebClient) -> CheckResult:
    """Ask Slack's auth.test whose SLACK_BOT_TOKEN is."""
    try:
        answer = client.auth_test()
    except SlackApiError as error:
        # The exception's text may quote the request; only Slack's error code is shown.
        code = _error_code(error)
        if code is None:
            return _not_slack(client, error)
        advice = SLACK_ADVICE.get(
            code, "check SLACK_BOT_TOKEN and that the app is installed in the workspace"
        )
        return CheckResult(ok=False, text=f"{advice} (Slack answered auth.test with {code})")
    except (SlackClientError, OSError) as error:
        return _unreachable(client, error)
    team, user = answer.get("team") or answer.get("team_id"), answer.get("user")
    return CheckResult(ok=True, text=f"Slack bot token works (workspace {team}, bot {user})")


def check_oauth_client(settings: Settings, client: WebClient | None = None) -> CheckResult:
    """Ask Slack's oauth.v2.access to exchange a made-up code: it names a wrong id or secret."""
    client = client or slack_client(settings)
    try:
        client.oauth_v2_access(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            code=PROBE_CODE,
        )
    except SlackApiError as error:
        code = _error_code(error)
        if code is None:
            return _not_slack(client, error)
        if code == CLIENT_KNOWN:
            return CheckResult(
                ok=True,
                text="Slack accepts SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (app client "
                f"{settings.slack_client_id})",
            )
        advice = OAUTH_ADVICE.get(
            code,
            "check SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Basic Information → App Credentials)",
        )
        return CheckResult(ok=False, text=f"{advice} (Slack answered oauth.v2.access with {code})")
    except (SlackClientError, OSError) as error:
        return _unreachable(client, error)
    # Slack never turns a code it did not issue into a token: whatever said yes is not Slack.
    return CheckResult(
        ok=False,
        text=f"SLACK_API_URL ({without_secrets(client.base_url)}) accepted a made-up "
        "oauth.v2.access code, as Slack never would: check SLACK_API_URL (normally "
        "https://slack.com/api/)",
    )


def without_secrets(url: str) -> str:
    """url without a user, password, query or fragment: what is safe to print."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2], query="", fragment="").geturl()


def _error_code(error: SlackApiError) -> str | None:
    """Slack's error code, or None when what answered was not Slack."""
    # 429 carries Slack's own "ratelimited"; other statuses mean it wasn't Slack answering.
    if error.response.status_code not in (200, 429):
        return None
    return str(error.response.get("error") or "an error")


def _not_slack(client: WebClient, error: SlackApiError) -> CheckResult:
    return CheckResult(
        ok=False,
        text=f"Slack answered HTTP {error.response.status_code} at SLACK_API_URL "
        f"({without_secrets(client.base_url)}): check SLACK_API_URL (normally "
        "https://slack.com/api/)",
    )


def _unreachable(client: WebClient, error: Exception) -> CheckResult:
    return CheckResult(
        ok=False,
        text=f"Cannot reach Slack at SLACK_API_URL ({without_secrets(client.base_url)}): check "
        "this machine's network access to it (proxy, firewall, DNS) and the URL itself "
        f"({type(error).__name__})",
    )
