"""The widget on a shared computer, in a real headless Chromium against the stub gateway: what it
keeps in the host page's storage, how "forget me" and "New chat" wipe it, the session id kept out
of URLs, and the privacy notice one tab or click away.

Run alone with `.venv/bin/pytest -m browser tests/web`.
"""

from __future__ import annotations

import json
import re

import pytest

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver
except ImportError:
    pytest.skip("selenium is not installed: pip install selenium==4.51.0", allow_module_level=True)

from bot.gateway.texts import say
from tests.web.conftest import CONFIRM_FORGET, FORGOTTEN, GREETING, StubGateway
from tests.web.test_widget_browser import (
    EVENTS,
    MESSAGES,
    active,
    press,
    send,
    session_of,
    texts,
    wait,
    wait_for_bot,
)

pytestmark = pytest.mark.browser

NEW_CHAT = "New chat started. The previous conversation was cleared from this browser."
SESSION_ID = re.compile(r"[0-9a-f]{32}")


def stored_history(driver: WebDriver) -> object:
    return driver.execute_script("return localStorage.getItem('wayfinder.history')")


def shows_nothing(driver: WebDriver) -> bool:
    """No message of anyone's in the log, errors and notices included."""
    return texts(driver, "user") == texts(driver, "bot") == texts(driver, "system") == []


def reload_as_the_next_person(driver: WebDriver) -> None:
    driver.refresh()
    wait(driver).until(
        lambda d: d.find_element(By.ID, "wf-panel").is_displayed(), "the widget did not open"
    )


def test_forget_me_wipes_this_browser_and_the_next_person_starts_afresh(
    page: WebDriver, gateway: StubGateway
) -> None:
    send(page, "hi")
    wait_for_bot(page, GREETING)
    old = session_of(page)
    send(page, "forget me")
    wait_for_bot(page, CONFIRM_FORGET)
    (yes,) = [
        c for c in page.find_elements(By.CSS_SELECTOR, ".wf-choice") if c.text == "Yes, delete it"
    ]
    yes.click()
    # The confirmation is the only thing on screen, and it is not stored.
    wait(page).until(lambda d: texts(d, "system") == [FORGOTTEN], "no confirmation")
    assert old in gateway.forgotten
    assert texts(page, "user") == texts(page, "bot") == []
    new = session_of(page)
    assert new != old and SESSION_ID.fullmatch(new)
    assert stored_history(page) in (None, "[]")
    wait(page).until(lambda _: gateway.calls_for(new, EVENTS), "polling did not resume as new")

    reload_as_the_next_person(page)
    assert shows_nothing(page)
    assert session_of(page) == new
    sent_before = len(gateway.calls_for(old, MESSAGES))
    send(page, "hello")
    wait_for_bot(page, GREETING)
    assert [c.data for c in gateway.calls_for(new, MESSAGES)] == [
        {"text": "hello", "language_hint": "en-US"}
    ]
    assert len(gateway.calls_for(old, MESSAGES)) == sent_before  # the old id is gone for good


def test_new_chat_asks_first_and_then_starts_over(page: WebDriver, gateway: StubGateway) -> None:
    send(page, "hi")
    wait_for_bot(page, GREETING)
    old = session_of(page)
    new_chat = page.find_element(By.CSS_SELECTOR, ".wf-new")
    confirm = page.find_element(By.ID, "wf-confirm")
    assert new_chat.is_displayed() and new_chat.text == "New chat"
    assert not confirm.is_displayed()

    new_chat.click()  # a mis-tap: nothing is lost, the question takes focus
    assert confirm.is_displayed() and new_chat.get_attribute("aria-expanded") == "true"
    assert "forget me" in confirm.text  # says that this deletes nothing kept
    assert active(page).text == "Cancel"
    press(page, Keys.ENTER)
    assert not confirm.is_displayed()
    assert active(page) == new_chat
    assert texts(page, "bot") == [GREETING] and session_of(page) == old

    press(page, Keys.ENTER)  # by keyboard: Esc answers the question, the chat stays open
    assert confirm.is_displayed()
    press(page, Keys.ESCAPE)
    assert not confirm.is_displayed() and page.find_element(By.ID, "wf-panel").is_displayed()
    assert active(page) == new_chat and texts(page, "bot") == [GREETING]

    new_chat.click()
    page.find_element(By.CSS_SELECTOR, ".wf-confirm-yes").click()
    assert texts(page, "system") == [NEW_CHAT]
    assert texts(page, "user") == texts(page, "bot") == []
    assert active(page).get_attribute("id") == "wf-input"
    new = session_of(page)
    assert new != old and SESSION_ID.fullmatch(new)
    assert stored_history(page) in (None, "[]")

    reload_as_the_next_person(page)
    assert shows_nothing(page)
    send(page, "hello")
    wait_for_bot(page, GREETING)
    assert gateway.calls_for(new, MESSAGES)[-1].data == {"text": "hello", "language_hint": "en-US"}


def test_a_new_chat_in_another_tab_clears_this_one(page: WebDriver, gateway: StubGateway) -> None:
    send(page, "hi")
    wait_for_bot(page, GREETING)
    first = page.current_window_handle
    page.switch_to.new_window("tab")
    page.get(f"{gateway.url}/demo.html")
    wait_for_bot(page, GREETING)  # the same conversation, restored from storage
    page.find_element(By.CSS_SELECTOR, ".wf-new").click()
    page.find_element(By.CSS_SELECTOR, ".wf-confirm-yes").click()
    new = session_of(page)
    page.close()
    page.switch_to.window(first)
    wait(page).until(lambda d: texts(d, "bot") == [], "the first tab still shows the old chat")
    send(page, "hello")
    wait_for_bot(page, GREETING)
    assert gateway.calls_for(new, MESSAGES)[-1].data == {"text": "hello", "language_hint": "en-US"}
    kept = json.loads(str(stored_history(page)))
    assert [entry["text"] for entry in kept] == ["hello", GREETING]  # nothing of the old chat


def test_the_session_travels_in_a_header_never_in_a_url(
    page: WebDriver, gateway: StubGateway
) -> None:
    send(page, "hi")
    wait_for_bot(page, GREETING)
    session = session_of(page)
    gateway.push(session, "Reminder: Code Club on Saturday.")
    wait_for_bot(page, "Reminder: Code Club on Saturday.")
    assert gateway.calls_for(session, MESSAGES) and gateway.calls_for(session, EVENTS)
    api = [c for c in gateway.calls if c.path in (MESSAGES, EVENTS)]
    assert all(c.session and SESSION_ID.fullmatch(c.session) for c in api)
    assert [c.target for c in api if "session" in c.target or str(c.session) in c.target] == []
    assert [c.data for c in api if "session" in c.data] == []


def test_the_privacy_link_is_in_view_reachable_by_keyboard_and_opens_the_notice(
    page: WebDriver, gateway: StubGateway
) -> None:
    link = page.find_element(By.CSS_SELECTOR, "a.wf-privacy")
    assert link.is_displayed()  # at first contact, before any message
    assert link.get_attribute("href") == f"{gateway.url}/privacy?lang=en"
    assert link.accessible_name == "Privacy (opens in a new tab)"
    assert link.get_attribute("rel") == "noopener noreferrer"

    page.find_element(By.ID, "wf-input").click()
    for _ in range(10):
        press(page, Keys.TAB)
        if active(page) == link:
            break
    assert active(page) == link, "Tab never reached the Privacy link"
    assert link.value_of_css_property("box-shadow") != "none"  # the focus ring shows

    tabs = set(page.window_handles)
    press(page, Keys.ENTER)
    wait(page).until(lambda d: len(d.window_handles) > len(tabs), "the notice did not open")
    chat = page.current_window_handle
    (notice,) = set(page.window_handles) - tabs
    page.switch_to.window(notice)
    wait(page).until(lambda d: d.find_elements(By.TAG_NAME, "h1"), "the notice is empty")
    assert page.find_element(By.TAG_NAME, "h1").text == say("privacy_title")
    assert "forget me" in page.find_element(By.TAG_NAME, "main").text
    page.close()
    page.switch_to.window(chat)
