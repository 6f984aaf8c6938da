"""A member's spreadsheet as a Telegram document: checked, all or nothing, own providers only."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.texts import say
from knowledge.models import Opportunity
from knowledge.transfer import export_csv
from knowledge.transfer.csv_format import COLUMNS
from tests.bot.gateway.community.conftest import LIBRARIAN, ORGANISER, VOLUNTEER, Bot, Directory

SHORT = ("title", "provider", "description", "topics", "format", "min_age", "max_age")
HEADER = ",".join(COLUMNS) + "\n"


def row(line: str) -> str:
    """A full spreadsheet row from the few cells these tests set."""
    cells = dict(zip(SHORT, line.split(","), strict=True))
    return ",".join(cells.get(column, "") for column in COLUMNS) + "\n"


def send_csv(
    bot: Bot, chat: int, text: str, name: str = "listings.csv", caption: str | None = None
) -> None:
    document = bot.fake.push_document(
        chat, file_name=name, mime_type="text/csv", data=text.encode(), caption=caption
    )
    bot.feed(document)


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


def organisers_export(sessions: sessionmaker[Session]) -> list[dict[str, str]]:
    """What `wayfinder directory export` gives an organiser, as rows."""
    out = io.StringIO(newline="")
    with sessions() as session:
        export_csv(session, out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def sheet(rows: list[dict[str, str]]) -> str:
    """The rows as a spreadsheet saves them."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def cost(sessions: sessionmaker[Session], listing_id: int) -> Decimal | None:
    with sessions() as session:
        found = session.get(Opportunity, listing_id)
        assert found is not None
        return found.cost_amount


def test_an_old_export_cannot_undo_a_chat_edit_unless_an_organiser_forces_it(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    rows = organisers_export(sessions)  # Eastside Library's Story Time, Robot Club's Robotics
    bot.text(LIBRARIAN, "/mylistings")
    bot.tap(LIBRARIAN, "Story Time")
    bot.tap(LIBRARIAN, say("button_cost"))
    bot.text(LIBRARIAN, "5")
    bot.tap(LIBRARIAN, say("button_confirm"))
    assert cost(sessions, directory.story_time) == Decimal("5.00")  # after the export
    rows[1]["max_age"] = "15"  # the organiser's own change to Robotics, in the old file

    send_csv(bot, ORGANISER, sheet(rows), name="export.csv")
    refused = bot.last(ORGANISER)
    assert refused.startswith("I found 1 problem(s) in export.csv, so nothing was imported")
    assert "row 2, column version: this listing was changed on " in refused
    assert refused.endswith(say("upload_force_hint", caption="force"))
    assert cost(sessions, directory.story_time) == Decimal("5.00")  # the edit stands
    assert max_age(sessions, directory.robots) == 14  # all or nothing

    send_csv(bot, LIBRARIAN, sheet(rows[:1]), caption="force")  # members cannot force
    assert "only an organiser can overwrite" in bot.last(LIBRARIAN)
    assert cost(sessions, directory.story_time) == Decimal("5.00")

    send_csv(bot, ORGANISER, sheet(rows), name="export.csv", caption="Force")
    assert bot.last(ORGANISER) == say(
        "upload_done", name="export.csv", created=0, updated=2, unchanged=0
    )
    assert cost(sessions, directory.story_time) is None  # overwritten, as the organiser chose
    assert max_age(sessions, directory.robots) == 15
