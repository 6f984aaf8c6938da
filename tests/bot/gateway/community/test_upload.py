"""A member's spreadsheet as a Telegram document: checked, all or nothing, own providers only."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.texts import say
from knowledge.models import Opportunity
from knowledge.transfer.csv_format import COLUMNS
from tests.bot.gateway.community.conftest import LIBRARIAN, VOLUNTEER, Bot, Directory

SHORT = ("title", "provider", "description", "topics", "format", "min_age", "max_age")
HEADER = ",".join(COLUMNS) + "\n"


def row(line: str) -> str:
    """A full spreadsheet row from the few cells these tests set."""
    cells = dict(zip(SHORT, line.split(","), strict=True))
    return ",".join(cells.get(column, "") for column in COLUMNS) + "\n"


def send_csv(bot: Bot, chat: int, text: str, name: str = "listings.csv") -> None:
    bot.feed(bot.fake.push_document(chat, file_name=name, mime_type="text/csv", data=text.encode()))


def max_age(sessions: sessionmaker[Session], listing_id: int) -> int | None:
    with sessions() as session:
        found = session.get(Opportunity, listing_id)
        assert found is not None
        return found.max_age


def test_a_bad_row_refuses_the_file_then_a_good_file_is_written(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    send_csv(
        bot,
        LIBRARIAN,
        HEADER
        + row("Story Time,Eastside Library,Stories.,reading,in_person,3,7")
        + row("Hijack,Robot Club,Mine.,robotics,online,9,14")
        + row("Tiny,Eastside Library,Small.,reading,online,5,many"),
    )
    report = bot.last(LIBRARIAN)
    assert report.startswith("I found 2 problem(s) in listings.csv, so nothing was imported")
    assert "row 3, column provider: 'Robot Club' is not one of your providers" in report
    assert "row 4, column max_age" in report
    assert max_age(sessions, directory.story_time) == 6  # the good row was not written either

    send_csv(
        bot, LIBRARIAN, HEADER + row("Story Time,Eastside Library,Stories.,reading,in_person,3,7")
    )
    assert bot.last(LIBRARIAN) == say(
        "upload_done", name="listings.csv", created=0, updated=1, unchanged=0
    )
    assert max_age(sessions, directory.story_time) == 7


def test_an_unverified_members_file_waits_for_review(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    send_csv(
        bot,
        VOLUNTEER,
        HEADER + row("Saturday Robotics,Robot Club,Build robots.,robotics,in_person,9,15"),
    )
    assert bot.last(VOLUNTEER) == say(
        "upload_pending", name="listings.csv", created=0, updated=1, unchanged=0
    )
    assert max_age(sessions, directory.robots) == 14


def test_many_problems_are_capped_and_other_files_explained(bot: Bot, directory: Directory) -> None:
    rows = "".join(row(f"Bad {n},Eastside Library,x,reading,by_pigeon,1,2") for n in range(15))
    send_csv(bot, LIBRARIAN, HEADER + rows)
    assert "…and 5 more." in bot.last(LIBRARIAN)
    bot.feed(bot.fake.push_document(LIBRARIAN))  # notes.pdf
    assert bot.last(LIBRARIAN) == say("upload_not_csv", name="notes.pdf")
    send_csv(bot, LIBRARIAN, "")
    assert "is empty" in bot.last(LIBRARIAN)
