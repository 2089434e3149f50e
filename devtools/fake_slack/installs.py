"""The app's installs: per-install bot tokens, token rotation, expiry and revocation.

The default workspace's bot token (DEFAULT_BOT_TOKEN) stands for an install made before the
fake started, as in single-workspace mode: it never expires, and only uninstalling the default
workspace revokes it. Installs through OAuth get tokens of their own.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from devtools.fake_slack.workspaces import Grant, Team

DEFAULT_CLIENT_ID = "1111.2222"
DEFAULT_CLIENT_SECRET = "fake-client-secret"
# How long an OAuth code may be exchanged, and a rotating token's lifetime, as Slack has them.
CODE_TTL = 10 * 60.0
TOKEN_LIFETIME = 12 * 3600.0


@dataclass
class Install:
    """The app installed in one workspace, or org-wide in an Enterprise Grid org (team "")."""

    team_id: str
    enterprise_id: str
    installer_user_id: str
    scopes: tuple[str, ...]
    grant: Grant
    installed_at: float
    tokens: list[str] = field(default_factory=list)
    refresh_token: str = ""
    uninstalled: bool = False

    @property
    def key(self) -> tuple[str, str]:
        """(enterprise_id, team_id): one install per workspace, one per org-wide install."""
        return (self.enterprise_id, self.team_id)


@dataclass
class IssuedToken:
    """A bot token Slack issued, and whether it still works."""

    grant: Grant
    install: Install | None  # None: the default workspace's configured token
    expires_at: float | None  # time.monotonic() deadline; None: never
    revoked: bool = False


@dataclass(frozen=True)
class InstallRecord:
    """An install as tests read it: where, by whom, with which scopes, and its bot tokens."""

    team_id: str  # "" for an org-wide install
    enterprise_id: str
    installer_user_id: str
    scopes: tuple[str, ...]
    bot_user_id: str
    bot_id: str
    bot_token: str = field(repr=False)  # the newest one
    # Every bot token issued to the install, oldest first (rotation and re-installs add more).
    tokens: tuple[str, ...] = field(repr=False)
    refresh_token: str = field(repr=False)
    installed: bool  # False once uninstalled

    @property
    def org_wide(self) -> bool:
        """True for an Enterprise Grid org-wide install."""
        return not self.team_id


class Installs:
    """Every install and token; callers hold the fake's lock."""

    def __init__(self, default_token: str, default_grant: Grant) -> None:
        self.default_token = default_token
        self.tokens: dict[str, IssuedToken] = {
            default_token: IssuedToken(default_grant, None, None)
        }
        self.installs: dict[tuple[str, str], Install] = {}
        self._refresh: dict[str, Install] = {}
        # None: rotation off; else the lifetime of each new token, in seconds.
        self.rotation_lifetime: float | None = None
        self.refreshes = 0

    def check(self, token: str) -> Grant | str:
        """The grant of a working token, or Slack's error for it."""
        issued = self.tokens.get(token)
        if issued is None:
            return "invalid_auth"
        if issued.revoked:
            return "token_revoked"
        if issued.expires_at is not None and time.monotonic() >= issued.expires_at:
            return "token_expired"
        return issued.grant

    def install(
        self,
        team: Team,
        *,
        org_wide: bool,
        installer_user_id: str,
        scopes: tuple[str, ...],
        grant: Grant,
    ) -> tuple[Install, str]:
        """Install (or re-install) in team, or org-wide in its org; returns it and a new token."""
        key = (team.enterprise_id, "" if org_wide else team.team_id)
        current = self.installs.get(key)
        if current is None or current.uninstalled:
            current = Install(key[1], key[0], installer_user_id, scopes, grant, time.time())
            self.installs[key] = current
        else:
            # A re-install asks again: the scopes and installer are the latest ones.
            current.installer_user_id, current.scopes = installer_user_id, scopes
        token = self._issue(current)
        if self.rotation_lifetime is not None:
            self._new_refresh_token(current)
        return current, token

    def refresh(self, refresh_token: str) -> tuple[Install, str] | None:
        """A new token and refresh token for an install's current refresh token, else None."""
        install = self._refresh.get(refresh_token)
        if install is None or install.uninstalled:
            return None
        # A refresh token is good for one refresh: the answer carries the next one.
        token = self._issue(install)
        self._new_refresh_token(install)
        self.refreshes += 1
        return install, token

    def uninstall(self, install: Install | None, *, default_workspace: bool) -> list[str]:
        """Revoke an install's tokens (and the configured token, for the default workspace)."""
        revoked: list[str] = []
        if install is not None:
            install.uninstalled = True
            revoked.extend(install.tokens)
            self._refresh = {k: v for k, v in self._refresh.items() if v is not install}
        if default_workspace:
            revoked.append(self.default_token)
        for token in revoked:
            self.tokens[token].revoked = True
        return revoked

    def find(self, enterprise_id: str, team_id: str) -> Install | None:
        """The live install of this workspace (or org-wide install, team_id "")."""
        install = self.installs.get((enterprise_id, team_id))
        return install if install is not None and not install.uninstalled else None

    def expire(self, token: str) -> None:
        """Make token expired from now on; KeyError if Slack never issued it."""
        self.tokens[token].expires_at = time.monotonic()

    def record(self, install: Install) -> InstallRecord:
        """What tests read of an install."""
        return InstallRecord(
            team_id=install.team_id,
            enterprise_id=install.enterprise_id,
            installer_user_id=install.installer_user_id,
            scopes=install.scopes,
            bot_user_id=install.grant.bot_user_id,
            bot_id=install.grant.bot_id,
            bot_token=install.tokens[-1],
            tokens=tuple(install.tokens),
            refresh_token=install.refresh_token,
            installed=not install.uninstalled,
        )

    def expires_in(self) -> int | None:
        """The expires_in of a token issued now (None: rotation is off)."""
        lifetime = self.rotation_lifetime
        return None if lifetime is None else max(int(lifetime), 0)

    def _issue(self, install: Install) -> str:
        lifetime = self.rotation_lifetime
        if lifetime is None:
            token = f"xoxb-{secrets.randbelow(10**12)}-{secrets.randbelow(10**12)}-"
            token += secrets.token_hex(12)
            expires_at = None
        else:
            # Slack's rotating bot tokens carry the xoxe. prefix.
            token = f"xoxe.xoxb-1-{secrets.token_hex(32)}"
            expires_at = time.monotonic() + lifetime
        install.tokens.append(token)
        self.tokens[token] = IssuedToken(install.grant, install, expires_at)
        return token

    def _new_refresh_token(self, install: Install) -> None:
        self._refresh.pop(install.refresh_token, None)
        install.refresh_token = f"xoxe-1-{secrets.token_hex(32)}"
        self._refresh[install.refresh_token] = install
