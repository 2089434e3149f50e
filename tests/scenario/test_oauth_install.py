"""'Add to Slack' through bot/web.py and Bolt's OAuth flow: lenspin's pages, single-use state.

The token exchange goes to SLACK_API_URL: the fake Slack (which does not exchange codes yet,
so every code is refused there) or tests/support/oauth_standin.py where an install completes.
"""

from __future__ import annotations

import html
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
from tests.support import FakeSlack
from tests.support.inprocess import in_process_bot
from tests.support.oauth_bot import AUTHORIZE_URL, PUBLIC_URL, Browsed, TeamBot, browse, multi_bot
from tests.support.oauth_standin import BOT_ID, CLIENT_ID, CLIENT_SECRET, oauth_slack
from tests.support.workspaces_double import WorkspacesStore

COOKIE = "slack-app-oauth-state"


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
def bot(slack: FakeSlack, clock: Clock) -> Iterator[TeamBot]:
    with multi_bot(slack, store=WorkspacesStore(clock=clock)) as bot:
        yield bot


def web_of(bot: TeamBot) -> WSGIApplication:
    return WSGIApplication(bot.lenspin, bot.settings.slack_signing_secret)


@pytest.fixture
def web(bot: TeamBot) -> WSGIApplication:
    return web_of(bot)


def add_to_slack_url(answer: Browsed) -> str:
    found = re.search(r'id="add-to-slack" href="([^"]*)"', answer.page.html)
    assert found is not None, answer.page.html
    return html.unescape(found.group(1))


def start_install(web: WSGIApplication) -> tuple[str, str]:
    """Open the 'Add to Slack' page: the state in its link, and the cookie the browser keeps."""
    answer = browse(web, INSTALL_PATH)
    state = parse_qs(urlsplit(add_to_slack_url(answer)).query)["state"][0]
    (cookie,) = answer.cookies
    return state, cookie.split(";", 1)[0]


def come_back(web: WSGIApplication, cookie: str, **query: str) -> Browsed:
    """Slack's redirect to /slack/oauth_redirect, in the browser that began the install."""
    return browse(web, REDIRECT_PATH, urlencode(query), cookie=cookie)


def test_the_install_page_links_to_slacks_authorize_step(
    bot: TeamBot, web: WSGIApplication
) -> None:
    answer = browse(web, INSTALL_PATH)
    assert answer.page.status == 200
    answer.page.assert_headers()
    url = add_to_slack_url(answer)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AUTHORIZE_URL
    query = parse_qs(parts.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == [",".join(BOT_SCOPES)]
    assert query["redirect_uri"] == [PUBLIC_URL + REDIRECT_PATH]
    (state,) = query["state"]
    assert len(state) >= 40
    assert bot.kept.states == [state]
    (cookie,) = answer.cookies
    assert cookie.startswith(f"{COOKIE}={state};")
    assert "HttpOnly" in cookie
    assert "Max-Age=600" in cookie
    # lenspin's own page: no image, script or style from anywhere else.
    assert not re.search(r"<img|<script|<link|slack-edge", answer.page.html)
    assert words.BUTTON in answer.page.text
    # Each visit gets its own state.
    assert start_install(web)[0] != state


def test_only_a_team_id_reaches_slacks_authorize_url(web: WSGIApplication) -> None:
    chosen = add_to_slack_url(browse(web, INSTALL_PATH, "team=T0ACME"))
    assert parse_qs(urlsplit(chosen).query)["team"] == ["T0ACME"]
    forged = add_to_slack_url(browse(web, INSTALL_PATH, urlencode({"team": "T1&client_id=x"})))
    assert "team" not in parse_qs(urlsplit(forged).query)
    assert parse_qs(urlsplit(forged).query)["client_id"] == [CLIENT_ID]


def test_a_redirect_without_the_browsers_cookie_is_refused(web: WSGIApplication) -> None:
    state, _cookie = start_install(web)
    answer = browse(web, REDIRECT_PATH, urlencode({"code": "c", "state": state}))
    assert answer.page.status == 400
    assert words.OTHER_BROWSER in answer.page.text
    answer.page.assert_headers()


def test_a_state_never_issued_shows_the_expired_page(
    slack: FakeSlack, web: WSGIApplication
) -> None:
    answer = come_back(web, f"{COOKIE}=forged", code="c", state="forged")
    assert answer.page.status == 401
    assert words.STATE_EXPIRED in answer.page.text
    assert answer.page.by_id["start-again"] == words.START_AGAIN
    assert f'href="{INSTALL_PATH}"' in answer.page.html
    # The state's cookie is deleted, and Slack was never asked to exchange anything.
    assert any(c.startswith(f"{COOKIE}=deleted;") for c in answer.cookies)
    assert slack.calls_to("oauth.v2.access") == []


def test_a_state_works_once(slack: FakeSlack, web: WSGIApplication) -> None:
    state, cookie = start_install(web)
    first = come_back(web, cookie, code="code-1", state=state)
    # The state was good: the code went to Slack (SLACK_API_URL), which refused it.
    (exchange,) = slack.calls_to("oauth.v2.access")
    assert exchange.args["code"] == "code-1"
    assert first.page.status == 401
    assert words.CODE_REFUSED in first.page.text
    again = come_back(web, cookie, code="code-1", state=state)
    assert again.page.status == 401
    assert words.STATE_EXPIRED in again.page.text
    assert len(slack.calls_to("oauth.v2.access")) == 1


def test_a_state_expires_after_ten_minutes(
    slack: FakeSlack, web: WSGIApplication, clock: Clock
) -> None:
    state, cookie = start_install(web)
    clock.now += timedelta(minutes=10, seconds=1)
    answer = come_back(web, cookie, code="code-1", state=state)
    assert words.STATE_EXPIRED in answer.page.text
    assert slack.calls_to("oauth.v2.access") == []


def test_an_install_cancelled_in_slack_says_so(web: WSGIApplication) -> None:
    state, cookie = start_install(web)
    answer = come_back(web, cookie, error="access_denied", state=state)
    assert answer.page.status == 200
    assert words.DENIED in answer.page.text
    forged = come_back(web, cookie, error="<b>whatever Slack says</b>", state=state)
    assert words.SLACK_REFUSED in forged.page.text
    assert "whatever" not in forged.page.html


def test_an_install_completes_and_is_kept(slack: FakeSlack) -> None:
    with oauth_slack() as oauth, multi_bot(slack, api_url=oauth.api_url) as bot:
        web = web_of(bot)
        state, cookie = start_install(web)
        oauth.add_code("code-1", team_id="T0ACME", team_name="Acme & <Sons>", token="xoxb-acme-1")
        answer = come_back(web, cookie, code="code-1", state=state)
        assert answer.page.status == 200, answer.page.text
        answer.page.assert_headers()
        assert words.INSTALLED.format(name="Acme & <Sons>") in answer.page.text
        assert "Acme &amp; &lt;Sons&gt;" in answer.page.html
        kept = bot.kept.find_installation(Workspace("", "T0ACME"))
        assert kept is not None
        assert (kept.bot_token, kept.bot_id) == ("xoxb-acme-1", BOT_ID)
        assert kept.installer_user_id == "U0ADMIN"
        assert kept.bot_scopes == ",".join(BOT_SCOPES)
        assert (kept.bot_refresh_token, kept.bot_token_expires_at) == ("", None)
        (exchange,) = oauth.calls_to("oauth.v2.access")
        assert exchange.client == f"{CLIENT_ID}:{CLIENT_SECRET}"
        assert exchange.fields["redirect_uri"] == PUBLIC_URL + REDIRECT_PATH
        (check,) = oauth.calls_to("auth.test")
        assert check.token == "xoxb-acme-1"


def test_an_org_wide_install_with_token_rotation_is_kept_for_the_org(slack: FakeSlack) -> None:
    with oauth_slack() as oauth, multi_bot(slack, api_url=oauth.api_url) as bot:
        web = web_of(bot)
        state, cookie = start_install(web)
        oauth.add_code(
            "code-org",
            team_id=None,
            enterprise_id="E0GRID",
            enterprise_name="Grid Corp",
            org_wide=True,
            token="xoxe.xoxb-grid-1",
            rotating=True,
        )
        answer = come_back(web, cookie, code="code-org", state=state)
        assert words.INSTALLED.format(name="Grid Corp") in answer.page.text
        kept = bot.kept.find_installation(Workspace("E0GRID", ""))
        assert kept is not None
        assert kept.workspace.org_wide
        assert kept.bot_refresh_token.startswith("xoxe-1-")
        assert kept.bot_token_expires_at is not None
        lifetime = kept.bot_token_expires_at - datetime.now(UTC)
        assert timedelta(hours=11) < lifetime <= timedelta(hours=12)


def test_the_install_pages_log_no_code_state_secret_or_token(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    redactor = Redactor()
    redactor.secrets = (CLIENT_SECRET,)
    made = logging.getLogRecordFactory()
    logging.setLogRecordFactory(redactor)
    caplog.set_level(logging.DEBUG)  # the root logger: Bolt, slack_sdk and urllib3 speak too
    try:
        with oauth_slack() as oauth, multi_bot(slack, api_url=oauth.api_url) as bot:
            web = web_of(bot)
            state, cookie = start_install(web)
            oauth.add_code(
                "code-secret-1", team_id="T0ACME", token="xoxb-acme-secret", rotating=True
            )
            come_back(web, cookie, code="code-secret-1", state=state)
            refused_state, refused_cookie = start_install(web)
            come_back(web, refused_cookie, code="code-secret-2", state=refused_state)
    finally:
        logging.setLogRecordFactory(made)
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert any(r.name.startswith("slack_sdk") for r in caplog.records)  # DEBUG was on
    assert any("Installed in team=T0ACME" in r.getMessage() for r in caplog.records)
    for secret in (state, refused_state, "code-secret", CLIENT_SECRET, "acme-secret", "xoxe-1-"):
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
        web = WSGIApplication(bot.lenspin, bot.settings.slack_signing_secret)
        assert browse(web, INSTALL_PATH).page.status == 404
        assert browse(web, REDIRECT_PATH, "code=c&state=s").page.status == 404
