"""/mylistings and the guided edit: bad values explained and asked again, a preview, confirm;
nothing saved before; nobody touches another provider's listings; learners are unaffected."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.texts import say
from knowledge.history import Actor, history_of
from knowledge.models import Opportunity, Provider
from knowledge.writes import get_or_create_topic, upsert_opportunity
from tests.bot.gateway.community.conftest import LEARNER, LIBRARIAN, VOLUNTEER, Bot, Directory
from tests.bot.gateway.conftest import ScriptedRasa
from tests.fakes.telegram_api import iter_buttons


def listing(sessions: sessionmaker[Session], listing_id: int) -> Opportunity:
    with sessions() as session:
        found = session.get(Opportunity, listing_id)
        assert found is not None
        return found


def open_story_time(bot: Bot) -> None:
    bot.text(LIBRARIAN, "/mylistings")
    bot.tap(LIBRARIAN, "Story Time")


def test_seats_left_a_bad_value_then_a_good_one_preview_and_confirm(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory, rasa: ScriptedRasa
) -> None:
    open_story_time(bot)
    assert "Seats left: —" in bot.last(LIBRARIAN)
    bot.tap(LIBRARIAN, say("button_seats"))
    assert "For example: 12" in bot.last(LIBRARIAN)

    bot.text(LIBRARIAN, "lots")
    assert "'lots' is not a whole number" in bot.last(LIBRARIAN)
    assert listing(sessions, directory.story_time).seats_available is None

    bot.text(LIBRARIAN, "12")
    assert "• seats left: — → 12" in bot.last(LIBRARIAN)
    assert listing(sessions, directory.story_time).seats_available is None  # not before Confirm

    bot.tap(LIBRARIAN, say("button_confirm"))
    assert bot.last(LIBRARIAN) == say("edit_published", title="Story Time")
    with sessions() as session:
        saved = session.get(Opportunity, directory.story_time)
        assert saved is not None and saved.seats_available == 12
        [record] = [r for r in history_of(session, saved) if r.field == "seats_available"]
        assert record.new_value == "12" and record.source == "chat" and "Lee" in record.actor
    assert rasa.calls == []  # none of it went to the assistant

    preview = bot.fake.bot_messages(LIBRARIAN)[-2]
    assert not list(iter_buttons(preview.get("reply_markup")))  # its buttons are gone
    bot.feed(bot.fake.push_callback(LIBRARIAN, "pv:ok", int(preview["message_id"])))
    assert bot.last(LIBRARIAN) == say("step_expired")  # a second Confirm saves nothing more


@pytest.mark.parametrize(
    ("button", "value", "problem"),
    [
        ("button_start_date", "2020-01-01", "is in the past"),
        ("button_cost", "ten dollars", "is not a number"),
    ],
)
def test_bad_values_are_explained_and_asked_again(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory, button: str, value: str,
    problem: str,
) -> None:  # fmt: skip
    open_story_time(bot)
    bot.tap(LIBRARIAN, say(button))
    bot.text(LIBRARIAN, value)
    assert problem in bot.last(LIBRARIAN) and "send it again" in bot.last(LIBRARIAN)
    later = (date.today() + timedelta(days=30)).isoformat()
    bot.text(LIBRARIAN, later if "date" in button else "25")
    bot.tap(LIBRARIAN, say("button_confirm"))
    assert bot.last(LIBRARIAN) == say("edit_published", title="Story Time")


def test_the_oldest_age_below_the_youngest_is_refused_from_other_fields(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    open_story_time(bot)
    bot.tap(LIBRARIAN, say("button_other"))
    bot.tap(LIBRARIAN, "Oldest age")
    bot.text(LIBRARIAN, "2")
    assert "would be below the youngest (3)" in bot.last(LIBRARIAN)
    bot.text(LIBRARIAN, "/cancel")
    assert bot.last(LIBRARIAN) == say("cancelled")
    assert listing(sessions, directory.story_time).max_age == 6


def test_temporarily_closed_is_one_tap_and_a_confirmation(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    open_story_time(bot)
    bot.tap(LIBRARIAN, say("button_pause"))
    assert "status: active → temporarily_closed" in bot.last(LIBRARIAN)
    bot.tap(LIBRARIAN, say("button_cancel"))
    assert listing(sessions, directory.story_time).status == "active"
    open_story_time(bot)
    bot.tap(LIBRARIAN, say("button_pause"))
    bot.tap(LIBRARIAN, say("button_confirm"))
    assert listing(sessions, directory.story_time).status == "temporarily_closed"
    open_story_time(bot)
    assert "Status: temporarily_closed" in bot.last(LIBRARIAN)
    bot.tap(LIBRARIAN, say("button_reopen"))
    bot.tap(LIBRARIAN, say("button_confirm"))
    assert listing(sessions, directory.story_time).status == "active"


def test_someone_elses_change_in_between_is_not_overwritten(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    open_story_time(bot)
    bot.tap(LIBRARIAN, say("button_seats"))
    bot.text(LIBRARIAN, "12")
    with sessions.begin() as session:  # e.g. a colleague's spreadsheet, while the preview waits
        story = session.get(Opportunity, directory.story_time)
        assert story is not None
        upsert_opportunity(session, {"seats_available": 3}, Actor("t", "api"), existing=story)
    bot.tap(LIBRARIAN, say("button_confirm"))
    assert bot.last(LIBRARIAN) == say("stale_version")
    assert listing(sessions, directory.story_time).seats_available == 3


@pytest.mark.parametrize(
    "forged", ["pv:l:{story}", "pv:f:{story}:seats_available", "pv:t:{story}", "pv:o:{story}"]
)
def test_a_forged_button_cannot_touch_another_providers_listing(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory, rasa: ScriptedRasa,
    forged: str,
) -> None:  # fmt: skip
    data = forged.format(story=directory.story_time)
    bot.feed(bot.fake.push_callback(VOLUNTEER, data, message_id=1))
    assert "belongs to Eastside Library" in bot.last(VOLUNTEER)
    bot.text(VOLUNTEER, "0")  # no step was opened: this goes to the assistant
    assert rasa.calls[-1][1] == "0"
    bot.feed(bot.fake.push_callback(VOLUNTEER, "pv:ok", message_id=1))
    assert bot.last(VOLUNTEER) == say("step_expired")
    assert listing(sessions, directory.story_time).seats_available is None


def test_a_forged_provider_for_a_new_listing_is_refused(bot: Bot, directory: Directory) -> None:
    bot.feed(bot.fake.push_callback(VOLUNTEER, f"pv:np:{directory.library}", message_id=1))
    assert "not a member of Eastside Library" in bot.last(VOLUNTEER)


def test_made_up_button_data_is_a_stale_button(bot: Bot, directory: Directory) -> None:
    for data in ("pv:f:abc:cost", "pv:zz", "pv:l:1:2"):
        bot.feed(bot.fake.push_callback(LIBRARIAN, data, message_id=1))
        assert bot.last(LIBRARIAN) == say("stale_button")


def test_learners_are_unchanged(bot: Bot, rasa: ScriptedRasa, directory: Directory) -> None:
    bot.text(LEARNER, "robotics for my kid")
    assert rasa.calls[-1][1:] == ("robotics for my kid", "telegram")
    assert bot.last(LEARNER) == "you said robotics for my kid"
    calls = len(rasa.calls)
    for command in ("/mylistings", "/newlisting"):
        bot.text(LEARNER, command)
        assert bot.last(LEARNER) == say("members_only")
    bot.text(LEARNER, "/review")
    assert bot.last(LEARNER) == say("review_organisers_only")
    assert len(rasa.calls) == calls
    bot.text(LEARNER, "/cancel")  # not in a step: the assistant reads it, as before
    bot.feed(bot.fake.push_document(LEARNER, file_name="a.csv", mime_type="text/csv"))
    assert bot.last(LEARNER) == say("unsupported_media")
    bot.feed(bot.fake.push_callback(LEARNER, "/more_results", message_id=1))
    assert [text for _, text, _ in rasa.calls[calls:]] == ["/cancel", "/more_results"]


def test_a_member_outside_a_step_talks_to_the_assistant(
    bot: Bot, rasa: ScriptedRasa, directory: Directory
) -> None:
    bot.text(LIBRARIAN, "coding near me")
    assert rasa.calls[-1][1] == "coding near me"
    open_story_time(bot)
    bot.tap(LIBRARIAN, say("button_seats"))
    bot.text(LIBRARIAN, "/help")  # a command is not a value: the assistant answers it
    assert rasa.calls[-1][1] == "/help"
    bot.text(LIBRARIAN, "4")  # the step still waits
    assert "• seats left: — → 4" in bot.last(LIBRARIAN)


def test_many_listings_come_in_pages(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    actor = Actor("test", "seed")
    with sessions.begin() as session:
        library = session.get(Provider, directory.library)
        topic = get_or_create_topic(session, "reading", actor)
        for number in range(1, 10):
            upsert_opportunity(
                session,
                {"title": f"Book Club {number}", "description": "Books.", "provider": library,
                 "topics": [topic], "status": "active"},
                actor,
            )  # fmt: skip
    bot.text(LIBRARIAN, "/mylistings")
    assert bot.last(LIBRARIAN).startswith("Your listings (1–8 of 10)")
    bot.tap(LIBRARIAN, say("button_more"))
    assert bot.last(LIBRARIAN).startswith("Your listings (9–10 of 10)")
    bot.tap(LIBRARIAN, "Story Time")
    assert bot.last(LIBRARIAN).startswith("📋 Story Time — Eastside Library")
