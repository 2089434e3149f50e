"""The Web API methods the app calls: views.*, chat.*, conversations.open, users.info, auth.test."""

from __future__ import annotations

import contextlib
import copy
import hmac
import json
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from devtools.fake_slack.blocks import (
    MessageProblem,
    error_message,
    home_view_errors,
    message_problem,
    view_errors,
)
from devtools.fake_slack.records import ApiCall
from devtools.fake_slack.server import Reply, json_reply, text_reply
from devtools.fake_slack.state import Failure, SlackState, Trigger, consume, stable_id

# Form fields Slack documents as JSON-encoded strings; anything else stays a string.
_JSON_FORM_FIELDS = frozenset({"view", "blocks", "attachments", "metadata"})

_Method = Callable[[dict[str, Any]], dict[str, Any]]


def _error(error: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": error, **extra}


def invalid_arguments(messages: list[str]) -> dict[str, Any]:
    """Slack's answer to arguments it refuses, with one message per problem."""
    return _error("invalid_arguments", response_metadata={"messages": messages})


def _refused(problem: MessageProblem) -> dict[str, Any]:
    if not problem.messages:
        return _error(problem.error)
    return _error(problem.error, response_metadata={"messages": list(problem.messages)})


class WebApi:
    """Answers Web API calls as Slack does, and records each one."""

    def __init__(self, state: SlackState) -> None:
        self.state = state
        self.workspace = state.workspace
        self._methods: dict[str, _Method] = {
            "auth.test": self._auth_test,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.postMessage": self._post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
            "chat.getPermalink": self._get_permalink,
        }

    def handle(self, method: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        """Answer one call (on a server thread) and record it before the app sees the answer."""
        reply: Reply | None = None
        try:
            args = decode_args(query, headers, body)
        except ValueError:
            args, reply = {}, json_reply(_error("invalid_json"))
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else args.get("token")
        with self.state.cond:
            if reply is None:
                reply = self._reply(method, args, token)
            # Recorded before answering, so a waiter never misses a call the app saw answered.
            call = ApiCall(method, args, headers, token, time.monotonic(), reply.error)
            self.state.calls.append(call)
            self.state.cond.notify_all()
        return reply

    def _reply(self, method: str, args: dict[str, Any], token: str | None) -> Reply:
        handler = self._methods.get(method)
        if handler is None:
            return json_reply(_error("unknown_method"))
        if not token:
            return json_reply(_error("not_authed"))
        if not hmac.compare_digest(token, self.workspace.bot_token):
            return json_reply(_error("invalid_auth"))
        rule = consume(self.state.failures.get(method))
        if rule is not None:
            return _failure_reply(rule)
        return json_reply(handler(args))

    # --- the methods (called with the state's lock held) -----------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.workspace.team_domain}.slack.com/",
            "team": self.workspace.team_name,
            "user": "lenspin",
            "team_id": self.workspace.team_id,
            "user_id": self.workspace.bot_user_id,
            "bot_id": self.workspace.bot_id,
            "is_enterprise_install": False,
        }

    def _take_trigger(self, args: dict[str, Any]) -> tuple[dict[str, Any] | None, Trigger | None]:
        """The trigger the call carries, or the error Slack answers for it."""
        trigger_id = args.get("trigger_id")
        if not trigger_id:
            missing = error_message("missing required field: trigger_id", "")
            return invalid_arguments([missing]), None
        trigger = self.state.triggers.get(str(trigger_id))
        if trigger is None:
            return _error("invalid_trigger_id"), None
        if trigger.used:
            return _error("exchanged_trigger_id"), None
        if time.monotonic() - trigger.issued_at > self.workspace.trigger_ttl:
            return _error("expired_trigger_id"), None
        return None, trigger

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        problem, trigger = self._take_trigger(args)
        problem = problem or self._view_problem(args.get("view"))
        if problem or trigger is None:
            return problem or _error("invalid_trigger_id")
        # Slack exchanges the trigger only when the view is accepted.
        trigger.used = True
        return {"ok": True, "view": self.state.views.store(args["view"])}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        problem, trigger = self._take_trigger(args)
        problem = problem or self._view_problem(args.get("view"))
        if problem or trigger is None:
            return problem or _error("invalid_trigger_id")
        trigger.used = True
        views = self.state.views
        parent = views.get(trigger.view_id or "")
        root = parent.view.get("root_view_id") if parent else None
        view = views.store(args["view"], previous_view_id=trigger.view_id, root_view_id=root)
        return {"ok": True, "view": view}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user_id"):
            return invalid_arguments([error_message("missing required field: user_id", "")])
        errors = home_view_errors(args.get("view")) if self.workspace.check_blocks else []
        if errors:
            return invalid_arguments(errors)
        self.state.counter += 1
        return {"ok": True, "view": {**args["view"], "id": f"VHOME{self.state.counter:06d}"}}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            missing = error_message("either view_id or external_id is required", "")
            return invalid_arguments([missing])
        views = self.state.views
        stored = views.get(str(view_id)) if view_id else views.by_external_id(external_id)
        if stored is None:
            return _error("not_found")
        if args.get("hash") and args["hash"] != stored.view["hash"]:
            return _error("hash_conflict")
        problem = self._view_problem(args.get("view"), external_id_owner=stored.view["id"])
        if problem:
            return problem
        view = views.store(
            args["view"],
            view_id=stored.view["id"],
            previous_view_id=stored.view.get("previous_view_id"),
            root_view_id=stored.view.get("root_view_id"),
        )
        return {"ok": True, "view": view}

    def _view_problem(
        self, view: Any, *, external_id_owner: str | None = None
    ) -> dict[str, Any] | None:
        if view is None:
            return invalid_arguments([error_message("missing required field: view", "")])
        errors = view_errors(view) if self.workspace.check_blocks else []
        if errors:
            return invalid_arguments(errors)
        owner = self.state.views.by_external_id(view.get("external_id"))
        if owner is not None and owner.view["id"] != external_id_owner:
            return _error("duplicate_external_id")
        return None

    def _get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel") or ""), str(args.get("message_ts") or "")
        if not channel or not ts:
            return invalid_arguments([error_message("channel and message_ts are required", "")])
        domain = self.workspace.team_domain
        link = f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _channel_error(self, channel: Any, *, direct_ok: bool) -> str | None:
        channel = str(channel or "")
        if not channel:
            return "channel_not_found"
        # chat.postMessage to a user id lands in the bot's DM with them.
        if direct_ok and channel[0] in "UW":
            return None
        if self.state.access.get(channel, channel.startswith("C")):
            return None
        return "not_in_channel" if channel.startswith("C") else "channel_not_found"

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        user = args.get("user")
        if not user:
            return _error("user_not_found")
        error = self._channel_error(args.get("channel"), direct_ok=False)
        if error:
            return _error(error)
        problem = message_problem(args) if self.workspace.check_blocks else None
        if problem:
            return _refused(problem)
        message = self.state.record_message(str(user), "ephemeral", str(args["channel"]), args)
        ts = self.state.ts()
        self.state.screens.show(message, ts=ts)
        return {"ok": True, "message_ts": ts}

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        error = self._channel_error(channel, direct_ok=True)
        if error:
            return _error(error)
        problem = message_problem(args) if self.workspace.check_blocks else None
        if problem:
            return _refused(problem)
        ts = self.state.ts()
        user = channel if channel[:1] in ("U", "W") else self.state.dm_users.get(channel)
        if user is not None:
            dm = channel if channel.startswith("D") else self.state.dm_channel_id(user)
            self.state.screens.show(self.state.record_message(user, "dm", dm, args), ts=ts)
        message = {
            "type": "message",
            "user": self.workspace.bot_user_id,
            "bot_id": self.workspace.bot_id,
            "app_id": self.workspace.api_app_id,
            "text": args.get("text") or "",
            "blocks": args.get("blocks") or [],
            "ts": ts,
        }
        # Slack answers a post to a user id with the DM channel it landed in.
        answered = self.state.dm_channel_id(channel) if channel[:1] in ("U", "W") else channel
        return {"ok": True, "channel": answered, "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("ts"):
            return _error("message_not_found")
        problem = message_problem(args) if self.workspace.check_blocks else None
        if problem:
            return _refused(problem)
        channel = args.get("channel")
        raw = {k: v for k, v in args.items() if k != "token"}
        edited = {"text": args.get("text"), "blocks": args.get("blocks") or [], "raw": raw}
        self.state.screens.edit(str(channel or ""), str(args["ts"]), edited)
        return {"ok": True, "channel": channel, "ts": args["ts"], "text": args.get("text") or ""}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("ts"):
            return _error("message_not_found")
        self.state.screens.delete(str(args.get("channel") or ""), str(args["ts"]))
        return {"ok": True, "channel": args.get("channel"), "ts": args["ts"]}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        raw_users = args.get("users") or ""
        if isinstance(raw_users, list):
            users = [str(u) for u in raw_users]
        else:
            users = [u.strip() for u in str(raw_users).split(",") if u.strip()]
        if not users:
            if args.get("channel"):
                return {"ok": True, "channel": {"id": args["channel"]}}
            return _error("users_list_not_supplied")
        if len(users) == 1:
            channel_id = self.state.dm_channel_id(users[0])
            already = channel_id in self.state.dm_users
            self.state.dm_users[channel_id] = users[0]
        else:
            channel_id = stable_id("G", self.workspace.team_id, *sorted(users))
            already = self.state.access.get(channel_id, False)
        self.state.access[channel_id] = True
        return {
            "ok": True,
            "no_op": already,
            "already_open": already,
            "channel": {"id": channel_id},
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user") or "")
        if user_id in self.state.users:
            return {"ok": True, "user": copy.deepcopy(self.state.users[user_id])}
        if not user_id or user_id[0] not in "UW":
            return _error("user_not_found")
        return {"ok": True, "user": self.state.user_object(user_id)}


def _failure_reply(rule: Failure) -> Reply:
    if rule.status == 429:
        payload = _error("ratelimited")
        return json_reply(payload, 429, **{"Retry-After": str(rule.retry_after or 1)})
    if rule.status >= 500:
        # Slack's edge answers 5xx with an HTML page, not JSON.
        try:
            phrase = HTTPStatus(rule.status).phrase
        except ValueError:
            phrase = ""
        page = f"<html><head><title>{rule.status} {phrase}</title></head><body></body></html>"
        return text_reply(rule.status, page, rule.error)
    return json_reply(_error(rule.error), rule.status)


def decode_args(query: str, headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    """Merge query and body arguments the way Slack reads them; ValueError on a bad JSON body."""
    args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if not body.strip():
        return args
    if content_type.lower().startswith("application/json"):
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("JSON body is not an object")
        args.update(decoded)
        return args
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    for key, values in form.items():
        value: Any = values[-1]
        if key in _JSON_FORM_FIELDS and value[:1] in ("{", "["):
            # A string that is not JSON stays a string; the method reports it as Slack would.
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        args[key] = value
    return args
