"""'Add to Slack' through bot/web.py and Bolt's OAuth flow: lenspin's pages, single-use state.

The authorize step and the token exchange (SLACK_API_URL) are the stand-in Slack's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from bot.config import INSTALL_PATH
from bot.config import OAUTH_REDIRECT_PATH as REDIRECT_PATH
from bot.domain import Workspace
from bot.logs import Redactor
from bot.slack.installs import BOT_SCOPES
from bot.texts import install as words
from bot.web import OAUTH_QUERY_CAP, WSGIApplication
from tests.support import FakeSlack, MemoryStore
from tests.support.inprocess import InProcessBot, in_process_bot
from tests.support.installing import (
    PUBLIC_URL,
    STATE_COOKIE,
    add_to_slack_url,
    authorize,
    browse,
    come_back,
    start_install,
)


class Clock:
    """The database's time, moved on by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bot(slack: FakeSlack, clock: Clock) -> Iterator[InProcessBot]:
    """lenspin serving several workspaces, installed in none yet."""
    with in_process_bot(slack, store=MemoryStore(now=clock), workspaces=()) as bot:
        yield bot


@pytest.fixture
def web(bot: InProcessBot) -> WSGIApplication:
    return bot.web


def test_the_install_page_links_to_slacks_authorize_step(
    slack: FakeSlack, bot: InProcessBot, web: WSGIApplication
) -> None:
    answer = browse(web, INSTALL_PATH)
    assert answer.page.status == 200
    answer.page.assert_headers()
    url = add_to_slack_url(answer)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == slack.authorize_url
    query = parse_qs(parts.query)
    assert query["client_id"] == [slack.client_id]
    assert query["scope"] == [",".join(BOT_SCOPES)]
    assert query["redirect_uri"] == [PUBLIC_URL + REDIRECT_PATH]
    (state,) = query["state"]
    assert len(state) >= 40
    assert bot.store.installs.states == [state]
    (cookie,) = answer.cookies
    assert cookie.startswith(f"{STATE_COOKIE}={state};")
    assert "HttpOnly" in cookie
    assert "Max-Age=600" in cookie
    # lenspin's own page: no image, script or style from anywhere else.
    assert not re.search(r"<img|<script|<link|slack-edge", answer.page.html)
    assert words.BUTTON in answer.page.text
    # Each visit gets its own state.
    assert start_install(web).state != state


def test_only_a_team_id_reaches_slacks_authorize_url(
    slack: FakeSlack, web: WSGIApplication
) -> None:
    chosen = add_to_slack_url(browse(web, INSTALL_PATH, "team=T0ACME"))
    assert parse_qs(urlsplit(chosen).query)["team"] == ["T0ACME"]
    forged = add_to_slack_url(browse(web, INSTALL_PATH, urlencode({"team": "T1&client_id=x"})))
    assert "team" not in parse_qs(urlsplit(forged).query)
    assert parse_qs(urlsplit(forged).query)["client_id"] == [slack.client_id]


def test_a_redirect_without_the_browsers_cookie_is_refused(
    slack: FakeSlack, web: WSGIApplication
) -> None:
    started = start_install(web)
    answer = browse(web, REDIRECT_PATH, urlencode(authorize(started.url)))
    assert answer.page.status == 400
    assert words.OTHER_BROWSER in answer.page.text
    answer.page.assert_headers()
    assert slack.calls_to("oauth.v2.access") == []


def test_a_state_never_issued_shows_the_expired_page(
    slack: FakeSlack, web: WSGIApplication
) -> None:
    answer = come_back(web, f"{STATE_COOKIE}=forged", code="c", state="forged")
    assert answer.page.status == 401
    assert words.STATE_EXPIRED in answer.page.text
    assert answer.page.by_id["start-again"] == words.START_AGAIN
    assert f'href="{INSTALL_PATH}"' in answer.page.html
    # The state's cookie is deleted, and Slack was never asked to exchange anything.
    assert any(c.startswith(f"{STATE_COOKIE}=deleted;") for c in answer.cookies)
    assert slack.calls_to("oauth.v2.access") == []


def test_a_state_works_once(slack: FakeSlack, web: WSGIApplication) -> None:
    started = start_install(web)
    first = come_back(web, started.cookie, code="code-1", state=started.state)
    # The state was good: the code went to Slack (SLACK_API_URL), which refused it.
    (exchange,) = slack.calls_to("oauth.v2.access")
    assert (exchange.args["code"], exchange.error) == ("code-1", "invalid_code")
    assert first.page.status == 401
    assert words.CODE_REFUSED in first.page.text
    again = come_back(web, started.cookie, **authorize(started.url))
    assert again.page.status == 401
    assert words.STATE_EXPIRED in again.page.text
    assert len(slack.calls_to("oauth.v2.access")) == 1
    assert slack.installation() is None


def test_a_state_expires_after_ten_minutes(
    slack: FakeSlack, web: WSGIApplication, clock: Clock
) -> None:
    started = start_install(web)
    came_back_with = authorize(started.url)
    clock.now += timedelta(minutes=10, seconds=1)
    answer = come_back(web, started.cookie, **came_back_with)
    assert words.STATE_EXPIRED in answer.page.text
    assert slack.calls_to("oauth.v2.access") == []


def test_an_install_cancelled_in_slack_says_so(slack: FakeSlack, web: WSGIApplication) -> None:
    slack.deny_next_install()
    started = start_install(web)
    answer = come_back(web, started.cookie, **authorize(started.url))
    assert answer.page.status == 200
    assert words.DENIED in answer.page.text
    forged = come_back(web, started.cookie, error="<b>whatever Slack says</b>", state=started.state)
    assert words.SLACK_REFUSED in forged.page.text
    assert "whatever" not in forged.page.html
    assert slack.calls_to("oauth.v2.access") == []


def test_an_install_completes_and_is_kept(
    slack: FakeSlack, bot: InProcessBot, web: WSGIApplication
) -> None:
    slack.add_workspace("T0ACME", name="Acme & <Sons>")
    slack.next_install("T0ACME", user_id="U0ACMEADMIN")
    started = start_install(web)
    answer = come_back(web, started.cookie, **authorize(started.url))
    assert answer.page.status == 200, answer.page.text
    answer.page.assert_headers()
    assert words.INSTALLED.format(name="Acme & <Sons>") in answer.page.text
    assert "Acme &amp; &lt;Sons&gt;" in answer.page.html
    made = slack.installation("T0ACME")
    assert made is not None
    kept = bot.store.installs.find_installation(Workspace("", "T0ACME"))
    assert kept is not None
    assert (kept.bot_token, kept.bot_id, kept.bot_user_id) == (
        made.bot_token,
        made.bot_id,
        made.bot_user_id,
    )
    assert kept.installer_user_id == "U0ACMEADMIN"
    assert kept.bot_scopes == ",".join(BOT_SCOPES)
    assert (kept.bot_refresh_token, kept.bot_token_expires_at) == ("", None)
    # The code was exchanged with lenspin's client credentials (the stand-in refuses others).
    (exchange,) = slack.calls_to("oauth.v2.access")
    assert exchange.error is None
    assert exchange.args["redirect_uri"] == PUBLIC_URL + REDIRECT_PATH
    (check,) = slack.calls_to("auth.test")
    assert (check.token, check.error) == (made.bot_token, None)


def test_an_org_wide_install_with_token_rotation_is_kept_for_the_org(
    slack: FakeSlack, bot: InProcessBot, web: WSGIApplication
) -> None:
    slack.add_workspace(
        "T0GRIDA", name="Grid A", enterprise_id="E0GRID", enterprise_name="Grid Corp"
    )
    slack.enable_token_rotation()
    slack.next_install("T0GRIDA", org_wide=True)
    started = start_install(web)
    answer = come_back(web, started.cookie, **authorize(started.url))
    assert words.INSTALLED.format(name="Grid Corp") in answer.page.text
    kept = bot.store.installs.find_installation(Workspace("E0GRID", ""))
    assert kept is not None
    assert kept.workspace.org_wide
    made = slack.installation(enterprise_id="E0GRID")
    assert made is not None
    assert (kept.bot_token, kept.bot_refresh_token) == (made.bot_token, made.refresh_token)
    assert kept.bot_token_expires_at is not None
    lifetime = kept.bot_token_expires_at - datetime.now(UTC)
    assert timedelta(hours=11) < lifetime <= timedelta(hours=12)


def test_the_install_pages_log_no_code_state_secret_or_token(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    redactor = Redactor()
    redactor.secrets = (slack.client_secret,)
    made = logging.getLogRecordFactory()
    logging.setLogRecordFactory(redactor)
    caplog.set_level(logging.DEBUG)  # the root logger: Bolt, slack_sdk and urllib3 speak too
    slack.add_workspace("T0ACME", name="Acme")
    slack.enable_token_rotation()
    try:
        with in_process_bot(slack, workspaces=()) as bot:
            slack.next_install("T0ACME")
            started = start_install(bot.web)
            came_back_with = authorize(started.url)
            come_back(bot.web, started.cookie, **came_back_with)
            refused = start_install(bot.web)
            come_back(bot.web, refused.cookie, code="code-secret-2", state=refused.state)
    finally:
        logging.setLogRecordFactory(made)
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert any(r.name.startswith("slack_sdk") for r in caplog.records)  # DEBUG was on
    assert any("Installed in team=T0ACME" in r.getMessage() for r in caplog.records)
    installed = slack.installation("T0ACME")
    assert installed is not None
    for secret in (
        started.state,
        refused.state,
        came_back_with["code"],
        "code-secret",
        slack.client_secret,
        installed.bot_token,
        installed.refresh_token,
        "xoxe-1-",
    ):
        assert secret not in logged


def test_install_routes_take_get_only_and_a_short_query(web: WSGIApplication) -> None:
    for path in (INSTALL_PATH, REDIRECT_PATH):
        posted = browse(web, path, method="POST")
        assert posted.page.status == 405
        assert posted.header("Allow") == "GET"
        posted.page.assert_headers()
        assert browse(web, path, method="HEAD").page.status == 405
        long = browse(web, path, "state=" + "x" * OAUTH_QUERY_CAP)
        assert long.page.status == 414
        assert words.BAD_REQUEST in long.page.text
    bad_utf8 = browse(web, REDIRECT_PATH, "code=%ff&state=x")
    assert bad_utf8.page.status == 400


def test_one_workspace_serves_no_install_pages(slack: FakeSlack) -> None:
    with in_process_bot(slack) as bot:
        assert browse(bot.web, INSTALL_PATH).page.status == 404
        assert browse(bot.web, REDIRECT_PATH, "code=c&state=s").page.status == 404
