"""A member who edits a message they sent (a value typed in a step, a file's caption, /join)
is not answered again: the edit reaches the bot as an edited_message, never as a new one."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.texts import say
from knowledge.models import Opportunity
from knowledge.transfer.csv_format import COLUMNS
from tests.bot.gateway.community.conftest import LIBRARIAN, Bot, Directory, invite_code

NEWCOMER = 5151


def seats(sessions: sessionmaker[Session], listing_id: int) -> int | None:
    with sessions() as session:
        found = session.get(Opportunity, listing_id)
        assert found is not None
        return found.seats_available


def test_an_edited_value_does_not_answer_the_step_again(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    bot.text(LIBRARIAN, "/mylistings")
    bot.tap(LIBRARIAN, "Story Time")
    bot.tap(LIBRARIAN, say("button_seats"))
    typed = bot.fake.push_text(LIBRARIAN, "12")
    bot.feed(typed)
    assert "• seats left: — → 12" in bot.last(LIBRARIAN)
    shown = bot.said(LIBRARIAN)

    bot.feed(bot.fake.push_edit(typed, text="15"))
    assert bot.said(LIBRARIAN) == shown  # the preview stands, unanswered

    bot.tap(LIBRARIAN, say("button_confirm"))
    assert seats(sessions, directory.story_time) == 12


def test_an_edited_caption_does_not_import_the_file_again(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    cells = {
        "title": "Story Time",
        "provider": "Eastside Library",
        "description": "Stories.",
        "topics": "reading",
        "format": "in_person",
        "min_age": "3",
        "max_age": "7",
    }
    sheet = ",".join(COLUMNS) + "\n" + ",".join(cells.get(c, "") for c in COLUMNS) + "\n"
    upload = bot.fake.push_document(
        LIBRARIAN, file_name="listings.csv", mime_type="text/csv", data=sheet.encode()
    )
    bot.feed(upload)
    assert bot.last(LIBRARIAN) == say(
        "upload_done", name="listings.csv", created=0, updated=1, unchanged=0
    )
    shown = bot.said(LIBRARIAN)

    bot.feed(bot.fake.push_edit(upload, caption="our spring listings"))
    assert bot.said(LIBRARIAN) == shown


def test_an_edited_join_command_is_not_redeemed_again(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    code = invite_code(sessions, directory.library)
    join = bot.fake.push_text(NEWCOMER, f"/join {code}")
    bot.feed(join)
    assert bot.last(NEWCOMER) == say("join_provider", providers="Eastside Library")
    shown = bot.said(NEWCOMER)

    bot.feed(bot.fake.push_edit(join, text=f"/join  {code}"))
    assert bot.said(NEWCOMER) == shown
