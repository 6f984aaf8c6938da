"""Reminders at a sensible hour, to a web learner who is away: the worker fires a reminder at the
city's WAYFINDER_REMINDER_TIME in its WAYFINDER_TIMEZONE (not at that hour in UTC), hands it to
the gateway (in this process, over real HTTP) while the learner's chat is closed, and it waits in
the outbox through weeks of housekeeping until the widget, opened again, polls for it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import select

from bot.gateway import records
from bot.gateway.app import make_app
from bot.gateway.settings import GatewaySettings
from bot.reminders.worker import GatewayDeliverer, RasaIntentTrigger, ReminderWorker
from knowledge.db import make_engine, make_sessionmaker
from knowledge.learners import get_or_create_learner, schedule_reminder
from knowledge.models import Opportunity, OutboxMessage
from knowledge.settings import Settings
from tests.bot.reminders.conftest import NOW, FakeRasa, identity, reminder
from tests.serving import free_port, serving_app

TOKEN = "deliver-token"
SESSION = "widget-session-0123456789"
CITY = {"WAYFINDER_TIMEZONE": "America/Chicago", "WAYFINDER_REMINDER_TIME": "08:30"}
# The test city's listing t-001 starts on Sat 9 Jan 2027: reminded on Wed 6 Jan at 08:30 in
# Chicago (CST, UTC-6), which is 14:30 UTC; at 08:30 UTC it is still the middle of the night there.
DUE_UTC = datetime(2027, 1, 6, 14, 30)
WORDS = (
    "⏰ Reminder from Wed 6 Jan 2027: Robotics Club starts on Sat 9 Jan 2027. "
    "How to join: https://example.org/join"
)


@pytest.fixture
def gateway_url(database: str, tmp_path: Path) -> Iterator[str]:
    """The gateway on the test's directory, with the worker's token."""
    env = {
        "WAYFINDER_DATABASE_URL": database,
        "WAYFINDER_PSEUDONYM_KEY": "p" * 40,
        "WAYFINDER_GATEWAY_TOKEN": TOKEN,
        "WAYFINDER_RASA_URL": f"http://127.0.0.1:{free_port()}",  # nobody chats here
    }
    app = make_app(GatewaySettings.from_env(env, key_file=tmp_path / "key"))
    with serving_app(app) as url:
        yield url


def test_a_web_reminder_fires_at_the_citys_hour_and_waits_for_the_chat_to_be_opened(
    database: str, rasa: tuple[FakeRasa, str], gateway_url: str
) -> None:
    fake_rasa, rasa_url = rasa
    key = b"p" * 40
    sender = records.pseudonym(key, "web", SESSION)
    fake_rasa.reply = [{"recipient_id": sender, "text": WORDS}]
    city = Settings.from_env(CITY)
    engine = make_engine(database)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:  # the learner chatted on the web and set the reminder
        records.remember_address(session, sender, "web", records.kept_address(key, "web", SESSION))
        learner = get_or_create_learner(session, sender, "web")
        listing = session.scalars(select(Opportunity).where(Opportunity.external_id == "t-001"))
        zone, at = ZoneInfo(city.timezone), city.reminder_time
        planned = schedule_reminder(session, learner, listing.one(), now=NOW, zone=zone, at=at)
        assert planned.reminder is not None
        reminder_id = planned.reminder.id
    assert reminder(engine, reminder_id).due_at == DUE_UTC

    deliverer = GatewayDeliverer(gateway_url, TOKEN, timeout_s=30)
    worker = ReminderWorker(sessions, RasaIntentTrigger(rasa_url, timeout_s=5), deliverer)
    at_0830_utc = datetime(2027, 1, 6, 8, 30)  # 02:30 in Chicago: not yet
    assert worker.run_once(now=partial(identity, at_0830_utc)).sent == 0
    assert worker.run_once(now=partial(identity, DUE_UTC - timedelta(minutes=1))).sent == 0
    assert worker.run_once(now=partial(identity, DUE_UTC)).sent == 1
    assert reminder(engine, reminder_id).status == "sent"
    assert [call["body"]["name"] for call in fake_rasa.calls] == ["EXTERNAL_reminder"]

    with sessions.begin() as session:  # nobody polled: it sits in the outbox since the 6th
        (queued,) = session.scalars(select(OutboxMessage))
        queued.created_at = DUE_UTC
    for days in (3, 7, 14, 45):
        with sessions.begin() as session:
            assert records.purge_outbox(session, DUE_UTC + timedelta(days=days)) == 0

    shown = requests.get(  # the learner opens the chat on the widget weeks later
        f"{gateway_url}/api/web/events",
        params={"after": "0"},
        headers={"X-Wayfinder-Session": SESSION},
        timeout=40,
    )
    assert shown.status_code == 200
    assert [message["text"] for message in shown.json()["messages"]] == [WORDS]
    engine.dispose()
