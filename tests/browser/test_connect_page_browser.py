"""The connect page in headless Chromium: the link from Slack, the form, a wrong try, success.

Screenshots of the form at phone and desktop width are taken every run; with
LENSPIN_UPDATE_SCREENSHOTS=1 they replace the ones in docs/ that the README shows.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from bot.texts import page as page_texts
from devtools.web_process import free_port
from tests.support import PASSWORD, FakeRescue, FakeSlack, WebProcess, app_env
from tests.support.browser import PAGE_ACCENT, PHONE, docs_screenshot, png_size, wait_until
from tests.support.connect_page import link_in

EMAIL = "jane.doe@helpdesk.example"
_users = itertools.count()


@dataclass
class World:
    slack: FakeSlack
    rescue: FakeRescue
    web: WebProcess


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    port = free_port()
    with FakeSlack() as slack, FakeRescue(rate_limit=None) as rescue:
        env = app_env(
            slack,
            rescue,
            RESCUE_AUTH_CODE="",
            LENSPIN_ALLOWED_USERS="",
            LENSPIN_PUBLIC_URL=f"http://127.0.0.1:{port}",
        )
        with WebProcess(env, port=port) as web:
            yield World(slack, rescue, web)


def link_for(w: World, name: str) -> tuple[str, str]:
    """A new technician called name, and the link /lenspin connect gives them."""
    user = f"U0BROWSER{next(_users):03d}"
    w.slack.add_user(user, real_name=name)
    w.slack.send_command(w.web.events_url, user_id=user, text="connect")
    return user, link_in(w.slack.wait_for_message(user, predicate=lambda m: "blocks" in m))


def text_of(driver: WebDriver, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def submit_password(driver: WebDriver, email: str, password: str) -> None:
    email_field = driver.find_element(By.ID, "email")
    email_field.clear()
    email_field.send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, "connect-password").click()
    # The next page has loaded once the old document is gone.
    wait_until(driver, lambda d: _stale(old), "the form's answer did not load")


def _stale(element: object) -> bool:
    try:
        element.is_enabled()  # type: ignore[attr-defined]
    except Exception:
        return True
    return False


def test_on_a_phone_the_link_opens_the_form_a_wrong_try_then_success(
    world: World, phone: WebDriver, tmp_path: Path
) -> None:
    world.rescue.add_account(EMAIL, PASSWORD)
    user, url = link_for(world, "Jane Doe")
    phone.get(url)
    heading = wait_until(phone, lambda d: d.find_element(By.TAG_NAME, "h1").text, "no heading")
    assert heading == page_texts.HEADING.format(user="Jane Doe", workspace="Lenspin Test & Co")
    # Styled by its own stylesheet (allowed by the CSP's hash), and nothing wider than a phone.
    button = phone.find_element(By.ID, "connect-password")
    assert button.value_of_css_property("background-color") == PAGE_ACCENT
    assert phone.execute_script("return document.documentElement.scrollWidth") <= PHONE.width
    assert phone.find_element(By.ID, "password").get_attribute("type") == "password"
    shot = docs_screenshot(phone, "connect-page-phone.png", tmp_path)
    assert png_size(shot)[0] == PHONE.width

    submit_password(phone, EMAIL, "not my password")
    assert text_of(phone, "error") == page_texts.WRONG_PASSWORD
    assert phone.find_element(By.ID, "email").get_attribute("value") == EMAIL
    assert phone.find_element(By.ID, "password").get_attribute("value") == ""

    submit_password(phone, EMAIL, PASSWORD)
    assert phone.find_element(By.TAG_NAME, "h1").text == page_texts.DONE_TITLE
    assert text_of(phone, "account-email") == EMAIL
    assert text_of(phone, "account-console") == page_texts.CONSOLE_RUNNING
    assert page_texts.CLOSE in phone.find_element(By.TAG_NAME, "body").text
    # Slack heard of it too.
    world.slack.wait_for_message(user, predicate=lambda m: "Connected to Rescue" in m["text"])
    # Going back and sending the form again opens nothing: the link is spent.
    phone.back()
    phone.refresh()
    wait_until(
        phone,
        lambda d: page_texts.GONE in d.find_element(By.TAG_NAME, "body").text,
        "the spent link still opened something",
    )


def test_on_a_desktop_the_form_and_a_pasted_code(
    world: World, desktop: WebDriver, tmp_path: Path
) -> None:
    code = "browserpastedcode0123456789"
    world.rescue.add_auth_code(code)
    _user, url = link_for(world, "Jane Doe")
    desktop.get(url)
    wait_until(desktop, lambda d: d.find_elements(By.ID, "code"), "no code field")
    shot = docs_screenshot(desktop, "connect-page-desktop.png", tmp_path)
    assert png_size(shot)[0] == 1280
    desktop.find_element(By.ID, "code").send_keys(code)
    old = desktop.find_element(By.TAG_NAME, "html")
    desktop.find_element(By.ID, "connect-code").click()
    wait_until(desktop, lambda d: _stale(old), "the form's answer did not load")
    assert desktop.find_element(By.TAG_NAME, "h1").text == page_texts.DONE_TITLE
    assert text_of(desktop, "account-console") == page_texts.CONSOLE_RUNNING
