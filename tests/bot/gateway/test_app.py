"""The gateway as a process: its HTTP surface, CORS, the deliver endpoint's guard and Telegram's
webhook mode (checked against the fake Bot API). Rasa is not running: replies are the apology."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

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
