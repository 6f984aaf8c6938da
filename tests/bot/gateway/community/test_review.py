"""An unverified provider's change waits; an organiser's /review approves or rejects it (with a
reason) and the member is told, also when the decision was made elsewhere (CLI, API)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.community import tell_decisions
from bot.gateway.texts import say
from knowledge.editing.member_edits import edit_listing
from knowledge.editing.review import reject_request
from knowledge.history import Actor
from knowledge.models import ChangeRequest, Member, Opportunity
from knowledge.transfer.csv_format import COLUMNS
from tests.bot.gateway.community.conftest import (
    LEARNER,
    LIBRARIAN,
    ORGANISER,
    VOLUNTEER,
    Bot,
    Directory,
)


def change_seats(bot: Bot, seats: str) -> None:
    """The volunteer sets Saturday Robotics' seats left through the guided edit."""
    bot.text(VOLUNTEER, "/mylistings")
    bot.tap(VOLUNTEER, "Saturday Robotics")
    assert say("listing_reviewed_note", provider="Robot Club") in bot.last(VOLUNTEER)
    bot.tap(VOLUNTEER, say("button_seats"))
    bot.text(VOLUNTEER, seats)
    bot.tap(VOLUNTEER, say("button_confirm"))


def seats(sessions: sessionmaker[Session], listing_id: int) -> int | None:
    with sessions() as session:
        found = session.get(Opportunity, listing_id)
        assert found is not None
        return found.seats_available


def test_a_pending_change_is_approved_in_review_and_the_member_is_told(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    change_seats(bot, "5")
    assert bot.last(VOLUNTEER) == say("edit_pending", title="Saturday Robotics")
    assert seats(sessions, directory.robots) is None

    bot.text(ORGANISER, "/review")
    shown = bot.last(ORGANISER)
    assert "change to 'Saturday Robotics' from Val of Robot Club" in shown
    assert "• seats left: — → 5" in shown
    bot.tap(ORGANISER, say("button_approve"))
    assert say("review_approved", number=1) in bot.said(ORGANISER)
    assert bot.last(ORGANISER) == say("review_empty")
    assert seats(sessions, directory.robots) == 5
    told = say(
        "decision_approved", what=say("what_update", title="Saturday Robotics", fields="seats left")
    )
    assert bot.last(VOLUNTEER) == told
    assert bot.run(tell_decisions(bot.gateway)) == 0  # told once


def test_a_rejection_asks_for_the_reason_and_sends_it_to_the_member(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    change_seats(bot, "500")
    bot.text(ORGANISER, "/review")
    bot.tap(ORGANISER, say("button_reject"))
    assert bot.last(ORGANISER) == say("review_ask_reason", number=1)
    bot.text(ORGANISER, "   ")
    assert bot.last(ORGANISER).startswith("Please send the reason")
    bot.text(ORGANISER, "The hall only has 40 seats.")
    assert say("review_rejected", number=1) in bot.said(ORGANISER)
    last = bot.last(VOLUNTEER)
    assert "did not approve your change to “Saturday Robotics”" in last
    assert "Their reason: The hall only has 40 seats." in last
    assert seats(sessions, directory.robots) is None
    with sessions() as session:
        request = session.get(ChangeRequest, 1)
        assert request is not None and request.state == "rejected" and request.told_at


def test_next_skips_to_the_following_request(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    change_seats(bot, "5")
    change_seats(bot, "6")
    bot.text(ORGANISER, "/review")
    assert "(2 waiting)" in bot.last(ORGANISER) and "#1 change" in bot.last(ORGANISER)
    bot.tap(ORGANISER, say("button_next"))
    assert "#2 change" in bot.last(ORGANISER) and "— → 6" in bot.last(ORGANISER)
    bot.tap(ORGANISER, say("button_next"))
    assert bot.last(ORGANISER) == say("review_empty")


def test_only_organisers_review(bot: Bot, directory: Directory) -> None:
    for chat in (LIBRARIAN, LEARNER):
        bot.text(chat, "/review")
        assert bot.last(chat) == say("review_organisers_only")
    bot.feed(bot.fake.push_callback(LIBRARIAN, "pv:ra:1", message_id=1))
    assert "only organisers review changes" in bot.last(LIBRARIAN)


def test_a_decision_made_elsewhere_is_told_by_the_housekeeping_job(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    with sessions.begin() as session:
        val = session.scalar(select(Member).where(Member.name == "Val"))
        robots = session.get(Opportunity, directory.robots)
        assert val is not None and robots is not None
        outcome = edit_listing(
            session, val, robots, {"cost": "5"}, source="api", today=date.today()
        )
        assert outcome.request is not None
        reject_request(session, outcome.request.id, Actor("cli", "cli"), "Cost must include tax")
    assert bot.run(tell_decisions(bot.gateway)) == 1
    assert "Their reason: Cost must include tax" in bot.last(VOLUNTEER)
    assert bot.run(tell_decisions(bot.gateway)) == 0


def upload(bot: Bot, chat: int, provider: str, external_id: str) -> None:
    """A member sends a one-row spreadsheet: a new listing of `provider` with this external id."""
    cells = {
        "external_id": external_id,
        "title": f"{provider} Open Day",
        "provider": provider,
        "description": "Come and see.",
        "topics": "reading",
        "format": "in_person",
    }
    text = ",".join(COLUMNS) + "\n" + ",".join(cells.get(c, "") for c in COLUMNS) + "\n"
    bot.feed(bot.fake.push_document(chat, file_name="open-day.csv", mime_type="text/csv",
                                    data=text.encode()))  # fmt: skip


def test_a_queued_upload_cannot_take_over_a_listing_another_provider_made_meanwhile(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    upload(bot, VOLUNTEER, "Robot Club", "open-day")  # unverified: waits for review
    assert bot.last(VOLUNTEER).startswith("open-day.csv is checked")
    upload(bot, LIBRARIAN, "Eastside Library", "open-day")  # verified: published at once
    assert bot.last(LIBRARIAN).startswith("Imported open-day.csv: 1 created")

    bot.text(ORGANISER, "/review")
    assert "spreadsheet 'open-day.csv' (1 rows) from Val of Robot Club" in bot.last(ORGANISER)
    bot.tap(ORGANISER, say("button_approve"))
    assert say("review_approved", number=1) not in bot.said(ORGANISER)
    refused = next(text for text in bot.said(ORGANISER) if text.startswith("#1 can't"))
    assert "row 2, column external_id: 'open-day' is another provider's listing" in refused
    with sessions() as session:
        listing = session.scalars(
            select(Opportunity).where(Opportunity.external_id == "open-day")
        ).one()
        assert (listing.provider_id, listing.title) == (
            directory.library,
            "Eastside Library Open Day",
        )
        request = session.get(ChangeRequest, 1)
        assert request is not None and request.state == "pending"
