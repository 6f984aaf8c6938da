"""Reminders end to end, exactly once: the worker, the gateway as a process (`python -m
bot.gateway`, restarted between attempts), Telegram's Bot API faked on localhost and failing or
slow, Rasa faked (conftest.py). Each message of a set reaches the learner once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.gateway.telegram_bot import SEND_ATTEMPTS
from bot.reminders.worker import GatewayDeliverer, RasaIntentTrigger, ReminderWorker
from knowledge.db import make_engine, make_sessionmaker
from knowledge.models import ChannelAddress
from tests.bot.reminders.conftest import LATER, FakeRasa, identity, reminder, schedule
from tests.fakes.telegram_api import ApiCall, FakeBotApi

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "deliver-token"
CHAT = 4242
LEARNER = "tg-learner"
WORDS = ["⏰ Reminder: Robotics club starts Monday", "Sign-up closes Friday", "Good luck!"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gateway_process(database: str, fake: FakeBotApi, log: Path) -> Iterator[str]:
    """`python -m bot.gateway` on the test's database, Telegram (webhook mode) on the fake."""
    port = free_port()
    env = {
        **os.environ,
        "WAYFINDER_DATABASE_URL": database,
        "WAYFINDER_RASA_URL": f"http://127.0.0.1:{free_port()}",  # learners do not chat here
        "WAYFINDER_GATEWAY_PORT": str(port),
        "WAYFINDER_PSEUDONYM_KEY": "p" * 40,
        "WAYFINDER_GATEWAY_TOKEN": TOKEN,
        "TELEGRAM_BOT_TOKEN": "123456:APP-TEST",
        "TELEGRAM_API_BASE_URL": fake.base_url.removesuffix("/bot"),
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": "webhook-secret",
        "NAVIGATOR_CHAT_ID": "",
    }
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.gateway"], cwd=ROOT, env=env, stdout=out, stderr=out
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
                pytest.fail(log.read_text()[-3000:])
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def on_telegram(engine: Engine) -> int:
    """A learner the gateway reaches on Telegram, with a reminder due: its id."""
    with Session(engine) as session, session.begin():
        session.add(ChannelAddress(sender_id=LEARNER, channel="telegram", address=str(CHAT)))
    return schedule(engine, LEARNER)


def received(fake: FakeBotApi) -> list[str]:
    """The bot's messages in the learner's chat, as Telegram keeps them."""
    return [message["text"] for message in fake.bot_messages(CHAT)]


def worker(engine: Engine, rasa_url: str, gateway_url: str, timeout_s: float) -> ReminderWorker:
    deliverer = GatewayDeliverer(gateway_url, TOKEN, timeout_s=timeout_s)
    return ReminderWorker(
        make_sessionmaker(engine), RasaIntentTrigger(rasa_url, timeout_s=5), deliverer
    )


def test_a_set_that_failed_on_its_second_message_resumes_there_after_restarts(
    database: str, rasa: tuple[FakeRasa, str], tmp_path: Path
) -> None:
    fake_rasa, rasa_url = rasa
    fake_rasa.reply = [{"recipient_id": LEARNER, "text": text} for text in WORDS]
    engine = make_engine(database)
    reminder_id = on_telegram(engine)
    log = tmp_path / "gateway.log"
    with FakeBotApi() as telegram:

        def fail_the_second(call: ApiCall) -> None:
            """Once the first message is through, Telegram fails (every retry of) the next."""
            if call.method == "sendMessage" and not telegram.errors():
                telegram.listeners.clear()
                telegram.fail_next("sendMessage", times=SEND_ATTEMPTS, status=502)

        telegram.listeners.append(fail_the_second)
        with gateway_process(database, telegram, log) as url:
            first = worker(engine, rasa_url, url, 30).run_once(now=lambda: LATER)
        assert (first.sent, first.failed) == (0, 1)
        assert received(telegram) == WORDS[:1]
        assert "502" in (reminder(engine, reminder_id).last_error or "")
        engine.dispose()  # the worker restarts too

        engine = make_engine(database)
        retry_at = reminder(engine, reminder_id).due_at
        with gateway_process(database, telegram, log) as url:
            again = worker(engine, rasa_url, url, 30).run_once(now=partial(identity, retry_at))
            assert (again.sent, again.failed) == (1, 0)
            assert received(telegram) == WORDS  # each message exactly once
            assert len(fake_rasa.calls) == 1  # Rasa worded the reminder once

            key = reminder(engine, reminder_id).delivery_key
            assert key is not None
            body = {"sender_id": LEARNER, "messages": fake_rasa.reply}
            headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": key}
            late = requests.post(f"{url}/internal/deliver", json=body, headers=headers, timeout=30)
            assert late.status_code == 200  # a delivered key: answered, not resent
            assert received(telegram) == WORDS
            headers["Idempotency-Key"] = "no spaces/or slashes"
            bad = requests.post(f"{url}/internal/deliver", json=body, headers=headers, timeout=30)
            assert bad.status_code == 400
    engine.dispose()


def test_a_worker_that_gave_up_waiting_on_a_slow_telegram_never_sends_twice(
    database: str, rasa: tuple[FakeRasa, str], tmp_path: Path
) -> None:
    fake_rasa, rasa_url = rasa
    fake_rasa.reply = [{"recipient_id": LEARNER, "text": text} for text in WORDS]
    engine = make_engine(database)
    reminder_id = on_telegram(engine)
    go = threading.Event()
    with FakeBotApi() as telegram:

        def hold_the_first(call: ApiCall) -> None:
            """Telegram takes its time answering the first message (it has it already)."""
            if call.method == "sendMessage":
                telegram.listeners.clear()
                go.wait(timeout=30)

        telegram.listeners.append(hold_the_first)
        with gateway_process(database, telegram, tmp_path / "gateway.log") as url:
            impatient = worker(engine, rasa_url, url, timeout_s=0.5)
            moment, statuses = LATER, []
            for _ in range(10):
                tally = impatient.run_once(now=partial(identity, moment))
                row = reminder(engine, reminder_id)
                if tally.sent:
                    break
                statuses.append(row.last_error)
                if len(statuses) == 2:  # timed out, then refused while the first is on its way
                    go.set()
                    telegram.wait_for("sendMessage", lambda p: p["text"] == WORDS[-1], 30)
                moment = row.due_at
            assert tally.sent == 1
        assert received(telegram) == WORDS  # each message exactly once
    assert "Timeout" in (statuses[0] or "") and "409" in (statuses[1] or "")
    engine.dispose()
