"""Telegram updates when several gateways serve one bot: an update delivered to two gateways is
answered once, a chat's updates keep their order however long the checks take, one gateway
polls while another waits to take over, and what a killed gateway had in hand goes to the
assistant again marked redelivered (webhook: Telegram's retry; polling: the next poller's replay
of the journal)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from telegram import Update

from bot.gateway.core import MESSAGE_ID, REDELIVERED, Gateway
from bot.gateway.messages import BotMessage
from bot.gateway.settings import GatewaySettings
from bot.gateway.shared.journal import MemoryUpdateJournal, RedisUpdateJournal
from bot.gateway.shared.leases import LeaseBoard
from bot.gateway.shared.locks import MemoryChatLocks
from bot.gateway.shared.updates import (
    Claim,
    MemoryPollingLease,
    MemorySeenUpdates,
    RedisPollingLease,
    RedisSeenUpdates,
)
from bot.gateway.telegram_bot import build_application
from bot.gateway.telegram_updates import LeasedPolling, OnceInOrder, handle_pushed
from tests.bot.gateway.conftest import Backend, RecordingOutlet, ScriptedRasa
from tests.fakes.telegram_api import FakeBotApi

CHAT = 4242
KEYS = (MESSAGE_ID, REDELIVERED)


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


def test_an_update_pushed_to_two_gateways_is_answered_once(
    backend: Backend,
    settings: GatewaySettings,
    sessions: sessionmaker[Session],
    rasa: ScriptedRasa,
    fake: FakeBotApi,
) -> None:
    root = fake.base_url.removesuffix("/bot")
    with_bot = replace(settings, telegram_token="123456:TEST", telegram_api_url=root)
    raw = fake.push_text(CHAT, "hi")

    async def scenario() -> list[Claim]:
        applications = []
        for _ in range(2):  # two gateways behind the load balancer, one bot
            gateway = Gateway(with_bot, sessions, rasa, backend.gateway())  # type: ignore[arg-type]
            applications.append(build_application(gateway, updater=False))
        for application in applications:
            await application.initialize()
        try:
            both = [  # Telegram retried the webhook: the same update reaches both at once
                handle_pushed(application, Update.de_json(raw, application.bot))
                for application in applications
            ]
            found = list(await asyncio.gather(*both))
            again = applications[1]
            found.append(await handle_pushed(again, Update.de_json(raw, again.bot)))
            return found
        finally:
            for application in applications:
                await application.shutdown()

    found = backend.run(scenario)
    assert sorted(claim.value for claim in found[:2]) == ["busy", "new"]
    assert found[2] is Claim.DONE  # delivered once more after it was answered
    assert [call[1] for call in rasa.calls] == ["hi"]
    assert len(fake.calls("sendMessage")) == 1


class SlowerForEarlier(MemorySeenUpdates):
    """Claims that take longer for earlier updates: without the chat's order kept, later ones
    would overtake them."""

    async def _claim(self, update_id: int) -> Claim:
        await asyncio.sleep((10 - update_id) * 0.005)
        return await super()._claim(update_id)


def _update(update_id: int, chat_id: int) -> Update:
    raw = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private"},
            "text": f"message {update_id}",
        },
    }
    update = Update.de_json(raw, None)
    assert update is not None
    return update


def test_a_chats_updates_are_handled_in_arrival_order_however_long_the_checks_take() -> None:
    async def scenario() -> tuple[list[int], list[int]]:
        processor = OnceInOrder(SlowerForEarlier(), 256)
        handled: dict[int, list[int]] = {CHAT: [], 99: []}

        async def handle(update: Update) -> None:
            assert update.effective_chat is not None
            handled[update.effective_chat.id].append(update.update_id)

        tasks = []
        for update_id in range(10):  # as python-telegram-bot starts them: a task each, in order
            update = _update(update_id, CHAT if update_id % 3 else 99)
            tasks.append(asyncio.create_task(processor.process_update(update, handle(update))))
        await asyncio.gather(*tasks)
        return handled[CHAT], handled[99]

    assert asyncio.run(scenario()) == ([1, 2, 4, 5, 7, 8], [0, 3, 6, 9])


@dataclass
class FakeUpdater:
    """Counts getUpdates loops started and stopped."""

    running: bool = False
    starts: int = 0

    async def start_polling(self, **_options: Any) -> None:
        self.running, self.starts = True, self.starts + 1

    async def stop(self) -> None:
        self.running = False


@dataclass
class FakeBot:
    username: str = "wayfinder_test_bot"

    async def delete_webhook(self) -> bool:
        return True


@dataclass
class FakeApplication:
    """What LeasedPolling uses of an Application."""

    bot: FakeBot = field(default_factory=FakeBot)
    updater: FakeUpdater = field(default_factory=FakeUpdater)
    update_processor: object = None  # not OnceInOrder: nothing to replay


def test_one_of_two_gateways_polls_and_the_other_takes_over_when_it_dies(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> list[tuple[bool, bool]]:
        first, second = FakeApplication(), FakeApplication()
        if backend.redis:
            leases = backend.gateway().lease, backend.gateway().lease
        else:
            board = LeaseBoard()
            leases = MemoryPollingLease(board), MemoryPollingLease(board)
        for lease in leases:
            lease.lease_s = 0.6  # renewed every 0.2 s
        pollers = [
            LeasedPolling(first, leases[0]),  # type: ignore[arg-type]
            LeasedPolling(second, leases[1]),  # type: ignore[arg-type]
        ]
        pollers[0].start()
        await asyncio.sleep(0.1)
        pollers[1].start()
        states = []
        await asyncio.sleep(0.7)  # past one lease: the first renewed it
        states.append((first.updater.running, second.updater.running))
        # The first gateway is killed: it stops renewing and never lets go.
        monkeypatch.setattr(pollers[0].lease, "let_go", _never)
        await pollers[0].stop()
        states.append((first.updater.running, second.updater.running))
        await asyncio.sleep(1.0)  # the lease lapses within 0.6 s, the second checks every 0.2 s
        states.append((first.updater.running, second.updater.running))
        await pollers[1].stop()  # stopping cleanly lets go at once
        held_after = await leases[0].hold()
        states.append((held_after, second.updater.running))
        return states

    assert backend.run(scenario) == [(True, False), (False, False), (False, True), (True, False)]


async def _never() -> None:
    """A killed gateway's let_go: nothing happens."""


def test_a_gateway_without_telegram_gets_memory_state_by_default(gateway: Gateway) -> None:
    assert isinstance(gateway.telegram, RecordingOutlet)
    assert gateway.shared.redis is None


def _two_gateways(
    on_redis: Backend,
    settings: GatewaySettings,
    sessions: sessionmaker[Session],
    rasa: ScriptedRasa,
    fake: FakeBotApi,
    *,
    updater: bool,
    dying: bool = False,
) -> list[Any]:
    """Two gateways' Telegram applications on one Redis and one fake Bot API; with `dying`, the
    first's claims and chat locks are as a killed gateway leaves them (they lapse, as a dead
    process's do: its chat locks LIVE_S later, here at once)."""
    root = fake.base_url.removesuffix("/bot")
    with_bot = replace(settings, telegram_token="123456:TEST", telegram_api_url=root)
    applications = []
    for number in range(2):
        shared = on_redis.gateway()
        if dying and number == 0:
            seen = Dying(on_redis.client(), on_redis.prefix, claim_s=0.3)
            shared = replace(shared, updates=seen, locks=MemoryChatLocks())
        gateway = Gateway(with_bot, sessions, rasa, shared)  # type: ignore[arg-type]
        applications.append(build_application(gateway, updater=updater))
    return applications


def test_a_webhook_update_whose_gateway_died_goes_to_rasa_again_marked_redelivered(
    on_redis: Backend,
    settings: GatewaySettings,
    sessions: sessionmaker[Session],
    rasa: ScriptedRasa,
    fake: FakeBotApi,
) -> None:
    first, again = fake.push_text(CHAT, "hi"), fake.push_text(CHAT, "thanks")
    applications = _two_gateways(on_redis, settings, sessions, rasa, fake, updater=False)

    async def scenario() -> list[Claim]:
        for application in applications:
            await application.initialize()
        try:
            a, b = applications
            found = [await handle_pushed(a, Update.de_json(first, a.bot))]
            # Gateway A took "thanks" and was killed: its claim lapses, never marked done.
            dying = RedisSeenUpdates(on_redis.client(), on_redis.prefix, claim_s=0.2)
            await dying._claim(again["update_id"])
            await asyncio.sleep(0.4)
            found.append(await handle_pushed(b, Update.de_json(again, b.bot)))  # Telegram resent
            return found
        finally:
            for application in applications:
                await application.shutdown()

    assert on_redis.run(scenario) == [Claim.NEW, Claim.RETRY]
    assert [call[1] for call in rasa.calls] == ["hi", "thanks"]
    sent = [{k: v for k, v in (m or {}).items() if k in KEYS} for m in rasa.metadata]
    assert sent == [
        {"message_id": f"tg-{first['update_id']}"},  # a first delivery: nothing to check
        {"message_id": f"tg-{again['update_id']}", "redelivered": True},
    ]


@dataclass
class StuckRasa(ScriptedRasa):
    """The assistant as gateway A saw it before it was killed: the first "stuck" does not return
    until the test ends (A died mid-turn), and then with nothing; everything else is answered."""

    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(
        self, sender_id: str, text: str, channel: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        if text == "stuck" and not any(call[1] == "stuck" for call in self.calls):
            self.calls.append((sender_id, text, channel))
            self.metadata.append(metadata)
            await self.released.wait()
            return []
        return await super().send(sender_id, text, channel, metadata)


class Dying(RedisSeenUpdates):
    """Gateway A's claims as a killed process leaves them: taken, never renewed."""

    @asynccontextmanager
    async def _kept_claimed(self, update_id: int) -> AsyncIterator[None]:
        yield


def test_a_poller_killed_mid_turn_has_its_update_replayed_once_by_the_next(
    on_redis: Backend,
    settings: GatewaySettings,
    sessions: sessionmaker[Session],
    fake: FakeBotApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rasa = StuckRasa(sessions)
    applications = _two_gateways(on_redis, settings, sessions, rasa, fake, updater=True, dying=True)
    a, b = applications
    leases = [RedisPollingLease(on_redis.client(), on_redis.prefix, 0.6) for _ in range(2)]
    journal = RedisUpdateJournal(on_redis.client(), on_redis.prefix)
    done = fake.push_text(CHAT, "finished")
    stuck = fake.push_text(CHAT + 1, "stuck")

    async def scenario() -> tuple[list[int], int, int]:
        for application in applications:
            await application.initialize()
            await application.start()
        pollers = [LeasedPolling(a, leases[0]), LeasedPolling(b, leases[1])]
        rasa.released = asyncio.Event()  # on this loop
        try:
            pollers[0].start()
            await asyncio.sleep(0.1)
            pollers[1].start()  # waits: A holds the lease
            await fake.wait_for_async("sendMessage", lambda p: int(p["chat_id"]) == CHAT)
            await fake.wait_for_async("sendChatAction", lambda p: int(p["chat_id"]) == CHAT + 1)
            left = [update_id for update_id, _ in await journal.pending()]
            # A is killed mid-turn: it neither lets its lease go nor renews its claims.
            monkeypatch.setattr(pollers[0].lease, "let_go", _never)
            await pollers[0].stop()  # (its getUpdates had confirmed both updates already)
            await fake.wait_for_async(
                "sendMessage", lambda p: int(p["chat_id"]) == CHAT + 1, timeout=10
            )
            await asyncio.sleep(0.5)  # nothing more comes
            left_after = len(await journal.pending())
            sent = len(fake.calls("sendMessage"))
            return left, left_after + pollers[1].replayed * 100, sent
        finally:
            rasa.released.set()  # A's stuck turn ends, so its application can stop
            for poller in pollers:
                await poller.stop()
            for application in applications:
                await application.stop()
                await application.shutdown()

    left, after, replies = on_redis.run(scenario)
    assert left == [stuck["update_id"]]  # A finished "finished": crossed out
    assert after == 100  # B replayed one update; nothing is left written down
    # The two chats are answered side by side, so only each chat's own order is fixed.
    turns = [
        (call[1], {k: v for k, v in (m or {}).items() if k in KEYS})
        for call, m in zip(rasa.calls, rasa.metadata, strict=True)
    ]
    assert [turn for turn in turns if turn[0] == "finished"] == [
        ("finished", {"message_id": f"tg-{done['update_id']}"}),
    ]
    assert [turn for turn in turns if turn[0] == "stuck"] == [
        ("stuck", {"message_id": f"tg-{stuck['update_id']}"}),
        ("stuck", {"message_id": f"tg-{stuck['update_id']}", "redelivered": True}),  # B
    ]
    assert replies == 2  # one reply to each, none twice


def test_polled_updates_in_memory_are_not_written_down(gateway: Gateway) -> None:
    assert isinstance(gateway.shared.journal, MemoryUpdateJournal)
