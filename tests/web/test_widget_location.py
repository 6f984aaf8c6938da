"""The widget's "📍 Share my location", in a real headless Chromium against the stub gateway: it
asks first (saying what is sent and kept), then the browser's permission decides; the position
goes to the gateway with the message, as Telegram's pin does; a refusal or a position the device
cannot find is said in the chat and nothing is sent. Chromium's position and permission are set
through the DevTools protocol (Emulation.setGeolocationOverride, Browser.setPermission).

Run alone with `.venv/bin/pytest -m browser tests/web/test_widget_location.py`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
except ImportError:
    pytest.skip("selenium is not installed: pip install selenium==4.51.0", allow_module_level=True)

from knowledge.locales import text
from tests.web.conftest import StubGateway
from tests.web.test_widget_browser import MESSAGES, session_of, texts, wait, wait_for_bot

pytestmark = pytest.mark.browser

HERE = {"latitude": 41.4993, "longitude": -81.6944}


def say(key: str) -> str:
    """The widget's English words (locales/en/widget.yml)."""
    return text("en", "widget", key)


@pytest.fixture
def located(page: WebDriver, gateway: StubGateway) -> Iterator[WebDriver]:
    """The open widget, whatever the test does to the browser's position undone after it."""
    yield page
    page.execute_cdp_cmd("Emulation.clearGeolocationOverride", {})
    page.execute_cdp_cmd("Browser.resetPermissions", {})


def allow(driver: WebDriver, gateway: StubGateway, setting: str = "granted") -> None:
    """The browser's answer to the page asking for its position."""
    driver.execute_cdp_cmd(
        "Browser.setPermission",
        {"permission": {"name": "geolocation"}, "setting": setting, "origin": gateway.url},
    )


def share(driver: WebDriver) -> None:
    """Tap "Share my location", then agree in the widget's own question."""
    driver.find_element(By.CSS_SELECTOR, ".wf-locate").click()
    consent = driver.find_element(By.ID, "wf-locate-consent")
    wait(driver).until(lambda _: consent.is_displayed(), "no consent question")
    consent.find_element(By.CSS_SELECTOR, ".wf-confirm-yes").click()


def test_it_asks_first_and_not_now_sends_nothing(located: WebDriver, gateway: StubGateway) -> None:
    button = located.find_element(By.CSS_SELECTOR, ".wf-locate")
    assert button.text == say("share_location")
    button.click()
    consent = located.find_element(By.ID, "wf-locate-consent")
    assert consent.is_displayed() and button.get_attribute("aria-expanded") == "true"
    shown = " ".join(consent.find_element(By.CSS_SELECTOR, "p").text.split())
    assert shown == " ".join(say("location_consent").split())
    assert "forget me" in shown and "once" in shown
    consent.find_element(By.CSS_SELECTOR, ".wf-confirm-no").click()
    assert not consent.is_displayed()
    assert gateway.calls_for(session_of(located), MESSAGES) == []


def test_a_shared_position_goes_to_the_gateway_with_the_message(
    located: WebDriver, gateway: StubGateway
) -> None:
    allow(located, gateway)
    located.execute_cdp_cmd("Emulation.setGeolocationOverride", HERE | {"accuracy": 30})
    share(located)
    wait_for_bot(located, f"You said: {say('location_sent')}")
    assert texts(located, "user") == [say("location_sent")]
    (call,) = gateway.calls_for(session_of(located), MESSAGES)
    assert call.data["location"] == HERE and call.data["text"] == say("location_sent")


def test_a_refusal_is_said_in_the_chat_and_nothing_is_sent(
    located: WebDriver, gateway: StubGateway
) -> None:
    allow(located, gateway, "denied")
    located.execute_cdp_cmd("Emulation.setGeolocationOverride", HERE | {"accuracy": 30})
    share(located)
    wait(located).until(lambda d: texts(d, "system") == [say("location_denied")], "no message")
    assert gateway.calls_for(session_of(located), MESSAGES) == []
    assert not located.find_element(By.ID, "wf-locate-consent").is_displayed()


def test_a_position_the_device_cannot_find_is_said_too(
    located: WebDriver, gateway: StubGateway
) -> None:
    allow(located, gateway)
    located.execute_cdp_cmd("Emulation.setGeolocationOverride", {})  # no position: unavailable
    share(located)
    wait(located).until(lambda d: texts(d, "system") == [say("location_unavailable")], "no line")
    assert gateway.calls_for(session_of(located), MESSAGES) == []
