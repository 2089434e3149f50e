"""`python -m bot check`'s LENSPIN_PUBLIC_URL line, against a real HTTP server on loopback."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.check import CheckResult, check_public_url, run_checks
from bot.rescue.models import Account
from bot.store import Keyring, Store
from tests.support import ENCRYPTION_KEY, fresh_database, settings_for

# Every wait here ends by then: the check's own timeout, and the server's shutdown.
TIMEOUT = 2.0


class Site:
    """A loopback HTTP server answering each GET with the status and body set for it."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b"ok"
        self.paths: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.paths.append(self.path)
                self.send_response(site.status)
                self.send_header("Content-Length", str(len(site.body)))
                self.end_headers()
                self.wfile.write(site.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive()


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    yield served
    served.close()


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_lenspins_health_answer_is_an_ok_line(site: Site) -> None:
    result = check_public_url(settings_for(LENSPIN_PUBLIC_URL=site.url + "/"), timeout=TIMEOUT)
    assert result == CheckResult(
        ok=True, text=f"LENSPIN_PUBLIC_URL answers: the connect page is at {site.url}"
    )
    assert result.line().startswith("OK  ")
    assert site.paths == ["/healthz"]


def test_a_path_prefix_is_asked_for_its_own_health_check(site: Site) -> None:
    site.body = b"ok\n"
    result = check_public_url(settings_for(LENSPIN_PUBLIC_URL=site.url + "/lenspin"))
    assert result.ok
    assert site.paths == ["/lenspin/healthz"]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"<!doctype html><title>Someone else's site</title>"),
        (200, b""),
        (200, b"okay, but not lenspin"),
        (404, b"<h1>Not Found</h1>"),
        (403, b"Forbidden"),
    ],
)
def test_something_else_answering_is_a_fail_not_as_lenspin(
    site: Site, status: int, body: bytes
) -> None:
    site.status, site.body = status, body
    result = check_public_url(settings_for(LENSPIN_PUBLIC_URL=site.url))
    assert not result.ok
    assert result.line().startswith(f"FAIL  LENSPIN_PUBLIC_URL ({site.url}) answers")
    assert "not as lenspin" in result.text
    assert site.paths == ["/healthz"]


def test_nothing_listening_is_a_fail_naming_the_address_within_the_timeout() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    result = check_public_url(settings_for(LENSPIN_PUBLIC_URL=url), timeout=TIMEOUT)
    assert time.monotonic() - started < TIMEOUT
    assert not result.ok
    assert result.line().startswith(f"FAIL  LENSPIN_PUBLIC_URL ({url}) does not answer (")
    assert "check the address" in result.text


def test_a_server_that_never_answers_is_a_fail_after_the_timeout() -> None:
    # Listening, so the connection is made, but nothing ever reads or answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        result = check_public_url(settings_for(LENSPIN_PUBLIC_URL=url), timeout=0.5)
        waited = time.monotonic() - started
    assert 0.4 < waited < TIMEOUT
    assert not result.ok
    assert result.text.startswith(f"LENSPIN_PUBLIC_URL ({url}) does not answer (")


def test_without_a_public_url_the_line_says_there_is_no_page() -> None:
    result = check_public_url(settings_for())
    assert result.ok
    assert result.text.startswith("No LENSPIN_PUBLIC_URL: ")
    assert "connect page" in result.text
    assert result.line().startswith("OK  No LENSPIN_PUBLIC_URL")


class Rescue:
    """getAccount_v2 for the shared code, answered at once."""

    def get_account(self, auth_code: str) -> Account:
        return Account(1, "Helpdesk", 1, 2, "seat@helpdesk.example", console_running=True)


@pytest.mark.parametrize("answering", [True, False], ids=["answering", "silent"])
def test_run_checks_prints_the_public_url_line_and_counts_it(site: Site, answering: bool) -> None:
    site.body = b"ok" if answering else b"elsewhere"
    settings = settings_for(
        LENSPIN_PUBLIC_URL=site.url, SLACK_API_URL=f"http://127.0.0.1:{closed_port()}/api/"
    )
    store = Store.from_url(fresh_database(), Keyring.from_setting(ENCRYPTION_KEY))
    out = io.StringIO()
    try:
        passed = run_checks(settings, out=out, rescue=Rescue(), store=store)
    finally:
        store.engine.dispose()
    lines = out.getvalue().splitlines()
    assert not passed  # Slack is unreachable on purpose: one FAIL besides the page's
    assert len(lines) == 6
    (page,) = [line for line in lines if "LENSPIN_PUBLIC_URL" in line]
    assert page.startswith("OK  " if answering else "FAIL  ")
    failed = 1 if answering else 2
    assert lines[-1].startswith(f"FAIL  {failed} of 4 checks failed")
