"""The chat.* Web API methods: ephemeral and channel or DM messages, edits and deletions."""

from __future__ import annotations

from typing import Any

from devtools.fake_slack.blocks import MessageProblem, message_problem
from devtools.fake_slack.state import SlackState
from devtools.fake_slack.web_views import error
from devtools.fake_slack.workspaces import Grant


def _refused(problem: MessageProblem) -> dict[str, Any]:
    if not problem.messages:
        return error(problem.error)
    return error(problem.error, response_metadata={"messages": list(problem.messages)})


class ChatMethods:
    """chat.postEphemeral, chat.postMessage, chat.update, chat.delete; called with the lock held."""

    def __init__(self, state: SlackState) -> None:
        self.state = state
        self.workspace = state.workspace

    def methods(self) -> dict[str, Any]:
        """The methods by name."""
        return {
            "chat.postEphemeral": self.post_ephemeral,
            "chat.postMessage": self.post_message,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
        }

    def channel_error(self, channel: Any, grant: Grant, *, direct_ok: bool) -> str | None:
        """Why the grant's bot cannot post to channel, or None."""
        channel = str(channel or "")
        if not channel:
            return "channel_not_found"
        teams = self.state.teams
        # chat.postMessage to a user id lands in the bot's DM with them (in their workspace).
        if direct_ok and channel[0] in "UW":
            return None if teams.sees_user(grant, channel) else "channel_not_found"
        owner = teams.channel_team(channel)
        # Another workspace's channel does not exist for this token.
        if owner is not None and not teams.covers(grant, owner):
            return "channel_not_found"
        if not self.state.access.get(channel, channel.startswith("C")):
            return "not_in_channel" if channel.startswith("C") else "channel_not_found"
        # A channel Slack had not seen yet belongs to the workspace that used it first.
        teams.channel_visible(channel, grant)
        return None

    def post_ephemeral(self, args: dict[str, Any], grant: Grant) -> dict[str, Any]:
        """chat.postEphemeral: a message only user sees, in channel."""
        user = args.get("user")
        if not user:
            return error("user_not_found")
        problem = self.channel_error(args.get("channel"), grant, direct_ok=False)
        if problem:
            return error(problem)
        if not self.state.teams.sees_user(grant, str(user)):
            # Someone of another workspace is in none of this workspace's channels.
            return error("user_not_in_channel")
        refused = message_problem(args) if self.workspace.check_blocks else None
        if refused:
            return _refused(refused)
        message = self.state.record_message(str(user), "ephemeral", str(args["channel"]), args)
        ts = self.state.ts()
        self.state.screens.show(message, ts=ts)
        return {"ok": True, "message_ts": ts}

    def post_message(self, args: dict[str, Any], grant: Grant) -> dict[str, Any]:
        """chat.postMessage: to a channel, a DM, or a user id (their DM with the bot)."""
        channel = str(args.get("channel") or "")
        problem = self.channel_error(channel, grant, direct_ok=True)
        if problem:
            return error(problem)
        refused = message_problem(args) if self.workspace.check_blocks else None
        if refused:
            return _refused(refused)
        ts = self.state.ts()
        user = channel if channel[:1] in ("U", "W") else self.state.dm_users.get(channel)
        if user is not None:
            dm = channel if channel.startswith("D") else self.state.dm_channel_id(user)
            self.state.screens.show(self.state.record_message(user, "dm", dm, args), ts=ts)
        message = {
            "type": "message",
            "user": grant.bot_user_id,
            "bot_id": grant.bot_id,
            "app_id": self.workspace.api_app_id,
            "text": args.get("text") or "",
            "blocks": args.get("blocks") or [],
            "ts": ts,
        }
        # Slack answers a post to a user id with the DM channel it landed in.
        answered = self.state.dm_channel_id(channel) if channel[:1] in ("U", "W") else channel
        return {"ok": True, "channel": answered, "ts": ts, "message": message}

    def chat_update(self, args: dict[str, Any], grant: Grant) -> dict[str, Any]:
        """chat.update: edit a message the bot posted."""
        if not args.get("ts"):
            return error("message_not_found")
        channel = args.get("channel")
        if channel and not self.state.teams.channel_visible(str(channel), grant):
            return error("channel_not_found")
        refused = message_problem(args) if self.workspace.check_blocks else None
        if refused:
            return _refused(refused)
        raw = {k: v for k, v in args.items() if k != "token"}
        edited = {"text": args.get("text"), "blocks": args.get("blocks") or [], "raw": raw}
        self.state.screens.edit(str(channel or ""), str(args["ts"]), edited)
        return {"ok": True, "channel": channel, "ts": args["ts"], "text": args.get("text") or ""}

    def chat_delete(self, args: dict[str, Any], grant: Grant) -> dict[str, Any]:
        """chat.delete: remove a message the bot posted."""
        if not args.get("ts"):
            return error("message_not_found")
        channel = args.get("channel")
        if channel and not self.state.teams.channel_visible(str(channel), grant):
            return error("channel_not_found")
        self.state.screens.delete(str(channel or ""), str(args["ts"]))
        return {"ok": True, "channel": args.get("channel"), "ts": args["ts"]}
