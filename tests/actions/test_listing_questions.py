"""Questions about one listing: what is asked comes from the words, the listing from the mention;
every attribute with and without data, and every kind of mention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from actions.city import current_city
from actions.details import ActionOpportunityDetails, attributes_asked, mention_text, message_text
from actions.listing_facts import ATTRIBUTES
from actions.listing_lines import day
from knowledge.models import Career, Credential, Location, Opportunity, Provider
from knowledge.vocabulary.questions import question_words
from tests.actions.conftest import Run, entity, slot_events, tracker

SOON = date.today() + timedelta(days=40)


@dataclass
class Listings:
    """Ids (as the results slot holds them) of the listings each test asks about."""

    full: str
    bare: str
    online: str
    follow_up: str
    accessible_art: str


@pytest.fixture
def listings(directory: str, db: Session) -> Listings:
    """Listings written for these tests in the copy of the directory: one with every fact, one
    with none, one online, one that follows the first, one whose title is a question word."""
    guild = Provider(name="Test Makers Guild", phone="555-0100", email="hello@guild.test")
    quiet = Provider(name="Quiet Test Collective")
    hall = Location(
        name="Guild Hall",
        address="1 Test Street",
        accessibility="Step-free entrance and a lift to every floor",
        transport="Bus 7 stops outside; bike racks at the door",
        provider=guild,
    )
    badge = Credential(name="Test Maker Badge", credential_type="badge")
    certificate = Credential(name="Test Maker Certificate", credential_type="certificate")
    technician = Career(name="Test Technician")
    badge.prepares_for = [certificate]
    certificate.careers = [technician]
    full = Opportunity(
        title="Full Test Workshop",
        description="Everything is filled in.",
        provider=guild,
        min_age=10,
        max_age=14,
        cost_amount=Decimal("40"),
        cost_currency="USD",
        is_free=False,
        financial_aid="Sliding scale on request",
        start_time=time(16, 0),
        end_time=time(18, 0),
        start_date=SOON,
        end_date=SOON + timedelta(days=60),
        application_deadline=SOON - timedelta(days=10),
        eligibility="Open to residents of the city",
        enroll_url="https://guild.test/join",
        enroll_phone="555-0101",
        seats_available=3,
        locations=[hall],
        awards=[badge],
        careers=[technician],
    )
    full.days = ["Mon", "Wed"]
    full.language_list = ["en", "es"]
    bare = Opportunity(
        title="Bare Test Club",
        description="Nothing else is known.",
        provider=quiet,
        is_free=None,
        languages="",
    )
    online = Opportunity(
        title="Online Test Course",
        description="Online only.",
        provider=guild,
        format="online",
        is_free=True,
    )
    follow_up = Opportunity(
        title="Follow Up Test Course",
        description="For badge holders.",
        provider=guild,
        requires=[badge],
    )
    accessible_art = Opportunity(
        title="Accessible Art Studio",
        description="A title that is a question word.",
        provider=quiet,
    )
    db.add_all([full, bare, online, follow_up, accessible_art])
    db.commit()
    return Listings(*(str(o.id) for o in (full, bare, online, follow_up, accessible_art)))


def ask(
    run: Run,
    text: str,
    slots: dict[str, Any],
    entities: list[dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run the action on a message parsed as opportunity_details (no entity says what is asked)."""
    t = tracker(text, intent="opportunity_details", entities=entities, slots=slots)
    return run(ActionOpportunityDetails(), t)


# How a learner asks about each attribute: the words alone must say which.
QUESTIONS = {
    "cost": "how much is it?",
    "schedule": "what time is it on?",
    "dates": "when does it start?",
    "deadline": "what is the deadline?",
    "place": "where is it?",
    "ages": "what ages is it for?",
    "language": "what language is it taught in?",
    "awards": "what certificate do i get?",
    "next": "what comes next after it?",
    "apply": "how do i sign up?",
    "accessibility": "is it wheelchair accessible?",
    "transport": "how do I get there by bus?",
    "provider": "who runs it?",
    "eligibility": "who can join?",
}


def about(run: Run, listing: str, attribute: str, **slots: Any) -> list[dict[str, Any]]:
    """The messages answering the typical question about `attribute` of the selected `listing`."""
    messages, events = ask(run, QUESTIONS[attribute], {"selected": listing, **slots})
    assert slot_events(events) == {"selected": listing}
    assert "utter_details" not in [m["response"] for m in messages]  # only what was asked
    return messages


WITH_DATA = {
    "cost": ("utter_listing_cost", "cost", "$40 (Sliding scale on request)"),
    "schedule": ("utter_listing_schedule", "hours", "Mon, Wed 16:00–18:00"),
    "dates": ("utter_listing_dates", "dates", f"{SOON:%a} {SOON.day} {SOON:%b %Y} – "),
    "deadline": ("utter_listing_deadline", "deadline", day(SOON - timedelta(days=10))),
    "place": ("utter_listing_place", "where", "Guild Hall, 1 Test Street"),
    "ages": ("utter_listing_ages", "ages", "ages 10–14"),
    "language": ("utter_listing_language", "languages", "English, Spanish"),
    "awards": ("utter_listing_awards_leads", "leads_to", "Test Maker Certificate"),
    "next": ("utter_listing_next", "programs", "Follow Up Test Course (Test Makers Guild)"),
    "apply": ("utter_listing_apply", "enrol", "https://guild.test/join · 555-0101"),
    "accessibility": ("utter_listing_accessibility", "accessibility", "Step-free entrance"),
    "transport": ("utter_listing_transport", "transport", "Bus 7 stops outside"),
    "provider": ("utter_listing_provider", "provider_contact", "555-0100 · hello@guild.test"),
    "eligibility": ("utter_listing_eligibility", "eligibility", "Open to residents"),
}
MISSING = {
    "cost": "utter_listing_cost_missing",
    "schedule": "utter_listing_schedule_missing",
    "dates": "utter_listing_dates_missing",
    "deadline": "utter_listing_deadline_missing",
    "place": "utter_listing_place_missing",
    "ages": "utter_listing_ages_missing",
    "language": "utter_listing_language_missing",
    "awards": "utter_listing_awards_missing",
    "next": "utter_listing_next_missing",
    "apply": "utter_listing_apply_missing",
    "accessibility": "utter_listing_accessibility_missing",
    "transport": "utter_listing_transport_missing",
    "provider": "utter_listing_provider_no_contact",
    "eligibility": "utter_listing_eligibility_missing",
}


def test_every_attribute_is_tested_worded_in_the_domain_and_asked_by_words(
    domain: dict[str, Any],
) -> None:
    """An attribute the facts answer but no phrase asks (or the reverse) is never answered."""
    assert set(WITH_DATA) == set(MISSING) == set(QUESTIONS) == set(ATTRIBUTES)
    assert set(question_words().asks.values()) == set(ATTRIBUTES)
    assert set(question_words().values.values()) <= set(ATTRIBUTES)
    for response, *_ in WITH_DATA.values():
        assert response in domain["responses"]
    for response in MISSING.values():
        assert response in domain["responses"]


@pytest.mark.parametrize("attribute", ATTRIBUTES)
def test_each_attribute_is_answered_from_the_listing(
    attribute: str, listings: Listings, run: Run
) -> None:
    """The words of the question pick the fact, and the fact comes from the listing."""
    response, variable, expected = WITH_DATA[attribute]
    messages = about(run, listings.full, attribute)
    first = messages[0]
    assert first["response"] == response
    assert first["title"] == "Full Test Workshop"
    assert first[variable].startswith(expected), first[variable]


@pytest.mark.parametrize("attribute", ATTRIBUTES)
def test_a_missing_fact_is_said_honestly_with_whom_to_ask(
    attribute: str, listings: Listings, run: Run
) -> None:
    """A listing that says nothing is not padded with guesses: it says so and names whom to ask."""
    messages = about(run, listings.bare, attribute)
    assert messages[0]["response"] == MISSING[attribute]
    assert messages[0]["title"] == "Bare Test Club"
    assert messages[0]["contact"] == "Quiet Test Collective"  # no phone or e-mail to give


def test_whom_to_ask_carries_the_listing_and_provider_contact(
    listings: Listings, run: Run, db: Session
) -> None:
    """When a fact is missing, the learner gets every way to reach the provider."""
    full = db.get(Opportunity, int(listings.full))
    assert full is not None
    full.min_age = full.max_age = None
    full.eligibility = None
    db.commit()
    (message,) = about(run, listings.full, "ages")
    assert message["response"] == "utter_listing_ages_missing"
    assert message["contact"] == "Test Makers Guild (555-0101 · 555-0100 · hello@guild.test)"


def test_the_answer_gives_what_else_it_knows_about_when(
    listings: Listings, run: Run, db: Session
) -> None:
    """Without dates, the days and times still help someone asking when."""
    full = db.get(Opportunity, int(listings.full))
    assert full is not None
    full.start_date = full.end_date = None
    db.commit()
    messages = about(run, listings.full, "dates")
    assert [m["response"] for m in messages] == [
        "utter_listing_dates_missing",
        "utter_listing_schedule",
    ]


def test_sign_up_gives_places_left_and_the_deadline(listings: Listings, run: Run) -> None:
    """Someone signing up needs to know whether there is room and by when."""
    messages = about(run, listings.full, "apply")
    assert [m["response"] for m in messages] == [
        "utter_listing_apply",
        "utter_listing_seats",
        "utter_listing_deadline",
    ]
    assert messages[1]["seats"] == "3"


def test_a_full_listing_and_a_passed_deadline(listings: Listings, run: Run, db: Session) -> None:
    """No room and a passed deadline are said, not hidden behind the sign-up link."""
    full = db.get(Opportunity, int(listings.full))
    assert full is not None
    full.seats_available = 0
    full.application_deadline = date.today() - timedelta(days=3)
    db.commit()
    messages = about(run, listings.full, "apply")
    assert [m["response"] for m in messages] == [
        "utter_listing_apply",
        "utter_listing_full",
        "utter_listing_deadline_passed",
    ]


@pytest.mark.parametrize(
    ("days", "response"),
    [(0, "utter_listing_deadline_today"), (1, "utter_listing_deadline_tomorrow")],
)
def test_a_deadline_today_or_tomorrow_says_so(
    days: int, response: str, listings: Listings, run: Run, db: Session
) -> None:
    """A deadline that is about to pass is urgent, counted in the city's date."""
    full = db.get(Opportunity, int(listings.full))
    assert full is not None
    full.application_deadline = current_city(db).today() + timedelta(days=days)
    db.commit()
    (message,) = about(run, listings.full, "deadline")
    assert message["response"] == response


def test_an_online_listing_has_no_venue_to_reach(listings: Listings, run: Run) -> None:
    """Access and travel questions about an online course get "it is online", not "unknown"."""
    for attribute in ("accessibility", "transport"):
        (message,) = about(run, listings.online, attribute)
        assert message["response"] == "utter_listing_online_only", attribute
    (place,) = about(run, listings.online, "place")
    assert place["where"] == "Online"


def test_eligibility_names_the_credential_it_asks_for_first(listings: Listings, run: Run) -> None:
    """A prerequisite is what the listing says about who can join."""
    messages = about(run, listings.follow_up, "eligibility")
    assert [m["response"] for m in messages] == ["utter_listing_requires"]
    assert messages[0]["credentials"] == "Test Maker Badge (badge)"


@pytest.mark.parametrize(
    ("text", "entities", "response"),
    [
        ("is it ok for a 12 year old?", [entity("age", "12")], "utter_listing_ages_fits"),
        ("is it ok for a 9 year old?", [entity("age", "9")], "utter_listing_ages_outside"),
        ("ok for a 12 year old?", [entity("age", "12")], "utter_listing_ages_fits"),
        ("is it for a 4th grader?", [entity("grade", "4")], "utter_listing_ages_outside"),
        ("is it in spanish?", [entity("language", "es")], "utter_listing_language_yes"),
        ("is it in french?", [entity("language", "fr")], "utter_listing_language_no"),
    ],
)
def test_yes_or_no_for_an_age_or_a_language_named_in_the_question(
    text: str, entities: list[dict[str, Any]], response: str, listings: Listings, run: Run
) -> None:
    """A question like "is it ok for my 9 year old?" wants yes or no, not the whole listing."""
    messages, _ = ask(run, text, {"selected": listings.full}, entities)
    assert [m["response"] for m in messages] == [response]


def test_a_language_answered_no_names_the_language_asked(listings: Listings, run: Run) -> None:
    """A bare "no" would leave the learner unsure which language was understood."""
    messages, _ = ask(
        run, "is it in french?", {"selected": listings.full}, [entity("language", "fr")]
    )
    assert messages[0]["asked"] == "French"
    assert messages[0]["languages"] == "English, Spanish"


@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("is it free?", "utter_listing_cost"),
        ("is it online?", "utter_listing_place"),
        ("is it on weekends?", "utter_listing_schedule"),
    ],
)
def test_a_yes_or_no_question_about_a_value_answers_that_attribute(
    text: str, response: str, listings: Listings, run: Run
) -> None:
    """A value in a yes/no question ("free", "online") asks about the attribute it belongs to."""
    messages, _ = ask(run, text, {"selected": listings.full})
    assert [m["response"] for m in messages] == [response]


def test_several_attributes_in_the_order_asked_each_answered_once(
    listings: Listings, run: Run
) -> None:
    """Asked twice, or also given with the sign-up, the deadline is still said once."""
    text = "where is it, how much, and how much again, what's the deadline and how do i sign up"
    messages, _ = ask(run, text, {"selected": listings.full})
    assert [m["response"] for m in messages] == [
        "utter_listing_place",
        "utter_listing_cost",
        "utter_listing_deadline",
        "utter_listing_apply",
        "utter_listing_seats",
    ]


def test_at_most_four_attributes_are_answered(listings: Listings, run: Run) -> None:
    """A fifth answer would bury the first; the first four asked are the ones given."""
    text = "where is it, how much, when does it start, what's the deadline and who runs it"
    messages, _ = ask(run, text, {"selected": listings.full})
    assert [m["response"] for m in messages] == [
        "utter_listing_place",
        "utter_listing_cost",
        "utter_listing_dates",
        "utter_listing_deadline",
    ]


@pytest.mark.parametrize(
    "text", ["and that one?", "tell me about it", "tell me about the free one"]
)
def test_a_question_that_asks_nothing_in_particular_gets_every_fact(
    text: str, listings: Listings, run: Run
) -> None:
    """With no attribute in the words, the whole listing is the answer."""
    messages, events = ask(run, text, {"selected": listings.full})
    assert [m["response"] for m in messages] == ["utter_details"]
    assert messages[0]["title"] == "Full Test Workshop"
    assert slot_events(events) == {"selected": listings.full}


# The listing meant: by number, by name, by reference ("it"), the only result, or none.


def test_by_number_in_the_list_shown(listings: Listings, run: Run) -> None:
    """A number means the listing at that place in the list, not the one discussed before."""
    slots = {"results": [listings.bare, listings.full], "results_shown": 2.0}
    messages, events = ask(
        run,
        "how much is the second one",
        {**slots, "selected": listings.bare},
        [entity("ordinal", "2")],
    )
    assert messages[0]["response"] == "utter_listing_cost"
    assert messages[0]["title"] == "Full Test Workshop"
    assert slot_events(events) == {"selected": listings.full}


def test_by_name_in_the_list_shown(listings: Listings, run: Run) -> None:
    """The words around the question name one of the listed results."""
    slots = {"results": [listings.full, listings.follow_up, listings.bare], "results_shown": 3.0}
    messages, events = ask(run, "how much is the follow up course", slots)
    assert messages[0]["response"] == "utter_listing_cost_missing"
    assert messages[0]["title"] == "Follow Up Test Course"
    assert slot_events(events) == {"selected": listings.follow_up}


def test_by_name_anywhere_in_the_directory(listings: Listings, run: Run) -> None:
    """A listing named in full is found even when it is not among the results shown."""
    slots = {
        "results": [listings.accessible_art, listings.bare],
        "results_shown": 2.0,
        "selected": listings.full,
    }
    messages, events = ask(run, "who runs the follow up test course?", slots)
    assert messages[0]["response"] == "utter_listing_provider"
    assert messages[0]["title"] == "Follow Up Test Course"
    assert slot_events(events) == {"selected": listings.follow_up}


@pytest.mark.parametrize("text", ["is it wheelchair accessible?", "is it accessible?"])
def test_it_means_the_listing_being_discussed_even_when_a_title_shares_the_question_words(
    text: str, listings: Listings, run: Run
) -> None:
    """Here "accessible" asks about access; it does not name "Accessible Art Studio"."""
    slots = {"results": [listings.accessible_art, listings.full], "results_shown": 2.0}
    messages, events = ask(run, text, {**slots, "selected": listings.full})
    assert messages[0]["response"] == "utter_listing_accessibility"
    assert messages[0]["title"] == "Full Test Workshop"
    assert slot_events(events) == {"selected": listings.full}


def test_a_title_made_of_question_words_is_a_name_not_a_question(
    listings: Listings, run: Run
) -> None:
    """Naming "Accessible Art Studio" asks about it, not about its accessibility."""
    slots = {"results": [listings.full, listings.accessible_art], "results_shown": 2.0}
    messages, events = ask(run, "where is the accessible art studio?", slots)
    assert [m["response"] for m in messages] == ["utter_listing_place_missing"]
    assert messages[0]["title"] == "Accessible Art Studio"
    assert slot_events(events) == {"selected": listings.accessible_art}


def test_nothing_chosen_means_the_only_result(listings: Listings, run: Run) -> None:
    """With one result there is only one listing "it" can be."""
    messages, events = ask(run, "where is it", {"results": [listings.full]})
    assert messages[0]["response"] == "utter_listing_place"
    assert slot_events(events) == {"selected": listings.full}


def test_nothing_chosen_among_several_asks_which_one(listings: Listings, run: Run) -> None:
    """Guessing among several results could answer about the wrong listing."""
    slots = {"results": [listings.full, listings.bare], "results_shown": 2.0}
    messages, events = ask(run, "how much is it", slots)
    assert [m["response"] for m in messages] == ["utter_which_one"]
    assert events == []


def test_no_list_and_nothing_chosen_asks_which_one(listings: Listings, run: Run) -> None:
    """Without a list or a selection, "it" means nothing yet."""
    messages, events = ask(run, "how much is it", {})
    assert [m["response"] for m in messages] == ["utter_which_one"]
    assert events == []


def test_a_number_past_the_list_asks_rather_than_answers_about_another(
    listings: Listings, run: Run
) -> None:
    """Asking about the fifth of two listings is not asking about the selected one."""
    slots = {"results": [listings.full, listings.bare], "selected": listings.full}
    messages, events = ask(run, "how much is the fifth one", slots, [entity("ordinal", "5")])
    assert [m["response"] for m in messages] == ["utter_which_one"]
    assert events == []


# The helpers: the words that may name a listing, and the attributes asked about one.


@pytest.mark.parametrize(
    ("text", "mention"),
    [
        ("how much is the karate one for my 9 year old", "karate 9 year old"),
        ("is it wheelchair accessible?", ""),
        ("how do I get there by bus?", ""),
        ("Who runs the Follow Up Test Course?", "follow up test course"),
        ("tell me about the free one", "free"),
        ("", ""),
    ],
)
def test_the_mention_leaves_out_what_is_asked_and_question_words(text: str, mention: str) -> None:
    """Words that ask ("how much", "accessible", "by bus") must not be taken for a name."""
    assert mention_text(text) == mention


def test_a_button_payload_names_no_listing() -> None:
    """A button's payload is not words that could name or ask anything."""
    payload = tracker("/opportunity_details", intent="opportunity_details")
    assert message_text(payload) == ""
    assert message_text(tracker("Where is it?", intent="opportunity_details")) == "Where is it?"


def test_the_attributes_asked_leave_out_words_of_the_listings_own_title(
    listings: Listings, db: Session
) -> None:
    """The word "accessible" names the Accessible Art Studio; about another listing it asks."""
    art = db.get(Opportunity, int(listings.accessible_art))
    full = db.get(Opportunity, int(listings.full))
    assert art is not None and full is not None
    text = "where is the accessible art studio?"
    assert attributes_asked(text, art) == ["place"]
    assert attributes_asked(text, full) == ["place", "accessibility"]
    assert attributes_asked("is it accessible?", art) == ["accessibility"]  # not named: asked
    named_and_asked = "is the accessible art studio wheelchair accessible?"
    assert attributes_asked(named_and_asked, art) == ["accessibility"]  # "wheelchair" asks


def test_the_attributes_asked_in_order_and_nothing_for_unknown_words(
    listings: Listings, db: Session
) -> None:
    """Only the phrases of questions.yml ask; anything else is not guessed at."""
    full = db.get(Opportunity, int(listings.full))
    assert full is not None
    assert attributes_asked("who runs it and how much is it?", full) == ["provider", "cost"]
    assert attributes_asked("what about the vibes", full) == []
