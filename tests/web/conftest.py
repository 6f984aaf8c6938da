"""Fixtures for the web widget: a stub gateway on localhost and a headless Chromium to drive it.

The stub implements the gateway's web API exactly as the widget sees it (POST
/api/web/messages with each message's id and "retry" on a repeat, the /api/web/events long poll,
the session in the X-Wayfinder-Session header and never in a URL, "forgotten" after "forget me",
the conversation's "language" once a learner chose one) with canned replies, and serves bot/web/
(widget.js with its interface's words, as the gateway serves it) and the real privacy notice at
its root, so the widget loads from the same origin as in production.
Chromium and its driver come from Debian (`apt-get install -y chromium chromium-driver`); nothing
is downloaded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.gateway.web import accepted_language, privacy_page, widget_script
from knowledge.locales import supported

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

WEB_DIR = Path(__file__).resolve().parents[2] / "bot" / "web"
CONTENT_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
# Long enough to exercise the held poll, short enough that the idle poll threads end soon.
HOLD_SECONDS = 2.0
WINDOW = (1100, 800)

Message = dict[str, Any]

GREETING = "Hi! I'm Wayfinder. What would you like to learn about?"
GREETING_BUTTONS = [
    {"title": "Coding clubs", "payload": '/search{"topic": "coding"}'},
    {"title": "Art for kids", "payload": '/search{"topic": "art"}'},
]
CODING_RESULTS = (
    "Here's what I found for coding (1–2 of 2):\n"
    "1. Code Club — Central Library · ages 9–13 · Sat · Free\n"
    "2. Teen Game Design Lab — Northgate Makerspace · ages 13–17 · Wed · $20\n"
    "All coding programs: https://alderbay.example/learn/coding."
)
XSS_TEXT = "<img src=x onerror=alert(1)>"
XSS_REPLY = f"{XSS_TEXT}\nMore: https://alderbay.example/programs?age=12&topic=coding."
OUTAGE = "Wayfinder is restarting. Please try again in a minute."
FLAKY = "flaky"  # a message whose first try meets a dying gateway (502), its retry a live one
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,100}")  # what the gateway takes (bot.gateway.web)
SLOW_SECONDS = 1.5
HINT = re.compile(r"[A-Za-z0-9-]{2,35}")  # what the gateway passes on (bot.gateway.core)
SESSION_HEADER = "X-Wayfinder-Session"
CONFIRM_FORGET = "This deletes your profile, your saved plan, your reminders and our conversation."
FORGET_BUTTONS = [
    {"title": "Yes, delete it", "payload": "/affirm"},
    {"title": "No, keep it", "payload": "/deny"},
]
FORGOTTEN = "Done — I've deleted everything I knew about you."
# "language" gets the assistant's language buttons; a tap chooses one for the conversation.
LANGUAGE_BUTTONS = [
    {"title": "English", "payload": '/choose_language{"language":"en"}'},
    {"title": "Español", "payload": '/choose_language{"language":"es"}'},
]
LANGUAGE_CHOSEN = "✓ {code}"


@dataclass(frozen=True)
class Call:
    """One API request the widget made: the JSON body of a POST (its message id and retry flag
    apart), the query of a GET, the session its header named and the whole request target (path
    and query) as a proxy would log it."""

    method: str
    path: str
    data: dict[str, Any]
    origin: str | None = None  # the page's origin when the call was cross-origin
    session: str | None = None
    target: str = ""
    message_id: str | None = None
    retry: bool = False


class StubGateway:
    """The gateway's web API with canned replies, plus `push` for proactive messages."""

    def __init__(self, hold_seconds: float = HOLD_SECONDS) -> None:
        self.hold_seconds = hold_seconds
        self.calls: list[Call] = []
        self._sent: dict[str, list[int]] = {}  # bot message ids per session
        self._proactive: dict[str, list[Message]] = {}
        self._failing: dict[tuple[str, str], str] = {}  # the message id whose tries fail
        self.forgotten: list[str] = []  # sessions whose learner asked to be forgotten
        self.languages: dict[str, str] = {}  # the language each session's learner chose
        self._next_id = 16
        self._changed = threading.Condition()  # guards all of the above; wakes held polls
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)

    def calls_for(self, session: str, path: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.path == path and c.session == session]

    def message_ids(self, session: str) -> list[int]:
        with self._changed:
            return list(self._sent.get(session, []))

    def _message(
        self, session: str, text: str, buttons: list[dict[str, str]] | None = None
    ) -> Message:
        with self._changed:
            self._next_id += 1
            self._sent.setdefault(session, []).append(self._next_id)
            return {
                "id": self._next_id,
                "text": text,
                "buttons": buttons or [],
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            }

    def reply(
        self,
        session: str,
        text: str,
        payload: str | None,
        hint: str | None = None,
        message_id: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """The canned conversation: (HTTP status, JSON body) for one user turn; "language" as the
        gateway names it: the learner's choice, else the browser's `hint` when supported."""
        lowered = text.lower()
        if "error" in lowered:
            # Every try of the first message with this text fails (the widget's own retries
            # too); the learner sending it again, as a new message, gets through.
            with self._changed:
                failing = self._failing.setdefault((session, text), str(message_id))
            if failing == str(message_id):
                return 503, {"error": OUTAGE}
        if lowered == FLAKY:
            with self._changed:
                tries = sum(1 for call in self.calls if call.message_id == message_id)
            if tries == 1:  # the first try's gateway died mid-request: HAProxy answers 502
                return 502, {}
        if "slow" in lowered:
            time.sleep(SLOW_SECONDS)
        chosen = re.fullmatch(r'/choose_language\{"language":"(\w+)"\}', payload or "")
        if chosen:
            with self._changed:
                self.languages[session] = chosen.group(1)
            messages = [self._message(session, LANGUAGE_CHOSEN.format(code=chosen.group(1)))]
        elif payload == GREETING_BUTTONS[0]["payload"]:
            messages = [self._message(session, CODING_RESULTS)]
        elif "forget me" in lowered:
            messages = [self._message(session, CONFIRM_FORGET, FORGET_BUTTONS)]
        elif payload == "/affirm":
            with self._changed:
                self.forgotten.append(session)
            with self._changed:
                self.languages.pop(session, None)
            return 200, {
                "messages": [{"id": None, "text": FORGOTTEN, "buttons": []}],
                "forgotten": True,
            }
        elif payload is not None:
            messages = [self._message(session, f"You picked {text}.")]
        elif lowered.strip() == "language":
            messages = [self._message(session, "🌐", LANGUAGE_BUTTONS)]
        elif "xss" in lowered:
            messages = [self._message(session, XSS_REPLY)]
        elif lowered.strip() in {"hi", "hello"}:
            messages = [self._message(session, GREETING, GREETING_BUTTONS)]
        else:
            messages = [self._message(session, f"You said: {text}")]
        with self._changed:
            language = self.languages.get(session, supported(hint))
        return 200, {"messages": messages} | ({"language": language} if language else {})

    def push(self, session: str, text: str) -> Message:
        """A proactive message (a reminder, a navigator's reply); wakes any held poll."""
        message = self._message(session, text)
        with self._changed:
            self._proactive.setdefault(session, []).append(message)
            self._changed.notify_all()
        return message

    def events(self, session: str, after: int) -> list[Message]:
        """Proactive messages newer than `after`, holding the request until one exists."""
        deadline = time.monotonic() + self.hold_seconds
        with self._changed:
            while True:
                pending = [m for m in self._proactive.get(session, []) if m["id"] > after]
                remaining = deadline - time.monotonic()
                if pending or remaining <= 0:
                    return pending
                self._changed.wait(remaining)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a held poll must not keep the test run alive

    def __init__(self, gateway: StubGateway) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.gateway = gateway

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A held poll whose page navigated away: the browser hung up, nothing went wrong.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    @property
    def gateway(self) -> StubGateway:
        return cast(_Server, self.server).gateway

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/api/web/events":
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            session = self.headers.get(SESSION_HEADER, "")
            origin = self.headers.get("Origin")
            self.gateway.record(Call("GET", url.path, query, origin, session, self.path))
            after = query.get("after", "")
            if not session or "session" in query or not after.isdigit():
                self._json(400, {"error": "a session header (never in the URL) and after"})
                return
            self._json(200, {"messages": self.gateway.events(session, int(after))})
            return
        if url.path == "/privacy":
            asked = supported(parse_qs(url.query).get("lang", [""])[0])
            language = asked or accepted_language(self.headers.get("Accept-Language"))
            self._send(200, privacy_page(365, language).encode(), "text/html")
            return
        if url.path == "/embed.html":
            bare = url.query == "bare"
            self._send(200, _embedding_page(self.gateway.url, bare).encode(), "text/html")
            return
        name = url.path.lstrip("/") or "demo.html"
        file = WEB_DIR / name
        if "/" in name or not file.is_file():
            self._json(404, {"error": "not found"})
            return
        body = widget_script(file.read_bytes()) if name == "widget.js" else file.read_bytes()
        self._send(200, body, CONTENT_TYPES.get(file.suffix, "text/plain"))

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/api/web/messages":
            self._json(404, {"error": "not found"})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._json(400, {"error": "expected a JSON object"})
            return
        session = self.headers.get(SESSION_HEADER)
        origin = self.headers.get("Origin")
        message_id, retry = body.pop("message_id", None), body.pop("retry", False)
        self.gateway.record(
            Call("POST", url.path, body, origin, session, self.path, message_id, retry)
        )
        # The contract, strictly: a session header, a text, optionally a payload and the browser's
        # language, and the message's id (with "retry" on a repeat); nothing else.
        text, payload, hint = body.get("text"), body.get("payload"), body.get("language_hint")
        if (
            not _pin(body.get("location"))
            or not session
            or not isinstance(text, str)
            or not (payload is None or isinstance(payload, str))
            or not (hint is None or (isinstance(hint, str) and HINT.fullmatch(hint)))
            or not (isinstance(message_id, str) and MESSAGE_ID.fullmatch(message_id))
            or not isinstance(retry, bool)
            or set(body) - {"text", "payload", "language_hint", "location"}
        ):
            self._json(400, {"error": "expected a session header and {text[, payload, hint]}"})
            return
        self._json(*self.gateway.reply(session, text, payload, hint, message_id))

    def do_OPTIONS(self) -> None:
        # The CORS preflight a browser sends before a cross-origin JSON POST.
        self.send_response(204)
        self._cors_headers()
        self.send_header("Access-Control-Allow-Methods", "GET, POST")
        self.send_header("Access-Control-Allow-Headers", f"Content-Type, {SESSION_HEADER}")
        self.send_header("Access-Control-Max-Age", "600")
        self.end_headers()

    def _cors_headers(self) -> None:
        if urlsplit(self.path).path.startswith("/api/"):
            self.send_header("Access-Control-Allow-Origin", "*")

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self._cors_headers()
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _pin(location: Any) -> bool:
    """No location, or a shared position as the gateway takes it: two numbers on the globe."""
    if location is None:
        return True
    if not isinstance(location, dict) or set(location) != {"latitude", "longitude"}:
        return False
    latitude, longitude = location["latitude"], location["longitude"]
    numbers = all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in location.values()
    )
    return numbers and -90 <= latitude <= 90 and -180 <= longitude <= 180


def _embedding_page(gateway_url: str, bare: bool) -> str:
    """A partner's page on another origin, embedding the widget with the documented tag."""
    tag = f'<script src="{gateway_url}/widget.js" data-gateway="{gateway_url}" defer></script>'
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Partner site</title>"
        f"</head><body><h1>Northgate Makerspace</h1>{'' if bare else tag}</body></html>"
    )


@pytest.fixture(scope="session")
def gateway() -> Iterator[StubGateway]:
    """A stub gateway on a free localhost port, serving bot/web/ at its root."""
    stub = StubGateway()
    stub.start()
    yield stub
    stub.stop()


def _find(env: str, *names: str) -> str | None:
    if os.environ.get(env):
        return os.environ[env]
    return next((path for name in names if (path := shutil.which(name))), None)


def _unavailable(reason: str) -> None:
    # CI sets WAYFINDER_REQUIRE_BROWSER=1 so a missing browser fails there instead of hiding.
    if os.environ.get("WAYFINDER_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """One headless Chromium for the whole run (about a second to start), in US English."""
    yield from _chromium("en-US")


@pytest.fixture(scope="module")
def spanish_browser() -> Iterator[WebDriver]:
    """A headless Chromium set to Mexican Spanish (navigator.language, Accept-Language)."""
    yield from _chromium("es-MX")


def _chromium(language: str) -> Iterator[WebDriver]:
    """A headless Chromium whose interface language is `language`, quit when done."""
    chromium = _find("WAYFINDER_CHROMIUM", "chromium", "chromium-browser")
    chromedriver = _find("WAYFINDER_CHROMEDRIVER", "chromedriver")
    if not chromium or not chromedriver:
        _unavailable(
            "no Chromium: apt-get install -y chromium chromium-driver "
            "(or set WAYFINDER_CHROMIUM and WAYFINDER_CHROMEDRIVER)"
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed: pip install selenium==4.51.0")

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-dev-shm-usage",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--lang={language}",
    ):
        options.add_argument(argument)
    # Headless Chromium reads its languages from the profile's preferences, not only --lang.
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    # Leave any alert open instead of auto-dismissing it, so the XSS test can see it.
    options.unhandled_prompt_behavior = "ignore"
    # An explicit driver path means Selenium Manager never runs (it would try to download one).
    driver = webdriver.Chrome(service=Service(executable_path=str(chromedriver)), options=options)
    driver.set_page_load_timeout(15)
    driver.set_script_timeout(10)
    yield driver
    driver.quit()


@pytest.fixture
def page(browser: WebDriver, gateway: StubGateway) -> WebDriver:
    """demo.html with a fresh session: empty localStorage, widget mounted and open."""
    return open_demo(browser, gateway)


def open_demo(browser: WebDriver, gateway: StubGateway) -> WebDriver:
    """demo.html in `browser` with a fresh session: empty localStorage, widget mounted and open."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.set_window_size(*WINDOW)
    browser.get(f"{gateway.url}/demo.html")
    browser.execute_script("localStorage.clear()")
    browser.refresh()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "wf-panel").is_displayed(),
        "the widget did not open on demo.html",
    )
    return browser
