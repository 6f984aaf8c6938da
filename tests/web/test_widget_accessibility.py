"""WCAG 2.2 AA for the chat widget, in a real headless Chromium against the stub gateway.

axe-core (tests/web/vendor/axe.min.js, see its README) checks the whole demo page with the widget
closed, open, showing buttons and a result list, a listing's details, an error, the new-chat
question, on a phone and in Spanish: no violations of WCAG 2.0/2.1/2.2 A and AA or of axe's best
practices. What axe cannot see from one snapshot is asserted here: the Tab order, a visible focus
ring on every control, focus never hidden under the widget (2.4.11), targets of at least 24×24
CSS px (2.5.8), a name for every control, and replies announced through the log's live region.

Run alone with `.venv/bin/pytest -m browser tests/web/test_widget_accessibility.py -q`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

try:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement
except ImportError:
    pytest.skip("selenium is not installed: pip install selenium==4.51.0", allow_module_level=True)

from knowledge.locales import book
from tests.web.conftest import GREETING, OUTAGE, XSS_REPLY, StubGateway, open_demo
from tests.web.test_widget_browser import (
    active,
    press,
    send,
    session_of,
    texts,
    wait,
    wait_for_bot,
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# Every WCAG 2.x A and AA rule, and axe's best practices (landmarks, headings, roles).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {
  runOnly: {type: "tag", values: arguments[0]},
  rules: {"target-size": {enabled: true}},  // WCAG 2.5.8, off unless asked for
  resultTypes: ["violations"],
}).then(
  (results) => done(results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), why: n.failureSummary})),
  }))),
  (error) => done([{id: "axe-error", help: String(error), nodes: []}]),
);
"""
# The widget's controls a keyboard can reach, in document order.
CONTROLS = """
return Array.from(document.querySelectorAll(
  "[data-wayfinder] button, [data-wayfinder] input, [data-wayfinder] a[href]"
)).filter((e) => !e.disabled && e.getClientRects().length > 0);
"""
# The focused element as a keyboard user finds it: whether any part of it is on top where it is
# drawn (focus not entirely hidden), whether it is the widget's, and its focus ring.
FOCUSED = """
const element = document.activeElement;
let shows = false;
for (const rect of element.getClientRects()) {
  for (const fx of [0.1, 0.5, 0.9]) {
    for (const fy of [0.1, 0.5, 0.9]) {
      const x = rect.left + rect.width * fx, y = rect.top + rect.height * fy;
      if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
      const top = document.elementFromPoint(x, y);
      shows = shows || (!!top && (top === element || element.contains(top)));
    }
  }
}
const style = getComputedStyle(element);
return {
  element: element, shows: shows, widget: !!element.closest("[data-wayfinder]"),
  name: element.className || element.tagName, focus_visible: element.matches(":focus-visible"),
  outline: style.outlineStyle, width: parseFloat(style.outlineWidth), shadow: style.boxShadow,
};
"""
DETAILS = (
    "Code Club\nBuild games and apps with Scratch and Python.\nRun by Central Library\n"
    "📍 Where: Central Library, 100 Harbour Street\n🗓 When: Sat 10:00–12:00\n💵 Cost: Free\n"
    "✅ Who can join: ages 9–13\n✍️ How to join: https://alderbay.example/code-club\n"
    "🏅 Leads to: Coding Badge\nLast confirmed by the provider: 2 Mar 2027"
)
PHONE = (390, 760)


@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(driver: WebDriver) -> list[dict[str, Any]]:
    """What axe finds on the page as it is now (axe is injected on the first call per page)."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(axe_source())
    driver.set_script_timeout(30)
    found: list[dict[str, Any]] = driver.execute_async_script(RUN_AXE, AXE_TAGS)
    return found


def assert_no_violations(driver: WebDriver, state: str) -> None:
    found = violations(driver)
    report = json.dumps(found, indent=1, ensure_ascii=False)
    assert found == [], f"axe found {len(found)} violation(s) with the widget {state}:\n{report}"


def controls(driver: WebDriver) -> list[WebElement]:
    found: list[WebElement] = driver.execute_script(CONTROLS)
    return found


def walk(driver: WebDriver, steps: int, backwards: bool = False) -> list[dict[str, Any]]:
    """Where focus lands (see FOCUSED), pressing Tab (Shift+Tab `backwards`) up to `steps` times;
    stops when it leaves the page."""
    landed = []
    for _ in range(steps):
        keys = ActionChains(driver)
        if backwards:
            keys.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        else:
            keys.send_keys(Keys.TAB).perform()
        focused: dict[str, Any] = driver.execute_script(FOCUSED)
        if focused["name"] == "BODY":
            break
        landed.append(focused)
    return landed


def elements(landed: list[dict[str, Any]]) -> list[WebElement]:
    return [step["element"] for step in landed]


def converse(page: WebDriver) -> None:
    """A greeting with two choices, then a reply with a link: every kind of control in the log."""
    send(page, "hi")
    wait_for_bot(page, GREETING)
    send(page, "show me some xss")
    wait_for_bot(page, XSS_REPLY)


def start_at_the_top(page: WebDriver) -> None:
    """Where a keyboard user starts: the top of the page, nothing focused."""
    page.execute_script("window.scrollTo(0, 0)")
    page.find_element(By.TAG_NAME, "h1").click()  # moves the sequential focus starting point


# ---------- axe-core in every state ----------


def test_axe_finds_nothing_with_the_widget_closed_open_and_asking_about_a_new_chat(
    page: WebDriver,
) -> None:
    assert_no_violations(page, "open and empty")
    page.execute_script("Wayfinder.close()")
    assert_no_violations(page, "closed")
    page.execute_script("Wayfinder.open()")
    page.find_element(By.CSS_SELECTOR, ".wf-new").click()
    assert page.find_element(By.ID, "wf-confirm").is_displayed()
    assert_no_violations(page, "asking whether to start a new chat")


def test_axe_finds_nothing_with_choices_a_result_list_and_used_buttons(page: WebDriver) -> None:
    send(page, "hi")
    wait_for_bot(page, GREETING)
    assert_no_violations(page, "showing choice buttons")
    page.find_elements(By.CSS_SELECTOR, "#wf-log .wf-choice")[0].click()
    wait(page).until(lambda d: len(texts(d, "bot")) == 2, "no result list")
    assert page.find_elements(By.CSS_SELECTOR, "#wf-log .wf-link")  # the list's link
    assert not page.find_elements(By.CSS_SELECTOR, "#wf-log .wf-choice:enabled")
    assert_no_violations(page, "showing a result list and used (disabled) buttons")


def test_axe_finds_nothing_with_a_listings_details(page: WebDriver, gateway: StubGateway) -> None:
    gateway.push(session_of(page), DETAILS)  # arrives through the event poll, as reminders do
    wait_for_bot(page, DETAILS)
    assert_no_violations(page, "showing a listing's details")


def test_axe_finds_nothing_while_waiting_and_with_an_error(page: WebDriver) -> None:
    send(page, "an error please")
    typing = page.find_element(By.CSS_SELECTOR, ".wf-typing")
    wait(page, 2).until(lambda _: typing.is_displayed(), "no typing indicator")
    assert_no_violations(page, "waiting for a reply")
    wait(page, 15).until(lambda d: texts(d, "system") == [OUTAGE], "the error was not shown")
    assert_no_violations(page, "showing an error")


def test_axe_finds_nothing_in_spanish(spanish_browser: WebDriver, gateway: StubGateway) -> None:
    page = open_demo(spanish_browser, gateway)
    assert page.find_element(By.CSS_SELECTOR, "[data-wayfinder]").get_attribute("lang") == "es"
    assert_no_violations(page, "in Spanish, empty")
    converse(page)
    page.find_element(By.CSS_SELECTOR, ".wf-new").click()
    assert_no_violations(page, "in Spanish, with choices, a link and the new-chat question")


def test_axe_finds_nothing_on_a_phone(page: WebDriver) -> None:
    converse(page)
    page.set_window_size(*PHONE)
    assert_no_violations(page, "filling a phone's screen")


def test_axe_reports_what_it_finds(page: WebDriver) -> None:
    # The check can fail: a nameless button and grey-on-grey text in the widget are caught.
    page.execute_script(
        "const log = document.getElementById('wf-log');"
        "log.insertAdjacentHTML('beforeend', '<button type=button class=wf-x></button>"
        '<p style="color:#bbb;background:#ccc">faint</p>\');'
    )
    found = {v["id"]: v for v in violations(page)}
    assert {"button-name", "color-contrast"} <= set(found), found
    assert found["button-name"]["nodes"][0]["target"] == ".wf-x"


# ---------- what a snapshot cannot show ----------


def test_tab_follows_the_widgets_reading_order_both_ways_and_escape_returns_to_the_launcher(
    page: WebDriver,
) -> None:
    converse(page)
    start_at_the_top(page)
    expected = controls(page)
    classes = [str(c.get_attribute("class")).split()[0] for c in expected]
    # The launcher, the header, the messages top to bottom, the field, the footer (the widget may
    # gain controls; these keep their places).
    reading = iter(classes)
    assert all(
        name in reading
        for name in (
            "wf-launcher",
            "wf-close",
            "wf-choice",
            "wf-choice",
            "wf-link",
            "wf-input",
            "wf-send",
            "wf-privacy",
            "wf-new",
        )
    ), classes
    assert classes[:2] == ["wf-launcher", "wf-close"] and classes[-1] == "wf-new"
    choices = [c.text for c in expected if "wf-choice" in str(c.get_attribute("class"))]
    assert choices == ["Coding clubs", "Art for kids"]

    landed = walk(page, 30)
    reached = [step["element"] for step in landed if step["widget"]]
    assert reached == expected, "Tab skipped, repeated or reordered the widget's controls"
    # The page's own controls come first (the widget is the last thing in <body>).
    first = elements(landed).index(expected[0])
    assert not any(step["widget"] for step in landed[:first])
    assert elements(landed)[first:] == expected

    # Focus left the page after the last control; Shift+Tab comes back the same way.
    back = walk(page, len(expected), backwards=True)
    assert elements(back) == list(reversed(expected))

    page.find_element(By.ID, "wf-input").click()
    press(page, Keys.ESCAPE)
    assert not page.find_element(By.ID, "wf-panel").is_displayed()
    assert active(page) == expected[0]  # the launcher


def test_every_control_shows_a_focus_ring_and_is_never_hidden_when_focused(
    page: WebDriver,
) -> None:
    converse(page)
    start_at_the_top(page)
    landed = walk(page, 30)
    assert len([step for step in landed if step["widget"]]) == len(controls(page)) >= 9
    for step in landed:
        # 2.4.11: the widget covers no control of the page's, nor one of its own, that has focus.
        assert step["shows"], f"{step['name']!r} is hidden while it has focus"
        if step["widget"]:
            # 2.4.7: the widget's ring, a white outline inside a dark ring, on any background.
            assert step["focus_visible"], step
            assert step["outline"] == "solid" and step["width"] >= 2, step
            assert step["shadow"] != "none", step


def test_on_a_phone_the_chat_waits_to_be_opened_and_then_keeps_tab_inside_it(
    page: WebDriver,
) -> None:
    converse(page)
    page.execute_script("Wayfinder.close()")
    page.set_window_size(*PHONE)
    page.refresh()  # data-open="1": a phone's whole screen is not taken unasked
    launcher = wait(page).until(lambda d: d.find_element(By.CSS_SELECTOR, ".wf-launcher"))
    wait(page).until(lambda _: launcher.is_displayed(), "no launcher")
    assert not page.find_element(By.ID, "wf-panel").is_displayed()

    start_at_the_top(page)
    landed = walk(page, 20)
    assert launcher in elements(landed)
    assert [step["name"] for step in landed if not step["shows"]] == []  # nothing hidden
    launcher.send_keys(Keys.ENTER)
    panel = page.find_element(By.ID, "wf-panel")
    assert panel.is_displayed() and panel.get_attribute("aria-modal") == "true"
    assert active(page).get_attribute("id") == "wf-input"

    inside = controls(page)
    count, start = len(inside), inside.index(active(page))
    assert launcher not in inside and count >= 8
    # Twice round from the input: send, privacy, new chat, back to the close button and on.
    around = walk(page, 2 * count)
    assert elements(around) == [inside[(start + k) % count] for k in range(1, 2 * count + 1)]
    assert all(step["shows"] for step in around)
    back = walk(page, count, backwards=True)
    assert elements(back) == [inside[(start - k) % count] for k in range(1, count + 1)]

    press(page, Keys.ESCAPE)
    assert not panel.is_displayed()
    assert active(page) == launcher and launcher.is_displayed()


def test_every_button_and_field_is_at_least_24_by_24_css_pixels(page: WebDriver) -> None:
    converse(page)
    page.find_element(By.CSS_SELECTOR, ".wf-new").click()  # the question's two buttons too
    for size in ((1100, 800), PHONE):
        page.set_window_size(*size)
        for element in controls(page):
            if "wf-link" in str(element.get_attribute("class")):
                continue  # a link inside a sentence: 2.5.8's inline exception
            rect = element.rect
            name = element.accessible_name
            assert rect["width"] >= 24 and rect["height"] >= 24, (size, name, rect)


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_control_has_the_name_and_role_its_words_give_it(
    language: str, browser: WebDriver, spanish_browser: WebDriver, gateway: StubGateway
) -> None:
    words = book(language, "widget")
    page = open_demo(browser if language == "en" else spanish_browser, gateway)
    converse(page)
    page.find_element(By.CSS_SELECTOR, ".wf-new").click()

    def named(selector: str) -> tuple[str, str]:
        element = page.find_element(By.CSS_SELECTOR, selector)
        return element.accessible_name, element.aria_role

    assert named(".wf-launcher") == (words["launcher"], "button")
    assert named("#wf-panel") == (words["panel_label"], "dialog")
    assert named(".wf-close") == (words["close"], "button")
    assert named("#wf-log") == (words["log_label"], "log")
    assert named("#wf-log .wf-buttons") == (words["choices"], "group")
    assert named("#wf-input") == (words["input_label"], "textbox")
    assert named(".wf-send") == (words["send"], "button")
    assert named(".wf-privacy") == (words["privacy"] + words["new_tab"], "link")
    assert named(".wf-new") == (words["new_chat"], "button")
    assert named(".wf-confirm-yes") == (words["confirm_yes"], "button")
    assert named(".wf-confirm-no") == (words["confirm_no"], "button")
    choices = page.find_elements(By.CSS_SELECTOR, "#wf-log .wf-choice")
    assert [c.accessible_name for c in choices] == ["Coding clubs", "Art for kids"]
    # And nothing of the widget's that a keyboard reaches is left without a name.
    assert [c.get_attribute("outerHTML") for c in controls(page) if not c.accessible_name] == []


def test_replies_proactive_messages_and_errors_are_announced_through_the_log(
    page: WebDriver, gateway: StubGateway
) -> None:
    log = page.find_element(By.ID, "wf-log")
    # A polite live log, in the page before any message (a region added later is not heard).
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    assert log.get_attribute("aria-hidden") is None
    assert log.value_of_css_property("display") != "none"
    assert log.value_of_css_property("visibility") == "visible"
    typing = page.find_element(By.CSS_SELECTOR, ".wf-typing")
    assert typing.get_attribute("role") == "status"  # "is typing", apart from the log
    assert not page.execute_script("return arguments[0].contains(arguments[1])", log, typing)

    send(page, "hi")
    wait_for_bot(page, GREETING)
    gateway.push(session_of(page), DETAILS)
    wait_for_bot(page, DETAILS)
    send(page, "an error please")
    wait(page, 15).until(lambda d: texts(d, "system") == [OUTAGE], "the error was not shown")

    announced = [
        str(e.get_property("textContent"))
        for e in page.find_elements(By.CSS_SELECTOR, "#wf-log > .wf-msg")
    ]
    you, bot = book("en", "widget")["you"], book("en", "widget")["bot"]
    assert announced[0] == f"{you}hi"  # who spoke is said, not only shown
    assert announced[1].startswith(f"{bot}{GREETING}")
    assert announced[2] == f"{bot}{DETAILS}"
    assert announced[3] == OUTAGE
    # Messages are added to the log, never written over it: earlier ones are not re-announced.
    assert page.find_element(By.ID, "wf-log") == log
