"""Searching and paging: the right listings for age, place and cost; nothing closed."""

from __future__ import annotations

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from actions.search import PAGE, ActionMoreResults, ActionSearchOpportunities, load_listings
from knowledge.listing_text import listing_title
from knowledge.models import Learner, Opportunity, OpportunityTranslation
from knowledge.search.formats import SOURCE_VOICE, voice_of
from tests.actions.conftest import Run, entity, slot_events, tracker


def test_free_search_for_a_12_year_old_lists_only_fitting_open_listings(
    directory: str, db: Session, run: Run
) -> None:
    t = tracker(
        "something free for my 12-year-old",
        entities=[entity("cost", "free"), entity("age", "12")],
        slots={"topic": ["any"], "age": 12.0, "cost": "free", "relation": "child"},
    )
    messages, events = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_results"
    ids = slot_events(events)["results"]
    assert 5 <= len(ids) <= 30
    for value in ids:
        listing = db.get(Opportunity, int(value))
        assert listing is not None and listing.status == "active" and listing.is_free
        assert (listing.min_age or 0) <= 12 <= (listing.max_age or 120)
    buttons = messages[0]["buttons"]
    assert len(buttons) == 5
    assert all(len(button["payload"].encode()) <= 64 for button in buttons)
    assert messages[1]["response"] == "utter_more_available"
    assert db.scalars(select(Learner).where(Learner.sender_id == "test-user")).one()


def test_the_words_find_the_topic_when_the_nlu_missed_it(directory: str, run: Run) -> None:
    t = tracker("any robotics for kids", slots={"age": 10.0})
    messages, _ = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_results"
    assert messages[0]["summary"] == "robotics · age 10"
    assert "Robotics" in messages[0]["listing"].splitlines()[0]


def test_an_unknown_topic_from_the_nlu_falls_back_to_the_words(directory: str, run: Run) -> None:
    t = tracker("chess please", slots={"topic": ["chesss"], "age": 10.0})
    messages, _ = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_results"
    assert "Chess" in messages[0]["buttons"][0]["title"]


def test_nothing_found_explains_and_keeps_the_previous_list(directory: str, run: Run) -> None:
    t = tracker(
        "swimming in Somali",
        slots={"topic": ["swimming"], "age": 70.0, "language": "so", "results": ["1", "2"]},
    )
    messages, events = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_no_results"
    assert messages[0]["explanation"]
    assert "results" not in slot_events(events)


def test_more_results_pages_on_then_says_it_is_the_end(directory: str, run: Run) -> None:
    _, first_events = run(
        ActionSearchOpportunities(), tracker("art", slots={"topic": ["art"], "age": 9.0})
    )
    slots = {"topic": ["art"], "age": 9.0, **slot_events(first_events)}
    total = len(slots["results"])
    messages, events = run(ActionMoreResults(), tracker("more", intent="more_results", slots=slots))
    assert messages[0]["response"] == "utter_results"
    assert messages[0]["listing"].startswith("6. ")
    shown = slot_events(events)["results_shown"]
    assert shown == min(10, total)
    slots["results_shown"] = float(total)
    end, _ = run(ActionMoreResults(), tracker("more", intent="more_results", slots=slots))
    assert end[0]["response"] == "utter_no_more_results"


def test_near_me_without_a_location_searches_everywhere_then_asks_where(
    directory: str, run: Run
) -> None:
    t = tracker(
        "coding classes near me", slots={"topic": ["coding"], "age": 12.0, "location": "near me"}
    )
    messages, events = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_results"
    assert messages[-1]["response"] == "utter_ask_where"
    assert slot_events(events)["location"] is None  # asked once, not at every search


def test_near_me_with_a_shared_location_does_not_ask_again(directory: str, run: Run) -> None:
    t = tracker(
        "coding near me",
        slots={
            "topic": ["coding"],
            "age": 12.0,
            "location": "near me",
            "latitude": 41.4993,
            "longitude": -81.6944,
        },
    )
    messages, _ = run(ActionSearchOpportunities(), t)
    assert "utter_ask_where" not in [message["response"] for message in messages]


def test_every_result_list_names_the_filters_the_search_ran_with(directory: str, run: Run) -> None:
    slots = {
        "topic": ["coding"],
        "age": 12.0,
        "relation": "son",
        "schedule": ["Sat"],
        "format": "online",
        "language": "es",
    }
    messages, _ = run(ActionSearchOpportunities(), tracker("free coding", slots=slots))
    # "free" came from the words alone: the summary is what ran, not only the slots
    assert messages[0]["summary"] == "coding · age 12 · son · free · Sat · online · Spanish"


def test_nothing_found_names_each_filter_with_a_button_to_drop_it(directory: str, run: Run) -> None:
    slots = {"topic": ["swimming"], "age": 70.0, "language": "so", "location": "Eastside"}
    messages, _ = run(ActionSearchOpportunities(), tracker("swimming", slots=slots))
    nothing = messages[0]
    assert nothing["response"] == "utter_no_results"
    assert nothing["filters"] == "swimming · age 70 · Eastside · Somali"
    drops = [b for b in nothing["buttons"] if b["payload"].startswith("/drop_filter")]
    assert [b["payload"] for b in drops] == [
        f'/drop_filter{{"filter":"{name}"}}' for name in ("topic", "age", "location", "language")
    ]
    assert [b["title"] for b in drops] == ["✕ swimming", "✕ age 70", "✕ Eastside", "✕ Somali"]
    assert all(len(b["payload"].encode()) <= 64 for b in nothing["buttons"])


def test_a_dropped_filter_does_not_come_back_from_the_words(directory: str, run: Run) -> None:
    earlier = [
        {
            "event": "user",
            "text": "free coding on saturdays",
            "parse_data": {"intent": {"name": "find_opportunity"}, "entities": []},
        },
        {"event": "action", "name": "action_search_opportunities"},
    ]
    t = tracker(
        '/drop_filter{"filter":"cost"}',
        intent="drop_filter",
        entities=[entity("filter", "cost")],
        slots={"topic": ["coding"], "age": 12.0, "schedule": ["Sat"], "cost": None},
        events=earlier,
    )
    messages, _ = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_results"
    assert messages[0]["summary"] == "coding · age 12 · Sat"  # no "free" from the earlier words


def test_a_message_with_many_needs_searches_the_first_and_offers_the_others(
    directory: str, run: Run
) -> None:
    text = (
        "hi, long message sorry. my daughter is 9 and she really wants swimming lessons, "
        "my son is struggling at school and needs tutoring, and i would love art classes "
        "for myself one day. we don't have a car so closer is better. " * 10
    )
    named = [("art", 160), ("swimming", 60), ("tutoring", 120)]
    t = tracker(
        text,
        entities=[{"entity": "topic", "value": v, "start": at} for v, at in named],
        slots={"topic": ["art", "swimming", "tutoring"], "age": 9.0},
    )
    messages, events = run(ActionSearchOpportunities(), t)
    assert messages[0]["response"] == "utter_results"
    assert messages[0]["summary"].startswith("swimming · age 9")
    assert slot_events(events)["topic"] == ["swimming"]
    offer = messages[-1]
    assert offer["response"] == "utter_also_mentioned" and offer["topics"] == "tutoring, art"
    assert [b["payload"] for b in offer["buttons"]] == [
        '/inform{"topic":"tutoring"}',
        '/inform{"topic":"art"}',
    ]


def test_two_topics_in_a_short_message_are_searched_together(directory: str, run: Run) -> None:
    t = tracker("she likes drawing and dance", slots={"topic": ["art", "dance"], "age": 9.0})
    messages, events = run(ActionSearchOpportunities(), t)
    assert "utter_also_mentioned" not in [m["response"] for m in messages]
    assert "topic" not in slot_events(events)


def test_a_page_of_listings_loads_in_a_fixed_number_of_queries_in_either_language(
    db: Session,
) -> None:
    ids = [str(number) for number in db.scalars(select(Opportunity.id).limit(PAGE))]
    first = db.get(Opportunity, int(ids[0]))
    assert first is not None
    translated = OpportunityTranslation(language="es", title="Título traducido", description="")
    first.translations.append(translated)
    db.flush()
    db.expire_all()
    statements: list[str] = []

    def listen(*args: object) -> None:
        statements.append(str(args[2]))

    english, spanish = voice_of("en", "en_US"), voice_of("es", "en_US")
    event.listen(db.get_bind(), "before_cursor_execute", listen)
    for voice, queries in ((SOURCE_VOICE, 1), (english, 1), (spanish, 2)):  # + translations
        statements.clear()
        page = load_listings(db, ids, voice)
        titles = [listing_title(item, voice.language) for item in page]
        db.expire_all()
        assert len(statements) == queries, statements
        assert len(page) == PAGE
    event.remove(db.get_bind(), "before_cursor_execute", listen)
    assert titles[0] == "Título traducido"
