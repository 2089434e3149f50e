"""Fixtures of the browser tier: headless Chromium at phone or desktop size, a fresh tab a test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver

from tests.support.browser import DESKTOP, PHONE, chromium, fresh_tab


# One browser per screen for the whole run, started when a test first asks for it: starting
# one takes about 2 s, a fresh tab about 0.5 s.
@pytest.fixture(scope="session")
def desktop_browser() -> Iterator[WebDriver]:
    with chromium(*DESKTOP) as driver:
        yield driver


@pytest.fixture(scope="session")
def phone_browser() -> Iterator[WebDriver]:
    with chromium(*PHONE) as driver:
        yield driver


@pytest.fixture
def desktop(desktop_browser: WebDriver) -> Iterator[WebDriver]:
    """Chromium with a 1280 x 800 viewport, in a tab and profile of this test's own."""
    with fresh_tab(desktop_browser) as driver:
        yield driver


@pytest.fixture
def phone(phone_browser: WebDriver) -> Iterator[WebDriver]:
    """Chromium as a 390 x 844 touch phone honouring <meta name=viewport>, in a fresh tab."""
    with fresh_tab(phone_browser) as driver:
        yield driver
