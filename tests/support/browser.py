"""Headless Chromium from Debian's packages, driven by Selenium: `with chromium(*PHONE) as b`.

Both paths are given to Selenium, so Selenium Manager never runs and nothing is downloaded.
Import from here (not tests.support): only the browser tier should pay selenium's import.
A browser takes about 2 s to start, so tests share one per screen and each gets a fresh_tab.
"""

from __future__ import annotations

import base64
import math
import os
import struct
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple, TypeVar

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver import ChromeOptions
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.remote.remote_connection import RemoteConnection
from selenium.webdriver.support.wait import WebDriverWait

from devtools.web_process import ROOT

CHROMIUM = Path("/usr/bin/chromium")  # Debian's `chromium` package
CHROMEDRIVER = Path("/usr/bin/chromedriver")  # Debian's `chromium-driver`, the same version
# Set (to anything but 0) where a missing browser must fail the tier, not skip it: .ci/run.
REQUIRE_VARIABLE = "LENSPIN_REQUIRE_BROWSER"

PAGE_LOAD_SECONDS = 15
SCRIPT_SECONDS = 5
WAIT_SECONDS = 5.0
# Each call to chromedriver (Selenium's default is 120 s), so a wedged browser fails the test.
DRIVER_CALL_SECONDS = 30

FLAGS = (
    "--headless=new",
    "--no-sandbox",  # Chromium will not run as root (as CI does) with its sandbox on
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Debian's launcher adds this when /dev/shm is small, but its check errors out here.
    "--disable-dev-shm-usage",
    # A phone's scrollbars overlay the page; hidden here too, so the page is as wide as the
    # screen and a screenshot's width is the viewport's.
    "--hide-scrollbars",
    # Names never resolve, so nothing Chromium might fetch for itself leaves the machine;
    # the rule would catch addresses too, hence the loopback ones excluded.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]",
)

# Where the README's screenshots are; LENSPIN_UPDATE_SCREENSHOTS=1 makes a run refresh them.
DOCS = ROOT / "docs"
UPDATE_SCREENSHOTS_VARIABLE = "LENSPIN_UPDATE_SCREENSHOTS"
# The pages' accent colour (bot/page/templates/page.css) as a computed style: a button of
# this colour shows the stylesheet was applied (the CSP allowed its hash).
PAGE_ACCENT = "rgba(29, 60, 110, 1)"

T = TypeVar("T")


class Screen(NamedTuple):
    """A viewport in CSS pixels at device pixel ratio 1; mobile: touch and <meta viewport>."""

    width: int
    height: int
    mobile: bool = False


PHONE = Screen(390, 844, mobile=True)
DESKTOP = Screen(1280, 800)


def missing_browser() -> str | None:
    """Why no browser can start here, or None when Chromium and chromedriver are installed."""
    absent = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if not absent:
        return None
    return (
        f"{' and '.join(absent)} not installed: "
        "apt-get install --no-install-recommends chromium chromium-driver (.ci/run does)"
    )


def require_browser() -> None:
    """Skip the calling test when the browser is missing; fail it where REQUIRE_VARIABLE says."""
    reason = missing_browser()
    if reason is None:
        return
    if os.environ.get(REQUIRE_VARIABLE, "") not in ("", "0"):
        pytest.fail(f"{REQUIRE_VARIABLE} is set and {reason}", pytrace=False)
    pytest.skip(reason)


@contextmanager
def chromium(
    width: int = DESKTOP.width, height: int = DESKTOP.height, mobile: bool = False
) -> Iterator[WebDriver]:
    """A fresh headless Chromium (new profile) whose pages get a width x height viewport."""
    require_browser()
    with tempfile.TemporaryDirectory(prefix="lenspin-chromium-") as scratch:
        options = ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={scratch}/profile")
        # --window-size alone gives a smaller viewport (headless keeps room for a toolbar) and
        # no window under 500 px wide; emulating the screen gives exactly width x height, in
        # every tab, and a phone's handling of <meta name=viewport> when mobile.
        options.add_argument(f"--window-size={max(width, 500)},{height + 200}")
        metrics = {"width": width, "height": height, "pixelRatio": 1.0}
        options.add_experimental_option(
            "mobileEmulation", {"deviceMetrics": {**metrics, "mobile": mobile, "touch": mobile}}
        )
        log = Path(scratch) / "chromedriver.log"
        service = Service(
            str(CHROMEDRIVER),
            log_output=str(log),
            env={**os.environ, "SE_OFFLINE": "true"},
        )
        try:
            driver = WebDriver(options=options, service=service)
        except WebDriverException as error:
            # Installed but not starting is a broken machine, never a skip.
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(f"Chromium did not start: {error.msg}\n{tail}", pytrace=False)
        try:
            connection = driver.command_executor
            if isinstance(connection, RemoteConnection):
                connection.client_config.timeout = DRIVER_CALL_SECONDS
            driver.set_page_load_timeout(PAGE_LOAD_SECONDS)
            driver.set_script_timeout(SCRIPT_SECONDS)
            # No implicit wait: every wait is a wait_until on a condition, with its deadline.
            driver.implicitly_wait(0)
            yield driver
        finally:
            driver.quit()


@contextmanager
def fresh_tab(driver: WebDriver) -> Iterator[WebDriver]:
    """driver in a new tab, with no cookie or cached response from before; its tabs closed after.

    Cookies and the HTTP cache are all a page without scripts can keep (lenspin's pages allow
    none). A test whose page stores more (localStorage...) wants a chromium() of its own.
    """
    home = driver.current_window_handle
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.switch_to.new_window("tab")
    try:
        yield driver
    finally:
        for handle in driver.window_handles:
            if handle != home:
                driver.switch_to.window(handle)
                driver.close()
        driver.switch_to.window(home)


def wait_until(
    driver: WebDriver,
    condition: Callable[[WebDriver], T],
    message: str,
    timeout: float = WAIT_SECONDS,
) -> T:
    """condition(driver)'s first truthy value, polled; TimeoutException(message) at timeout."""
    return WebDriverWait(driver, timeout).until(condition, message)


def save_screenshot(driver: WebDriver, path: Path) -> Path:
    """Write the whole page (not only the viewport) as a PNG at device pixel ratio 1."""
    layout = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    content, viewport = layout["cssContentSize"], layout["cssLayoutViewport"]
    clip = {
        "x": 0,
        "y": 0,
        "width": math.ceil(max(content["width"], viewport["clientWidth"])),
        "height": math.ceil(max(content["height"], viewport["clientHeight"])),
        "scale": 1,
    }
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def docs_screenshot(driver: WebDriver, name: str, scratch: Path) -> bytes:
    """save_screenshot to DOCS/name when UPDATE_SCREENSHOTS_VARIABLE is 1, else to scratch."""
    folder = DOCS if os.environ.get(UPDATE_SCREENSHOTS_VARIABLE) == "1" else scratch
    return save_screenshot(driver, folder / name).read_bytes()


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header; ValueError if data is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height
