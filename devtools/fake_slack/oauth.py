"""OAuth v2 as Slack plays it: the authorize step (consent given by script) and oauth.v2.access.

GET /oauth/v2/authorize answers at once, as if someone had clicked "Allow": a redirect to the
app's redirect_uri with a one-time code and the state, or error=access_denied when a test said
so. oauth.v2.access exchanges the code (or, with token rotation, a refresh token) for a token.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import html
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from devtools.fake_slack.server import HTML_CONTENT_TYPE, Reply
from devtools.fake_slack.workspaces import Team

if TYPE_CHECKING:
    from devtools.fake_slack.installs import Install
    from devtools.fake_slack.state import SlackState

AUTHORIZE_PATH = "/oauth/v2/authorize"


@dataclass(frozen=True)
class AuthorizeRequest:
    """One visit to the authorize page, and how it ended ("approved", "access_denied", or the
    error of a page Slack would show instead of redirecting)."""

    client_id: str
    scopes: tuple[str, ...]
    user_scopes: tuple[str, ...]
    state: str | None
    redirect_uri: str
    team: str | None
    outcome: str
    received_at: float


@dataclass(frozen=True)
class Approval:
    """Who clicks "Allow" on the next authorize page (or that they click "Cancel")."""

    team_id: str | None
    user_id: str | None
    org_wide: bool = False
    deny: bool = False


@dataclass
class Code:
    """A one-time OAuth code handed to the app's redirect_uri."""

    team: Team
    user_id: str
    org_wide: bool
    scopes: tuple[str, ...]
    redirect_uri: str
    issued_at: float
    used: bool = False


@dataclass
class OAuthBook:
    """The OAuth state of the fake: scripted approvals, codes, and the authorize visits."""

    approvals: list[Approval] = field(default_factory=list)
    codes: dict[str, Code] = field(default_factory=dict)
    requests: list[AuthorizeRequest] = field(default_factory=list)


class OAuth:
    """The authorize page and oauth.v2.access; called with the state's lock held."""

    def __init__(self, state: SlackState) -> None:
        self.state = state
        self.workspace = state.workspace

    # --- the authorize page ------------------------------------------------------------------

    def authorize(self, query: str) -> Reply:
        """Answer a visit to the authorize page: a redirect to the app, or an error page."""
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        scopes = _split(params.get("scope", ""))
        user_scopes = _split(params.get("user_scope", ""))
        redirect_uri = params.get("redirect_uri", "")
        state = params.get("state")
        error = self._authorize_error(params.get("client_id", ""), scopes + user_scopes)
        if error is None and urlsplit(redirect_uri).scheme not in ("http", "https"):
            # The fake knows no redirect URL configured for the app: the request must name one.
            error = "bad_redirect_uri"
        book = self.state.oauth
        if error is not None:
            reply = _error_page(error)
        else:
            approval = book.approvals.pop(0) if book.approvals else None
            if approval is not None and approval.deny:
                reply = _redirect(redirect_uri, error="access_denied", state=state)
                error = "access_denied"
            else:
                code = self._issue_code(approval, params.get("team"), scopes, redirect_uri)
                reply = _redirect(redirect_uri, code=code, state=state)
        book.requests.append(
            AuthorizeRequest(
                client_id=params.get("client_id", ""),
                scopes=scopes,
                user_scopes=user_scopes,
                state=state,
                redirect_uri=redirect_uri,
                team=params.get("team"),
                outcome=error or "approved",
                received_at=time.monotonic(),
            )
        )
        return reply

    def _authorize_error(self, client_id: str, scopes: tuple[str, ...]) -> str | None:
        if not hmac.compare_digest(client_id, self.workspace.client_id):
            return "invalid_client_id"
        if not scopes:
            return "invalid_scope"
        return None

    def _issue_code(
        self, approval: Approval | None, team_hint: str | None, scopes: tuple[str, ...], uri: str
    ) -> str:
        teams = self.state.teams
        if approval is not None:
            team = teams.get(approval.team_id)
        else:
            # Slack's team= parameter preselects a workspace the visitor belongs to.
            known = {t.team_id: t for t in teams.all()}
            team = known.get(team_hint or "", teams.default)
        if approval is not None and approval.user_id:
            user_id = approval.user_id
        else:
            user_id = self.state.admit_default_installer(team)
        org_wide = approval.org_wide if approval else False
        code = f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**13)}.{secrets.token_hex(32)}"
        self.state.oauth.codes[code] = Code(team, user_id, org_wide, scopes, uri, time.monotonic())
        return code

    # --- oauth.v2.access ---------------------------------------------------------------------

    def access(self, args: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        """oauth.v2.access: a code (or with rotation, a refresh token) exchanged for a token."""
        refused = self._client_error(*_client_credentials(args, headers))
        if refused is not None:
            return refused
        grant_type = str(args.get("grant_type") or "authorization_code")
        if grant_type == "refresh_token":
            return self._refresh(str(args.get("refresh_token") or ""))
        if grant_type != "authorization_code":
            return _error("invalid_grant_type")
        return self._exchange(str(args.get("code") or ""), args.get("redirect_uri"))

    def _client_error(self, client_id: str, client_secret: str) -> dict[str, Any] | None:
        if not client_id or not hmac.compare_digest(client_id, self.workspace.client_id):
            return _error("invalid_client_id")
        if not hmac.compare_digest(client_secret, self.workspace.client_secret):
            return _error("bad_client_secret")
        return None

    def _exchange(self, code_value: str, redirect_uri: Any) -> dict[str, Any]:
        code = self.state.oauth.codes.get(code_value)
        # Slack answers a used, expired or made-up code alike.
        if code is None or code.used:
            return _error("invalid_code")
        if time.monotonic() - code.issued_at > self.workspace.code_ttl:
            return _error("invalid_code")
        if redirect_uri is not None and redirect_uri != code.redirect_uri:
            return _error("bad_redirect_uri")
        code.used = True
        install, token = self.state.installs.install(
            code.team,
            org_wide=code.org_wide,
            installer_user_id=code.user_id,
            scopes=code.scopes,
            grant=self.state.install_grant(code.team, org_wide=code.org_wide),
        )
        answer = self._token_answer(install, token)
        answer["authed_user"] = {"id": code.user_id}
        return answer

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        refreshed = self.state.installs.refresh(refresh_token) if refresh_token else None
        if refreshed is None:
            return _error("invalid_refresh_token")
        return self._token_answer(*refreshed)

    def _token_answer(self, install: Install, token: str) -> dict[str, Any]:
        enterprise_id = install.enterprise_id
        team = None if not install.team_id else self.state.teams.get(install.team_id)
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": self.workspace.api_app_id,
            "scope": ",".join(install.scopes),
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": install.grant.bot_user_id,
            "team": None if team is None else {"id": team.team_id, "name": team.name},
            "enterprise": (
                {"id": enterprise_id, "name": self.state.teams.enterprise_name(enterprise_id)}
                if enterprise_id
                else None
            ),
            "is_enterprise_install": not install.team_id,
        }
        expires_in = self.state.installs.expires_in()
        if expires_in is not None:
            answer["expires_in"] = expires_in
            answer["refresh_token"] = install.refresh_token
        return answer


def _split(scopes: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in scopes.split(",") if s.strip())


def _error(error: str) -> dict[str, Any]:
    return {"ok": False, "error": error}


def _client_credentials(args: dict[str, Any], headers: dict[str, str]) -> tuple[str, str]:
    """client_id and client_secret from HTTP Basic auth (slack_sdk's way), else the form."""
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    if auth[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return str(args.get("client_id") or ""), str(args.get("client_secret") or "")


def _redirect(redirect_uri: str, **params: str | None) -> Reply:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    location = redirect_uri + ("&" if urlsplit(redirect_uri).query else "?") + query
    return Reply(302, b"", HTML_CONTENT_TYPE, (("Location", location),))


def _error_page(error: str) -> Reply:
    page = (
        "<html><head><title>Slack</title></head><body><h1>Something went wrong when "
        f"authorizing this app.</h1><p>Error: {html.escape(error)}</p></body></html>"
    )
    return Reply(400, page.encode(), HTML_CONTENT_TYPE, (), error)
