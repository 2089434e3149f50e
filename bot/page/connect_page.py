"""The connect page: GET shows a link's form, POST connects the account it is sent with."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from bot import texts
from bot.accounts import (
    CODE_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    ConnectFailure,
    connect_failure_of,
)
from bot.connect import CONNECT_PATH, MOST_TRIES, Connected, ConnectLinks, TryFailed
from bot.domain import ConnectLink, Requester, StoreError
from bot.edge import Refused, declared_length, log_refusal
from bot.page.render import Html, Pages
from bot.rescue.models import Account, is_xml_safe
from bot.texts import page as page_texts

logger = logging.getLogger(__name__)

# The form sends an email, a password or a code and two short fields: a few hundred bytes.
PAGE_BODY_CAP = 16 * 1024
_FORM_TYPE = "application/x-www-form-urlencoded"
_FIELDS = ("form_token", "method", "email", "password", "code")

_FAILURES = {
    ConnectFailure.SHARED_ACCOUNT: page_texts.SHARED_ACCOUNT,
    ConnectFailure.WRONG_PASSWORD: page_texts.WRONG_PASSWORD,
    ConnectFailure.WRONG_CODE: page_texts.WRONG_CODE,
    ConnectFailure.DISABLED: page_texts.DISABLED,
    ConnectFailure.UNREACHABLE: page_texts.UNREACHABLE,
}


@dataclass(frozen=True)
class _Answer:
    status: int
    title: str
    content: Html


class ConnectPage:
    """Serves /connect/<token>: the WSGI app for lenspin's one page."""

    def __init__(
        self,
        links: ConnectLinks,
        *,
        shared_code: Callable[[Requester], bool],
        on_connected: Callable[[Requester, Account], None],
    ) -> None:
        self._links = links
        # Whether the link's workspace has a shared code (its account's password is refused).
        self._shared_code = shared_code
        # Tells the technician in Slack too (bot.slack.flows.tell_connected).
        self._on_connected = on_connected
        self._pages = Pages()
        self._render = self._pages.render

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Answer one request under /connect/."""
        method = str(environ.get("REQUEST_METHOD", ""))
        token = str(environ.get("PATH_INFO", ""))[len(CONNECT_PATH) :]
        try:
            if method in ("GET", "HEAD"):
                answer = self._show(token)
            elif method == "POST":
                answer = self._submit(token, environ)
            else:
                answer = self._message(405, page_texts.PROBLEM_TITLE, page_texts.BAD_REQUEST)
        except Refused as refusal:
            length = environ.get("CONTENT_LENGTH") or 0
            log_refusal(method, CONNECT_PATH, length, refusal.status, refusal.reason)
            answer = self._message(refusal.status, page_texts.PROBLEM_TITLE, page_texts.BAD_REQUEST)
        except StoreError as error:
            logger.warning("Connect page could not use the database: %s", error)
            answer = self._message(503, page_texts.PROBLEM_TITLE, page_texts.DATABASE)
        status, headers, body = self._pages.answer(answer.status, answer.title, answer.content)
        start_response(status, headers)
        return [b"" if method == "HEAD" else body]

    def _show(self, token: str) -> _Answer:
        link = self._links.open_link(token)
        if link is None:
            return self._gone()
        return self._form(token, link, tries_left=MOST_TRIES - link.attempts)

    def _submit(self, token: str, environ: dict[str, Any]) -> _Answer:
        form = _read_form(environ)
        link = self._links.open_link(token)
        if link is None:
            return self._gone()
        if not self._links.form_token_matches(token, form["form_token"]):
            return self._message(403, page_texts.PROBLEM_TITLE, page_texts.FORM_STALE)
        by_code = form["method"] == "code"
        email, code = form["email"].strip(), form["code"].strip()
        problem = _problem(by_code, email, form["password"], code)
        if problem:
            tries_left = MOST_TRIES - link.attempts
            return self._form(token, link, tries_left=tries_left, email=email, error=problem)
        if by_code:
            outcome = self._links.connect(token, code=code)
        else:
            outcome = self._links.connect(token, email=email, password=form["password"])
        return self._outcome(token, link, outcome, email)

    def _outcome(
        self, token: str, link: ConnectLink, outcome: Connected | TryFailed | None, email: str
    ) -> _Answer:
        if outcome is None:
            return self._gone()
        if isinstance(outcome, Connected):
            self._on_connected(outcome.requester, outcome.account)
            return self._done(outcome.account)
        failure = _FAILURES[connect_failure_of(outcome.error)]
        if outcome.tries_left <= 0:
            return self._message(200, page_texts.PROBLEM_TITLE, f"{failure} {page_texts.LAST_TRY}")
        return self._form(token, link, tries_left=outcome.tries_left, email=email, error=failure)

    def _form(
        self, token: str, link: ConnectLink, *, tries_left: int, email: str = "", error: str = ""
    ) -> _Answer:
        render = self._render
        heading = page_texts.HEADING.format(user=link.user_name, workspace=link.team_name)
        content = render.fragment(
            "form",
            heading=heading,
            intro=page_texts.INTRO,
            error=render.fragment("error", text=error) if error else Html(""),
            form_token=self._links.form_token(token),
            email_label=page_texts.EMAIL,
            email=email,
            email_max=str(EMAIL_MAX_LENGTH),
            password_label=page_texts.PASSWORD,
            password_max=str(PASSWORD_MAX_LENGTH),
            password_note=page_texts.PASSWORD_NOTE,
            shared_note=(
                render.fragment("note", text=page_texts.SHARED_NOTE)
                if self._shared_code(link.requester)
                else Html("")
            ),
            password_submit=page_texts.PASSWORD_SUBMIT,
            or_code=page_texts.OR,
            code_label=page_texts.CODE,
            code_max=str(CODE_MAX_LENGTH),
            code_note=page_texts.CODE_NOTE,
            code_submit=page_texts.CODE_SUBMIT,
            tries=page_texts.TRIES_LEFT.format(tries=tries_left),
        )
        return _Answer(200, page_texts.TITLE, content)

    def _done(self, account: Account) -> _Answer:
        content = self._render.fragment(
            "done",
            title=page_texts.DONE_TITLE,
            text=page_texts.DONE,
            email_label=page_texts.DONE_EMAIL,
            email=account.email,
            organization_label=page_texts.DONE_ORGANIZATION,
            organization=account.organization,
            console_label=page_texts.DONE_CONSOLE,
            console=(
                page_texts.CONSOLE_RUNNING
                if account.console_running
                else page_texts.CONSOLE_NOT_RUNNING
            ),
            close=page_texts.CLOSE,
        )
        return _Answer(200, page_texts.DONE_TITLE, content)

    def _gone(self) -> _Answer:
        # Expired, used, out of tries or never issued: the same page, so none can be told apart.
        return self._message(404, page_texts.GONE_TITLE, page_texts.GONE)

    def _message(self, status: int, title: str, text: str) -> _Answer:
        return _Answer(status, title, self._render.fragment("message", title=title, text=text))


def _read_form(environ: dict[str, Any]) -> dict[str, str]:
    """The form's fields, read only within the cap; raises Refused for anything else."""
    length = declared_length(environ, cap=PAGE_BODY_CAP)
    content_type = str(environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
    if content_type != _FORM_TYPE:
        raise Refused(415, "not a form body")
    body = environ["wsgi.input"].read(length) if length else b""
    if len(body) != length:
        raise Refused(400, "body shorter than its Content-Length")
    try:
        fields = parse_qs(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=len(_FIELDS),
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "not a form this page sends") from None
    return {name: (fields.get(name) or [""])[0] for name in _FIELDS}


def _problem(by_code: bool, email: str, password: str, code: str) -> str:
    """What is wrong with the form before Rescue is asked, or ""."""
    values: tuple[str, ...]
    if by_code:
        if not code:
            return page_texts.NEED_CODE
        values = (code,)
        too_long = len(code) > CODE_MAX_LENGTH
    else:
        if not (email and password):
            return page_texts.NEED_PASSWORD
        values = (email, password)
        too_long = len(email) > EMAIL_MAX_LENGTH or len(password) > PASSWORD_MAX_LENGTH
    if too_long or not all(is_xml_safe(value) for value in values):
        return page_texts.TOO_LONG if too_long else texts.ERROR_UNSAFE
    return ""
