"""bot/page/install_pages.py: the install pages escape what Slack names and say why in words."""

from __future__ import annotations

import html

import pytest

from bot.page.install_pages import InstallPages
from bot.texts import install as words
from tests.support.connect_page import Page

NASTY = "<script>alert('x')</script> & co"


@pytest.fixture
def pages() -> InstallPages:
    return InstallPages(install_path="/slack/install")


def test_the_add_to_slack_page_is_a_plain_link(pages: InstallPages) -> None:
    url = "https://slack.com/oauth/v2/authorize?state=s&client_id=1&scope=a,b&redirect_uri=x"
    html = pages.add_to_slack(url)
    assert 'href="https://slack.com/oauth/v2/authorize?state=s&amp;client_id=1&amp;' in html
    assert "<script" not in html
    assert "<img" not in html
    assert words.BUTTON in Page.parse(200, {}, html).by_id["add-to-slack"]


def test_a_workspace_name_is_escaped(pages: InstallPages) -> None:
    html = pages.installed(NASTY)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in html


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        ("access_denied", words.DENIED),
        ("invalid_state", words.STATE_EXPIRED),
        ("invalid_browser", words.OTHER_BROWSER),
        ("missing_code", words.CODE_REFUSED),
        ("invalid_code", words.CODE_REFUSED),
        ("storage_error", words.DATABASE),
        ("bad_request", words.BAD_REQUEST),
        ("invalid_scope", words.SLACK_REFUSED),
        (NASTY, words.SLACK_REFUSED),
    ],
)
def test_each_failure_in_plain_words_with_a_way_back(
    pages: InstallPages, reason: str, text: str
) -> None:
    page = Page.parse(400, {}, pages.failed(reason))
    assert page.by_id["message"] == text
    assert 'href="/slack/install"' in page.html
    assert "alert" not in page.html


def test_the_pages_carry_the_connect_pages_headers(pages: InstallPages) -> None:
    headers = dict(pages.headers)
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("reason", "title"),
    [
        # A reload of the installed page lands on these: they must not say nothing happened.
        ("invalid_state", words.LINK_SPENT_TITLE),
        ("invalid_browser", words.LINK_SPENT_TITLE),
        ("access_denied", words.FAILED_TITLE),
        ("invalid_code", words.FAILED_TITLE),
        (NASTY, words.FAILED_TITLE),
    ],
)
def test_a_spent_link_does_not_claim_nothing_was_installed(
    pages: InstallPages, reason: str, title: str
) -> None:
    page = Page.parse(400, {}, pages.failed(reason))
    assert f"<title>{html.escape(title)}" in page.html
    other = words.FAILED_TITLE if title == words.LINK_SPENT_TITLE else words.LINK_SPENT_TITLE
    assert html.escape(other) not in page.html
