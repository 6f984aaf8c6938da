"""The housekeeping on several gateways: a round run by two at once has its effect once (one
missed request posted, one idle handoff closed and announced), another gateway takes over within
the lease when the holder dies, and one gateway alone (memory) runs every round."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway import housekeeping
from bot.gateway.core import Gateway
from bot.gateway.housekeeping import Housekeeping
from bot.gateway.messages import BotMessage
from bot.gateway.records import remember_address
from bot.gateway.settings import GatewaySettings
from bot.gateway.shared import SharedState, memory_state
from bot.gateway.texts import say
from knowledge.handoffs import open_handoff
from knowledge.learners import get_or_create_learner
from knowledge.models import utcnow
from tests.bot.gateway.conftest import NAVIGATORS, Backend, RecordingOutlet, ScriptedRasa, recorded

LEASE_S = 0.5


def _gateway(
    settings: GatewaySettings,
    sessions: sessionmaker[Session],
    rasa: ScriptedRasa,
    shared: SharedState,
) -> Gateway:
    """One gateway on the test's database, with a Telegram outlet of its own."""
    made = Gateway(replace(settings, handoff_timeout_s=60), sessions, rasa, shared)  # type: ignore[arg-type]
    made.telegram = RecordingOutlet()
    return made


def _housekeepers(
    backend: Backend,
    settings: GatewaySettings,
    sessions: sessionmaker[Session],
    rasa: ScriptedRasa,
) -> list[Housekeeping]:
    """Two gateways' housekeeping on one backend, with a short lease."""
    made = []
    for _ in range(2):
        keeper = Housekeeping(_gateway(settings, sessions, rasa, backend.gateway()))
        keeper.holding.lease.lease_s = LEASE_S
        made.append(keeper)
    return made


def _due_work(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """A request whose post was missed (learner on Telegram chat 61) and a posted one left idle
    past the time-out (chat 62); their ids."""
    with sessions.begin() as session:
        for chat in ("61", "62"):
            remember_address(session, f"s-{chat}", "telegram", chat)
        missed = open_handoff(session, get_or_create_learner(session, "s-61", "telegram"), {})
        idle = open_handoff(session, get_or_create_learner(session, "s-62", "telegram"), {})
        idle.posted_at = idle.last_activity_at = utcnow() - timedelta(hours=1)
        return missed.id, idle.id


def test_a_round_run_by_two_gateways_at_once_posts_and_closes_once(
    backend: Backend,
    settings: GatewaySettings,
    sessions: sessionmaker[Session],
    rasa: ScriptedRasa,
) -> None:
    missed, idle = _due_work(sessions)

    async def scenario() -> tuple[list[bool], list[Housekeeping]]:
        keepers = _housekeepers(backend, settings, sessions, rasa)
        ran = await asyncio.gather(*(keeper.round() for keeper in keepers))
        for keeper in keepers:
            await keeper.stop()
        return list(ran), keepers

    ran, keepers = backend.run(scenario)
    posts = [post for keeper in keepers for post in recorded(keeper.gateway).posts]
    sent = [message for keeper in keepers for message in recorded(keeper.gateway).sent]
    assert sorted(text for _, text, _ in posts) == sorted(
        [
            say("navigator_request", number=missed, channel="telegram", topics="—", age_band="—",
                relation="—", neighbourhood="—"),
            say("navigator_closed", number=idle),
        ]
    )  # fmt: skip
    assert {chat for chat, _, _ in posts} == {NAVIGATORS}
    assert sent == [("62", [BotMessage(say("handoff_closed_timeout"))])]
    assert sorted(ran) == [False, True]  # one of them ran it


def test_when_the_holder_dies_another_gateway_takes_over_within_the_lease(
    on_redis: Backend,
    settings: GatewaySettings,
    sessions: sessionmaker[Session],
    rasa: ScriptedRasa,
) -> None:
    async def scenario() -> list[bool]:
        first, second = _housekeepers(on_redis, settings, sessions, rasa)
        found = [await first.round(), await second.round()]  # the first holds it now
        await asyncio.sleep(LEASE_S + 0.2)  # and dies: nobody renews it
        found += [await second.round(), await first.round()]
        await second.stop()  # a clean stop lets go: the other takes over at once
        found.append(await first.round())
        await first.stop()
        return found

    assert on_redis.run(scenario) == [True, False, True, False, True]


def test_the_holder_keeps_the_lease_between_rounds_and_the_loops_hand_over(
    backend: Backend,
    settings: GatewaySettings,
    sessions: sessionmaker[Session],
    rasa: ScriptedRasa,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both gateways' loops run a round every 0.05 s (community jobs included): only the holder's
    rounds do the work; killed, it is replaced within the lease."""
    runs: list[tuple[Gateway, float]] = []

    async def jobs(gateway: Gateway) -> None:
        runs.append((gateway, time.monotonic()))

    monkeypatch.setattr(housekeeping, "HOUSEKEEPING_S", 0.05)
    monkeypatch.setattr(housekeeping, "community_jobs", jobs)
    settings = replace(settings, nudge_interval_s=0)  # the community jobs every round

    async def scenario() -> tuple[set[Gateway], set[Gateway], float]:
        first, second = _housekeepers(backend, settings, sessions, rasa)
        first.start()
        await asyncio.sleep(0.1)
        second.start()
        await asyncio.sleep(3 * LEASE_S)  # three leases: renewed all along
        before = {gateway for gateway, _ in runs}
        runs.clear()
        # The first gateway is killed: it stops renewing and never lets go.
        monkeypatch.setattr(first.holding.lease, "let_go", _never)
        await first.stop()
        killed = time.monotonic()
        await asyncio.sleep(LEASE_S + 0.5)
        await second.stop()
        after = {gateway for gateway, _ in runs}
        waited = min(moment for _, moment in runs) - killed
        return before, after, waited

    before, after, waited = backend.run(scenario)
    assert len(before) == 1 and len(after) == 1 and before != after
    assert waited <= LEASE_S + LEASE_S / 3 + 0.1  # lapsed, then the next renewal or round


async def _never() -> None:
    """A killed gateway's let_go: nothing happens."""


def test_one_gateway_alone_runs_every_round(
    settings: GatewaySettings, sessions: sessionmaker[Session], rasa: ScriptedRasa
) -> None:
    """Memory (no Redis: one gateway per process) holds the lease always, as before."""
    _, idle = _due_work(sessions)

    async def scenario() -> tuple[list[bool], Gateway]:
        gateway = _gateway(settings, sessions, rasa, memory_state())
        keeper = Housekeeping(gateway)
        ran = [await keeper.round() for _ in range(3)]
        await keeper.stop()
        ran.append(await keeper.round())  # stopped and started again: still its own
        return ran, gateway

    ran, gateway = asyncio.run(scenario())
    assert ran == [True] * 4
    assert say("navigator_closed", number=idle) in [text for _, text, _ in recorded(gateway).posts]
