"""The connect page as a browser without JavaScript sees it: the link from Slack, GET, POST."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import requests

from bot.slack import ids

# The headers every page response carries (issue 12); the CSP's style hash varies.
PAGE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
CSP_PARTS = (
    "default-src 'none'",
    "style-src 'sha256-",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
TIMEOUT = 20


class _Reader(HTMLParser):
    """Collects what a person sees and what the forms hold."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.inputs: list[dict[str, str]] = []
        self.by_id: dict[str, list[str]] = {}
        self._open_ids: list[tuple[str, str]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in ("style", "title"):
            self._skip += 1
        if tag == "input":
            self.inputs.append(values)
        elif "id" in values:
            self._open_ids.append((tag, values["id"]))
            self.by_id[values["id"]] = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title"):
            self._skip -= 1
        if self._open_ids and self._open_ids[-1][0] == tag:
            self._open_ids.pop()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        for _tag, element_id in self._open_ids:
            self.by_id[element_id].append(data)


@dataclass
class Page:
    """One answer of the page: status, headers, the words shown, the forms' fields."""

    status: int
    headers: Mapping[str, str]
    html: str
    text: str = ""
    inputs: list[dict[str, str]] = field(default_factory=list)
    by_id: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, response: requests.Response) -> Page:
        """The page a requests.Response holds."""
        return cls.parse(response.status_code, response.headers, response.text)

    @classmethod
    def parse(cls, status: int, headers: Mapping[str, str], html: str) -> Page:
        """The page from its status, headers and HTML."""
        reader = _Reader()
        reader.feed(html)
        return cls(
            status=status,
            headers=headers,
            html=html,
            text=" ".join(" ".join(reader.text).split()),
            inputs=reader.inputs,
            by_id={k: " ".join(" ".join(v).split()) for k, v in reader.by_id.items()},
        )

    @property
    def form_token(self) -> str:
        """The CSRF token the page's forms carry ("" if it shows no form)."""
        return next((i["value"] for i in self.inputs if i.get("name") == "form_token"), "")

    def input(self, element_id: str) -> dict[str, str]:
        """The attributes of the input with this id."""
        return next(i for i in self.inputs if i.get("id") == element_id)

    def assert_headers(self) -> None:
        """The headers every page response must carry."""
        for name, value in PAGE_HEADERS.items():
            assert self.headers.get(name) == value, name
        csp = self.headers.get("Content-Security-Policy", "")
        for part in CSP_PARTS:
            assert part in csp, part
        assert self.headers.get("Content-Type") == "text/html; charset=utf-8"


def link_in(message: Mapping[str, Any]) -> str:
    """The connect page's address in a Slack message or modal lenspin sent."""
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == ids.CONNECT_LINK_ACTION:
                return str(element["url"])
    raise AssertionError("no connect link in the message")


def open_page(url: str) -> Page:
    """GET the page, as a browser following the link."""
    return Page.of(requests.get(url, timeout=TIMEOUT, allow_redirects=False))


def send_form(url: str, fields: Mapping[str, str], **headers: str) -> Page:
    """POST the form's fields, as a browser submitting it."""
    return Page.of(requests.post(url, data=dict(fields), headers=headers, timeout=TIMEOUT))


def sign_in(url: str, page: Page, email: str, password: str) -> Page:
    """Submit the email and password form of page."""
    fields = {"form_token": page.form_token, "method": "password"}
    return send_form(url, {**fields, "email": email, "password": password})


def paste_code(url: str, page: Page, code: str) -> Page:
    """Submit the auth code form of page."""
    return send_form(url, {"form_token": page.form_token, "method": "code", "code": code})


def call_page(
    app: Callable[..., Iterable[bytes]],
    method: str,
    path: str,
    form: Mapping[str, str] | None = None,
) -> Page:
    """One request to a WSGI app in this process, as a browser would make it."""
    body = urlencode(form or {}).encode()
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded" if form is not None else "",
        "CONTENT_LENGTH": str(len(body)) if form is not None else "",
        "wsgi.input": io.BytesIO(body),
    }
    started: list[Any] = []
    chunks = app(environ, lambda status, headers: started.extend((status, headers)))
    html = b"".join(chunks).decode()
    return Page.parse(int(started[0].split()[0]), dict(started[1]), html)
