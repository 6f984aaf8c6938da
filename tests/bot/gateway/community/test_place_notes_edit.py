"""A provider edits how to get to their place in the guided edit: "Transport note" among the
other fields, a preview, confirm; the place changes (so every listing there shows it) and a
listing with no place is told why not."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.texts import say
from knowledge.models import Opportunity
from tests.bot.gateway.community.conftest import LIBRARIAN, Bot, Directory
from tests.bot.gateway.conftest import ScriptedRasa

BUS = "Bus 14 stops outside; bike racks"


def test_a_transport_note_is_previewed_then_saved_to_the_place(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory, rasa: ScriptedRasa
) -> None:
    bot.text(LIBRARIAN, "/mylistings")
    bot.tap(LIBRARIAN, "Story Time")
    bot.tap(LIBRARIAN, say("button_other"))
    bot.tap(LIBRARIAN, "Transport note")
    assert "For example: Bus 14 stops outside" in bot.last(LIBRARIAN)
    bot.text(LIBRARIAN, BUS)
    assert f"• transport note: — → {BUS}" in bot.last(LIBRARIAN)
    bot.tap(LIBRARIAN, say("button_confirm"))
    assert bot.last(LIBRARIAN) == say("edit_published", title="Story Time")
    with sessions() as session:
        saved = session.get(Opportunity, directory.story_time)
        assert saved is not None
        (place,) = saved.locations
        assert place.transport == BUS
    assert rasa.calls == []


def test_the_access_note_is_offered_too(bot: Bot, directory: Directory) -> None:
    bot.text(LIBRARIAN, "/mylistings")
    bot.tap(LIBRARIAN, "Story Time")
    bot.tap(LIBRARIAN, say("button_other"))
    bot.tap(LIBRARIAN, "Access note")
    assert "Step-free entrance" in bot.last(LIBRARIAN)
    bot.text(LIBRARIAN, "/cancel")
    assert bot.last(LIBRARIAN) == say("cancelled")
