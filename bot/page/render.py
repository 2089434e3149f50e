"""HTML from the page templates: every value escaped unless it is HTML rendered here already."""

from __future__ import annotations

import base64
import hashlib
import html
from http import HTTPStatus
from pathlib import Path
from string import Template

from bot.texts import page as page_texts

TEMPLATES = Path(__file__).with_name("templates")
_NAMES = ("base", "form", "error", "note", "done", "message", "install", "install_failed")


class Html(str):
    """Text that is already HTML: made only by Renderer, so it is never escaped twice."""

    __slots__ = ()


class Renderer:
    """Fills the templates in bot/page/templates; loads them when built, not at import."""

    def __init__(self) -> None:
        self._templates = {
            name: Template((TEMPLATES / f"{name}.html").read_text(encoding="utf-8"))
            for name in _NAMES
        }
        self._css = Html((TEMPLATES / "page.css").read_text(encoding="utf-8"))
        digest = hashlib.sha256(self._css.encode("utf-8")).digest()
        # The one style the Content-Security-Policy allows: this stylesheet, by its hash.
        self.style_hash = "sha256-" + base64.b64encode(digest).decode("ascii")

    def fragment(self, name: str, **values: str) -> Html:
        """One template filled in; plain str values are escaped, Html values are not."""
        escaped = {
            key: value if isinstance(value, Html) else html.escape(value, quote=True)
            for key, value in values.items()
        }
        return Html(self._templates[name].substitute(escaped))

    def page(self, title: str, content: Html) -> bytes:
        """A whole page around content, as UTF-8."""
        return self.fragment("base", title=title, css=self._css, content=content).encode("utf-8")


class Pages:
    """Whole page answers: status line, the headers every page carries, and the HTML."""

    def __init__(self) -> None:
        self.render = Renderer()
        self.headers = [
            (
                "Content-Security-Policy",
                f"default-src 'none'; style-src '{self.render.style_hash}'; "
                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
            # The link's token is in the path: no other site may learn it from a Referer.
            ("Referrer-Policy", "no-referrer"),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
        ]

    def answer(
        self, status: int, title: str, content: Html
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        """The status line, headers and body of a page around content."""
        body = self.render.page(title, content)
        headers = [
            *self.headers,
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ]
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            headers.append(("Allow", "GET, HEAD, POST"))
        return f"{status} {HTTPStatus(status).phrase}", headers, body

    def refusal(self, status: int) -> tuple[str, list[tuple[str, str]], bytes]:
        """The page for a request refused before it was read: nothing was connected."""
        title = page_texts.PROBLEM_TITLE
        return self.answer(
            status, title, self.render.fragment("message", title=title, text=page_texts.BAD_REQUEST)
        )
