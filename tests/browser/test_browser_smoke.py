"""The browser machinery itself, on pages from an http.server on loopback: forms, CSP, screens."""

from __future__ import annotations

import base64
import hashlib
import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from tests.support import PASSWORD
from tests.support import browser as browser_support
from tests.support.browser import (
    DESKTOP,
    PHONE,
    fresh_tab,
    png_size,
    require_browser,
    save_screenshot,
    wait_until,
)

VIEWPORT = "return [window.innerWidth, window.innerHeight, window.devicePixelRatio]"
HEAD = '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'

FORM_PAGE = f"""<!doctype html><html><head>{HEAD}<title>Connect</title></head><body>
<form method="post" action="/submit">
  <label>Email <input id="email" name="email" type="text"></label>
  <label>Password <input id="password" name="password" type="password"></label>
  <button id="send" type="submit">Connect</button>
</form></body></html>"""

STYLE_A = "#a { color: rgb(0, 128, 0); }"
STYLE_B = "#b { color: rgb(255, 0, 0); }"
# CSP hashes the exact text between <style> and </style>.
STYLE_A_HASH = base64.b64encode(hashlib.sha256(STYLE_A.encode()).digest()).decode()
CSP = f"default-src 'none'; style-src 'sha256-{STYLE_A_HASH}'"
STYLED_PAGE = f"""<!doctype html><html><head>{HEAD}<title>Styled</title>
<style>{STYLE_A}</style><style>{STYLE_B}</style></head><body>
<p id="a">allowed by hash</p><p id="b">not allowed</p>
<script>document.title = "the page's own script ran";</script>
</body></html>"""

TALL_PAGE = f"""<!doctype html><html><head>{HEAD}<title>Tall</title></head>
<body style="margin: 0"><div style="height: 1500px">a page taller than the phone</div></body>
</html>"""


class _Server(ThreadingHTTPServer):
    page = ""
    headers: dict[str, str]
    posts: list[dict[str, list[str]]]
    cookies: list[str | None]  # the Cookie header of each GET /


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        if self.path != "/":
            self._send(404, "<p>not here</p>")  # e.g. /favicon.ico
            return
        self.server.cookies.append(self.headers.get("Cookie"))
        self._send(200, self.server.page, self.server.headers)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        self.server.posts.append(parse_qs(body, keep_blank_values=True))
        email = html.escape(parse_qs(body).get("email", [""])[0])
        self._send(200, f"<!doctype html><title>Received</title><h1>Thanks, {email}</h1>")

    def _send(self, status: int, page: str, headers: dict[str, str] | None = None) -> None:
        data = page.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: pytest shows what matters."""


@contextmanager
def loopback_site(page: str, headers: dict[str, str] | None = None) -> Iterator[_Server]:
    """An http.server on 127.0.0.1 serving page at / and recording every POST's fields."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.page, server.headers, server.posts, server.cookies = page, headers or {}, [], []
    # A short poll, so shutdown() returns at once rather than after up to half a second.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def url_of(server: _Server) -> str:
    """The address of server's page."""
    return f"http://127.0.0.1:{server.server_address[1]}/"


def test_a_form_filled_in_the_browser_posts_exactly_what_was_typed(desktop: WebDriver) -> None:
    with loopback_site(FORM_PAGE) as site:
        desktop.get(url_of(site))
        assert desktop.execute_script(VIEWPORT) == [DESKTOP.width, DESKTOP.height, 1]
        desktop.find_element(By.ID, "email").send_keys("tech@example.com")
        desktop.find_element(By.ID, "password").send_keys(PASSWORD)
        desktop.find_element(By.ID, "send").click()
        wait_until(desktop, lambda d: d.title == "Received", "the answer page never showed")
        heading = desktop.find_element(By.TAG_NAME, "h1").text
        posts = site.posts
    assert posts == [{"email": ["tech@example.com"], "password": [PASSWORD]}]
    assert heading == "Thanks, tech@example.com"


def _colours(driver: WebDriver, headers: dict[str, str]) -> list[str]:
    """The styled page's title and the colours of #a and #b, served with headers."""
    with loopback_site(STYLED_PAGE, headers) as site:
        driver.get(url_of(site))
        wait_until(driver, lambda d: d.find_elements(By.ID, "b"), "the page never loaded")
        # WebDriver's scripts are not the page's, so the page's CSP does not block them.
        return [
            driver.title,
            *(
                driver.execute_script(
                    f"return getComputedStyle(document.getElementById('{i}')).color"
                )
                for i in "ab"
            ),
        ]


def test_a_pages_csp_applies_a_hashed_inline_style_and_refuses_the_other(
    desktop: WebDriver,
) -> None:
    # Without the header both styles apply and the page's script runs, so what the CSP
    # changes below is the CSP's doing, not a typo in a rule.
    title, a, b = _colours(desktop, {})
    assert (title, a, b) == ("the page's own script ran", "rgb(0, 128, 0)", "rgb(255, 0, 0)")
    title, a, b = _colours(desktop, {"Content-Security-Policy": CSP})
    assert (title, a, b) == ("Styled", "rgb(0, 128, 0)", "rgb(0, 0, 0)")


def test_a_phone_screenshot_is_a_png_of_the_whole_page_at_phone_width(
    phone: WebDriver, tmp_path: Path
) -> None:
    with loopback_site(TALL_PAGE) as site:
        phone.get(url_of(site))
        wait_until(phone, lambda d: d.title == "Tall", "the page never loaded")
        viewport = phone.execute_script(VIEWPORT)
        path = save_screenshot(phone, tmp_path / "phone.png")
    assert viewport == [PHONE.width, PHONE.height, 1]
    # The whole page, not the 844 px the phone shows at once.
    assert png_size(path.read_bytes()) == (PHONE.width, 1500)


def test_the_phone_lays_out_a_page_without_a_viewport_tag_as_phones_do(phone: WebDriver) -> None:
    # So a page that forgets <meta name=viewport> shows up as tiny text in a phone test.
    with loopback_site(TALL_PAGE.replace(HEAD, '<meta charset="utf-8">')) as site:
        phone.get(url_of(site))
        width = phone.execute_script("return window.innerWidth")
    assert width == 980


def test_a_fresh_tab_has_no_cookie_from_the_tab_before(desktop_browser: WebDriver) -> None:
    # The tier's tests share one browser per screen; this is what keeps them apart.
    with loopback_site(TALL_PAGE, {"Set-Cookie": "session=earlier; Path=/"}) as site:
        with fresh_tab(desktop_browser) as driver:
            driver.get(url_of(site))
            driver.get(url_of(site))
        site.headers = {}
        with fresh_tab(desktop_browser) as driver:
            driver.get(url_of(site))
            document_cookie = driver.execute_script("return document.cookie")
        handles = desktop_browser.window_handles
        cookies = site.cookies
    assert cookies == [None, "session=earlier", None]
    assert document_cookie == ""
    assert len(handles) == 1  # the tabs were closed


def test_a_missing_browser_skips_the_test_but_fails_it_where_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(browser_support, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.delenv(browser_support.REQUIRE_VARIABLE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium not installed"):
        require_browser()
    monkeypatch.setenv(browser_support.REQUIRE_VARIABLE, "1")
    with pytest.raises(pytest.fail.Exception, match="LENSPIN_REQUIRE_BROWSER is set"):
        require_browser()
