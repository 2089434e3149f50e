"""FakeSlack's workspaces and installs: adding workspaces and users, scripting who approves an
install, token rotation and expiry, uninstalling (with the events Slack sends), and what is
installed now."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from devtools.fake_slack.app_requests import AppRequests
from devtools.fake_slack.installs import TOKEN_LIFETIME, Install, InstallRecord
from devtools.fake_slack.oauth import AUTHORIZE_PATH, Approval, AuthorizeRequest
from devtools.fake_slack.records import AppResponse
from devtools.fake_slack.state import SlackState, Workspace
from devtools.fake_slack.workspaces import Grant, Team, default_installer, domain_of


class InstallControls:
    """Several workspaces and OAuth installs, for FakeSlack."""

    workspace: Workspace
    _state: SlackState
    _cond: threading.Condition
    _to_app: AppRequests

    if TYPE_CHECKING:

        @property
        def url(self) -> str:
            """The fake's base URL."""

    # --- the app's OAuth credentials -----------------------------------------------------------

    @property
    def client_id(self) -> str:
        """The app's client id, as oauth.v2.access and the authorize page check it."""
        return self.workspace.client_id

    @property
    def client_secret(self) -> str:
        """The app's client secret."""
        return self.workspace.client_secret

    @property
    def authorize_url(self) -> str:
        """Slack's authorize page, for Bolt's authorization_url (SLACK_OAUTH_AUTHORIZE_URL)."""
        return self.url + AUTHORIZE_PATH

    # --- workspaces and users ------------------------------------------------------------------

    def add_workspace(
        self,
        team_id: str,
        *,
        name: str,
        domain: str | None = None,
        enterprise_id: str = "",
        enterprise_name: str = "",
    ) -> Team:
        """Play one more workspace (in an Enterprise Grid org when enterprise_id is given)."""
        if enterprise_id and not enterprise_name:
            enterprise_name = f"{name} Org"
        team = Team(team_id, name, domain or domain_of(name), enterprise_id, enterprise_name)
        with self._cond:
            self._state.teams.add(team)
        return team

    @property
    def workspaces(self) -> list[Team]:
        """Every workspace the fake plays, the default one first."""
        with self._cond:
            return self._state.teams.all()

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        team_id: str | None = None,
        admin: bool = False,
        owner: bool = False,
        org_admin: bool = False,
        org_owner: bool = False,
        also_in: Sequence[str] = (),
        deleted: bool = False,
    ) -> None:
        """Give users.info (and payloads) a user's details, workspace and role.

        team_id None: the workspace the user already acted in, else the default one. admin and
        owner are roles in that workspace (an owner is an admin too, as in Slack); org_admin and
        org_owner in its Enterprise Grid org, which Slack tells apart. also_in: other workspaces
        of the org the user is a member of (tokens there see them, requests may come from there).
        deleted: a deactivated account.
        """
        with self._cond:
            teams = self._state.teams
            team = teams.get(team_id) if team_id else teams.user_team(user_id)
            teams.place_user(user_id, team, tuple(also_in))
            user = self._state.user_object(
                user_id,
                team=team,
                name=name,
                real_name=real_name,
                display_name=display_name,
                email=email,
                admin=admin,
                owner=owner,
                org_admin=org_admin,
                org_owner=org_owner,
                also_in=tuple(also_in),
                deleted=deleted,
            )
            self._state.users[user_id] = user

    # --- installing ----------------------------------------------------------------------------

    def default_installer(self, team_id: str | None = None) -> str:
        """Who approves an install of team_id when next_install named nobody (an admin)."""
        with self._cond:
            return default_installer(self._state.teams.get(team_id))

    def next_install(
        self, team_id: str | None = None, *, user_id: str | None = None, org_wide: bool = False
    ) -> None:
        """Script the next authorize visit: user_id of team_id approves the install.

        org_wide: the install is for team_id's Enterprise Grid org as a whole. Without a
        script, the default workspace's default installer approves (or the team= one's).
        """
        with self._cond:
            team, installer = self._approver(team_id, user_id, org_wide=org_wide)
            self._state.oauth.approvals.append(Approval(team.team_id, installer, org_wide))

    def install(
        self,
        team_id: str | None = None,
        *,
        scopes: Sequence[str],
        user_id: str | None = None,
        org_wide: bool = False,
    ) -> InstallRecord:
        """Install the app in team_id (None: the default workspace) at once, with a new token.

        What an approved authorize visit and the code's exchange leave, without either: for
        tests of what follows an install (tokens an app keeps, refreshes, uninstalls). Token
        rotation applies when it is on; user_id and org_wide are as for next_install.
        """
        with self._cond:
            team, installer = self._approver(team_id, user_id, org_wide=org_wide)
            install, _token = self._state.installs.install(
                team,
                org_wide=org_wide,
                installer_user_id=installer,
                scopes=tuple(scopes),
                grant=self._state.install_grant(team, org_wide=org_wide),
            )
            return self._state.installs.record(install)

    def _approver(
        self, team_id: str | None, user_id: str | None, *, org_wide: bool
    ) -> tuple[Team, str]:
        """The workspace an install is made from and who approves it; call with the lock held."""
        team = self._state.teams.get(team_id)
        if org_wide and not team.enterprise_id:
            raise ValueError(f"{team.team_id} belongs to no enterprise: no org-wide install")
        installer = user_id or self._state.admit_default_installer(team)
        self._state.teams.claim_user(installer, team)
        return team, installer

    def deny_next_install(self) -> None:
        """The next authorize visit is cancelled: the app gets error=access_denied."""
        with self._cond:
            self._state.oauth.approvals.append(Approval(None, None, deny=True))

    @property
    def authorize_requests(self) -> list[AuthorizeRequest]:
        """Every visit to the authorize page, with the scopes asked and how it ended."""
        with self._cond:
            return list(self._state.oauth.requests)

    # --- tokens --------------------------------------------------------------------------------

    def enable_token_rotation(self, lifetime: float = TOKEN_LIFETIME) -> None:
        """Turn token rotation on: installs from now on get expiring tokens and refresh tokens.

        Bolt refreshes a token that expires within two hours: a lifetime under that makes it
        refresh before each request.
        """
        with self._cond:
            self._state.installs.rotation_lifetime = lifetime

    @property
    def token_refreshes(self) -> int:
        """How many times oauth.v2.access refreshed a token."""
        with self._cond:
            return self._state.installs.refreshes

    def expire_token(self, token: str) -> None:
        """Make a bot token expired now (token_expired from then on), without waiting."""
        with self._cond:
            if token not in self._state.installs.tokens:
                raise ValueError("the fake never issued this token")
            self._state.installs.expire(token)

    def token_status(self, token: str) -> str:
        """ "ok" for a working bot token, else the error Slack answers it with."""
        with self._cond:
            grant = self._state.installs.check(token)
        return grant if isinstance(grant, str) else "ok"

    @property
    def installations(self) -> list[InstallRecord]:
        """The installs in place now, oldest first."""
        with self._cond:
            installs = self._state.installs
            return [installs.record(i) for i in installs.installs.values() if not i.uninstalled]

    def installation(
        self, team_id: str | None = None, *, enterprise_id: str | None = None
    ) -> InstallRecord | None:
        """The latest install of team_id (None: the default workspace), or with only
        enterprise_id, the org-wide one; None if never installed. Uninstalled: installed False."""
        with self._cond:
            key = self._install_key(team_id, enterprise_id)
            install = self._state.installs.installs.get(key)
            return None if install is None else self._state.installs.record(install)

    # --- uninstalling --------------------------------------------------------------------------

    def uninstall(
        self,
        app_url: str,
        *,
        team_id: str | None = None,
        enterprise_id: str | None = None,
        timeout: float = 10.0,
    ) -> list[AppResponse]:
        """Uninstall the app from team_id (None: the default workspace), or with only
        enterprise_id from that org: its tokens are revoked, then the app gets Slack's signed
        app_uninstalled and tokens_revoked events. Returns the app's two answers."""
        with self._cond:
            teams, installs = self._state.teams, self._state.installs
            enterprise, team = self._install_key(team_id, enterprise_id)
            org_wide = not team
            install = installs.find(enterprise, team)
            default = not org_wide and team == teams.default.team_id
            if install is None and not default:
                where = team or f"enterprise {enterprise}"
                raise ValueError(f"the app is not installed in {where}")
            grant = self._uninstall_grant(install, teams.get(team) if team else None)
            installs.uninstall(install, default_workspace=default)
            event_team = teams.get(team) if team else teams.of_enterprise(enterprise)[0]
        bodies: list[dict[str, Any]] = [
            {"type": "app_uninstalled"},
            {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [grant.bot_user_id]}},
        ]
        return [
            self._to_app.send_signed(
                app_url,
                self._to_app.event_body(event, team=event_team, org_wide=org_wide, grant=grant),
                timeout=timeout,
                content_type="application/json",
            )
            for event in bodies
        ]

    def _uninstall_grant(self, install: Install | None, team: Team | None) -> Grant:
        if install is not None:
            return install.grant
        assert team is not None  # only the default workspace is installed without OAuth
        return self._state.bot_grant(team)

    def _install_key(self, team_id: str | None, enterprise_id: str | None) -> tuple[str, str]:
        """(enterprise_id, team_id) of an install; call with the lock held."""
        teams = self._state.teams
        if team_id is None and enterprise_id:
            teams.enterprise_name(enterprise_id)  # ValueError for an unknown org
            return (enterprise_id, "")
        team = teams.get(team_id)
        if enterprise_id and enterprise_id != team.enterprise_id:
            raise ValueError(f"{team.team_id} does not belong to enterprise {enterprise_id}")
        return (team.enterprise_id, team.team_id)
