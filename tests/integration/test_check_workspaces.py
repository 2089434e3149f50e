"""`python -m bot check` serving several workspaces: the OAuth client, the pages, the installs.

The OAuth client is checked against a loopback server answering oauth.v2.access as Slack
does (Basic auth, invalid_code for a code it never issued); the installs come from the in-memory
store (tests/support/doubles.py), and for every line at once from a migrated database.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient

from bot.check import check_installs, check_oauth_client, check_public_url, describe, run_checks
from bot.config import Settings
from bot.domain import Installation, StoreUnavailable, Workspace
from bot.store import Keyring, Store
from tests.support import ENCRYPTION_KEY, MemoryStore, fresh_database
from tests.support.doubles import installation
from tests.support.served import Served

CLIENT_ID = "1234567890.9876543210"
CLIENT_SECRET = "client-secret-never-printed-0123456789"
SIGNING_SECRET = "signing-secret-never-printed-0123456789"
# Every wait here ends by then: the client's own timeout, and the server's shutdown.
TIMEOUT = 2.0


class SlackLike(Served):
    """oauth.v2.access as Slack answers it, and lenspin's health check, on loopback."""

    def __init__(self) -> None:
        self.client = (CLIENT_ID, CLIENT_SECRET)
        self.status = 200
        # Set to answer every exchange with this instead of Slack's own verdict.
        self.answer: dict[str, object] | None = None
        self.exchanges: list[tuple[str, tuple[str, str], dict[str, list[str]]]] = []
        slack = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                scheme, _, value = (self.headers.get("Authorization") or "").partition(" ")
                user, _, password = base64.b64decode(value).decode().partition(":")
                client = (user, password) if scheme == "Basic" else ("", "")
                slack.exchanges.append((self.path, client, form))
                self._send(slack.status, json.dumps(slack.verdict(client)).encode())

            def do_GET(self) -> None:
                self._send(200 if self.path == "/healthz" else 404, b"ok")

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        super().__init__(server)

    def verdict(self, client: tuple[str, str]) -> dict[str, object]:
        if self.answer is not None:
            return self.answer
        if client[0] != self.client[0]:
            return {"ok": False, "error": "invalid_client_id"}
        if client[1] != self.client[1]:
            return {"ok": False, "error": "bad_client_secret"}
        return {"ok": False, "error": "invalid_code"}


@pytest.fixture
def slack() -> Iterator[SlackLike]:
    with SlackLike() as served:
        yield served


def several(slack_url: str, **env: str) -> Settings:
    """Settings serving several workspaces, Slack's Web API and the public URL at slack_url."""
    return Settings.from_env(
        {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{slack_url}/api/",
            "LENSPIN_PUBLIC_URL": slack_url,
            "LENSPIN_ENCRYPTION_KEY": ENCRYPTION_KEY,
            **env,
        }
    )


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


INSTALLED = datetime(2026, 1, 1, tzinfo=UTC)


def install(n: int, name: str, *, enterprise_id: str = "") -> Installation:
    """The n-th install: of workspace Tn, or with enterprise_id, org-wide."""
    workspace = Workspace(enterprise_id, "" if enterprise_id else f"T{n}")
    at = INSTALLED + timedelta(minutes=n)
    return installation(workspace, bot_token=f"xoxb-{n}", name=name, installed_at=at)


def holding(*installs: Installation) -> MemoryStore:
    """A store holding these installs (oldest first, as installations() lists them)."""
    store = MemoryStore()
    for kept in installs:
        store.workspaces().save_installation(kept)
    return store


# The OAuth client: oauth.v2.access with a code no install ever has.


def test_a_right_client_is_ok_and_slack_was_asked_as_bolt_asks_it(slack: SlackLike) -> None:
    result = check_oauth_client(several(slack.url))
    assert result.ok
    assert result.line() == (
        f"OK  Slack accepts SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (app client {CLIENT_ID})"
    )
    ((path, client, form),) = slack.exchanges
    assert path == "/api/oauth.v2.access"
    assert client == (CLIENT_ID, CLIENT_SECRET)  # HTTP Basic, never in the form
    assert form == {"code": ["lenspin-check"]}


@pytest.mark.parametrize(
    ("client", "code", "advice"),
    [
        (("9999999999.1111111111", CLIENT_SECRET), "invalid_client_id", "Slack knows no app"),
        (
            (CLIENT_ID, "another-secret"),
            "bad_client_secret",
            "Slack does not accept SLACK_CLIENT_SECRET",
        ),
    ],
)
def test_a_wrong_id_or_secret_is_a_fail_that_names_it(
    slack: SlackLike, client: tuple[str, str], code: str, advice: str
) -> None:
    slack.client = client
    result = check_oauth_client(several(slack.url))
    assert not result.ok
    assert result.text.startswith(advice)
    assert result.text.endswith(f"(Slack answered oauth.v2.access with {code})")
    assert "Basic Information → App Credentials" in result.text
    assert CLIENT_SECRET not in result.text


def test_another_slack_error_is_shown_with_general_advice(slack: SlackLike) -> None:
    slack.answer = {"ok": False, "error": "ratelimited"}
    slack.status = 429
    result = check_oauth_client(several(slack.url))
    assert not result.ok
    assert result.text.startswith("check SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    assert result.text.endswith("(Slack answered oauth.v2.access with ratelimited)")


def test_something_other_than_slack_answering_is_named(slack: SlackLike) -> None:
    slack.status = 404
    slack.answer = {"not": "slack"}
    result = check_oauth_client(several(slack.url))
    assert not result.ok
    assert result.text.startswith(f"Slack answered HTTP 404 at SLACK_API_URL ({slack.url}/api/)")


def test_an_answer_slack_never_gives_is_not_taken_as_ok(slack: SlackLike) -> None:
    slack.answer = {"ok": True, "access_token": "xoxb-made-up"}
    result = check_oauth_client(several(slack.url))
    assert not result.ok
    assert "accepted a made-up oauth.v2.access code" in result.text


def test_nothing_listening_is_a_fail_naming_slack_api_url() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    result = check_oauth_client(several(url))
    assert not result.ok
    assert result.text.startswith(f"Cannot reach Slack at SLACK_API_URL ({url}/api/)")


def test_a_slack_that_never_answers_fails_after_the_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        client = WebClient(base_url=f"{url}/api/", timeout=0.5)
        client.retry_handlers.clear()  # one try: the wait measured is the timeout's alone
        started = time.monotonic()
        result = check_oauth_client(several(url), client)
        waited = time.monotonic() - started
    assert 0.4 < waited < TIMEOUT
    assert not result.ok
    assert result.text.startswith(f"Cannot reach Slack at SLACK_API_URL ({url}/api/)")


# The public URL: what the app's Redirect URL must be, answering or not.


def test_the_public_url_line_says_the_install_page_and_the_redirect_url(slack: SlackLike) -> None:
    result = check_public_url(several(slack.url), timeout=TIMEOUT)
    assert result.ok
    assert result.text == (
        f"LENSPIN_PUBLIC_URL answers: the connect page is at {slack.url}; admins add lenspin "
        f"at {slack.url}/slack/install, and the app's Redirect URL (OAuth & Permissions) must "
        f"be {slack.url}/slack/oauth_redirect"
    )


def test_a_silent_public_url_still_says_the_redirect_url() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    result = check_public_url(several(url), timeout=TIMEOUT)
    assert not result.ok
    assert result.text.startswith(f"LENSPIN_PUBLIC_URL ({url}) does not answer")
    assert result.text.endswith(f"must be {url}/slack/oauth_redirect")


# The installs: how many, and the names of the first ten.


def test_no_install_yet_is_ok_and_says_where_admins_add_lenspin() -> None:
    result = check_installs(several("https://lenspin.example.com"), holding())
    assert result.line() == (
        "OK  No workspace has installed lenspin yet: admins add it at "
        "https://lenspin.example.com/slack/install"
    )


def test_installs_are_counted_and_named_an_org_wide_one_as_such() -> None:
    installs = [
        install(1, "Acme Helpdesk"),
        install(2, "Globex", enterprise_id="E1"),
        install(3, "Initech"),
    ]
    result = check_installs(several("https://lenspin.example.com"), holding(*installs))
    assert result.line() == (
        "OK  Installed in 3 workspaces: Acme Helpdesk, Globex (Enterprise Grid org), Initech"
    )
    one = check_installs(several("https://lenspin.example.com"), holding(installs[0]))
    assert one.text == "Installed in 1 workspace: Acme Helpdesk"


def test_beyond_ten_installs_the_rest_are_counted() -> None:
    installs = [install(n, f"Team {n}") for n in range(1, 13)]
    result = check_installs(several("https://lenspin.example.com"), holding(*installs))
    assert result.text == (
        "Installed in 12 workspaces: "
        + ", ".join(f"Team {n}" for n in range(1, 11))
        + " and 2 more"
    )


def test_a_name_cannot_steer_the_admins_terminal() -> None:
    store = holding(install(1, "Acme\x1b[2J\nHelpdesk"))
    result = check_installs(several("https://lenspin.example.com"), store)
    assert result.text == "Installed in 1 workspace: Acme?[2J?Helpdesk"


def test_a_database_that_does_not_answer_is_a_fail_without_its_words() -> None:
    store = holding()
    store.down = StoreUnavailable("the database did not answer within 3 s", timed_out=True)
    result = check_installs(several("https://lenspin.example.com"), store)
    assert not result.ok
    assert result.text == (
        "Installed workspaces cannot be listed: the database did not give them "
        "(StoreUnavailable; see the database line above)"
    )


def test_without_a_store_the_installs_line_fails_pointing_at_the_database_line() -> None:
    result = check_installs(several("https://lenspin.example.com"), None)
    assert not result.ok
    assert "see its line above" in result.text


# Every line, as `python -m bot check` prints them.


def test_the_first_line_names_the_mode_and_the_rescue_line_the_admins_own_codes() -> None:
    settings = several("https://lenspin.example.com")
    assert describe(settings) == (
        "Settings are complete and valid (serving several workspaces over HTTP; Slack's first "
        "request will confirm SLACK_SIGNING_SECRET)"
    )


@pytest.mark.parametrize("right", [True, False], ids=["right-client", "wrong-secret"])
def test_run_checks_prints_five_lines_and_never_a_secret(slack: SlackLike, right: bool) -> None:
    if not right:
        slack.client = (CLIENT_ID, "the-secret-slack-has")
    settings = several(slack.url)
    store = Store.from_url(fresh_database(), Keyring.from_setting(ENCRYPTION_KEY))
    for kept in (install(1, "Acme Helpdesk"), install(2, "Globex")):
        store.workspaces().save_installation(kept)
    out = io.StringIO()
    try:
        passed = run_checks(settings, out=out, store=store)
    finally:
        store.engine.dispose()
    text = out.getvalue()
    lines = text.splitlines()
    assert passed is right, text
    assert len(lines) == 7
    assert lines[0] == describe(settings)
    assert lines[1].startswith("OK  Slack accepts" if right else "FAIL  Slack does not accept")
    assert lines[2] == (
        "OK  No shared Rescue auth code from the environment (serving several workspaces): each "
        "workspace's admins set theirs, or single sign-on, in lenspin's Home tab (Admin); "
        "technicians may connect their own accounts with /lenspin connect"
    )
    assert lines[3].startswith("OK  Database reachable and migrated (sqlite)")
    assert lines[4].startswith("OK  LENSPIN_PUBLIC_URL answers")
    assert lines[5] == "OK  Installed in 2 workspaces: Acme Helpdesk, Globex"
    assert lines[6].startswith("OK  Every check passed" if right else "FAIL  1 of 5 checks failed")
    assert len(slack.exchanges) == 1  # one oauth.v2.access; no auth.test, no Rescue call
    for secret in (CLIENT_SECRET, SIGNING_SECRET, ENCRYPTION_KEY, "the-secret-slack-has"):
        assert secret not in text
