"""Slack's oauth.v2.access and auth.test on loopback, for the OAuth tests.

A stand-in of a few lines until devtools/fake_slack serves OAuth itself (being added
alongside): codes are single use, refresh tokens too, and every call is recorded.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "0123456789abcdef0123456789abcdef"
BOT_USER_ID = "U0LENSBOT"
BOT_ID = "B0LENSBOT"


@dataclass(frozen=True)
class Call:
    """One call received: its method and form fields, the client or the token it came with."""

    method: str
    fields: dict[str, str]
    client: str
    token: str = ""


@dataclass
class OAuthSlack:
    """The OAuth half of Slack's Web API; api_url is what SLACK_API_URL would be."""

    port: int = 0
    lifetime: int = 43200
    calls: list[Call] = field(default_factory=list)
    # code -> oauth.v2.access's answer for it (used once).
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # refresh token -> the team it refreshes (used once, as Slack's are).
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    _counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def add_code(
        self,
        code: str,
        *,
        team_id: str | None,
        team_name: str = "",
        enterprise_id: str = "",
        enterprise_name: str = "",
        org_wide: bool = False,
        token: str = "xoxb-installed-1",  # noqa: S107 (a stand-in's)
        rotating: bool = False,
    ) -> None:
        """The next install: what oauth.v2.access answers for code."""
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": "A0LENSPIN",
            "access_token": token,
            "token_type": "bot",
            "scope": "commands,chat:write,users:read,users:read.email",
            "bot_user_id": BOT_USER_ID,
            "team": {"id": team_id, "name": team_name} if team_id else None,
            "enterprise": {"id": enterprise_id, "name": enterprise_name} if enterprise_id else None,
            "is_enterprise_install": org_wide,
            "authed_user": {"id": "U0ADMIN"},
        }
        if rotating:
            refresh = f"xoxe-1-refresh-{next(self._counter)}"
            answer |= {"refresh_token": refresh, "expires_in": self.lifetime}
            self.refresh_tokens[refresh] = team_id or enterprise_id
        self.codes[code] = answer

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def answer(
        self, method: str, fields: dict[str, str], client: str, token: str
    ) -> dict[str, Any]:
        with self._lock:
            self.calls.append(Call(method, fields, client, token))
            if method == "auth.test":
                return {"ok": True, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "team": "T"}
            if method != "oauth.v2.access":
                return {"ok": False, "error": "unknown_method"}
            if client != f"{CLIENT_ID}:{CLIENT_SECRET}":
                return {"ok": False, "error": "invalid_client_id"}
            if fields.get("grant_type") == "refresh_token":
                return self._refresh(fields.get("refresh_token", ""))
            answer = self.codes.pop(fields.get("code", ""), None)
            return answer or {"ok": False, "error": "invalid_code"}

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        team = self.refresh_tokens.pop(refresh_token, None)
        if team is None:
            return {"ok": False, "error": "invalid_refresh_token"}
        n = next(self._counter)
        refresh = f"xoxe-1-refresh-{n}"
        self.refresh_tokens[refresh] = team
        return {
            "ok": True,
            "access_token": f"xoxe.xoxb-refreshed-{n}",
            "token_type": "bot",
            "refresh_token": refresh,
            "expires_in": self.lifetime,
            "team": {"id": team},
        }


def _handler(slack: OAuthSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            fields = {k: v[-1] for k, v in form.items()}
            auth = self.headers.get("Authorization", "")
            client = base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else ""
            token = auth[7:] if auth.startswith("Bearer ") else ""
            if not client and "client_id" in fields:
                client = f"{fields['client_id']}:{fields.get('client_secret', '')}"
            method = self.path.removeprefix("/api/")
            body = json.dumps(slack.answer(method, fields, client, token)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def oauth_slack() -> Iterator[OAuthSlack]:
    """An OAuthSlack serving on a free loopback port until the block ends."""
    slack = OAuthSlack()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(slack))
    server.daemon_threads = True
    slack.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    try:
        yield slack
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
