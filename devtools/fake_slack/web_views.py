"""The views.* Web API methods: modals opened with triggers, their stack, and Home tabs."""

from __future__ import annotations

import time
from typing import Any

from devtools.fake_slack.blocks import error_message, home_view_errors, view_errors
from devtools.fake_slack.state import SlackState, Trigger
from devtools.fake_slack.workspaces import Grant


def error(code: str, **extra: Any) -> dict[str, Any]:
    """Slack's answer to a refused call."""
    return {"ok": False, "error": code, **extra}


def invalid_arguments(messages: list[str]) -> dict[str, Any]:
    """Slack's answer to arguments it refuses, with one message per problem."""
    return error("invalid_arguments", response_metadata={"messages": messages})


class ViewMethods:
    """views.open, views.push, views.update and views.publish; called with the lock held."""

    def __init__(self, state: SlackState) -> None:
        self.state = state
        self.workspace = state.workspace

    def methods(self) -> dict[str, Any]:
        """The methods by name."""
        return {
            "views.open": self.views_open,
            "views.update": self.views_update,
            "views.push": self.views_push,
            "views.publish": self.views_publish,
        }

    def _take_trigger(
        self, args: dict[str, Any], grant: Grant
    ) -> tuple[dict[str, Any] | None, Trigger | None]:
        """The trigger the call carries, or the error Slack answers for it."""
        trigger_id = args.get("trigger_id")
        if not trigger_id:
            missing = error_message("missing required field: trigger_id", "")
            return invalid_arguments([missing]), None
        trigger = self.state.triggers.get(str(trigger_id))
        # A trigger of another workspace is as unknown to this token as a made-up one.
        if trigger is None or not self.state.teams.covers(grant, trigger.team_id):
            return error("invalid_trigger_id"), None
        if trigger.used:
            return error("exchanged_trigger_id"), None
        if time.monotonic() - trigger.issued_at > self.workspace.trigger_ttl:
            return error("expired_trigger_id"), None
        return None, trigger

    def views_open(self, args: dict[str, Any], grant: Grant) -> dict[str, Any]:
        """views.open: a modal, with a fresh trigger."""
        problem, trigger = self._take_trigger(args, grant)
        if problem or trigger is None:
            return problem or error("invalid_trigger_id")
        problem = self._view_problem(args.get("view"), team_id=trigger.team_id)
        if problem:
            return problem
        # Slack exchanges the trigger only when the view is accepted.
        trigger.used = True
        return {"ok": True, "view": self.state.views.store(args["view"], team_id=trigger.team_id)}

    def views_push(self, args: dict[str, Any], grant: Grant) -> dict[str, Any]:
        """views.push: a modal on top of the one the trigger's interaction came from."""
        problem, trigger = self._take_trigger(args, grant)
        if problem or trigger is None:
            return problem or error("invalid_trigger_id")
        problem = self._view_problem(args.get("view"), team_id=trigger.team_id)
        if problem:
            return problem
        trigger.used = True
        views = self.state.views
        parent = views.get(trigger.view_id or "")
        root = parent.view.get("root_view_id") if parent else None
        view = views.store(
            args["view"],
            previous_view_id=trigger.view_id,
            root_view_id=root,
            team_id=trigger.team_id,
        )
        return {"ok": True, "view": view}

    def views_publish(self, args: dict[str, Any], grant: Grant) -> dict[str, Any]:
        """views.publish: a user's Home tab."""
        user_id = str(args.get("user_id") or "")
        if not user_id:
            return invalid_arguments([error_message("missing required field: user_id", "")])
        if not self.state.teams.sees_user(grant, user_id):
            # Slack's answer for a user it does not know in this workspace.
            return invalid_arguments(["invalid `user_id`"])
        errors = home_view_errors(args.get("view")) if self.workspace.check_blocks else []
        if errors:
            return invalid_arguments(errors)
        self.state.counter += 1
        return {"ok": True, "view": {**args["view"], "id": f"VHOME{self.state.counter:06d}"}}

    def views_update(self, args: dict[str, Any], grant: Grant) -> dict[str, Any]:
        """views.update: replace an open view, by view_id or external_id."""
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            missing = error_message("either view_id or external_id is required", "")
            return invalid_arguments([missing])
        views = self.state.views
        stored = views.get(str(view_id)) if view_id else views.by_external_id(external_id)
        # Another workspace's view does not exist for this token.
        if stored is None or not self.state.teams.covers(grant, stored.team_id):
            return error("not_found")
        if args.get("hash") and args["hash"] != stored.view["hash"]:
            return error("hash_conflict")
        problem = self._view_problem(
            args.get("view"), team_id=stored.team_id, external_id_owner=stored.view["id"]
        )
        if problem:
            return problem
        view = views.store(
            args["view"],
            view_id=stored.view["id"],
            previous_view_id=stored.view.get("previous_view_id"),
            root_view_id=stored.view.get("root_view_id"),
            team_id=stored.team_id,
        )
        return {"ok": True, "view": view}

    def _view_problem(
        self, view: Any, *, team_id: str, external_id_owner: str | None = None
    ) -> dict[str, Any] | None:
        if view is None:
            return invalid_arguments([error_message("missing required field: view", "")])
        errors = view_errors(view) if self.workspace.check_blocks else []
        if errors:
            return invalid_arguments(errors)
        owner = self.state.views.by_external_id(view.get("external_id"), team_id)
        if owner is not None and owner.view["id"] != external_id_owner:
            return error("duplicate_external_id")
        return None
