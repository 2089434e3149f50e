"""Posts to response_urls: at most five within their half hour, each message checked."""

from __future__ import annotations

import json
import time
from typing import Any

from devtools.fake_slack.blocks import message_problem
from devtools.fake_slack.records import ResponsePost
from devtools.fake_slack.server import Reply, text_reply
from devtools.fake_slack.state import RESPONSE_URL_MAX_POSTS, SlackState, consume


def handle_post(state: SlackState, base_url: str, path: str, body: bytes) -> Reply:
    """Answer a POST to the response_url at path, and record it before answering."""
    try:
        decoded = json.loads(body or b"null")
    except ValueError:
        decoded = None
    payload: dict[str, Any] = decoded if isinstance(decoded, dict) else {}
    with state.cond:
        reply = _reply(state, path, decoded, payload)
        state.posts.append(ResponsePost(base_url + path, payload, time.monotonic(), reply.status))
        state.cond.notify_all()
    return reply


def _refusal(state: SlackState, path: str) -> Reply | None:
    """Why Slack would refuse any post to this URL now, or None."""
    rule = consume(state.url_failures.get(path))
    if rule is not None:
        return text_reply(rule.status, rule.body, rule.body)
    issued = state.response_urls.get(path)
    if issued is None:
        return text_reply(404, "no_service", "no_service")
    if time.monotonic() - issued.issued_at > state.workspace.response_url_ttl:
        return text_reply(404, "expired_url", "expired_url")
    if issued.posts >= RESPONSE_URL_MAX_POSTS:
        return text_reply(404, "used_url", "used_url")
    return None


def _reply(state: SlackState, path: str, decoded: Any, payload: dict[str, Any]) -> Reply:
    refusal = _refusal(state, path)
    issued = state.response_urls.get(path)
    if refusal is not None or issued is None:
        return refusal or text_reply(404, "no_service", "no_service")
    if not isinstance(decoded, dict):
        return text_reply(400, "invalid_payload", "invalid_payload")
    is_message = not payload.get("delete_original")
    checked = is_message and state.workspace.check_blocks
    problem = message_problem(payload) if checked else None
    if problem:
        # Slack answers a refused response_url post with its error code as the whole body.
        return text_reply(400, problem.error, problem.error)
    issued.posts += 1
    if not is_message:
        state.screens.delete_by_url(path)
        return text_reply(200, "ok")
    message = state.record_message(issued.user_id, "response_url", issued.channel_id, payload)
    if payload.get("replace_original") in (True, "true"):
        state.screens.replace_by_url(path, message, ts=state.ts())
    else:
        state.screens.show(message, ts=state.ts(), url_path=path)
    return text_reply(200, "ok")
