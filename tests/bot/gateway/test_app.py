"""The gateway as a process: its HTTP surface, CORS, the deliver endpoint's guard and Telegram's
webhook mode (checked against the fake Bot API). Rasa is not running: replies are the apology."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.gateway.texts import say
from knowledge.db import make_engine
from knowledge.migrate import upgrade
from tests.fakes.telegram_api import FakeBotApi, post_update_to

ROOT = Path(__file__).resolve().parents[3]
SECRET = "webhook-secret_123"
TOKEN = "deliver-token"
SITE = "https://library.example.org"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Running:
    url: str
    fake: FakeBotApi


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """`python -m bot.gateway` in webhook mode, its Bot API faked, its Rasa unreachable."""
    work = tmp_path_factory.mktemp("gateway")
    database = f"sqlite:///{work / 'gateway.db'}"
    engine = make_engine(database)
    upgrade(engine)
    engine.dispose()
    port = free_port()
    with FakeBotApi() as fake:
        env = {
            **os.environ,
            "WAYFINDER_DATABASE_URL": database,
            "WAYFINDER_RASA_URL": f"http://127.0.0.1:{free_port()}",  # nobody listens there
            "WAYFINDER_GATEWAY_PORT": str(port),
            "WAYFINDER_PSEUDONYM_KEY": "p" * 40,
            "WAYFINDER_CORS_ORIGINS": SITE,
            "WAYFINDER_GATEWAY_TOKEN": TOKEN,
            "TELEGRAM_BOT_TOKEN": "123456:APP-TEST",
            "TELEGRAM_API_BASE_URL": fake.base_url.removesuffix("/bot"),
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/webhook",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "NAVIGATOR_CHAT_ID": "",
        }
        log = (work / "gateway.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.gateway"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"{url}/health", timeout=1).json()["telegram"]:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail((work / "gateway.log").read_text()[-3000:])
                time.sleep(0.2)
            yield Running(url, fake)
        finally:
            process.terminate()
            process.wait(timeout=20)
            log.close()


def test_the_demo_page_and_the_widget_files_are_served(gateway: Running) -> None:
    page = requests.get(f"{gateway.url}/", timeout=5)
    assert page.status_code == 200 and "widget.js" in page.text
    assert page.headers["Content-Type"].startswith("text/html")
    script = requests.get(f"{gateway.url}/widget.js", timeout=5)
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert requests.get(f"{gateway.url}/widget.css", timeout=5).ok


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"session": "short", "text": "hi"}', "session"),
        (b'{"session": "abcdefghijklmnopqrst", "text": 42}', "text"),
        (b'{"session": "abcdefghijklmnopqrst", "text": "' + b"x" * 2001 + b'"}', "longer"),
        (b'{"session": "abcdefghijklmnopqrst", "payload": "no slash"}', "payload"),
    ],
)
def test_bad_messages_get_a_400_that_says_what_is_wrong(
    gateway: Running, body: bytes, says: str
) -> None:
    answer = requests.post(f"{gateway.url}/api/web/messages", data=body, timeout=5)
    assert answer.status_code == 400
    assert says in answer.json()["error"]


@pytest.mark.parametrize("text", ["", "   \n "])
def test_a_blank_message_goes_to_the_assistant_not_refused(gateway: Running, text: str) -> None:
    body = {"session": "abcdefghijklmnopqrst", "text": text}
    answer = requests.post(f"{gateway.url}/api/web/messages", json=body, timeout=30)
    assert answer.status_code == 200  # the assistant's "I didn't catch that" (here: Rasa is down)
    assert answer.json()["messages"][0]["text"] == say("rasa_unavailable")


def test_when_rasa_is_down_the_widget_gets_an_apology(gateway: Running) -> None:
    body = {"session": "abcdefghijklmnopqrst", "text": "hello"}
    answer = requests.post(f"{gateway.url}/api/web/messages", json=body, timeout=30)
    assert answer.status_code == 200
    assert answer.json() == {
        "messages": [{"id": None, "text": say("rasa_unavailable"), "buttons": []}]
    }


def test_events_refuse_a_bad_cursor_and_unknown_routes_answer_json(gateway: Running) -> None:
    bad = requests.get(
        f"{gateway.url}/api/web/events",
        params={"after": "x"},
        headers={"X-Wayfinder-Session": "abcdefghijklmnopqrst"},
        timeout=5,
    )
    assert bad.status_code == 400 and "after" in bad.json()["error"]
    missing = requests.get(f"{gateway.url}/no/such/page", timeout=5)
    assert missing.status_code == 404 and "error" in missing.json()


def test_only_listed_sites_may_call_the_api_from_another_origin(gateway: Running) -> None:
    allowed = requests.options(
        f"{gateway.url}/api/web/messages",
        headers={"Origin": SITE, "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    assert allowed.headers.get("Access-Control-Allow-Origin") == SITE
    other = requests.post(
        f"{gateway.url}/api/web/messages",
        json={"session": "x"},
        headers={"Origin": "https://evil.example.com"},
        timeout=5,
    )
    assert "Access-Control-Allow-Origin" not in other.headers


def test_deliver_needs_the_token_and_a_known_sender(gateway: Running) -> None:
    url = f"{gateway.url}/internal/deliver"
    body = {"sender_id": "web-nobody", "messages": [{"text": "⏰ Reminder"}]}
    assert requests.post(url, json=body, timeout=5).status_code == 403
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert requests.post(url, json=body, headers=bearer, timeout=5).status_code == 404
    assert requests.post(url, json={"x": 1}, headers=bearer, timeout=5).status_code == 400
    assert requests.get(f"{gateway.url}/internal/stats", timeout=5).status_code == 403


def test_webhook_mode_sets_the_webhook_and_checks_telegrams_secret(gateway: Running) -> None:
    fake = gateway.fake
    (hook,) = fake.calls("setWebhook")
    assert hook.params["url"] == "https://bot.example.org/telegram/webhook"
    assert hook.params["secret_token"] == SECRET
    update = fake.push_text(31337, "hello")
    endpoint = f"{gateway.url}/telegram/webhook"
    assert post_update_to(endpoint, update, secret_token="wrong") == 403
    assert post_update_to(endpoint, update, secret_token=SECRET) == 200
    reply = fake.wait_for("sendMessage", lambda p: int(p["chat_id"]) == 31337, timeout=30)
    assert reply.params["text"] == say("rasa_unavailable")


def replies_nested(depth: int) -> dict[str, object]:
    """A webhook update whose message replies to a message that replies to … `depth` deep."""
    message: dict[str, object] = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}
    for number in range(2, depth + 2):
        message = {**message, "message_id": number, "reply_to_message": message}
    return {"update_id": 1, "message": message}


def test_json_nested_too_deeply_gets_a_400_not_a_crash(gateway: Running) -> None:
    deep = b"[" * 100_000  # deeper than Python's parser recurses: RecursionError, not ValueError
    web = requests.post(f"{gateway.url}/api/web/messages", data=deep, timeout=10)
    assert web.status_code == 400 and "nested too deeply" in web.json()["error"]
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    url = f"{gateway.url}/internal/deliver"
    deliver = requests.post(url, data=deep, headers=bearer, timeout=10)
    assert deliver.status_code == 400 and "sender_id" in deliver.json()["error"]
    telegram = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    for body in (deep, json.dumps(replies_nested(600)).encode()):  # parses, but PTB recurses
        hook = requests.post(
            f"{gateway.url}/telegram/webhook", data=body, headers=telegram, timeout=10
        )
        assert hook.status_code == 400 and hook.json() == {"error": "not an update"}
    alive = requests.post(  # and the gateway carries on
        f"{gateway.url}/api/web/messages", json={"session": "d" * 20, "text": "hi"}, timeout=30
    )
    assert alive.status_code == 200


# Operations (bot/observability): /metrics, /ready and the request id, on the gateway as it runs.


def scraped(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The gateway's /metrics page: each sample's value by name and labels."""
    page = requests.get(f"{url}/metrics", timeout=5)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(page.text)
        for sample in family.samples
    }


def test_metrics_count_a_widget_message_its_reply_time_and_rasa_being_down(
    gateway: Running,
) -> None:
    web, down = (("channel", "web"),), (("kind", "rasa_unavailable"),)
    before = scraped(gateway.url)
    body = {"session": "metricsmetricsmetrics", "text": "hello"}
    assert requests.post(f"{gateway.url}/api/web/messages", json=body, timeout=30).ok
    after = scraped(gateway.url)
    for name, labels in [
        ("wayfinder_messages_total", web),
        ("wayfinder_reply_seconds_count", web),
        ("wayfinder_errors_total", down),
    ]:
        assert after[(name, labels)] == before.get((name, labels), 0) + 1, name
    assert after[("wayfinder_http_requests_total", (("area", "web"), ("status", "2xx")))] >= 1
    assert after[("wayfinder_handoffs_open", ())] == 0  # read from the database
    assert after[("wayfinder_reminders_due", ())] == 0
    assert ("process_resident_memory_bytes", ()) in after


def test_ready_is_503_naming_rasa_while_rasa_is_down_and_health_stays_200(
    gateway: Running,
) -> None:
    ready = requests.get(f"{gateway.url}/ready", timeout=10)
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert set(checks) == {"database", "rasa"}  # no Redis set
    assert checks["database"]["ok"] and not checks["rasa"]["ok"]
    assert checks["rasa"]["error"] == "ConnectError"
    assert requests.get(f"{gateway.url}/health", timeout=5).status_code == 200


def test_every_response_carries_a_request_id_the_load_balancers_when_it_looks_like_one(
    gateway: Running,
) -> None:
    given = requests.get(f"{gateway.url}/health", headers={"X-Request-ID": "lb-123.a"}, timeout=5)
    assert given.headers["X-Request-ID"] == "lb-123.a"
    made = requests.get(f"{gateway.url}/nowhere", headers={"X-Request-ID": "a b"}, timeout=5)
    assert made.status_code == 404 and re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    other = requests.get(f"{gateway.url}/nowhere", timeout=5).headers["X-Request-ID"]
    assert other != made.headers["X-Request-ID"]


@dataclass
class FakeRasa:
    """Rasa's / and REST webhook on a free port; keeps each message body it was sent."""

    url: str
    bodies: list[dict[str, Any]]


@pytest.fixture(scope="module")
def rasa() -> Iterator[FakeRasa]:
    bodies: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._send(b"Hello from Rasa: 3.6.21")

        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self._send(json.dumps([{"recipient_id": "x", "text": "Hi there"}]).encode())

        def _send(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield FakeRasa(f"http://127.0.0.1:{server.server_address[1]}", bodies)
    server.shutdown()
    server.server_close()


@contextmanager
def running(work: Path, **env: str) -> Iterator[str]:
    """`python -m bot.gateway` without Telegram, JSON logs to work/gateway.log: its URL."""
    port = free_port()
    database = f"sqlite:///{work / 'gateway.db'}"
    engine = make_engine(database)
    upgrade(engine)
    engine.dispose()
    settings = {
        **os.environ,
        "WAYFINDER_DATABASE_URL": database,
        "WAYFINDER_GATEWAY_PORT": str(port),
        "WAYFINDER_PSEUDONYM_KEY": "p" * 40,
        "WAYFINDER_LOG_FORMAT": "json",
        "TELEGRAM_BOT_TOKEN": "",
        **env,
    }
    with (work / "gateway.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.gateway"], cwd=ROOT, env=settings, stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"{url}/health", timeout=1).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail((work / "gateway.log").read_text()[-3000:])
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_ready_when_database_rasa_and_redis_answer_and_one_request_id_throughout(
    tmp_path: Path, rasa: FakeRasa
) -> None:
    redis = {  # db 13 and a prefix of this test's own: other tests share the machine's Redis
        "WAYFINDER_REDIS_URL": "redis://127.0.0.1:6379/13",
        "WAYFINDER_REDIS_PREFIX": f"test-ready-{os.getpid()}",
    }
    with running(tmp_path, WAYFINDER_RASA_URL=rasa.url, **redis) as url:
        ready = requests.get(f"{url}/ready", timeout=10)
        assert ready.status_code == 200, ready.text
        assert {name for name, check in ready.json()["checks"].items() if check["ok"]} == {
            "database",
            "rasa",
            "redis",
        }
        body = {"session": "requestidrequestid00", "text": "hello"}
        headers = {"X-Request-ID": "lb-7f3a9"}
        answer = requests.post(f"{url}/api/web/messages", json=body, headers=headers, timeout=30)
        assert answer.json()["messages"][0]["text"] == "Hi there"
        assert answer.headers["X-Request-ID"] == "lb-7f3a9"
    assert rasa.bodies[-1]["metadata"]["request_id"] == "lb-7f3a9"  # on to the actions
    lines = [json.loads(line) for line in (tmp_path / "gateway.log").read_text().splitlines()
             if line.startswith("{")]  # fmt: skip
    answered = [line for line in lines if "web message answered" in line["message"]]
    assert [line["request_id"] for line in answered] == ["lb-7f3a9"]
    assert answered[0]["service"] == "gateway" and answered[0]["logger"] == "bot.gateway.timings"


def test_ready_is_503_naming_the_database_when_its_url_points_nowhere(
    tmp_path: Path, rasa: FakeRasa
) -> None:
    nowhere = f"postgresql+psycopg://root@127.0.0.1:{free_port()}/nowhere"
    with running(tmp_path, WAYFINDER_RASA_URL=rasa.url, WAYFINDER_DATABASE_URL=nowhere) as url:
        ready = requests.get(f"{url}/ready", timeout=10)
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert not checks["database"]["ok"] and checks["database"]["error"] == "OperationalError"
        assert checks["rasa"]["ok"]
        assert "wayfinder_handoffs_open" not in requests.get(f"{url}/metrics", timeout=10).text
