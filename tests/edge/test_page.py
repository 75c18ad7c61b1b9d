"""The --serve page in a real headless Chromium (Debian's chromium and chromium-driver, driven by selenium) over
a real runner process reading a video: the readings appear in order, dragging on the view sets the region,
which is kept in the config file and used after a restart."""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from digits.edge.cli import main

from tests.edge.live_process import MODEL_ARGS, serving, url_of, write_video

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.chrome.service import Service  # noqa: E402 (after the skip)
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

TOKEN = "page-token"
WAIT_S = 30.0
SCREENSHOT_ENV = "DIGITS_PAGE_SCREENSHOT"  # also save the screenshot there (the README's picture)
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1000,760")


@pytest.fixture(scope="module")
def video(tmp_path_factory, mnist_test):
    return write_video(tmp_path_factory.mktemp("video") / "digits.avi", mnist_test)


@pytest.fixture
def browser(tmp_path):
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip("chromium or chromedriver is not installed (scripts/debian_packages.sh chromium:chromium "
                    "chromium-driver:chromedriver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    session = webdriver.Chrome(service=Service(driver), options=options)  # a given driver: nothing downloaded
    yield session
    session.quit()


def _wait(what, until, timeout_s: float = WAIT_S):
    deadline = time.monotonic() + timeout_s
    while True:
        value = what()
        if until(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_page_shows_readings_in_order_and_sets_the_region_by_dragging(video, browser, tmp_path):
    config = tmp_path / "digits.toml"
    config.write_text("# the meter in the hall\nsmooth-frames = 5\n")
    with serving(video, "--config", str(config), "--token", TOKEN) as runner:
        url = url_of(runner)
        browser.get(f"{url}?token={TOKEN}")

        def changes() -> list[str]:  # oldest first; "" is "no digit" (read at once: the list is redrawn)
            return browser.execute_script(
                "return [...document.querySelectorAll('#changes li.change')].map(item => item.dataset.reading)"
                ".reverse()")

        seen = _wait(changes, lambda seen: len(seen) >= 5)
        assert seen[:5] == ["", "4", "", "1", ""], seen
        assert browser.find_element(By.ID, "state").text in ("reading", "no digit")
        assert float(browser.find_element(By.ID, "fps").text) > 5
        assert browser.find_element(By.ID, "roi").text == "88,48,144,144"
        view = browser.find_element(By.ID, "view")
        assert _wait(lambda: browser.execute_script("return arguments[0].naturalWidth", view), bool) == 320
        reading = _wait(lambda: browser.find_element(By.ID, "reading").text, lambda text: text in ("4", "1"))
        assert reading in ("4", "1")
        time.sleep(0.3)  # the view catches up with the reading, for the picture
        screenshot = tmp_path / "page.png"
        assert browser.save_screenshot(str(screenshot)) and screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get(SCREENSHOT_ENV):
            shutil.copyfile(screenshot, Path(os.environ[SCREENSHOT_ENV]))

        # The view is scaled to the page: drag from (60,50) to (180,150) in the frame's pixels, given as offsets
        # in the page's pixels from the view's centre (160,120).
        scale = browser.execute_script("return arguments[0].getBoundingClientRect().width", view) / 320
        for _attempt in range(3):  # on a loaded machine the browser may drop a drag's events: drag again
            ActionChains(browser).move_to_element_with_offset(view, round(-100 * scale), round(-70 * scale)) \
                .click_and_hold().move_by_offset(round(60 * scale), round(50 * scale)) \
                .move_by_offset(round(60 * scale), round(50 * scale)).release().perform()
            shown = _wait(lambda: browser.find_element(By.ID, "roi").text, lambda text: text != "88,48,144,144",
                          timeout_s=WAIT_S / 3)
            if shown != "88,48,144,144":
                break
        x, y, w, h = (int(part) for part in shown.split(","))
        assert abs(x - 60) <= 2 and abs(y - 50) <= 2 and abs(w - 120) <= 2 and abs(h - 100) <= 2, (shown, scale)
        assert "kept in" in browser.find_element(By.ID, "note").text
        assert browser.find_element(By.ID, "state").text != "server unreachable"

        assert re.search(rf'^roi = "{shown}"$', config.read_text(), re.MULTILINE), config.read_text()
        assert config.read_text().startswith('roi = "') and "# the meter in the hall" in config.read_text()

        browser.get(url)  # no token: refused
        assert "a token is needed" in browser.find_element(By.TAG_NAME, "body").text

    restarted = CliRunner(env={"DISPLAY": None}).invoke(
        main, [*MODEL_ARGS, "--config", str(config), "--camera", str(video), "--max-frames", "1", "--json"])
    assert restarted.exit_code == 0, restarted.output
    assert json.loads(restarted.stdout.splitlines()[-1])["summary"]["roi"] == shown
