"""The Web API: each call's token checked and mapped to its workspace, then answered.

views.* live in web_views, chat.* in web_chat, oauth.v2.access in oauth; here are the rest:
auth.test, conversations.open, users.info and chat.getPermalink.
"""

from __future__ import annotations

import contextlib
import copy
import json
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from devtools.fake_slack.blocks import error_message
from devtools.fake_slack.oauth import OAuth
from devtools.fake_slack.records import ApiCall
from devtools.fake_slack.server import Reply, json_reply, text_reply
from devtools.fake_slack.state import Failure, SlackState, consume
from devtools.fake_slack.web_chat import ChatMethods
from devtools.fake_slack.web_views import ViewMethods, invalid_arguments
from devtools.fake_slack.web_views import error as _error
from devtools.fake_slack.workspaces import Grant, domain_of, stable_id

# Form fields Slack documents as JSON-encoded strings; anything else stays a string.
_JSON_FORM_FIELDS = frozenset({"view", "blocks", "attachments", "metadata"})

_Method = Callable[[dict[str, Any], Grant], dict[str, Any]]

__all__ = ["WebApi", "decode_args", "invalid_arguments"]


class WebApi:
    """Answers Web API calls as Slack does, and records each one."""

    def __init__(self, state: SlackState) -> None:
        self.state = state
        self.workspace = state.workspace
        self.oauth = OAuth(state)
        self._methods: dict[str, _Method] = {
            "auth.test": self._auth_test,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
            "chat.getPermalink": self._get_permalink,
            **ChatMethods(state).methods(),
            **ViewMethods(state).methods(),
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
                reply = self._reply(method, args, headers, token)
            # Recorded before answering, so a waiter never misses a call the app saw answered.
            call = ApiCall(method, args, headers, token, time.monotonic(), reply.error)
            self.state.calls.append(call)
            self.state.cond.notify_all()
        return reply

    def _reply(
        self, method: str, args: dict[str, Any], headers: dict[str, str], token: str | None
    ) -> Reply:
        if method == "oauth.v2.access":
            return self._oauth_access(args, headers)
        handler = self._methods.get(method)
        if handler is None:
            return json_reply(_error("unknown_method"))
        if not token:
            return json_reply(_error("not_authed"))
        grant = self.state.installs.check(str(token))
        if isinstance(grant, str):
            return json_reply(_error(grant))
        rule = consume(self.state.failures.get(method))
        if rule is not None:
            return _failure_reply(rule)
        return json_reply(handler(args, grant))

    def _oauth_access(self, args: dict[str, Any], headers: dict[str, str]) -> Reply:
        # The one method called with the app's client credentials instead of a token.
        rule = consume(self.state.failures.get("oauth.v2.access"))
        if rule is not None:
            return _failure_reply(rule)
        return json_reply(self.oauth.access(args, headers))

    # --- the methods (called with the state's lock held) -----------------------------------------

    def _auth_test(self, args: dict[str, Any], grant: Grant) -> dict[str, Any]:
        if grant.org_wide:
            # An org-wide install's token speaks for the org: its id stands as the team's.
            name = self.state.teams.enterprise_name(grant.enterprise_id)
            url = f"https://{domain_of(name)}.enterprise.slack.com/"
            team_id, team_name = grant.enterprise_id, name
        else:
            team = self.state.teams.get(grant.team_id)
            url = f"https://{team.domain}.slack.com/"
            team_id, team_name = team.team_id, team.name
        answer: dict[str, Any] = {
            "ok": True,
            "url": url,
            "team": team_name,
            "user": "lenspin",
            "team_id": team_id,
            "user_id": grant.bot_user_id,
            "bot_id": grant.bot_id,
            "is_enterprise_install": grant.org_wide,
        }
        if grant.enterprise_id:
            answer["enterprise_id"] = grant.enterprise_id
        return answer

    def _get_permalink(self, args: dict[str, Any], grant: Grant) -> dict[str, Any]:
        channel, ts = str(args.get("channel") or ""), str(args.get("message_ts") or "")
        if not channel or not ts:
            return invalid_arguments([error_message("channel and message_ts are required", "")])
        teams = self.state.teams
        if not teams.channel_visible(channel, grant):
            return _error("channel_not_found")
        owner = teams.channel_team(channel) or ""
        known = {t.team_id: t for t in teams.all()}
        domain = known.get(owner, known.get(grant.team_id, teams.default)).domain
        link = f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def _conversations_open(self, args: dict[str, Any], grant: Grant) -> dict[str, Any]:
        raw_users = args.get("users") or ""
        if isinstance(raw_users, list):
            users = [str(u) for u in raw_users]
        else:
            users = [u.strip() for u in str(raw_users).split(",") if u.strip()]
        teams = self.state.teams
        if not users:
            if args.get("channel"):
                if not teams.channel_visible(str(args["channel"]), grant):
                    return _error("channel_not_found")
                return {"ok": True, "channel": {"id": args["channel"]}}
            return _error("users_list_not_supplied")
        if not all(teams.sees_user(grant, u) for u in users):
            return _error("user_not_found")
        team_id = teams.user_team(users[0]).team_id
        if len(users) == 1:
            channel_id = self.state.dm_channel_id(users[0])
            already = channel_id in self.state.dm_users
            self.state.dm_users[channel_id] = users[0]
        else:
            channel_id = stable_id("G", team_id, *sorted(users))
            already = self.state.access.get(channel_id, False)
        self.state.access[channel_id] = True
        teams.note_channel(channel_id, team_id)
        return {
            "ok": True,
            "no_op": already,
            "already_open": already,
            "channel": {"id": channel_id},
        }

    def _users_info(self, args: dict[str, Any], grant: Grant) -> dict[str, Any]:
        user_id = str(args.get("user") or "")
        if not user_id or not self.state.teams.sees_user(grant, user_id):
            return _error("user_not_found")
        if user_id in self.state.users:
            return {"ok": True, "user": copy.deepcopy(self.state.users[user_id])}
        if user_id[0] not in "UW":
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
