"""The gateway's shared half: messages to the assistant, proactive delivery, the handoff relay."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch
from uuid import uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.api.auth import TokenBuckets
from bot.gateway.core import REQUESTS_POSTED_PER_MINUTE, Gateway
from bot.gateway.messages import BotMessage
from bot.gateway.texts import say
from knowledge.learners import forget_learner, get_or_create_learner, open_handoff
from knowledge.models import ChannelAddress, Handoff, OutboxMessage, utcnow
from tests.bot.gateway.conftest import NAVIGATORS, RecordingOutlet, ScriptedRasa


def outlet(gateway: Gateway) -> RecordingOutlet:
    assert isinstance(gateway.telegram, RecordingOutlet)
    return gateway.telegram


def test_a_message_reaches_the_assistant_under_a_pseudonym_and_the_address_is_kept(
    gateway: Gateway, rasa: ScriptedRasa, sessions: sessionmaker[Session]
) -> None:
    replies = asyncio.run(gateway.converse("telegram", "555123", "robotics"))
    assert [reply.text for reply in replies] == ["you said robotics"]
    sender, text, channel = rasa.calls[0]
    assert (text, channel) == ("robotics", "telegram")
    assert sender.startswith("tg-") and "555123" not in sender
    assert sender == gateway.sender_id("telegram", "555123")  # stable
    assert sender != gateway.sender_id("web", "555123")
    with sessions() as session:
        address = session.get(ChannelAddress, sender)
        assert address is not None and (address.channel, address.address) == ("telegram", "555123")


def test_a_blank_message_is_passed_on_for_the_assistant_to_answer(
    gateway: Gateway, rasa: ScriptedRasa
) -> None:
    replies = asyncio.run(gateway.converse("web", "s" * 20, ""))
    assert rasa.calls[-1][1] == "" and len(replies) == 1  # never dropped in silence


def test_when_rasa_is_down_the_user_gets_an_apology_not_silence(
    gateway: Gateway, rasa: ScriptedRasa
) -> None:
    rasa.down = True
    replies = asyncio.run(gateway.converse("web", "s" * 20, "hello"))
    assert [reply.text for reply in replies] == [say("rasa_unavailable")]


def test_proactive_messages_reach_telegram_or_the_web_outbox(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    asyncio.run(gateway.converse("telegram", "42", "hi"))
    asyncio.run(gateway.converse("web", "w" * 20, "hi"))
    reminder = [BotMessage("Reminder: applications close Friday")]
    assert asyncio.run(gateway.deliver(gateway.sender_id("telegram", "42"), reminder))
    assert outlet(gateway).sent == [("42", reminder)]
    web = gateway.sender_id("web", "w" * 20)
    assert asyncio.run(gateway.deliver(web, reminder))
    found = asyncio.run(gateway.wait_for_outbox(web, 0, timeout_s=0.1))
    assert [item.message["text"] for item in found] == ["Reminder: applications close Friday"]
    assert asyncio.run(gateway.wait_for_outbox(web, found[-1].id, timeout_s=0.1)) == []
    assert not asyncio.run(gateway.deliver("tg-nobody", reminder))  # never wrote to us


def test_a_waiting_long_poll_wakes_when_a_message_is_queued(gateway: Gateway) -> None:
    session_id = "p" * 20
    web = gateway.sender_id("web", session_id)

    async def scenario() -> list[str]:
        await gateway.converse("web", session_id, "hi")
        waiting = asyncio.create_task(gateway.wait_for_outbox(web, 0, timeout_s=10))
        await asyncio.sleep(0.2)
        await gateway.deliver(web, [BotMessage("A navigator replied")])
        found = await asyncio.wait_for(waiting, timeout=3)
        return [item.message["text"] for item in found]

    assert asyncio.run(scenario()) == ["A navigator replied"]


def test_the_handoff_round_trip(
    gateway: Gateway, rasa: ScriptedRasa, sessions: sessionmaker[Session]
) -> None:
    session_id = "h" * 20
    web = gateway.sender_id("web", session_id)
    asyncio.run(gateway.converse("web", session_id, "/talk_to_human"))
    ((chat, summary, request_id),) = outlet(gateway).posts
    assert chat == NAVIGATORS
    assert "robotics" in summary and "10–12" in summary and "Eastside" in summary
    assert session_id not in summary and web not in summary  # nothing identifying

    # While it is open, the learner's messages go to the navigators, not to the assistant.
    replies = asyncio.run(gateway.converse("web", session_id, "is there anything on Sundays?"))
    assert [reply.text for reply in replies] == [say("handoff_relayed")]
    assert [text for _, text, _ in rasa.calls] == ["/talk_to_human"]
    relayed = outlet(gateway).posts[-1]
    assert "is there anything on Sundays?" in relayed[1]

    # A navigator answers by replying to the relayed message (or the request).
    result = asyncio.run(gateway.from_navigator(NAVIGATORS, relayed[2], "Yes: chess at 2pm", False))
    assert result.reply is None
    got = asyncio.run(gateway.wait_for_outbox(web, 0, timeout_s=0.1))
    assert got[-1].message["text"] == say("handoff_navigator_reply", text="Yes: chess at 2pm")

    # Messages elsewhere in the group, or not a reply, are left alone or explained.
    assert asyncio.run(gateway.from_navigator("-999", request_id, "hi", False)).reply is None
    unknown = asyncio.run(gateway.from_navigator(NAVIGATORS, 5, "who?", False))
    assert unknown.reply == say("navigator_unknown")

    # /done closes it and the learner is told; the assistant answers again.
    done = asyncio.run(gateway.from_navigator(NAVIGATORS, request_id, "/done", True))
    assert done.reply == say("navigator_closed", number=1)
    got = asyncio.run(gateway.wait_for_outbox(web, got[-1].id, timeout_s=0.1))
    assert got[-1].message["text"] == say("handoff_closed_by_navigator")
    asyncio.run(gateway.converse("web", session_id, "thanks"))
    assert rasa.calls[-1][1] == "thanks"
    with sessions() as session:
        handoff = session.scalars(select(Handoff)).one()
        assert (handoff.status, handoff.closed_by) == ("closed", "navigator")


def test_an_idle_handoff_times_out_and_the_learner_is_told(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    asyncio.run(gateway.converse("telegram", "77", "/talk_to_human"))
    assert asyncio.run(gateway.expire_handoffs()) == 0  # not idle yet
    with sessions.begin() as session:
        handoff = session.scalars(select(Handoff)).one()
        handoff.last_activity_at = utcnow() - timedelta(minutes=5)
    assert asyncio.run(gateway.expire_handoffs()) == 1
    assert outlet(gateway).sent[-1] == ("77", [BotMessage(say("handoff_closed_timeout"))])
    assert outlet(gateway).posts[-1][1] == say("navigator_closed", number=1)


def test_without_a_navigator_group_nothing_is_posted(gateway: Gateway, rasa: ScriptedRasa) -> None:
    from dataclasses import replace

    gateway.settings = replace(gateway.settings, navigator_chat_id=None)
    asyncio.run(gateway.converse("telegram", "88", "/talk_to_human"))
    assert outlet(gateway).posts == []
    asyncio.run(gateway.converse("telegram", "88", "hello again"))
    assert rasa.calls[-1][1] == "hello again"  # no relay: the assistant keeps answering


def test_forget_me_erases_the_address_and_queued_messages(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    web = gateway.sender_id("web", "f" * 20)
    asyncio.run(gateway.converse("web", "f" * 20, "hi"))
    asyncio.run(gateway.deliver(web, [BotMessage("reminder")]))
    with sessions.begin() as session:
        assert forget_learner(session, web)
    with sessions() as session:
        assert session.get(ChannelAddress, web) is None
        assert session.scalars(select(OutboxMessage)).all() == []
    assert not asyncio.run(gateway.deliver(web, [BotMessage("reminder")]))


def test_the_gateway_times_its_own_share_of_each_message(gateway: Gateway) -> None:
    from bot.gateway.core import BOT_API_SECONDS, RASA_SECONDS

    async def handle() -> None:
        await gateway.converse("telegram", "42", "hello")
        RASA_SECONDS.set(0.050)  # as if Rasa took 50 ms of the 70 ms below
        BOT_API_SECONDS.set(0.012)  # and sending the reply to Telegram 12 ms
        gateway.timings.record("telegram", 0.070)

    asyncio.run(handle())
    summary = gateway.timings.summary()["telegram"]
    assert summary["messages"] == 1
    assert 7.9 <= summary["overhead_p95_ms"] <= 8.1
    assert 11.9 <= summary["bot_api_p95_ms"] <= 12.1


def test_only_a_reply_that_opens_a_handoff_looks_for_one_and_missed_posts_follow(
    gateway: Gateway, rasa: ScriptedRasa, sessions: sessionmaker[Session]
) -> None:
    outlet = gateway.telegram
    assert isinstance(outlet, RecordingOutlet)
    asyncio.run(gateway.converse("web", "w" * 20, "hello"))
    sender = gateway.sender_id("web", "w" * 20)
    with sessions.begin() as session:  # opened without the reply saying so (e.g. a crash)
        open_handoff(session, get_or_create_learner(session, sender, "web"), {"topics": []})
    asyncio.run(gateway.converse("web", "w" * 20, "still there?"))
    assert outlet.posts == []  # an ordinary reply does not look for new requests
    assert asyncio.run(gateway.post_missed_handoffs()) == 1  # housekeeping, each minute
    assert len(outlet.posts) == 1 and outlet.posts[0][0] == NAVIGATORS
    assert asyncio.run(gateway.post_missed_handoffs()) == 0


def test_the_address_is_written_when_new_or_moved_and_last_seen_hourly(
    sessions: sessionmaker[Session],
) -> None:
    from bot.gateway.store import remember_address

    start = datetime(2026, 12, 1, 9, 0)
    with sessions.begin() as session:
        remember_address(session, "web-a", "web", "s1", now=start)
    with sessions.begin() as session:
        remember_address(session, "web-a", "web", "s1", now=start + timedelta(minutes=30))
        assert not session.dirty  # nothing to write
    with sessions.begin() as session:
        remember_address(session, "web-a", "web", "s2", now=start + timedelta(minutes=31))
    with sessions.begin() as session:
        remember_address(session, "web-a", "web", "s2", now=start + timedelta(hours=2))
    with sessions() as session:
        found = session.get(ChannelAddress, "web-a")
        assert found is not None and found.address == "s2"
        assert found.last_seen_at == start + timedelta(hours=2)


def test_a_new_address_is_written_while_rasa_thinks_not_before(
    gateway: Gateway, rasa: ScriptedRasa, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A writer holding the database (the action server, say) does not hold up the message."""
    writer = sqlite3.connect(tmp_path / "gateway.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the write lock, as a long write would hold it
    seen_while_locked: list[str] = []
    reply = rasa.send

    async def send_then_release(*args: Any, **kwargs: Any) -> list[BotMessage]:
        seen_while_locked.append(args[1])  # reached before the lock is released
        writer.execute("ROLLBACK")
        return await reply(*args, **kwargs)

    rasa.send = send_then_release  # type: ignore[method-assign]
    replies = asyncio.run(gateway.converse("web", "n" * 20, "hello"))
    writer.close()
    assert seen_while_locked == ["hello"]
    assert [r.text for r in replies] == ["you said hello"]
    with sessions() as session:  # written before the reply was returned
        assert session.get(ChannelAddress, gateway.sender_id("web", "n" * 20)) is not None


def test_a_failed_address_write_is_logged_and_the_reply_still_comes(
    gateway: Gateway, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: Any) -> None:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    with patch("bot.gateway.core.store.remember_address", broken):
        replies = asyncio.run(gateway.converse("web", "f" * 20, "hello"))
    assert [r.text for r in replies] == ["you said hello"]
    assert "could not record the address" in caplog.text
    with sessions() as session:
        assert session.get(ChannelAddress, gateway.sender_id("web", "f" * 20)) is None


def test_long_polls_dropped_early_leave_no_waiters_behind(gateway: Gateway) -> None:
    async def empty_outbox(_work: Any) -> list[Any]:  # nothing queued, and no thread per read
        return []

    gateway.db = empty_outbox  # type: ignore[method-assign, assignment]

    async def scenario() -> list[int]:
        sizes = []
        for _ in range(20):  # 20,000 polls of random sessions, 1,000 open at a time
            polls = [
                asyncio.create_task(gateway.wait_for_outbox(f"web-{uuid4().hex}", 0, 25.0))
                for _ in range(1000)
            ]
            await asyncio.sleep(0)  # each reads the (empty) outbox and starts waiting
            sizes.append(len(gateway._waiters))
            for poll in polls:  # the widget closed, the tab navigated away, the attacker moved on
                poll.cancel()
            await asyncio.gather(*polls, return_exceptions=True)
        return sizes

    assert asyncio.run(scenario()) == [1000] * 20  # only the polls open at the time are held
    assert gateway._waiters == {}


def test_a_session_polled_twice_is_woken_after_one_of_its_polls_is_dropped(
    gateway: Gateway,
) -> None:
    asyncio.run(gateway.converse("web", "t" * 20, "hi"))
    web = gateway.sender_id("web", "t" * 20)

    async def scenario() -> list[str]:
        first = asyncio.create_task(gateway.wait_for_outbox(web, 0, timeout_s=25))
        second = asyncio.create_task(gateway.wait_for_outbox(web, 0, timeout_s=25))
        await asyncio.sleep(0.2)
        first.cancel()  # the widget in one tab closed
        await asyncio.gather(first, return_exceptions=True)
        assert list(gateway._waiters) == [web]  # the other tab still waits on it
        await gateway.deliver(web, [BotMessage("A navigator replied")])
        assert gateway._waiters[web].event.is_set()
        found = await asyncio.wait_for(second, timeout=10)
        return [item.message["text"] for item in found]

    assert asyncio.run(scenario()) == ["A navigator replied"]
    assert gateway._waiters == {}


def test_a_navigators_reply_after_the_time_out_still_reaches_the_learner(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    """The learner was told "usually within one working day": the time-out ends only the relay."""
    asyncio.run(gateway.converse("telegram", "78", "/talk_to_human"))
    request_id = outlet(gateway).posts[-1][2]
    with sessions.begin() as session:
        session.scalars(select(Handoff)).one().last_activity_at = utcnow() - timedelta(hours=5)
    assert asyncio.run(gateway.expire_handoffs()) == 1
    result = asyncio.run(gateway.from_navigator(NAVIGATORS, request_id, "Try the library!", False))
    assert result.reply is None
    reply = BotMessage(say("handoff_navigator_reply", text="Try the library!"))
    assert outlet(gateway).sent[-1] == ("78", [reply])
    with sessions() as session:  # and it stays closed: the learner's messages go to the bot
        assert session.scalars(select(Handoff)).one().status == "closed"


def test_forget_during_a_handoff_runs_the_forget_flow_instead_of_reaching_navigators(
    gateway: Gateway, rasa: ScriptedRasa, sessions: sessionmaker[Session]
) -> None:
    """Erasing is the assistant's to do: "/forget" is never posted to the navigators' group."""
    asyncio.run(gateway.converse("telegram", "79", "/talk_to_human"))
    posts = len(outlet(gateway).posts)
    asyncio.run(gateway.converse("telegram", "79", "/forget_me"))
    assert rasa.calls[-1][1] == "/forget_me"
    new_posts = [text for _, text, _ in outlet(gateway).posts[posts:]]
    assert new_posts == [say("navigator_closed", number=1)]  # told it closed, not what was said
    with sessions() as session:
        handoff = session.scalars(select(Handoff)).one()
        assert (handoff.status, handoff.closed_by) == ("closed", "learner")


def test_a_hundred_requests_for_a_person_are_posted_at_the_groups_pace_oldest_first(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    """Telegram allows ~20 messages a minute in a group: the rest queue and follow (issue #13)."""
    now = [0.0]
    gateway._navigator_posts = TokenBuckets(REQUESTS_POSTED_PER_MINUTE, clock=lambda: now[0])
    for number in range(100):
        asyncio.run(gateway.converse("web", f"session-{number:04d}-{'x' * 8}", "/talk_to_human"))
    requests = [text for _, text, _ in outlet(gateway).posts]
    assert len(requests) == REQUESTS_POSTED_PER_MINUTE
    assert asyncio.run(gateway.post_missed_handoffs()) == 0  # still no room this minute
    now[0] += 60.0
    assert asyncio.run(gateway.post_missed_handoffs()) == REQUESTS_POSTED_PER_MINUTE
    with sessions() as session:
        posted = session.scalars(select(Handoff.id).where(Handoff.posted_at.is_not(None))).all()
    assert sorted(posted) == list(range(1, 2 * REQUESTS_POSTED_PER_MINUTE + 1))  # oldest first
