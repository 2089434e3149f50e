"""'Add to Slack' in headless Chromium: lenspin's page, the stand-in's authorize step, back.

lenspin serves several workspaces here, as the Procfile's web process starts it with
SLACK_CLIENT_ID/SECRET. Bolt's state cookie is Secure and LENSPIN_PUBLIC_URL is
http://127.0.0.1: an install completes only if the browser sends that cookie back there.
Screenshots of the page at phone and desktop width are taken every run; with
LENSPIN_UPDATE_SCREENSHOTS=1 they replace the ones in docs/ that the README shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from slack_sdk.oauth.state_utils import OAuthStateUtils

from bot import texts
from bot.config import INSTALL_PATH, OAUTH_REDIRECT_PATH
from bot.texts import install as words
from tests.support.browser import (
    DESKTOP,
    PAGE_ACCENT,
    PHONE,
    docs_screenshot,
    png_size,
    wait_until,
)
from tests.support.workspaces_e2e import Shop, World, new_shop, rows, serving_several

# The name of Bolt's state cookie (lenspin keeps slack_sdk's default).
STATE_COOKIE = OAuthStateUtils.default_cookie_name


@pytest.fixture(scope="module")
def w() -> Iterator[World]:
    with serving_several("sqlite") as world:
        yield world


def open_add_to_slack(w: World, driver: WebDriver) -> None:
    """Open LENSPIN_PUBLIC_URL/slack/install as the admin would, and wait for its heading."""
    driver.get(w.web.url + INSTALL_PATH)
    heading = wait_until(driver, lambda d: d.find_element(By.TAG_NAME, "h1").text, "no heading")
    assert heading == words.HEADING


def add_to_slack(w: World, driver: WebDriver) -> None:
    """Click Add to Slack; the stand-in's authorize step sends the browser back to lenspin."""
    redirect = w.web.url + OAUTH_REDIRECT_PATH + "?"
    driver.find_element(By.ID, "add-to-slack").click()
    wait_until(
        driver,
        lambda d: d.current_url.startswith(redirect) and d.find_elements(By.ID, "message"),
        "the browser did not come back to lenspin's redirect page",
    )


def landed(driver: WebDriver) -> tuple[str, str]:
    """The page's heading and its message."""
    return (
        driver.find_element(By.TAG_NAME, "h1").text,
        driver.find_element(By.ID, "message").text,
    )


def looks_right(driver: WebDriver, width: int) -> None:
    """Styled by its own stylesheet (allowed by the CSP's hash), nothing wider than width."""
    button = driver.find_element(By.ID, "add-to-slack")
    assert button.text == words.BUTTON
    assert button.value_of_css_property("background-color") == PAGE_ACCENT
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width


def kept_installs(w: World, shop: Shop) -> list[dict[str, object]]:
    """The installs of shop's workspace that lenspin's database holds."""
    return rows(w, "lenspin_installations", team_id=shop.team_id)


def test_on_a_phone_an_admin_adds_lenspin_to_slack_and_a_replay_keeps_nothing_new(
    w: World, phone: WebDriver, tmp_path: Path
) -> None:
    shop = new_shop(w, "Phone Shop")
    w.slack.next_install(shop.team_id, user_id=shop.admin)
    open_add_to_slack(w, phone)
    looks_right(phone, PHONE.width)
    shot = docs_screenshot(phone, "install-page-phone.png", tmp_path)
    assert png_size(shot)[0] == PHONE.width
    # The browser kept Bolt's Secure state cookie from a plain-http loopback address.
    cookie = phone.get_cookie(STATE_COOKIE)
    assert cookie is not None, "Chromium refused Bolt's Secure state cookie over http"
    assert cookie["secure"]

    add_to_slack(w, phone)
    assert landed(phone) == (words.INSTALLED_TITLE, words.INSTALLED.format(name=shop.name))
    (visit,) = [r for r in w.slack.authorize_requests if r.state == cookie["value"]]
    assert visit.outcome == "approved"
    # Kept for real: in lenspin's database, and the web process now serves that workspace.
    (row,) = kept_installs(w, shop)
    assert (row["team_name"], row["installer_user_id"]) == (shop.name, shop.admin)
    w.slack.send_command(w.web.events_url, user_id=shop.tech, team_id=shop.team_id, text="Ann")
    assert w.slack.wait_for_message(shop.tech)["text"].startswith(texts.NEEDS_CONNECT)
    # The state's cookie is spent with the state.
    assert phone.get_cookie(STATE_COOKIE) is None

    # Back and forward, then a reload: Slack's redirect (code and state) is sent twice more.
    exchanges = len(w.slack.calls_to("oauth.v2.access"))
    replayed = phone.current_url
    phone.back()
    wait_until(phone, lambda d: d.current_url == w.web.url + INSTALL_PATH, "Back did nothing")
    phone.forward()
    wait_until(phone, lambda d: d.current_url == replayed, "Forward did nothing")
    assert landed(phone) == (words.LINK_SPENT_TITLE, words.OTHER_BROWSER)
    phone.refresh()
    assert landed(phone) == (words.LINK_SPENT_TITLE, words.OTHER_BROWSER)
    # Even with the spent state's cookie back (a browser that missed its deletion), the
    # state itself works once.
    phone.add_cookie({k: cookie[k] for k in ("name", "value", "path", "secure", "httpOnly")})
    phone.refresh()
    assert landed(phone) == (words.LINK_SPENT_TITLE, words.STATE_EXPIRED)
    assert phone.execute_script("return document.documentElement.scrollWidth") <= PHONE.width
    assert len(w.slack.calls_to("oauth.v2.access")) == exchanges
    assert kept_installs(w, shop) == [row]


def test_on_a_desktop_an_install_cancelled_in_slack_shows_the_failure_page(
    w: World, desktop: WebDriver, tmp_path: Path
) -> None:
    shop = new_shop(w, "Desk Shop")
    w.slack.deny_next_install()
    open_add_to_slack(w, desktop)
    looks_right(desktop, DESKTOP.width)
    shot = docs_screenshot(desktop, "install-page-desktop.png", tmp_path)
    assert png_size(shot)[0] == DESKTOP.width

    add_to_slack(w, desktop)
    assert landed(desktop) == (words.FAILED_TITLE, words.DENIED)
    assert w.slack.authorize_requests[-1].outcome == "access_denied"
    assert kept_installs(w, shop) == []
    # "Start again" leads back to the Add to Slack page.
    desktop.find_element(By.ID, "start-again").click()
    wait_until(
        desktop,
        lambda d: d.find_element(By.TAG_NAME, "h1").text == words.HEADING,
        "Start again did not lead to the Add to Slack page",
    )
