"""'Add to Slack' in this process: a browser's requests to lenspin's WSGI app, and installs
through the stand-in Slack's authorize step (its OAuth, its tokens)."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from bot.config import INSTALL_PATH, OAUTH_REDIRECT_PATH
from bot.domain import Workspace
from tests.support.connect_page import Page
from tests.support.standins import FakeSlack

# A WSGI app in this process (lenspin's WSGIApplication), called as a server calls it.
WsgiCall = Callable[..., Iterable[bytes]]

# LENSPIN_PUBLIC_URL serving several workspaces: only the browser, never Slack, goes there.
PUBLIC_URL = "https://lenspin.example.com"
# Bolt's cookie holding the state of an install begun in this browser.
STATE_COOKIE = "slack-app-oauth-state"


@dataclass
class Browsed:
    """A browser's request answered: the page, and the raw headers (Set-Cookie included)."""

    page: Page
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    @property
    def cookies(self) -> list[str]:
        return [v for k, v in self.headers if k.lower() == "set-cookie"]


def browse(
    app: WsgiCall, path: str, query: str = "", *, cookie: str = "", method: str = "GET"
) -> Browsed:
    """One request from a browser to a WSGI app in this process."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": "",
        "CONTENT_LENGTH": "",
        "wsgi.input": io.BytesIO(b""),
    }
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    started: list[Any] = []
    chunks = app(environ, lambda status, headers: started.extend((status, headers)))
    text = b"".join(chunks).decode()
    headers: list[tuple[str, str]] = list(started[1])
    # Bolt names headers in lower case: the page reads them as a browser would, whatever case.
    canonical = {k.lower(): v for k, v in headers}
    named = {"-".join(p.capitalize() for p in k.split("-")): v for k, v in canonical.items()}
    return Browsed(Page.parse(int(started[0].split()[0]), named, text), headers)


def add_to_slack_url(answer: Browsed) -> str:
    """The 'Add to Slack' link of lenspin's install page: Slack's authorize step."""
    found = re.search(r'id="add-to-slack" href="([^"]*)"', answer.page.html)
    assert found is not None, answer.page.html
    return html.unescape(found.group(1))


@dataclass(frozen=True)
class Started:
    """An install begun in a browser: the 'Add to Slack' link, and the cookie the browser keeps."""

    url: str
    cookie: str

    @property
    def state(self) -> str:
        """The OAuth state in the link."""
        return parse_qs(urlsplit(self.url).query)["state"][0]


def start_install(web: WsgiCall) -> Started:
    """Open lenspin's 'Add to Slack' page, as an admin's browser does."""
    answer = browse(web, INSTALL_PATH)
    (cookie,) = answer.cookies
    return Started(add_to_slack_url(answer), cookie.split(";", 1)[0])


def come_back(web: WsgiCall, cookie: str, **query: str) -> Browsed:
    """Slack's redirect to /slack/oauth_redirect, in the browser that began the install."""
    return browse(web, OAUTH_REDIRECT_PATH, urlencode(query), cookie=cookie)


def authorize(url: str) -> dict[str, str]:
    """Visit Slack's authorize step (the stand-in's) as the installing admin's browser does:
    the query it sends the browser back to lenspin with (code and state, or error)."""
    answer = requests.get(url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return {k: v[-1] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def install(web: WsgiCall, slack: FakeSlack, workspace: Workspace) -> Browsed:
    """Install lenspin in workspace (with no team: org-wide, through one of the org's) as an
    admin does: lenspin's 'Add to Slack' page, Slack's authorize step, and back."""
    team_id = workspace.team_id or next(
        t.team_id for t in slack.workspaces if t.enterprise_id == workspace.enterprise_id
    )
    slack.next_install(team_id, org_wide=workspace.org_wide)
    started = start_install(web)
    back = come_back(web, started.cookie, **authorize(started.url))
    assert back.page.status == 200, back.page.text
    return back
