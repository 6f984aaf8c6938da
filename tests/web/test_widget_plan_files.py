"""The plan's download links in the widget, in a real headless Chromium against the real gateway
(its assistant scripted, on a throwaway database): "send me my plan" shows a calendar link and a
printable-page link that work, keeps them across a reload, and drops forged ones from storage.

Run alone with `.venv/bin/pytest -m browser tests/web/test_widget_plan_files.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from icalendar import Calendar
from sanic import Sanic

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
except ImportError:
    pytest.skip("selenium is not installed: pip install selenium==4.51.0", allow_module_level=True)

from bot.gateway.core import Gateway
from bot.gateway.settings import GatewaySettings
from knowledge.db import make_engine
from knowledge.migrate import upgrade
from tests.bot.gateway.conftest import serving
from tests.bot.gateway.test_plan_files import ASK, PlanRasa, save_a_plan
from tests.web.conftest import WINDOW
from tests.web.test_widget_browser import send, session_of, wait, wait_for_bot

pytestmark = pytest.mark.browser
Sanic.test_mode = True  # several apps start in this process: Sanic must not patch its classes


@pytest.fixture
def real_gateway(tmp_path: Path) -> Iterator[tuple[str, Gateway]]:
    """The gateway on a free port and a migrated SQLite file, its assistant scripted."""
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    env = {"WAYFINDER_PSEUDONYM_KEY": "p" * 40, "WAYFINDER_DATABASE_URL": url}
    settings = replace(
        GatewaySettings.from_env(env, key_file=tmp_path / "key"),
        timezone="America/New_York",
        city_name="Testville",
    )
    with serving(settings) as (address, gateway):
        gateway.rasa = PlanRasa(gateway.sessions)  # type: ignore[assignment]
        yield address, gateway


def open_widget(browser: WebDriver, url: str) -> WebDriver:
    """The gateway's demo page with a fresh widget session."""
    browser.set_window_size(*WINDOW)
    browser.get(f"{url}/demo.html")
    browser.execute_script("localStorage.clear()")
    browser.refresh()
    wait(browser).until(lambda d: d.find_element(By.ID, "wf-panel").is_displayed(), "no widget")
    return browser


def file_links(driver: WebDriver) -> list[dict[str, str]]:
    """Each plan link as shown: its text, address and attributes."""
    return [
        {
            "text": str(link.get_property("textContent")),
            "href": str(link.get_attribute("href")),
            "download": str(link.get_attribute("download")),
            "target": str(link.get_attribute("target")),
        }
        for link in driver.find_elements(By.CSS_SELECTOR, "#wf-log .wf-files a.wf-file")
    ]


def test_the_plans_links_download_its_files_and_survive_a_reload(
    browser: WebDriver, real_gateway: tuple[str, Gateway]
) -> None:
    url, gateway = real_gateway
    page = open_widget(browser, url)
    save_a_plan(gateway.sessions, gateway.sender_id("web", session_of(page)))
    send(page, ASK)
    wait_for_bot(page, "Here's your plan.")
    wait(page).until(lambda d: len(file_links(d)) == 2, "no plan links")
    group = page.find_element(By.CSS_SELECTOR, "#wf-log .wf-files")
    assert group.get_attribute("aria-label") == "Your plan's files"
    calendar, printable = file_links(page)
    assert calendar["text"] == "📅 Add to my calendar (.ics)" and calendar["download"] == ""
    assert printable["text"] == "🖨 Printable plan (opens in a new tab)"
    assert printable["target"] == "_blank"
    assert calendar["href"].startswith(f"{url}/web/plan.ics?token=")
    assert printable["href"].startswith(f"{url}/web/plan.html?token=")

    downloaded = requests.get(calendar["href"], timeout=10)
    assert downloaded.status_code == 200
    assert "Saturday Robot Lab" in str(Calendar.from_ical(downloaded.content).walk("VEVENT")[0])
    page.get(printable["href"])  # what the new tab shows
    assert page.title == "My learning plan"
    assert "Saturday Robot Lab" in page.find_element(By.CSS_SELECTOR, "li.item h2").text

    page.get(f"{url}/demo.html")  # back to the chat: the links come back from its history
    wait(page).until(lambda d: len(file_links(d)) == 2, "the links were not kept")
    assert [link["href"] for link in file_links(page)] == [calendar["href"], printable["href"]]


def test_links_forged_into_the_stored_history_are_dropped(
    browser: WebDriver, real_gateway: tuple[str, Gateway]
) -> None:
    url, _ = real_gateway
    page = open_widget(browser, url)
    forged = [
        {
            "role": "bot",
            "text": "Your plan",
            "files": [
                {"format": "ics", "url": "javascript:alert(1)"},
                {"format": "html", "url": "https://evil.example/web/plan.html?token=x"},
                {"format": "html", "url": "/web/plan.ics?token=abc"},  # format and route differ
                {"format": "ics", "url": "/web/plan.ics?token=abc.def"},  # the one real shape
            ],
        }
    ]
    page.execute_script(
        "localStorage.setItem('wayfinder.history', arguments[0])", json.dumps(forged)
    )
    page.refresh()
    wait(page).until(lambda d: "Your plan" in d.find_element(By.ID, "wf-log").text, "no history")
    assert [link["href"] for link in file_links(page)] == [f"{url}/web/plan.ics?token=abc.def"]
