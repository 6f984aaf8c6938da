"""A reminder for a learner whose chat is closed waits, and the widget shows it, with the day it
was due, when the learner opens the chat again on a later visit: a real headless Chromium against
the stub gateway (tests/bot/gateway/test_outbox_waiting.py shows the gateway keeps it waiting).

Run alone with `.venv/bin/pytest -m browser tests/web/test_widget_waiting_reminder.py`.
"""

from __future__ import annotations

import time

import pytest

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
except ImportError:
    pytest.skip("selenium is not installed: pip install selenium==4.51.0", allow_module_level=True)

from tests.web.conftest import GREETING, HOLD_SECONDS, StubGateway
from tests.web.test_widget_browser import EVENTS, send, session_of, texts, wait, wait_for_bot

pytestmark = pytest.mark.browser

REMINDER = (
    "⏰ Reminder from Wed 3 Mar 2027: applications for Code Club close on Sat 6 Mar 2027. "
    "How to apply: https://alderbay.example/apply"
)


def test_a_reminder_sent_while_the_chat_was_closed_is_shown_when_it_is_opened_again(
    page: WebDriver, gateway: StubGateway
) -> None:
    send(page, "hello")
    wait_for_bot(page, GREETING)
    session = session_of(page)
    page.find_element(By.CSS_SELECTOR, ".wf-close").click()  # the learner closes the chat …
    wait(page).until(lambda d: not d.find_element(By.ID, "wf-panel").is_displayed())
    page.get("about:blank")  # … and leaves the site
    time.sleep(HOLD_SECONDS + 0.5)  # any poll the page had open is over
    polls_before = len(gateway.calls_for(session, EVENTS))

    gateway.push(session, REMINDER)  # the reminder falls due while nobody has the chat open
    time.sleep(1.0)
    assert len(gateway.calls_for(session, EVENTS)) == polls_before  # no widget is polling

    # Days later, on a partner's page of the same site: the widget starts closed.
    page.get(f"{gateway.url}/embed.html")
    launcher = wait(page).until(lambda d: d.find_element(By.CSS_SELECTOR, ".wf-launcher"))
    assert launcher.get_attribute("aria-expanded") == "false"
    assert texts(page, "bot") == [GREETING]  # the history, restored; the reminder not yet
    launcher.click()  # the learner opens the chat again
    wait_for_bot(page, REMINDER)
    assert texts(page, "bot") == [GREETING, REMINDER]  # after what came before, date and all
    assert session_of(page) == session
