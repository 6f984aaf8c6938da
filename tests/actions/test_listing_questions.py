"""Questions about one listing: every attribute with and without data, and every kind of mention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from actions.city import current_city
from actions.listing import day
from actions.listing_facts import ATTRIBUTES
from actions.listing_questions import ActionAnswerAboutListing, asked_attributes, mention_text
from knowledge.models import Career, Credential, Location, Opportunity, Provider
from tests.actions.conftest import Run, slot_events, tracker

SOON = date.today() + timedelta(days=40)


@dataclass
class Listings:
    """Ids (as the results slot holds them) of the listings each test asks about."""

    full: str
    bare: str
    online: str
    follow_up: str
    accessible_art: str


def span(text: str, name: str, value: str, said: str) -> dict[str, Any]:
    """An entity as the NLU reports it, with where `said` is in `text`."""
    start = text.index(said)
    return {"entity": name, "value": value, "start": start, "end": start + len(said)}


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
    entities: list[dict[str, Any]],
    slots: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run the action on a question parsed as ask_about_listing."""
    t = tracker(text, intent="ask_about_listing", entities=entities, slots=slots)
    return run(ActionAnswerAboutListing(), t)


def about(run: Run, listing: str, attribute: str, **extra: Any) -> list[dict[str, Any]]:
    """The messages answering `attribute` about the selected `listing`."""
    text = f"what about the {attribute}?"
    entities = [span(text, "attribute", attribute, attribute), *extra.pop("entities", [])]
    messages, events = ask(run, text, entities, {"selected": listing, **extra})
    assert slot_events(events) == {"selected": listing}
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


def test_every_attribute_is_tested_and_worded_in_the_domain(domain: dict[str, Any]) -> None:
    assert set(WITH_DATA) == set(MISSING) == set(ATTRIBUTES)
    for response, *_ in WITH_DATA.values():
        assert response in domain["responses"]
    for response in MISSING.values():
        assert response in domain["responses"]


@pytest.mark.parametrize("attribute", ATTRIBUTES)
def test_each_attribute_is_answered_from_the_listing(
    attribute: str, listings: Listings, run: Run
) -> None:
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
    messages = about(run, listings.bare, attribute)
    assert messages[0]["response"] == MISSING[attribute]
    assert messages[0]["title"] == "Bare Test Club"
    assert messages[0]["contact"] == "Quiet Test Collective"  # no phone or e-mail to give


def test_whom_to_ask_carries_the_listing_and_provider_contact(
    listings: Listings, run: Run, db: Session
) -> None:
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
    messages = about(run, listings.full, "apply")
    assert [m["response"] for m in messages] == [
        "utter_listing_apply",
        "utter_listing_seats",
        "utter_listing_deadline",
    ]
    assert messages[1]["seats"] == "3"


def test_a_full_listing_and_a_passed_deadline(listings: Listings, run: Run, db: Session) -> None:
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


def test_an_online_listing_has_no_venue_to_reach(listings: Listings, run: Run) -> None:
    for attribute in ("accessibility", "transport"):
        (message,) = about(run, listings.online, attribute)
        assert message["response"] == "utter_listing_online_only"
    (place,) = about(run, listings.online, "place")
    assert place["where"] == "Online"


def test_awards_without_a_next_step_and_eligibility_with_a_prerequisite(
    listings: Listings, run: Run
) -> None:
    messages = about(run, listings.follow_up, "eligibility")
    assert [m["response"] for m in messages] == [
        "utter_listing_requires",
        # the prerequisite is what the listing says about who can join
    ]
    assert messages[0]["credentials"] == "Test Maker Badge (badge)"


def test_yes_or_no_for_an_age_or_a_language_named_in_the_question(
    listings: Listings, run: Run
) -> None:
    cases = [
        ("is it ok for a 12 year old?", "age", "12", "12", "utter_listing_ages_fits"),
        ("is it ok for a 9 year old?", "age", "9", "9", "utter_listing_ages_outside"),
        ("is it in spanish?", "language", "es", "in spanish", "utter_listing_language_yes"),
        ("is it in french?", "language", "fr", "in french", "utter_listing_language_no"),
    ]
    for text, name, value, said, response in cases:
        entities = [span(text, name, value, said)]
        messages, _ = ask(run, text, entities, {"selected": listings.full})
        assert messages[0]["response"] == response, text
    no, _ = ask(
        run,
        "is it in french?",
        [span("is it in french?", "language", "fr", "in french")],
        {"selected": listings.full},
    )
    assert no[0]["asked"] == "French"


def test_a_search_word_tells_what_is_asked(listings: Listings) -> None:
    for text, name, value, said, attribute in [
        ("is it free?", "cost", "free", "free", "cost"),
        ("is it online?", "format", "online", "online", "place"),
        ("is it on weekends?", "schedule", "weekend", "weekends", "schedule"),
        ("is it for a 4th grader?", "grade", "4", "4th grader", "ages"),
    ]:
        t = tracker(text, intent="ask_about_listing", entities=[span(text, name, value, said)])
        assert asked_attributes(t) == [attribute], text


def test_several_attributes_in_the_order_asked_each_answered_once(
    listings: Listings, run: Run
) -> None:
    text = "where is it, how much, and how much again, and how do i sign up"
    entities = [
        span(text, "attribute", "apply", "sign up"),
        span(text, "attribute", "place", "where"),
        span(text, "attribute", "cost", "how much"),
        span(text, "attribute", "deadline", "do i"),  # a second deadline answer is not repeated
    ]
    messages, _ = ask(run, text, entities, {"selected": listings.full})
    assert [m["response"] for m in messages] == [
        "utter_listing_place",
        "utter_listing_cost",
        "utter_listing_deadline",
        "utter_listing_apply",
        "utter_listing_seats",
    ]


def test_a_question_the_nlu_could_not_place_gets_every_fact(listings: Listings, run: Run) -> None:
    messages, events = ask(run, "and that one?", [], {"selected": listings.full})
    assert [m["response"] for m in messages] == ["utter_details"]
    assert messages[0]["title"] == "Full Test Workshop"
    assert slot_events(events) == {"selected": listings.full}


def test_an_unknown_attribute_value_is_not_guessed(listings: Listings) -> None:
    text = "what about the vibes"
    t = tracker(
        text, intent="ask_about_listing", entities=[span(text, "attribute", "vibes", "vibes")]
    )
    assert asked_attributes(t) == []


# The listing meant: by number, by name, by reference ("it"), the only result, or none.


def test_by_number_in_the_list_shown(listings: Listings, run: Run) -> None:
    text = "how much is the second one"
    entities = [span(text, "attribute", "cost", "how much"), span(text, "ordinal", "2", "second")]
    slots = {"results": [listings.bare, listings.full], "results_shown": 2.0}
    messages, events = ask(run, text, entities, {**slots, "selected": listings.bare})
    assert messages[0]["title"] == "Full Test Workshop"
    assert slot_events(events) == {"selected": listings.full}


def test_by_name_in_the_list_shown(listings: Listings, run: Run) -> None:
    text = "how much is the follow up course"
    entities = [span(text, "attribute", "cost", "how much")]
    slots = {"results": [listings.full, listings.follow_up, listings.bare], "results_shown": 3.0}
    messages, events = ask(run, text, entities, slots)
    assert messages[0]["title"] == "Follow Up Test Course"
    assert slot_events(events) == {"selected": listings.follow_up}


def test_it_means_the_listing_being_discussed_even_when_a_title_shares_the_question_words(
    listings: Listings, run: Run
) -> None:
    text = "is it wheelchair accessible?"
    entities = [span(text, "attribute", "accessibility", "wheelchair accessible")]
    slots = {"results": [listings.accessible_art, listings.full], "results_shown": 2.0}
    messages, _ = ask(run, text, entities, {**slots, "selected": listings.full})
    assert messages[0]["title"] == "Full Test Workshop"


def test_nothing_chosen_means_the_only_result(listings: Listings, run: Run) -> None:
    text = "where is it"
    entities = [span(text, "attribute", "place", "where")]
    messages, events = ask(run, text, entities, {"results": [listings.full]})
    assert messages[0]["response"] == "utter_listing_place"
    assert slot_events(events) == {"selected": listings.full}


def test_nothing_chosen_among_several_asks_which_one(listings: Listings, run: Run) -> None:
    text = "how much is it"
    entities = [span(text, "attribute", "cost", "how much")]
    slots = {"results": [listings.full, listings.bare], "results_shown": 2.0}
    messages, events = ask(run, text, entities, slots)
    assert [m["response"] for m in messages] == ["utter_which_one"]
    assert events == []


def test_no_list_and_nothing_chosen_asks_which_one(listings: Listings, run: Run) -> None:
    messages, events = ask(run, "how much is it", [], {})
    assert [m["response"] for m in messages] == ["utter_which_one"]
    assert events == []


def test_a_number_past_the_list_asks_rather_than_answers_about_another(
    listings: Listings, run: Run
) -> None:
    text = "how much is the fifth one"
    entities = [span(text, "attribute", "cost", "how much"), span(text, "ordinal", "5", "fifth")]
    slots = {"results": [listings.full, listings.bare], "selected": listings.full}
    messages, events = ask(run, text, entities, slots)
    assert [m["response"] for m in messages] == ["utter_which_one"]
    assert events == []


def test_the_mention_leaves_out_what_is_asked_and_question_words() -> None:
    text = "how much is the karate one for my 9 year old"
    t = tracker(
        text,
        intent="ask_about_listing",
        entities=[span(text, "attribute", "cost", "how much"), span(text, "age", "9", "9")],
    )
    assert mention_text(t) == "karate year old"
    assert mention_text(tracker("/ask_about_listing", intent="ask_about_listing")) == ""


@pytest.mark.parametrize(
    ("days", "response"),
    [(0, "utter_listing_deadline_today"), (1, "utter_listing_deadline_tomorrow")],
)
def test_a_deadline_today_or_tomorrow_says_so(
    days: int, response: str, listings: Listings, run: Run, db: Session
) -> None:
    full = db.get(Opportunity, int(listings.full))
    assert full is not None
    full.application_deadline = current_city(db).today() + timedelta(days=days)  # the city's date
    db.commit()
    (message,) = about(run, listings.full, "deadline")
    assert message["response"] == response
