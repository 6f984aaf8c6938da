"""A web learner's reminder waits in the outbox while the chat is closed: housekeeping keeps a
message no widget has taken for OUTBOX_WAIT (60 days), and one a widget took for a week after,
and the next poll, days later, gets it with the words and the date the worker gave it. The
gateway app runs in this process, on a free localhost port; requests go over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway import records
from bot.gateway.app import make_app
from bot.gateway.core import Gateway
from bot.gateway.housekeeping import Housekeeping
from bot.gateway.settings import GatewaySettings
from knowledge.models import OutboxMessage, utcnow
from tests.serving import free_port, serving_app

TOKEN = "deliver-token"
SESSION = "s" * 24  # the widget's session id
DUE = datetime(2027, 3, 3, 15, 0)  # 09:00 in Chicago, when the worker delivered it
REMINDER = (
    "⏰ Reminder from Wed 3 Mar 2027: applications for Saturday Code Club close on "
    "Sat 6 Mar 2027. How to apply: https://example.org/apply"
)


@pytest.fixture
def served(settings: GatewaySettings) -> Iterator[tuple[str, Gateway]]:
    """The gateway app, with the worker's token, on the throwaway database."""
    changed = replace(settings, rasa_url=f"http://127.0.0.1:{free_port()}", deliver_token=TOKEN)
    app = make_app(changed)
    with serving_app(app) as url:
        yield url, app.ctx.gateway


def on_the_web(gateway: Gateway, sessions: sessionmaker[Session]) -> str:
    """A learner who chatted in the widget and closed it: their sender id."""
    sender = gateway.sender_id("web", SESSION)
    with sessions.begin() as session:
        address = records.kept_address(gateway.settings.pseudonym_key, "web", SESSION)
        records.remember_address(session, sender, "web", address, now=DUE - timedelta(days=5))
    return sender


def deliver(url: str, sender: str, key: str = "reminder-1-00112233aabbccdd") -> None:
    """What the reminder worker's GatewayDeliverer sends."""
    answer = requests.post(
        f"{url}/internal/deliver",
        json={"sender_id": sender, "messages": [{"recipient_id": sender, "text": REMINDER}]},
        headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": key},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text


def poll(url: str, after: int = 0) -> list[dict[str, Any]]:
    """The widget's long poll, as it runs when the learner opens the chat."""
    answer = requests.get(
        f"{url}/api/web/events",
        params={"after": str(after)},
        headers={"X-Wayfinder-Session": SESSION},
        timeout=40,
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["messages"])


def queued_at(sessions: sessionmaker[Session], moment: datetime) -> None:
    """Date the outbox rows as if the worker had delivered them at `moment`."""
    with sessions.begin() as session:
        for item in session.scalars(select(OutboxMessage)):
            item.created_at = moment


def kept(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return [str(item.message["text"]) for item in session.scalars(select(OutboxMessage))]


def purge(sessions: sessionmaker[Session], now: datetime) -> int:
    """Housekeeping's purge, run at `now`."""
    with sessions.begin() as session:
        return records.purge_outbox(session, now)


def test_a_reminder_waits_through_days_of_housekeeping_and_shows_on_the_next_visit(
    served: tuple[str, Gateway], sessions: sessionmaker[Session]
) -> None:
    url, gateway = served
    sender = on_the_web(gateway, sessions)
    deliver(url, sender)  # the chat is closed: nobody polls
    queued_at(sessions, DUE)
    for days in (1, 7, 8, 30, 59):  # every housekeeping round of those weeks keeps it
        assert purge(sessions, DUE + timedelta(days=days)) == 0
    assert kept(sessions) == [REMINDER]

    (shown,) = poll(url)  # the learner opens the chat again, 59 days later
    assert shown["text"] == REMINDER  # with the day it was due, as the assistant worded it
    assert shown["text"].startswith("⏰ Reminder from Wed 3 Mar 2027:")
    assert isinstance(shown["id"], int)
    with sessions() as session:
        fetched = session.scalars(select(OutboxMessage.fetched_at)).one()
    assert fetched is not None and abs(fetched - utcnow()) < timedelta(minutes=1)

    assert poll(url) == [shown]  # a reply lost on the way is taken again, not re-marked
    assert purge(sessions, fetched + records.OUTBOX_KEEP - timedelta(minutes=1)) == 0
    assert purge(sessions, fetched + records.OUTBOX_KEEP + timedelta(minutes=1)) == 1
    assert kept(sessions) == []


def test_a_reminder_nobody_came_back_for_goes_after_sixty_days(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    assert timedelta(days=60) == records.OUTBOX_WAIT  # as .env.example and the README say
    sender = on_the_web(gateway, sessions)
    with sessions.begin() as session:
        records.queue_outbox(session, sender, {"text": REMINDER, "buttons": []})
    queued_at(sessions, DUE)
    assert purge(sessions, DUE + records.OUTBOX_WAIT - timedelta(minutes=1)) == 0
    assert purge(sessions, DUE + records.OUTBOX_WAIT + timedelta(minutes=1)) == 1
    assert kept(sessions) == []


def test_fetched_messages_go_a_week_after_their_poll_and_waiting_ones_stay(
    sessions: sessionmaker[Session],
) -> None:
    now = datetime(2027, 5, 1, 12, 0)
    with sessions.begin() as session:
        rows = {
            "taken long ago": (now - timedelta(days=20), now - timedelta(days=8)),
            "taken this week": (now - timedelta(days=20), now - timedelta(days=6)),
            "waiting 30 days": (now - timedelta(days=30), None),
            "waiting 61 days": (now - timedelta(days=61), None),
        }
        for text, (created, fetched) in rows.items():
            row = OutboxMessage(sender_id="web-x", message={"text": text}, created_at=created)
            row.fetched_at = fetched
            session.add(row)
    assert purge(sessions, now) == 2
    assert sorted(kept(sessions)) == ["taken this week", "waiting 30 days"]


def test_housekeeping_keeps_a_waiting_reminder(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    """The round the gateway runs every minute, not only the purge function: a reminder queued
    ten days ago that no widget took is still there after it."""
    sender = on_the_web(gateway, sessions)
    with sessions.begin() as session:
        records.queue_outbox(session, sender, {"text": REMINDER, "buttons": []})
    queued_at(sessions, utcnow() - timedelta(days=10))
    assert asyncio.run(Housekeeping(gateway).round()) is True
    assert kept(sessions) == [REMINDER]
