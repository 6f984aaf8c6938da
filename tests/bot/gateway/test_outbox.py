"""Proactive messages on the sender's channel: Telegram or the web outbox and its long polls;
under an idempotency key (the reminder worker's) every message goes out once, whatever fails,
times out, retries or restarts in between."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway import records
from bot.gateway.core import Gateway
from bot.gateway.messages import BotMessage
from bot.gateway.outbox import DeliveryBusy
from bot.gateway.settings import GatewaySettings
from knowledge.learners import RETRY_AFTER, forget_learner, get_or_create_learner
from knowledge.models import ChannelAddress, DeliveryReceipt, OutboxMessage, utcnow
from tests.bot.gateway.conftest import Backend, RecordingOutlet, ScriptedRasa, recorded

SET = [
    BotMessage("⏰ Reminder: Robotics club"),
    BotMessage("Sign-up closes Friday"),
    BotMessage("Good luck!"),
]
KEY = "reminder-7-0123456789abcdef"


def test_proactive_messages_reach_telegram_or_the_web_outbox(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    asyncio.run(gateway.converse("telegram", "42", "hi"))
    asyncio.run(gateway.converse("web", "w" * 20, "hi"))
    reminder = [BotMessage("Reminder: applications close Friday")]
    assert asyncio.run(gateway.outbox.deliver(gateway.sender_id("telegram", "42"), reminder))
    assert recorded(gateway).sent == [("42", reminder)]
    web = gateway.sender_id("web", "w" * 20)
    assert asyncio.run(gateway.outbox.deliver(web, reminder))
    found = asyncio.run(gateway.outbox.wait(web, 0, timeout_s=0.1))
    assert [item.message["text"] for item in found] == ["Reminder: applications close Friday"]
    assert asyncio.run(gateway.outbox.wait(web, found[-1].id, timeout_s=0.1)) == []
    assert not asyncio.run(gateway.outbox.deliver("tg-nobody", reminder))  # never wrote to us


def test_a_waiting_long_poll_wakes_when_a_message_is_queued(gateway: Gateway) -> None:
    session_id = "p" * 20
    web = gateway.sender_id("web", session_id)

    async def scenario() -> list[str]:
        await gateway.converse("web", session_id, "hi")
        waiting = asyncio.create_task(gateway.outbox.wait(web, 0, timeout_s=10))
        await asyncio.sleep(0.2)
        await gateway.outbox.deliver(web, [BotMessage("A navigator replied")])
        found = await asyncio.wait_for(waiting, timeout=3)
        return [item.message["text"] for item in found]

    assert asyncio.run(scenario()) == ["A navigator replied"]


def test_forget_me_erases_the_address_and_queued_messages(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    web = gateway.sender_id("web", "f" * 20)
    asyncio.run(gateway.converse("web", "f" * 20, "hi"))
    asyncio.run(gateway.outbox.deliver(web, [BotMessage("reminder")]))
    with sessions.begin() as session:
        assert forget_learner(session, web)
    with sessions() as session:
        assert session.get(ChannelAddress, web) is None
        assert session.scalars(select(OutboxMessage)).all() == []
    assert not asyncio.run(gateway.outbox.deliver(web, [BotMessage("reminder")]))


def test_long_polls_dropped_early_leave_no_waiters_behind(gateway: Gateway) -> None:
    async def empty_outbox(_work: Any) -> list[Any]:  # nothing queued, and no thread per read
        return []

    gateway.outbox.db = empty_outbox  # type: ignore[assignment]

    async def scenario() -> list[int]:
        sizes = []
        for _ in range(20):  # 20,000 polls of random sessions, 1,000 open at a time
            polls = [
                asyncio.create_task(gateway.outbox.wait(f"web-{uuid4().hex}", 0, 25.0))
                for _ in range(1000)
            ]
            await asyncio.sleep(0)  # each reads the (empty) outbox and starts waiting
            sizes.append(len(gateway.outbox.wakes))
            for poll in polls:  # the widget closed, the tab navigated away, the attacker moved on
                poll.cancel()
            await asyncio.gather(*polls, return_exceptions=True)
        return sizes

    assert asyncio.run(scenario()) == [1000] * 20  # only the polls open at the time are held
    assert len(gateway.outbox.wakes) == 0


def test_a_session_polled_twice_is_woken_after_one_of_its_polls_is_dropped(
    gateway: Gateway,
) -> None:
    asyncio.run(gateway.converse("web", "t" * 20, "hi"))
    web = gateway.sender_id("web", "t" * 20)

    async def scenario() -> list[str]:
        first = asyncio.create_task(gateway.outbox.wait(web, 0, timeout_s=25))
        second = asyncio.create_task(gateway.outbox.wait(web, 0, timeout_s=25))
        await asyncio.sleep(0.2)
        first.cancel()  # the widget in one tab closed
        await asyncio.gather(first, return_exceptions=True)
        wake = gateway.outbox.wakes.listening(f"outbox:{web}")
        assert len(gateway.outbox.wakes) == 1 and wake is not None  # the other tab still waits
        await gateway.outbox.deliver(web, [BotMessage("A navigator replied")])
        assert wake.event.is_set()
        found = await asyncio.wait_for(second, timeout=10)
        return [item.message["text"] for item in found]

    assert asyncio.run(scenario()) == ["A navigator replied"]
    assert len(gateway.outbox.wakes) == 0


@dataclass
class FlakyOutlet(RecordingOutlet):
    """Telegram that fails the sends whose numbers (1 = the first) are listed, once each."""

    failing: set[int] = field(default_factory=set)
    attempts: int = 0

    async def send(self, address: str, messages: Sequence[BotMessage]) -> None:
        self.attempts += 1
        if self.attempts in self.failing:
            raise ConnectionError("Telegram is down")
        await super().send(address, messages)


@dataclass
class SlowOutlet(RecordingOutlet):
    """Telegram that holds every send until the test lets it through."""

    go: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, address: str, messages: Sequence[BotMessage]) -> None:
        self.waiting.set()
        await self.go.wait()
        await super().send(address, messages)


def texts(outlet: RecordingOutlet) -> list[str]:
    """Every message text Telegram received, in order."""
    return [message.text for _, messages in outlet.sent for message in messages]


def on_telegram(gateway: Gateway, chat: str = "42") -> str:
    """A learner who wrote to the bot on Telegram: their sender id."""
    asyncio.run(gateway.converse("telegram", chat, "hi"))
    return gateway.sender_id("telegram", chat)


def test_a_set_that_failed_on_its_second_message_resumes_there(gateway: Gateway) -> None:
    sender = on_telegram(gateway)
    gateway.telegram = flaky = FlakyOutlet(failing={2})
    with pytest.raises(ConnectionError):
        asyncio.run(gateway.outbox.deliver(sender, SET, KEY))
    assert texts(flaky) == [SET[0].text]
    assert asyncio.run(gateway.outbox.deliver(sender, SET, KEY))  # the worker's retry
    assert texts(flaky) == [message.text for message in SET]  # each exactly once
    assert asyncio.run(gateway.outbox.deliver(sender, SET, KEY))  # and again: nothing more
    assert len(flaky.sent) == 3


def test_a_delivered_key_is_honoured_by_a_restarted_gateway(
    gateway: Gateway, settings: GatewaySettings, sessions: sessionmaker[Session]
) -> None:
    sender = on_telegram(gateway)
    assert asyncio.run(gateway.outbox.deliver(sender, SET, KEY))
    restarted = Gateway(settings, sessions, ScriptedRasa(sessions))  # type: ignore[arg-type]
    restarted.telegram = outlet = RecordingOutlet()
    assert asyncio.run(restarted.outbox.deliver(sender, SET, KEY))
    assert outlet.sent == []
    assert asyncio.run(restarted.outbox.deliver(sender, SET, "reminder-7-another-occurrence"))
    assert len(outlet.sent) == 3  # a new key is a new delivery


def test_web_messages_under_a_key_are_queued_once(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    asyncio.run(gateway.converse("web", "w" * 20, "hi"))
    web = gateway.sender_id("web", "w" * 20)
    for _ in range(3):
        assert asyncio.run(gateway.outbox.deliver(web, SET, KEY))
    with sessions() as session:
        queued = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [item.message["text"] for item in queued] == [message.text for message in SET]


def test_a_retry_while_the_first_try_still_sends_is_refused_and_sends_nothing(
    gateway: Gateway,
) -> None:
    sender = on_telegram(gateway)

    async def scenario() -> SlowOutlet:
        gateway.telegram = slow = SlowOutlet()
        first = asyncio.create_task(gateway.outbox.deliver(sender, SET, KEY))
        await slow.waiting.wait()  # the first message is on its way to Telegram
        with pytest.raises(DeliveryBusy):
            await gateway.outbox.deliver(sender, SET, KEY)
        slow.go.set()
        assert await first
        assert await gateway.outbox.deliver(sender, SET, KEY)
        return slow

    assert texts(asyncio.run(scenario())) == [message.text for message in SET]


def test_the_sending_goes_on_when_the_caller_hangs_up(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    sender = on_telegram(gateway)

    async def scenario() -> SlowOutlet:
        gateway.telegram = slow = SlowOutlet()
        caller = asyncio.create_task(gateway.outbox.deliver(sender, SET, KEY))
        await slow.waiting.wait()
        caller.cancel()  # what Sanic does when the worker's request times out
        with pytest.raises(asyncio.CancelledError):
            await caller
        slow.go.set()
        while len(slow.sent) < len(SET):
            await asyncio.sleep(0.01)
        assert await gateway.outbox.deliver(sender, SET, KEY)  # the retry finds all delivered
        return slow

    assert texts(asyncio.run(scenario())) == [message.text for message in SET]
    with sessions() as session:
        delivered = select(func.count()).where(DeliveryReceipt.delivered_at.is_not(None))
        assert session.scalar(delivered) == len(SET)


def test_a_claim_left_by_a_gateway_that_died_is_taken_over_once_it_expires(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    sender = on_telegram(gateway)
    with sessions.begin() as session:  # the first message was being sent when a gateway died
        died = utcnow() - records.CLAIM_EXPIRES - timedelta(seconds=1)
        session.add(DeliveryReceipt(key=f"{KEY}/0", sender_id=sender, claimed_at=died))
        fresh = utcnow()  # …and another gateway is sending the second right now
        session.add(DeliveryReceipt(key=f"{KEY}/1", sender_id=sender, claimed_at=fresh))
    with pytest.raises(DeliveryBusy):
        asyncio.run(gateway.outbox.deliver(sender, SET, KEY))
    assert texts(gateway.telegram) == [SET[0].text]  # type: ignore[arg-type]


def test_receipts_outlive_the_workers_retries_and_are_purged_after(
    sessions: sessionmaker[Session],
) -> None:
    assert sum(RETRY_AFTER, timedelta()) + records.CLAIM_EXPIRES < records.RECEIPT_KEEP
    now = utcnow()
    with sessions.begin() as session:
        for age, key in (
            (records.RECEIPT_KEEP + timedelta(hours=1), "old/0"),
            (timedelta(), "new/0"),
        ):
            session.add(DeliveryReceipt(key=key, sender_id="tg-1", claimed_at=now - age))
    with sessions.begin() as session:
        assert records.purge_receipts(session, now) == 1
        assert session.scalars(select(DeliveryReceipt.key)).all() == ["new/0"]


def test_forget_me_erases_the_receipts(gateway: Gateway, sessions: sessionmaker[Session]) -> None:
    sender = on_telegram(gateway)
    with sessions.begin() as session:
        get_or_create_learner(session, sender, "telegram")
    assert asyncio.run(gateway.outbox.deliver(sender, SET, KEY))
    with sessions.begin() as session:
        assert forget_learner(session, sender)
    with sessions() as session:
        assert session.scalars(select(DeliveryReceipt)).all() == []


def test_a_long_poll_on_one_gateway_wakes_for_a_message_queued_on_another(
    backend: Backend, settings: GatewaySettings, sessions: sessionmaker[Session], rasa: ScriptedRasa
) -> None:
    """With Redis the other gateway's poll re-reads the database only every 5 s: waking within
    a fraction of a second is the pub/sub's doing."""
    web = records.pseudonym(settings.pseudonym_key, "web", "w" * 20)
    with sessions.begin() as session:
        records.remember_address(session, web, "web", "w" * 20)

    async def scenario() -> tuple[list[str], float]:
        a = Gateway(settings, sessions, rasa, backend.gateway())  # type: ignore[arg-type]
        b = Gateway(settings, sessions, rasa, backend.gateway())  # type: ignore[arg-type]
        polling = asyncio.create_task(b.outbox.wait(web, 0, timeout_s=20))
        await asyncio.sleep(0.3)  # B's poll found nothing and waits
        queued = time.perf_counter()
        assert await a.outbox.deliver(web, [BotMessage("⏰ Reminder: Robotics club")])
        found = await asyncio.wait_for(polling, timeout=10)
        return [item.message["text"] for item in found], time.perf_counter() - queued

    texts, took = backend.run(scenario)
    assert texts == ["⏰ Reminder: Robotics club"] and took < 0.5
