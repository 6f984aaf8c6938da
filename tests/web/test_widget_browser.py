"""The embeddable chat widget in a real headless Chromium, against a stub gateway.

Run alone with `.venv/bin/pytest -m browser tests/web`. The same widget against the real
assistant: tests/e2e/test_widget.py (which also takes the README's screenshot).
"""

from __future__ import annotations

import time

import pytest

try:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    pytest.skip("selenium is not installed: pip install selenium==4.51.0", allow_module_level=True)

from tests.web.conftest import (
    CODING_RESULTS,
    FLAKY,
    GREETING,
    MESSAGE_ID,
    OUTAGE,
    XSS_REPLY,
    XSS_TEXT,
    StubGateway,
)

pytestmark = pytest.mark.browser

MESSAGES = "/api/web/messages"
EVENTS = "/api/web/events"


def wait(driver: WebDriver, seconds: float = 10) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, seconds, poll_frequency=0.05)


def texts(driver: WebDriver, role: str) -> list[str]:
    """The text of every message from `role` ("user", "bot" or "system"), exactly as shown."""
    selector = f"#wf-log .wf-msg-{role} .wf-text" if role != "system" else "#wf-log .wf-msg-system"
    return [
        str(e.get_property("textContent")) for e in driver.find_elements(By.CSS_SELECTOR, selector)
    ]


def wait_for_bot(driver: WebDriver, text: str) -> None:
    wait(driver).until(lambda d: text in texts(d, "bot"), f"no bot message {text!r}")


def send(driver: WebDriver, text: str) -> None:
    driver.find_element(By.ID, "wf-input").send_keys(text, Keys.ENTER)


def session_of(driver: WebDriver) -> str:
    return str(driver.execute_script("return localStorage.getItem('wayfinder.session')"))


def active(driver: WebDriver) -> WebElement:
    return driver.switch_to.active_element


def press(driver: WebDriver, key: str) -> None:
    ActionChains(driver).send_keys(key).perform()


def test_buttons_send_their_payload_once_and_the_chat_survives_a_reload(
    page: WebDriver, gateway: StubGateway
) -> None:
    send(page, "hi")
    wait_for_bot(page, GREETING)
    session = session_of(page)
    assert len(session) == 32

    choices = page.find_elements(By.CSS_SELECTOR, "#wf-log .wf-choice")
    assert [c.text for c in choices] == ["Coding clubs", "Art for kids"]
    choices[0].click()
    wait_for_bot(page, CODING_RESULTS)
    assert not any(c.is_enabled() for c in choices)
    choices[0].click()  # a second tap does nothing
    assert texts(page, "user") == ["hi", "Coding clubs"]
    posts = gateway.calls_for(session, MESSAGES)
    assert [p.data for p in posts] == [
        {"text": "hi", "language_hint": "en-US"},  # the browser's language, the first guess
        {"payload": '/search{"topic": "coding"}', "text": "Coding clubs", "language_hint": "en-US"},
    ]
    ids = [p.message_id for p in posts]  # each message its own key, none a retry
    assert all(MESSAGE_ID.fullmatch(str(i)) for i in ids) and len(set(ids)) == 2, ids
    assert not any(p.retry for p in posts)

    reloaded_at = len(gateway.calls)
    page.refresh()
    wait(page).until(lambda d: texts(d, "bot") == [GREETING, CODING_RESULTS], "history lost")
    assert texts(page, "user") == ["hi", "Coding clubs"]
    assert session_of(page) == session
    # Restored buttons stay used: a reload must not let the same choice be sent again.
    assert not any(c.is_enabled() for c in page.find_elements(By.CSS_SELECTOR, ".wf-choice"))
    # The first poll after the reload resumes after the last message already shown.
    wait(page).until(lambda _: any(c.path == EVENTS for c in gateway.calls[reloaded_at:]))
    first_poll = next(c for c in gateway.calls[reloaded_at:] if c.path == EVENTS)
    assert first_poll.session == session
    assert first_poll.data == {"after": str(max(gateway.message_ids(session)))}

    send(page, "thanks")
    wait_for_bot(page, "You said: thanks")
    assert gateway.calls_for(session, MESSAGES)[-1].data == {
        "text": "thanks",
        "language_hint": "en-US",
    }


def test_bot_text_is_shown_as_text_and_only_urls_become_links(page: WebDriver) -> None:
    send(page, "show me some xss")
    wait_for_bot(page, XSS_REPLY)
    time.sleep(0.3)  # were the markup parsed, the broken image's onerror would have fired by now
    with pytest.raises(NoAlertPresentException):
        page.switch_to.alert  # noqa: B018 - the property access is the check

    assert page.find_elements(By.CSS_SELECTOR, ".wf-root img") == []
    message = page.find_elements(By.CSS_SELECTOR, "#wf-log .wf-msg-bot .wf-text")[-1]
    assert XSS_TEXT in message.text  # visible, literally, on its own line
    assert message.text.splitlines()[0] == XSS_TEXT
    links = message.find_elements(By.TAG_NAME, "a")
    assert len(links) == 1
    # The sentence's full stop is not part of the link.
    assert links[0].get_attribute("href") == "https://alderbay.example/programs?age=12&topic=coding"
    assert links[0].get_attribute("rel") == "noopener noreferrer"
    assert links[0].get_attribute("target") == "_blank"


def test_a_proactive_message_arrives_without_a_reload(
    page: WebDriver, gateway: StubGateway
) -> None:
    send(page, "hello")
    wait_for_bot(page, GREETING)
    page.execute_script("window.wfSamePage = true")

    reminder = "Reminder: Code Club starts Saturday at 10:00 at Central Library."
    gateway.push(session_of(page), reminder)
    wait_for_bot(page, reminder)
    assert page.execute_script("return window.wfSamePage") is True
    assert texts(page, "bot") == [GREETING, reminder]


def test_a_gateway_error_is_shown_and_the_typed_text_kept_for_a_retry(
    page: WebDriver, gateway: StubGateway
) -> None:
    send(page, "an error please")
    # Shown once the widget's own retries (1 + 2 + 4 s apart) failed too.
    wait(page, 15).until(lambda d: texts(d, "system") == [OUTAGE], "the error was not shown")
    tries = gateway.calls_for(session_of(page), MESSAGES)
    assert len(tries) == 4 and len({t.message_id for t in tries}) == 1
    assert [t.retry for t in tries] == [False, True, True, True]
    field = page.find_element(By.ID, "wf-input")
    assert field.get_property("value") == "an error please"
    assert texts(page, "user") == []  # the failed turn is not in the transcript

    field.send_keys(Keys.ENTER)  # the stub fails only once
    wait_for_bot(page, "You said: an error please")
    assert texts(page, "user") == ["an error please"]
    assert field.get_property("value") == ""


def test_a_message_whose_gateway_died_is_sent_again_once_with_its_id_and_answered_once(
    page: WebDriver, gateway: StubGateway
) -> None:
    typing = page.find_element(By.CSS_SELECTOR, ".wf-typing")
    send(page, FLAKY)  # the first try meets a dying gateway (502)
    wait_for_bot(page, f"You said: {FLAKY}")
    assert typing.is_displayed() is False
    tries = gateway.calls_for(session_of(page), MESSAGES)
    assert [(t.data["text"], t.retry) for t in tries] == [(FLAKY, False), (FLAKY, True)]
    assert tries[0].message_id == tries[1].message_id  # the assistant can tell it is a repeat
    time.sleep(0.3)
    assert texts(page, "user") == [FLAKY]  # nothing shown twice, no error shown
    assert texts(page, "bot") == [f"You said: {FLAKY}"]
    assert texts(page, "system") == []

    send(page, "thanks")  # the next message has an id of its own
    wait_for_bot(page, "You said: thanks")
    last = gateway.calls_for(session_of(page), MESSAGES)[-1]
    assert last.message_id != tries[0].message_id and not last.retry


def test_the_typing_indicator_shows_while_the_bot_answers(page: WebDriver) -> None:
    typing = page.find_element(By.CSS_SELECTOR, ".wf-typing")
    assert not typing.is_displayed()
    assert typing.get_attribute("aria-label") == "Wayfinder is typing"

    send(page, "slow one")
    wait(page, 1).until(lambda _: typing.is_displayed(), "no typing indicator")
    wait_for_bot(page, "You said: slow one")
    assert not typing.is_displayed()


def test_keyboard_only_tab_to_the_launcher_enter_to_open_escape_to_close(
    page: WebDriver,
) -> None:
    page.execute_script("Wayfinder.close(); document.activeElement.blur()")
    launcher = page.find_element(By.CSS_SELECTOR, ".wf-launcher")
    assert launcher.get_attribute("aria-expanded") == "false"
    assert launcher.get_attribute("aria-controls") == "wf-panel"

    for _ in range(20):
        press(page, Keys.TAB)
        if active(page) == launcher:
            break
    assert active(page) == launcher, "Tab never reached the launcher"
    ring = launcher.value_of_css_property("box-shadow")
    assert launcher.value_of_css_property("outline-style") != "none" and ring != "none"

    press(page, Keys.ENTER)
    assert launcher.get_attribute("aria-expanded") == "true"
    panel = page.find_element(By.ID, "wf-panel")
    assert panel.is_displayed()
    assert panel.get_attribute("role") == "dialog" and panel.get_attribute("aria-label")
    assert active(page).get_attribute("id") == "wf-input"
    assert page.find_element(By.CSS_SELECTOR, "label[for=wf-input]").get_property("textContent")

    press(page, "hi")
    press(page, Keys.ENTER)
    wait_for_bot(page, GREETING)

    press(page, Keys.ESCAPE)
    assert launcher.get_attribute("aria-expanded") == "false"
    assert not panel.is_displayed()
    assert active(page) == launcher


def test_on_a_phone_the_open_chat_fills_the_screen(page: WebDriver) -> None:
    page.set_window_size(390, 760)
    # clientWidth/Height: the viewport less any classic scrollbar (phones overlay theirs).
    width, height = page.execute_script(
        "const e = document.documentElement; return [e.clientWidth, e.clientHeight]"
    )
    rect = page.find_element(By.ID, "wf-panel").rect
    assert (rect["x"], rect["y"], rect["width"], rect["height"]) == (0, 0, width, height)


def test_another_site_embeds_it_with_the_one_tag(browser: WebDriver, gateway: StubGateway) -> None:
    # localhost and 127.0.0.1 are different origins: the page is the partner's, the gateway ours.
    partner = gateway.url.replace("127.0.0.1", "localhost")
    own_globals = "return Object.getOwnPropertyNames(window)"
    browser.get(f"{partner}/embed.html?bare")  # the same page without the tag
    blank = set(browser.execute_script(own_globals))
    browser.get(f"{partner}/embed.html")  # returns after load, so after the deferred script
    # Before any find_element: Selenium leaves globals of its own behind.
    assert set(browser.execute_script(own_globals)) - blank == {"Wayfinder"}
    stylesheet = wait(browser).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "link[href$='widget.css']")
    )
    assert stylesheet.get_attribute("href") == f"{gateway.url}/widget.css"
    browser.execute_script("Wayfinder.open()")
    send(browser, "hi")
    wait_for_bot(browser, GREETING)
    session = session_of(browser)
    assert [c.origin for c in gateway.calls_for(session, MESSAGES)] == [partner]
    # The header crossed origins (the preflight allowed it), and the notice is the gateway's.
    privacy = browser.find_element(By.CSS_SELECTOR, "a.wf-privacy")
    assert privacy.get_attribute("href") == f"{gateway.url}/privacy?lang=en"
