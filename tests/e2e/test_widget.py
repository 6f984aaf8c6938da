"""The web widget in Debian's headless Chromium against the real stack: the demo page the
gateway serves, a search with buttons, a reload that keeps the conversation, and a listing whose
title is HTML shown as text. WAYFINDER_SCREENSHOT=1 saves docs/images/widget.png from it."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from knowledge.db import make_engine
from knowledge.history import Actor
from knowledge.transfer import import_csv
from knowledge.transfer.csv_format import COLUMNS
from tests.e2e.conftest import Stack

try:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    pytest.skip("selenium is not installed: pip install selenium==4.51.0", allow_module_level=True)

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "widget.png"
XSS_TITLE = "<img src=x onerror=alert(1)> Juggling Club"
LISTING = {
    "external_id": "e2e-xss-1",
    "title": XSS_TITLE,
    "provider": "Alder Bay Circus School",
    "description": "Juggling, diabolo and spinning plates for beginners.",
    "topics": "juggling",
    "min_age": "8",
    "max_age": "14",
    "cost": "0",
    "format": "in_person",
    "neighborhood": "Eastside",
    "days": "Sat",
}


def spreadsheet() -> bytes:
    """The listing as the community CSV (every column, most of them empty)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow([LISTING.get(column, "") for column in COLUMNS])
    return out.getvalue().encode()


def bot_texts(driver: WebDriver) -> list[str]:
    found = driver.find_elements(By.CSS_SELECTOR, "#wf-log .wf-msg-bot .wf-text")
    return [str(element.get_property("textContent")) for element in found]


def wait_for_bot(driver: WebDriver, needle: str, seconds: float = 60) -> str:
    """The first bot message containing `needle`, waiting for it."""
    WebDriverWait(driver, seconds, poll_frequency=0.1).until(
        lambda d: any(needle in text for text in bot_texts(d)), f"no bot message with {needle!r}"
    )
    return next(text for text in bot_texts(driver) if needle in text)


def test_a_search_with_buttons_survives_a_reload_and_html_titles_stay_text(
    stack: Stack, browser: WebDriver
) -> None:
    engine = make_engine(stack.database_url)
    with Session(engine) as session, session.begin():
        report = import_csv(session, spreadsheet(), actor=Actor("e2e", "import"))
        assert not report.problems, report.problems
    engine.dispose()

    browser.set_window_size(1000, 900)
    browser.get(f"{stack.gateway_url}/")
    browser.execute_script("localStorage.clear()")
    browser.refresh()
    WebDriverWait(browser, 15).until(lambda d: d.find_element(By.ID, "wf-panel").is_displayed())

    browser.find_element(By.ID, "wf-input").send_keys(
        "juggling club for my 10 year old", Keys.ENTER
    )
    listing = wait_for_bot(browser, "Juggling Club")
    assert XSS_TITLE in listing  # the characters, as typed by the provider
    log = browser.find_element(By.ID, "wf-log")
    assert log.find_elements(By.TAG_NAME, "img") == []  # nothing was parsed as HTML
    with pytest.raises(NoAlertPresentException):
        _ = browser.switch_to.alert.text

    first = next(
        button
        for button in browser.find_elements(By.CSS_SELECTOR, "#wf-log .wf-choice")
        if button.text.startswith("1. ")
    )
    first.click()
    details = wait_for_bot(browser, "How to join")
    assert "Alder Bay Circus School" in details
    tapped = first.find_element(By.XPATH, "./..").find_elements(By.CSS_SELECTOR, ".wf-choice")
    assert tapped and not any(button.is_enabled() for button in tapped)  # can't tap twice
    browser.refresh()
    WebDriverWait(browser, 15).until(lambda d: d.find_element(By.ID, "wf-panel").is_displayed())
    restored = bot_texts(browser)
    assert any(XSS_TITLE in text for text in restored) and any(
        "How to join" in text for text in restored
    )
    users = browser.find_elements(By.CSS_SELECTOR, "#wf-log .wf-msg-user .wf-text")
    assert "juggling club for my 10 year old" in [u.get_property("textContent") for u in users]
    assert browser.find_element(By.ID, "wf-log").find_elements(By.TAG_NAME, "img") == []

    if os.environ.get("WAYFINDER_SCREENSHOT") == "1":  # the README's picture: an ordinary search
        browser.execute_script("localStorage.clear()")
        browser.refresh()
        WebDriverWait(browser, 15).until(lambda d: d.find_element(By.ID, "wf-panel").is_displayed())
        browser.find_element(By.ID, "wf-input").send_keys(
            "free coding club for my 12 year old", Keys.ENTER
        )
        wait_for_bot(browser, "Here's what I found")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOT))
