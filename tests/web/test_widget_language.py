"""The widget in the learner's language, in a real headless Chromium: Spanish from the first look
when the browser is set to Spanish (Mexico), relabelled when the conversation changes language,
and never a leftover English label.

Run alone with `.venv/bin/pytest -q -m browser tests/web/test_widget_language.py`.
"""

from __future__ import annotations

import pytest

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    pytest.skip("selenium is not installed: pip install selenium==4.51.0", allow_module_level=True)

from bot.gateway.texts import say
from knowledge.locales import SOURCE_LANGUAGE, book
from tests.web.conftest import LANGUAGE_CHOSEN, StubGateway, open_demo

pytestmark = pytest.mark.browser

MESSAGES = "/api/web/messages"
ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")
# Everything the widget shows or says to a screen reader: texts and labelling attributes.
SHOWN = """
const root = document.querySelector('[data-wayfinder]');
const found = [];
const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  if (walker.currentNode.data.trim()) found.push(walker.currentNode.data);
}
for (const node of root.querySelectorAll('*')) {
  for (const name of arguments[0]) {
    if (node.hasAttribute(name)) found.push(node.getAttribute(name));
  }
}
return found;
"""


def wait(driver: WebDriver, seconds: float = 10) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, seconds, poll_frequency=0.05)


def shown(driver: WebDriver) -> list[str]:
    """Every text and label of the widget, the log's messages included."""
    return [str(text) for text in driver.execute_script(SHOWN, list(ATTRIBUTES))]


def widget_language(driver: WebDriver) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, "[data-wayfinder]").get_attribute("lang"))


def english_only(language: str) -> set[str]:
    """The widget's English words that `language` says differently (a name like "Wayfinder" is
    the same in both)."""
    english, other = book(SOURCE_LANGUAGE, "widget"), book(language, "widget")
    return {str(text).strip() for key, text in english.items() if text != other.get(key)}


def send(driver: WebDriver, text: str) -> None:
    driver.find_element(By.ID, "wf-input").send_keys(text, Keys.ENTER)


def test_a_spanish_browser_gets_the_widget_in_spanish_with_no_english_left(
    spanish_browser: WebDriver, gateway: StubGateway
) -> None:
    page = open_demo(spanish_browser, gateway)
    assert page.execute_script("return navigator.language") == "es-MX"
    spanish = book("es", "widget")
    assert widget_language(page) == "es"
    assert (
        page.find_element(By.ID, "wf-input").get_attribute("placeholder") == spanish["placeholder"]
    )
    assert page.find_element(By.CSS_SELECTOR, ".wf-send").text == spanish["send"]
    assert page.find_element(By.CSS_SELECTOR, ".wf-new").text == spanish["new_chat"]

    send(page, "hola")
    wait(page).until(lambda d: "You said: hola" in " ".join(shown(d)), "no reply")
    session = str(page.execute_script("return localStorage.getItem('wayfinder.session')"))
    assert gateway.calls_for(session, MESSAGES)[-1].data == {
        "text": "hola",
        "language_hint": "es-MX",
    }
    page.find_element(By.CSS_SELECTOR, ".wf-new").click()  # the confirmation's words too
    leftovers = [text for text in shown(page) if text.strip() in english_only("es")]
    assert leftovers == []
    assert spanish["you"] in shown(page)  # who spoke, for screen readers
    privacy = page.find_element(By.CSS_SELECTOR, ".wf-privacy").get_attribute("href")
    assert privacy == f"{gateway.url}/privacy?lang=es"


def test_the_privacy_notice_opens_in_the_browsers_language(
    spanish_browser: WebDriver, gateway: StubGateway
) -> None:
    spanish_browser.get(f"{gateway.url}/privacy")
    assert spanish_browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
    assert spanish_browser.title == say("privacy_title", "es")


def test_choosing_a_language_mid_conversation_relabels_the_widget_and_it_sticks(
    page: WebDriver, gateway: StubGateway
) -> None:
    english, spanish = book(SOURCE_LANGUAGE, "widget"), book("es", "widget")
    assert widget_language(page) == "en"
    assert page.find_element(By.CSS_SELECTOR, ".wf-send").text == english["send"]
    send(page, "language")
    wait(page).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#wf-log .wf-choice"), "no buttons")
    choices = page.find_elements(By.CSS_SELECTOR, "#wf-log .wf-choice")
    next(choice for choice in choices if choice.text == "Español").click()
    wait(page).until(lambda d: widget_language(d) == "es", "the widget was not relabelled")
    assert LANGUAGE_CHOSEN.format(code="es") in " ".join(shown(page))
    assert page.find_element(By.CSS_SELECTOR, ".wf-send").text == spanish["send"]
    assert page.find_element(By.ID, "wf-log").get_attribute("aria-label") == spanish["log_label"]
    assert [text for text in shown(page) if text.strip() in english_only("es")] == []

    page.refresh()  # the next visit starts in the learner's language
    wait(page).until(lambda d: d.find_element(By.ID, "wf-panel").is_displayed(), "no widget")
    assert widget_language(page) == "es"
    assert [text for text in shown(page) if text.strip() in english_only("es")] == []

    page.find_element(By.CSS_SELECTOR, ".wf-new").click()
    page.find_element(By.CSS_SELECTOR, ".wf-confirm-yes").click()
    assert widget_language(page) == "en"  # the next person at this computer: their browser's
    assert page.find_element(By.CSS_SELECTOR, ".wf-send").text == english["send"]
