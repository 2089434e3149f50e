"""Who sent a request, read from Bolt's context: the one rule every listener follows."""

from __future__ import annotations

from slack_bolt import BoltContext

from bot.domain import Requester, Workspace


def requester(context: BoltContext) -> Requester:
    """The enterprise, team and user Bolt found in the request ("" where Slack gave none)."""
    # Bolt reads these from wherever each payload kind keeps them (team.id, team_id,
    # user.team_id, event.user...), Enterprise Grid included.
    return Requester(
        team_id=context.team_id or "",
        user_id=context.user_id or "",
        enterprise_id=context.enterprise_id or "",
    )


def installed_workspace(context: BoltContext) -> Workspace:
    """The install a request is about: (E, "") for an org-wide one, else (E or "", T)."""
    enterprise_id = context.enterprise_id or ""
    if context.is_enterprise_install and enterprise_id:
        return Workspace(enterprise_id, "")
    return Workspace(enterprise_id, context.team_id or "")
