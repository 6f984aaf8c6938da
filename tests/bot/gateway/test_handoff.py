"""The handoff relay: requests posted to the navigators' group at its pace, the learner's messages
relayed, navigators' replies delivered, /done and the time-out closing it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.api.auth import TokenBuckets
from bot.gateway.core import Gateway
from bot.gateway.handoff import REQUESTS_POSTED_PER_MINUTE
from bot.gateway.messages import BotMessage
from bot.gateway.settings import GatewaySettings
from bot.gateway.texts import say
from knowledge.handoffs import open_handoff
from knowledge.learners import get_or_create_learner
from knowledge.models import Handoff, utcnow
from tests.bot.gateway.conftest import (
    NAVIGATORS,
    RecordingOutlet,
    ScriptedRasa,
    recorded,
    speaks,
)


def test_the_handoff_round_trip(
    gateway: Gateway, rasa: ScriptedRasa, sessions: sessionmaker[Session]
) -> None:
    session_id = "h" * 20
    web = gateway.sender_id("web", session_id)
    asyncio.run(gateway.converse("web", session_id, "/talk_to_human"))
    ((chat, summary, request_id),) = recorded(gateway).posts
    assert chat == NAVIGATORS
    assert "robotics" in summary and "10–12" in summary and "Eastside" in summary
    assert session_id not in summary and web not in summary  # nothing identifying

    # While it is open, the learner's messages go to the navigators, not to the assistant.
    replies = asyncio.run(gateway.converse("web", session_id, "is there anything on Sundays?"))
    assert [reply.text for reply in replies] == [say("handoff_relayed")]
    assert [text for _, text, _ in rasa.calls] == ["/talk_to_human"]
    relayed = recorded(gateway).posts[-1]
    assert "is there anything on Sundays?" in relayed[1]

    # A navigator answers by replying to the relayed message (or the request).
    result = asyncio.run(
        gateway.handoffs.from_navigator(NAVIGATORS, relayed[2], "Yes: chess at 2pm", False)
    )
    assert result.reply is None
    got = asyncio.run(gateway.outbox.wait(web, 0, timeout_s=0.1))
    assert got[-1].message["text"] == say("handoff_navigator_reply", text="Yes: chess at 2pm")

    # Messages elsewhere in the group, or not a reply, are left alone or explained.
    assert (
        asyncio.run(gateway.handoffs.from_navigator("-999", request_id, "hi", False)).reply is None
    )
    unknown = asyncio.run(gateway.handoffs.from_navigator(NAVIGATORS, 5, "who?", False))
    assert unknown.reply == say("navigator_unknown")

    # /done closes it and the learner is told; the assistant answers again.
    done = asyncio.run(gateway.handoffs.from_navigator(NAVIGATORS, request_id, "/done", True))
    assert done.reply == say("navigator_closed", number=1)
    got = asyncio.run(gateway.outbox.wait(web, got[-1].id, timeout_s=0.1))
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
    assert asyncio.run(gateway.handoffs.expire()) == 0  # not idle yet
    with sessions.begin() as session:
        handoff = session.scalars(select(Handoff)).one()
        handoff.last_activity_at = utcnow() - timedelta(minutes=5)
    assert asyncio.run(gateway.handoffs.expire()) == 1
    assert recorded(gateway).sent[-1] == ("77", [BotMessage(say("handoff_closed_timeout"))])
    assert recorded(gateway).posts[-1][1] == say("navigator_closed", number=1)


def test_without_a_navigator_group_nothing_is_posted(
    settings: GatewaySettings, sessions: sessionmaker[Session], rasa: ScriptedRasa
) -> None:
    gateway = Gateway(replace(settings, navigator_chat_id=None), sessions, rasa)  # type: ignore[arg-type]
    gateway.telegram = RecordingOutlet()
    asyncio.run(gateway.converse("telegram", "88", "/talk_to_human"))
    assert recorded(gateway).posts == []
    asyncio.run(gateway.converse("telegram", "88", "hello again"))
    assert rasa.calls[-1][1] == "hello again"  # no relay: the assistant keeps answering


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
    assert asyncio.run(gateway.handoffs.post_missed()) == 1  # housekeeping, each minute
    assert len(outlet.posts) == 1 and outlet.posts[0][0] == NAVIGATORS
    assert asyncio.run(gateway.handoffs.post_missed()) == 0


def test_a_navigators_reply_after_the_time_out_still_reaches_the_learner(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    """The learner was told "usually within one working day": the time-out ends only the relay."""
    asyncio.run(gateway.converse("telegram", "78", "/talk_to_human"))
    request_id = recorded(gateway).posts[-1][2]
    with sessions.begin() as session:
        session.scalars(select(Handoff)).one().last_activity_at = utcnow() - timedelta(hours=5)
    assert asyncio.run(gateway.handoffs.expire()) == 1
    result = asyncio.run(
        gateway.handoffs.from_navigator(NAVIGATORS, request_id, "Try the library!", False)
    )
    assert result.reply is None
    reply = BotMessage(say("handoff_navigator_reply", text="Try the library!"))
    assert recorded(gateway).sent[-1] == ("78", [reply])
    with sessions() as session:  # and it stays closed: the learner's messages go to the bot
        assert session.scalars(select(Handoff)).one().status == "closed"


def test_forget_during_a_handoff_runs_the_forget_flow_instead_of_reaching_navigators(
    gateway: Gateway, rasa: ScriptedRasa, sessions: sessionmaker[Session]
) -> None:
    """Erasing is the assistant's to do: "/forget" is never posted to the navigators' group."""
    asyncio.run(gateway.converse("telegram", "79", "/talk_to_human"))
    posts = len(recorded(gateway).posts)
    asyncio.run(gateway.converse("telegram", "79", "/forget_me"))
    assert rasa.calls[-1][1] == "/forget_me"
    new_posts = [text for _, text, _ in recorded(gateway).posts[posts:]]
    assert new_posts == [say("navigator_closed", number=1)]  # told it closed, not what was said
    with sessions() as session:
        handoff = session.scalars(select(Handoff)).one()
        assert (handoff.status, handoff.closed_by) == ("closed", "learner")


def test_a_hundred_requests_for_a_person_are_posted_at_the_groups_pace_oldest_first(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    """Telegram allows ~20 messages a minute in a group: the rest queue and follow (issue #13)."""
    now = [0.0]
    gateway.handoffs._navigator_posts = TokenBuckets(
        REQUESTS_POSTED_PER_MINUTE, clock=lambda: now[0]
    )
    for number in range(100):
        asyncio.run(gateway.converse("web", f"session-{number:04d}-{'x' * 8}", "/talk_to_human"))
    requests = [text for _, text, _ in recorded(gateway).posts]
    assert len(requests) == REQUESTS_POSTED_PER_MINUTE
    assert asyncio.run(gateway.handoffs.post_missed()) == 0  # still no room this minute
    now[0] += 60.0
    assert asyncio.run(gateway.handoffs.post_missed()) == REQUESTS_POSTED_PER_MINUTE
    with sessions() as session:
        posted = session.scalars(select(Handoff.id).where(Handoff.posted_at.is_not(None))).all()
    assert sorted(posted) == list(range(1, 2 * REQUESTS_POSTED_PER_MINUTE + 1))  # oldest first


def test_the_relays_words_to_the_learner_are_in_their_language(
    gateway: Gateway, sessions: sessionmaker[Session]
) -> None:
    speaks(sessions, gateway.sender_id("telegram", "79"), "es")
    asyncio.run(gateway.converse("telegram", "79", "/talk_to_human"))
    request_id = recorded(gateway).posts[-1][2]
    relayed = asyncio.run(gateway.converse("telegram", "79", "¿hay algo los domingos?"))
    assert [reply.text for reply in relayed] == [say("handoff_relayed", "es")]
    asyncio.run(gateway.handoffs.from_navigator(NAVIGATORS, request_id, "Sí: ajedrez", False))
    reply = say("handoff_navigator_reply", "es", text="Sí: ajedrez")
    assert reply != say("handoff_navigator_reply", text="Sí: ajedrez")
    assert recorded(gateway).sent[-1] == ("79", [BotMessage(reply)])
    asyncio.run(gateway.handoffs.from_navigator(NAVIGATORS, request_id, "/done", True))
    closed = BotMessage(say("handoff_closed_by_navigator", "es"))
    assert recorded(gateway).sent[-1] == ("79", [closed])
