"""/newlisting: the required fields, the optional ones (skippable), a bad value asked again, a
preview and the confirmation; members of several providers say which first."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.texts import say
from knowledge.models import ChangeRequest, Member, Opportunity, Provider
from tests.bot.gateway.community.conftest import LIBRARIAN, VOLUNTEER, Bot, Directory


def test_a_new_listing_end_to_end(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    bot.text(LIBRARIAN, "/newlisting")
    assert bot.last(LIBRARIAN).startswith(
        "New listing for Eastside Library (1/9): what is its title"
    )
    bot.text(LIBRARIAN, "Chess Club")
    bot.text(LIBRARIAN, "Learn chess & play friendly games.")
    bot.text(LIBRARIAN, "chess; strategy")
    bot.tap(LIBRARIAN, "online")  # format: one tap
    bot.text(LIBRARIAN, "8")
    bot.text(LIBRARIAN, "5")  # the oldest age below the youngest: explained, asked again
    assert "the oldest age (5) would be below the youngest (8)" in bot.last(LIBRARIAN)
    bot.text(LIBRARIAN, "14")
    bot.tap(LIBRARIAN, say("button_skip"))  # days
    bot.text(LIBRARIAN, "2020-01-01")  # start date in the past
    assert "is in the past" in bot.last(LIBRARIAN)
    bot.tap(LIBRARIAN, say("button_skip"))
    bot.text(LIBRARIAN, "free")  # not a number
    assert "is not a number" in bot.last(LIBRARIAN)
    bot.text(LIBRARIAN, "0")
    preview = bot.last(LIBRARIAN)
    assert preview.startswith("Please check the new listing for Eastside Library")
    assert "• title: Chess Club" in preview and "• oldest age: 14" in preview
    assert "days" not in preview
    with sessions() as session:
        assert session.scalar(select(Opportunity).where(Opportunity.title == "Chess Club")) is None

    bot.tap(LIBRARIAN, say("button_confirm"))
    assert bot.last(LIBRARIAN) == say("new_published", title="Chess Club")
    with sessions() as session:
        made = session.scalar(select(Opportunity).where(Opportunity.title == "Chess Club"))
        assert made is not None and made.provider_id == directory.library
        assert (made.min_age, made.max_age, made.format) == (8, 14, "online")
        assert sorted(topic.name for topic in made.topics) == ["chess", "strategy"]
        assert made.is_free and made.assured_date == date.today()


def test_an_unverified_providers_new_listing_waits_for_review(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    bot.text(VOLUNTEER, "/newlisting")
    for answer in ("Drone Day", "Fly drones.", "drones", "in_person"):
        bot.text(VOLUNTEER, answer)
    for _ in range(5):
        bot.tap(VOLUNTEER, say("button_skip"))
    bot.tap(VOLUNTEER, say("button_confirm"))
    assert bot.last(VOLUNTEER) == say("new_pending", title="Drone Day")
    with sessions() as session:
        [request] = session.scalars(select(ChangeRequest)).all()
        assert (request.kind, request.state, request.changes["title"]) == (
            "create", "pending", "Drone Day"
        )  # fmt: skip
        assert session.scalar(select(Opportunity).where(Opportunity.title == "Drone Day")) is None


def test_a_member_of_two_providers_says_which_first(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    with sessions.begin() as session:
        lee = session.scalar(select(Member).where(Member.name == "Lee"))
        club = session.get(Provider, directory.club)
        assert lee is not None and club is not None
        lee.providers.append(club)
    bot.text(LIBRARIAN, "/newlisting")
    assert bot.last(LIBRARIAN) == say("new_which_provider")
    bot.tap(LIBRARIAN, "Robot Club")
    assert bot.last(LIBRARIAN).startswith("New listing for Robot Club (1/9)")
    bot.text(LIBRARIAN, "/cancel")
    assert bot.last(LIBRARIAN) == say("cancelled")
