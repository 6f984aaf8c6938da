"""The organisers' reports page in a real headless Chromium, on the real gateway app with the demo
city and synthetic records (knowledge.reports.synthetic): signing in with an organiser's token,
the charts drawn and sized, no count under k in any table, the CSV link working, and axe-core
finding nothing. With WAYFINDER_SCREENSHOT=1 it saves docs/images/organiser-report.png.

Run alone with `.venv/bin/pytest -m browser tests/web/test_organiser_report.py -q`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy.orm import Session

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    pytest.skip("selenium is not installed: pip install selenium==4.51.0", allow_module_level=True)

from bot.gateway.organiser_page import PAGE
from bot.gateway.settings import GatewaySettings
from bot.gateway.texts import say
from knowledge.community import issue_token
from knowledge.db import make_engine
from knowledge.migrate import upgrade
from knowledge.models import Member
from knowledge.reports.synthetic import add_synthetic
from knowledge.seed import seed_directory
from tests.bot.gateway.conftest import serving
from tests.web.conftest import WINDOW
from tests.web.test_widget_accessibility import violations

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "organiser-report.png"
SHOT_SIZE = (1280, 1700)
K = 5
# Columns that count learners' searches or uses, by the heading of their table's first column.
COUNTED = {
    "asked for": ("searches", "found little", "found nothing"),
    "week": None,  # every column after week (and channel) counts searches or uses
    "topic": ("searches",),
    "neighbourhood": ("searches",),
}
TABLES = """
return [...document.querySelectorAll("table")].map((table) => ({
  headings: [...table.querySelectorAll("thead th")].map((cell) => cell.textContent.trim()),
  rows: [...table.querySelectorAll("tbody tr")].map(
    (row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent.trim())),
}));
"""
CHARTS = """
return [...document.querySelectorAll("figure img")].map((img) => ({
  src: img.getAttribute("src").slice(0, 26), alt: img.alt, complete: img.complete,
  natural: img.naturalWidth, width: img.getBoundingClientRect().width,
  height: img.getBoundingClientRect().height,
}));
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The gateway on the demo city with eight weeks of synthetic records: its URL and an
    organiser's token."""
    folder = tmp_path_factory.mktemp("organisers")
    url = f"sqlite:///{folder / 'gateway.db'}"
    engine = make_engine(url)
    upgrade(engine)
    today = date.today()
    with Session(engine) as session, session.begin():
        seed_directory(session)
        add_synthetic(session, searches=4000, usage=6000, start=today - timedelta(days=56), days=56)
        organiser = Member(role="organiser", name="Olu")
        session.add(organiser)
        session.flush()
        token = issue_token(session, organiser, "reports").value
    engine.dispose()
    env = {"WAYFINDER_PSEUDONYM_KEY": "k" * 40, "WAYFINDER_DATABASE_URL": url}
    settings = GatewaySettings.from_env(env, key_file=folder / "key")
    with serving(settings) as (address, _gateway):
        yield address, token


@pytest.fixture(scope="module")
def report(browser: WebDriver, site: tuple[str, str]) -> Iterator[WebDriver]:
    """The page opened and signed into through its form, as an organiser does."""
    url, token = site
    browser.set_window_size(*SHOT_SIZE)
    browser.delete_all_cookies()
    browser.get(f"{url}{PAGE}")
    browser.find_element(By.NAME, "token").send_keys(token)
    browser.find_element(By.CSS_SELECTOR, "form[action$='sign-in'] button").click()
    WebDriverWait(browser, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "section table"), "the reports did not open"
    )
    yield browser
    browser.delete_all_cookies()
    browser.set_window_size(*WINDOW)


def test_the_sign_in_form_leads_to_both_reports(report: WebDriver) -> None:
    assert report.find_element(By.TAG_NAME, "h1").text == say("organiser_page_title")
    titles = [h.text for h in report.find_elements(By.CSS_SELECTOR, "section > h2")]
    assert [title.split(",")[0] for title in titles] == ["Unmet demand", "Use of the service"]


def test_the_charts_are_drawn_as_svg_and_sized(report: WebDriver) -> None:
    charts: list[dict[str, Any]] = report.execute_script(CHARTS)
    assert len(charts) >= 4, charts  # unmet demand, searches and conversations by week, …
    for chart in charts:
        assert chart["src"].startswith("data:image/svg+xml"), chart
        assert chart["complete"] and chart["natural"] > 0, f"not drawn: {chart['alt']}"
        assert chart["width"] >= 400 and chart["height"] >= 150, chart


def test_no_table_shows_a_count_under_k(report: WebDriver) -> None:
    tables: list[dict[str, Any]] = report.execute_script(TABLES)
    checked = 0
    for table in tables:
        headings = table["headings"]
        if not headings or headings[0] not in COUNTED:
            continue
        named = COUNTED[headings[0]]
        first = 2 if headings[:2] == ["week", "channel"] else 1
        columns = [
            index
            for index, heading in enumerate(headings)
            if (index >= first if named is None else heading in named)
        ]
        for row in table["rows"]:
            for index in columns:
                cell = row[index]
                if cell == f"<{K}" or cell.endswith("%"):  # hidden, or a share (not a count)
                    continue
                assert int(cell) == 0 or int(cell) >= K, (headings[index], row)
                checked += 1
    assert checked > 20  # the synthetic weeks fill the tables


def test_the_csv_link_downloads_the_report(report: WebDriver, site: tuple[str, str]) -> None:
    link = report.find_element(By.CSS_SELECTOR, "section a[href*='demand.csv']")
    assert link.text == say("organiser_csv_link")
    cookies = {cookie["name"]: cookie["value"] for cookie in report.get_cookies()}
    answer = requests.get(str(link.get_attribute("href")), cookies=cookies, timeout=60)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.text.startswith("asked for,searches,found little,found nothing")
    assert len(answer.text.splitlines()) > 2


def test_axe_finds_nothing_on_the_page(report: WebDriver) -> None:
    found = violations(report)
    assert found == [], found


def test_the_screenshot_for_the_readme(report: WebDriver) -> None:
    if os.environ.get("WAYFINDER_SCREENSHOT") != "1":
        pytest.skip("set WAYFINDER_SCREENSHOT=1 to save docs/images/organiser-report.png")
    report.execute_script("window.scrollTo(0, 0)")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    assert report.save_screenshot(str(SCREENSHOT))
