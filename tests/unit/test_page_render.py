"""The connect page's HTML: values escaped, the CSP's style hash right, every template filled.

Pages are made in-process by ConnectPage over in-memory links, accounts and Rescue; the
HTTP flow itself is tests/e2e/test_connect_page_e2e.py.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from collections.abc import Callable
from html.parser import HTMLParser
from http import HTTPStatus
from string import Template
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.accounts import Accounts
from bot.connect import ConnectLinks
from bot.domain import Policy, Requester
from bot.page.connect_page import ConnectPage
from bot.page.install_pages import InstallPages
from bot.page.render import TEMPLATES, Html, Pages, Renderer
from bot.rescue.models import Account
from bot.texts import page as page_texts
from tests.support.doubles import MemoryConnectLinks, MemoryRescue, MemoryStore

NASTY = "<script>alert(\"x\" + 'y')</script> & co"
ESCAPED = "&lt;script&gt;alert(&quot;x&quot; + &#x27;y&#x27;)&lt;/script&gt; &amp; co"
EMAIL = "jane@example.com"
PASSWORD = "right-password"
VOID = {"meta", "input", "br", "img", "link", "hr"}

Answer = tuple[str, list[tuple[str, str]], bytes]


class PageReader(HTMLParser):
    """The page's <style> contents, its tags in order, and whether every tag was closed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.styles: list[str] = []
        self.tags: list[str] = []
        self.style_attributes = 0
        self.unbalanced: list[str] = []
        self.open_tags: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.style_attributes += any(name == "style" for name, _ in attrs)
        if tag == "style":
            self._in_style = True
            self.styles.append("")
        if tag not in VOID:
            self.open_tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = self._in_style and tag != "style"
        if not self.open_tags or self.open_tags.pop() != tag:
            self.unbalanced.append(tag)

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles[-1] += data


def read(body: bytes) -> PageReader:
    reader = PageReader()
    reader.feed(body.decode("utf-8"))
    reader.close()
    assert reader.unbalanced == []
    assert reader.open_tags == []
    return reader


def header(answer: Answer, name: str) -> str:
    (value,) = [v for k, v in answer[1] if k == name]
    return value


# The Renderer on its own


def test_every_plain_value_is_escaped_and_html_is_not() -> None:
    render = Renderer()
    message = render.fragment("message", title=NASTY, text=NASTY)
    assert message.count(ESCAPED) == 2
    assert "<script>" not in message
    error = render.fragment("error", text="a & b")
    assert error == '<p class="error" id="error" role="alert">a &amp; b</p>\n'
    nested = render.fragment("message", title="t", text=error)
    # Html goes in as it is: never escaped a second time.
    assert error in nested
    assert "&amp;amp;" not in nested
    assert isinstance(nested, Html)


def test_a_value_that_looks_like_a_placeholder_stays_text() -> None:
    render = Renderer()
    message = render.fragment("message", title="$title ${css}", text="$$ $content")
    assert "$title ${css}" in message
    assert "$$ $content" in message
    page = render.page("$css", Html("<p>$title</p>"))
    assert b"<title>$css \xc2\xb7 lenspin</title>" in page
    assert b"<p>$title</p>" in page


def test_the_title_is_escaped_in_the_whole_page() -> None:
    page = Renderer().page(NASTY, Html("<p>x</p>")).decode()
    assert f"<title>{ESCAPED} · lenspin</title>" in page
    assert "<script>" not in page


def test_the_csps_style_hash_is_the_sha256_of_the_style_element_in_the_page() -> None:
    pages = Pages()
    answer = pages.answer(200, "t", Html("<p>x</p>"))
    reader = read(answer[2])
    (style,) = reader.styles
    assert len(style) > 100
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
    csp = header(answer, "Content-Security-Policy")
    assert f"style-src 'sha256-{digest}';" in csp
    assert pages.render.style_hash == f"sha256-{digest}"
    # The hash is the one style allowed: no inline style attributes, no scripts at all.
    assert reader.style_attributes == 0
    assert "script" not in reader.tags
    assert "default-src 'none'" in csp


def test_refusal_413_has_its_status_line_the_page_headers_and_the_html() -> None:
    status, headers, body = answer = Pages().refusal(413)
    assert status == f"413 {HTTPStatus(413).phrase}"
    assert status.startswith("413 ")
    named = dict(headers)
    assert len(named) == len(headers)  # no header twice
    assert named["Content-Type"] == "text/html; charset=utf-8"
    assert named["Content-Length"] == str(len(body))
    assert named["Referrer-Policy"] == "no-referrer"
    assert named["Cache-Control"] == "no-store"
    assert named["X-Content-Type-Options"] == "nosniff"
    assert named["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in named["Content-Security-Policy"]
    assert "Allow" not in named
    text = body.decode()
    assert text.startswith("<!doctype html>")
    assert f"<h1>{html.escape(page_texts.PROBLEM_TITLE)}</h1>" in text
    assert html.escape(page_texts.BAD_REQUEST) in text
    read(answer[2])
    assert dict(Pages().answer(405, "t", Html(""))[1])["Allow"] == "GET, HEAD, POST"


# Every page ConnectPage makes, each template filled


class Site:
    """ConnectPage over in-memory links, accounts and Rescue; requests as a WSGI server makes."""

    def __init__(self, *, shared_code: bool) -> None:
        self.rescue = MemoryRescue()
        self.account = self.rescue.add_account(
            "own-code", email=f"<b>{EMAIL}</b>", organization="Help & Co's", login=PASSWORD
        )
        self.links = ConnectLinks(
            MemoryConnectLinks(lambda: None),
            Accounts(
                links=MemoryStore(),
                rescue=self.rescue,
                policy_of=lambda _who: Policy(),
            ),
            public_url="https://lenspin.example.com",
            form_secret="form-secret",
        )
        self.connected: list[tuple[Requester, Account]] = []
        self.page = ConnectPage(
            self.links,
            shared_code=lambda who: shared_code,
            on_connected=lambda who, account: self.connected.append((who, account)),
        )

    def issue(self) -> str:
        url = self.links.issue(Requester("T1", "U1"), team_name=NASTY, user_name=NASTY)
        return url.rpartition("/")[2]

    def request(self, method: str, token: str, form: dict[str, str] | None = None) -> Answer:
        body = urlencode(form or {}).encode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": f"/connect/{token}",
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "wsgi.input": io.BytesIO(body),
        }
        started: list[tuple[str, list[tuple[str, str]]]] = []
        chunks = self.page(environ, lambda status, headers: started.append((status, headers)))
        ((status, headers),) = started
        return status, headers, b"".join(chunks)

    def post(self, token: str, **fields: str) -> Answer:
        form = {"form_token": self.links.form_token(token), "method": "password"} | fields
        return self.request("POST", token, form)


def form_plain(site: Site) -> Answer:
    return site.request("GET", site.issue())


def form_with_error(site: Site) -> Answer:
    return site.post(site.issue(), email=f'"><script>{EMAIL}', password="wrong")


def done(site: Site) -> Answer:
    answer = site.post(site.issue(), email=f"<b>{EMAIL}</b>", password=PASSWORD)
    assert len(site.connected) == 1
    return answer


def gone(site: Site) -> Answer:
    return site.request("GET", "A" * 43)


PAGE_KINDS: dict[str, tuple[Callable[[Site], Answer], str]] = {
    "form": (form_plain, "200 OK"),
    "form-with-error": (form_with_error, "200 OK"),
    "done": (done, "200 OK"),
    "message": (gone, "404 Not Found"),
    "refusal": (lambda site: Pages().refusal(413), f"413 {HTTPStatus(413).phrase}"),
}


@pytest.mark.parametrize("shared_code", [False, True], ids=["no-shared-code", "shared-code"])
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_every_page_kind_fills_every_placeholder_and_escapes_what_it_shows(
    kind: str, shared_code: bool
) -> None:
    make, expected_status = PAGE_KINDS[kind]
    status, headers, body = make(Site(shared_code=shared_code))
    assert status == expected_status
    text = body.decode("utf-8")
    # string.Template raises on a missing value; nothing shaped like a placeholder is left.
    assert not re.search(r"\$\{?[A-Za-z_]", text)
    assert "<script>" not in text
    reader = read(body)
    assert reader.tags.count("style") == 1
    (style,) = reader.styles
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in dict(headers)["Content-Security-Policy"]
    if kind.startswith("form"):
        assert ESCAPED in text  # the user and workspace names in the heading
        assert (html.escape(page_texts.SHARED_NOTE) in text) is shared_code
    if kind == "form-with-error":
        assert 'value="&quot;&gt;&lt;script&gt;jane@example.com"' in text
        assert html.escape(page_texts.WRONG_PASSWORD) in text
        assert 'id="error"' in text
    elif kind == "form":
        assert 'id="error"' not in text
    if kind == "done":
        assert "&lt;b&gt;jane@example.com&lt;/b&gt;" in text
        assert "Help &amp; Co&#x27;s" in text


def test_the_pages_between_them_use_every_template(monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[str] = []
    fragment = Renderer.fragment

    def recording(self: Renderer, name: str, **values: str) -> Html:
        used.append(name)
        return fragment(self, name, **values)

    monkeypatch.setattr(Renderer, "fragment", recording)
    for make, _status in PAGE_KINDS.values():
        make(Site(shared_code=True))
    # The install pages (tests/unit/test_install_pages.py) share the renderer and templates.
    install = InstallPages(install_path="/slack/install")
    install.add_to_slack("https://slack.example/oauth/v2/authorize")
    install.installed("Acme")
    install.failed("invalid_state")
    templates = {path.stem for path in TEMPLATES.glob("*.html")}
    assert set(used) == templates
    for name in templates:
        # Valid: every $ starts a placeholder (or is $$), so substitute() fills each one.
        assert Template((TEMPLATES / f"{name}.html").read_text(encoding="utf-8")).is_valid()
