"""The gateway's shared half: a message goes to the assistant under a pseudonym, and where the
sender talks is kept without holding up the reply."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.core import Gateway
from bot.gateway.messages import BotMessage
from bot.gateway.texts import say
from knowledge.learners import get_or_create_learner
from knowledge.models import ChannelAddress
from tests.bot.gateway.conftest import ScriptedRasa, speaks


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


def test_the_address_is_written_when_new_or_moved_and_last_seen_hourly(
    sessions: sessionmaker[Session],
) -> None:
    from bot.gateway.records import remember_address

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

    with patch("bot.gateway.core.records.remember_address", broken):
        replies = asyncio.run(gateway.converse("web", "f" * 20, "hello"))
    assert [r.text for r in replies] == ["you said hello"]
    assert "could not record the address" in caplog.text
    with sessions() as session:
        assert session.get(ChannelAddress, gateway.sender_id("web", "f" * 20)) is None


def test_the_channels_language_goes_to_the_assistant_beside_what_else_it_sent(
    gateway: Gateway, rasa: ScriptedRasa
) -> None:
    asyncio.run(gateway.converse("web", "m" * 20, "hola", {"source": "poster"}, hint="es-MX"))
    said = {"source": "poster", "language_read": None}  # one word: too short to read
    assert rasa.metadata[-1] == {**said, "language_hint": "es-MX"}
    asyncio.run(gateway.converse("web", "m" * 20, "hola", {"source": "poster"}))
    assert rasa.metadata[-1] == said  # unchanged without a hint


@pytest.mark.parametrize(
    "hint", ["", "e", "es MX", "es_MX<script>", "x" * 36, "español", 7, ["es"]]
)
def test_a_language_hint_that_is_not_a_short_tag_is_dropped(
    gateway: Gateway, rasa: ScriptedRasa, hint: Any
) -> None:
    asyncio.run(gateway.converse("web", "m" * 20, "hola", hint=hint))
    assert rasa.metadata[-1] == {"language_read": None}


def test_the_gateways_own_words_follow_the_profile_then_the_channels_language(
    gateway: Gateway, rasa: ScriptedRasa, sessions: sessionmaker[Session]
) -> None:
    rasa.down = True
    english, spanish = say("rasa_unavailable"), say("rasa_unavailable", "es")
    assert english != spanish

    def apology(hint: str | None) -> str:
        (reply,) = asyncio.run(gateway.converse("web", "l" * 20, "hola", hint=hint))
        return reply.text

    assert apology(None) == english
    assert apology("es-MX") == spanish  # nothing kept yet: the browser's language
    assert apology("fr-CA") == english  # not a language we speak
    speaks(sessions, gateway.sender_id("web", "l" * 20), "en")
    assert apology("es-MX") == english  # the learner's choice beats the browser's
    speaks(sessions, gateway.sender_id("web", "l" * 20), "es")
    assert apology(None) == spanish
    assert asyncio.run(gateway.chat_language("web", "l" * 20)) == "es"
    assert asyncio.run(gateway.chat_language("web", "n" * 20, "es-419")) == "es"
    assert asyncio.run(gateway.chat_language("web", "n" * 20, "de")) is None


def test_privacy_is_answered_in_the_learners_language_and_links_the_page_in_it(
    gateway: Gateway, rasa: ScriptedRasa, sessions: sessionmaker[Session]
) -> None:
    speaks(sessions, gateway.sender_id("telegram", "321"), "es")
    (notice,) = asyncio.run(gateway.converse("telegram", "321", "/privacy"))
    assert notice.text.startswith(say("privacy_title", "es"))
    gateway.settings = replace(gateway.settings, public_url="https://chat.example.org")
    (link,) = asyncio.run(gateway.converse("telegram", "321", "/privacy"))
    page = "https://chat.example.org/privacy?lang=es"
    assert link.text == say("privacy_link", "es", url=page)
    (english,) = asyncio.run(gateway.converse("telegram", "322", "/privacy"))
    assert english.text == say("privacy_link", url="https://chat.example.org/privacy")
    assert rasa.calls == []  # the gateway's to answer


@pytest.mark.parametrize(
    ("kept", "chosen", "text", "settles"),
    [
        (None, False, "I am looking for chess classes", "en"),  # nothing kept: decide
        ("en", False, "I am looking for chess classes", True),
        ("en", False, "ok", True),  # too short to switch
        ("en", False, "busco clases de ajedrez para mi hija", "es"),  # reads as Spanish
        ("en", False, "español", None),  # names a language
        ("en", False, "english please", None),
        ("es", True, "I am looking for chess classes", True),  # a choice sticks
        ("es", True, "english please", None),  # unless they choose again
    ],
)
def test_the_assistant_is_told_when_a_message_cannot_change_the_chats_language(
    gateway: Gateway,
    rasa: ScriptedRasa,
    sessions: sessionmaker[Session],
    kept: str | None,
    chosen: bool,
    text: str,
    settles: bool | str | None,
) -> None:
    """Else what the message reads as (None: too short or unsure), for a new session's start."""
    sender = gateway.sender_id("web", "s" * 20)
    speaks(sessions, sender, kept)
    with sessions.begin() as session:
        get_or_create_learner(session, sender).chat_language_chosen = chosen
    asyncio.run(gateway.converse("web", "s" * 20, text, {"source": "poster"}))
    expected: dict[str, Any] = {"source": "poster"}
    if settles is True:
        expected["settled_slots"] = ["chat_language"]
    else:
        expected["language_read"] = settles
    assert rasa.metadata[-1] == expected
