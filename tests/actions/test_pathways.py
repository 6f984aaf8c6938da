"""A goal becomes steps for this learner: the city's curated pathway when one fits, else one built
from its listings, else the programs that match, else close options — each step a listing that
"tell me about the 2nd one" opens."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from actions.details import ActionOpportunityDetails
from actions.pathways import ActionExplorePathway
from knowledge.models import Opportunity, SearchRecord
from tests.actions.conftest import Run, entity, slot_events, tracker


def goal(text: str, said: str, **slots: Any) -> Any:
    """A tracker for an explore_pathway message whose career_goal entity spans `said`."""
    start = text.index(said)
    found = {"entity": "career_goal", "value": said, "start": start, "end": start + len(said)}
    return tracker(text, intent="explore_pathway", entities=[found], slots=slots)


def test_a_nurse_goal_gives_the_health_pathway_with_steps_and_numbers(
    directory: str, run: Run
) -> None:
    t = tracker("I want to become a nurse", intent="explore_pathway",
                entities=[entity("career_goal", "nurse")], slots={"age": 15.0})  # fmt: skip
    messages, events = run(ActionExplorePathway(), t)
    (message,) = messages
    assert message["response"] == "utter_pathway"
    assert "nurs" in message["name"].lower()
    lines = message["steps"].splitlines()
    assert len(lines) >= 3 and lines[0].startswith("1. ")
    assert any("🔒" in line for line in lines)  # a 15-year-old is too young for the later steps
    results = slot_events(events)["results"]
    assert len(results) == len(lines)
    assert message["buttons"][0]["payload"] == '/opportunity_details{"ordinal":"1"}'


def test_a_starter_careers_title_in_another_language_finds_the_curated_pathway(
    directory: str, run: Run
) -> None:
    messages, _ = run(ActionExplorePathway(), goal("quiero ser enfermera", "enfermera"))
    assert messages[0]["response"] == "utter_pathway"
    assert "nurs" in messages[0]["name"].lower()


def test_a_career_without_a_curated_pathway_gets_one_built_from_the_listings(
    directory: str, run: Run
) -> None:
    messages, events = run(ActionExplorePathway(), goal("i'd like to work as a mason", "mason"))
    (message,) = messages
    assert message["response"] == "utter_pathway_built"
    assert message["name"] == "mason"
    lines = message["steps"].splitlines()
    assert len(lines) >= 3 and [line.split(".")[0] for line in lines] == [
        str(n) for n in range(1, len(lines) + 1)
    ]
    assert any("🎓" in line for line in lines)  # what a step awards
    assert all(line.split(" ", 2)[1] == "➡️" for line in lines if "(←" not in line)
    results = slot_events(events)["results"]
    assert len(results) == len(lines) and all(value.isdigit() for value in results)
    assert [b["payload"] for b in message["buttons"]] == [
        f'/opportunity_details{{"ordinal":"{n}"}}' for n in range(1, len(lines) + 1)
    ]
    # "tell me about the 2nd one" opens step 2's listing
    details = tracker(
        "tell me about the 2nd one",
        intent="opportunity_details",
        entities=[entity("ordinal", "2")],
        slots=slot_events(events),
    )
    (shown, *_), _ = run(ActionOpportunityDetails(), details)
    assert shown["response"] == "utter_details"
    assert shown["title"] == lines[1].split(" ", 2)[2].split(" — ")[0]


def test_a_synonym_rewritten_goal_value_is_read_from_the_words_typed(
    directory: str, run: Run
) -> None:
    text = "i want to be a mason"
    rewritten = {"entity": "career_goal", "value": "construction", "start": 15, "end": 20}
    t = tracker(text, intent="explore_pathway", entities=[rewritten])
    messages, _ = run(ActionExplorePathway(), t)
    assert messages[0]["name"] == "mason"


def test_ages_mark_what_opens_now_and_what_opens_later(directory: str, run: Run) -> None:
    messages, _ = run(ActionExplorePathway(), goal("how do i become a mason", "mason", age=16.0))
    lines = messages[0]["steps"].splitlines()
    assert any("➡️" in line for line in lines) and any("🔒" in line for line in lines)
    assert all("[" in line for line in lines if "🔒" in line)  # the age it opens at
    messages, _ = run(ActionExplorePathway(), goal("how do i become a mason", "mason", age=9.0))
    assert messages[0]["response"] == "utter_pathway_built_not_yet"
    assert int(messages[0]["from_age"]) > 9


def test_no_path_but_matching_programs_shows_them_as_a_list(directory: str, run: Run) -> None:
    messages, events = run(ActionExplorePathway(), goal("how do i become a firefighter",
                                                        "firefighter"))  # fmt: skip
    assert [m["response"] for m in messages[:2]] == ["utter_pathway_programs", "utter_results"]
    assert messages[0]["goal"] == "firefighter"
    slots = slot_events(events)
    assert slots["results"] and slots["results_shown"] == float(
        len(messages[1]["listing"].splitlines())
    )


def test_nothing_matching_offers_close_careers_and_topics_with_listings(
    directory: str, run: Run
) -> None:
    messages, events = run(ActionExplorePathway(), goal("i want to be a dental assistant",
                                                        "dental assistant"))  # fmt: skip
    (message,) = messages
    assert message["response"] == "utter_no_pathway_close"
    assert message["goal"] == "dental assistant"
    payloads = [button["payload"] for button in message["buttons"]]
    assert any(p.startswith('/explore_pathway{"career_goal":') for p in payloads)
    assert any(p.startswith('/find_opportunity{"topic":') for p in payloads)
    assert all(len(p.encode()) <= 64 for p in payloads)
    career = json.loads(payloads[0].removeprefix("/explore_pathway"))["career_goal"]
    followed = tracker(payloads[0], intent="explore_pathway",
                       entities=[entity("career_goal", career)])  # fmt: skip
    assert run(ActionExplorePathway(), followed)[0][0]["response"] != "utter_no_pathway_close"
    assert events == []


def test_an_unknown_goal_in_a_city_with_no_listings_says_so(
    directory: str, db: Session, run: Run
) -> None:
    db.execute(update(Opportunity).values(status="inactive"))
    db.commit()
    t = tracker("I want to be a zorblax wrangler", intent="explore_pathway",
                entities=[entity("career_goal", "zorblax wrangler")])  # fmt: skip
    messages, events = run(ActionExplorePathway(), t)
    assert messages[0]["response"] == "utter_no_pathway"
    assert messages[0]["goal"] == "zorblax wrangler"
    assert events == []


def test_no_goal_asks_for_one_with_careers_the_city_has_programs_for(
    directory: str, run: Run
) -> None:
    messages, events = run(ActionExplorePathway(), tracker("/explore_pathway",
                                                           intent="explore_pathway"))  # fmt: skip
    (message,) = messages
    assert message["response"] == "utter_ask_career_goal"
    assert message["buttons"] and all(
        b["payload"].startswith('/explore_pathway{"career_goal":') for b in message["buttons"]
    )
    assert events == []


def test_a_follow_up_without_a_goal_uses_the_goal_talked_about(directory: str, run: Run) -> None:
    t = tracker("ok so how do i get there", intent="explore_pathway",
                slots={"career_goal": "mason"})  # fmt: skip
    assert run(ActionExplorePathway(), t)[0][0]["name"] == "mason"
    button = tracker("/explore_pathway", intent="explore_pathway", slots={"career_goal": "mason"})
    assert run(ActionExplorePathway(), button)[0][0]["response"] == "utter_ask_career_goal"


def asked(db: Session) -> list[tuple[str | None, str | None, str | None, int]]:
    """The goals recorded for the demand report: (career, topic, age band, results)."""
    rows = db.execute(
        select(
            SearchRecord.career_goal,
            SearchRecord.topic,
            SearchRecord.age_band,
            SearchRecord.results,
        ).order_by(SearchRecord.id)
    )
    return [tuple(row) for row in rows]


def test_a_goal_answered_is_recorded_by_its_career_and_what_was_offered(
    directory: str, db: Session, run: Run
) -> None:
    t = tracker("I want to become a nurse, I'm Maria", intent="explore_pathway",
                entities=[entity("career_goal", "nurse")],
                slots={"age": 15.0, "chat_language": "en"}, sender="web-0123abcd")  # fmt: skip
    _, events = run(ActionExplorePathway(), t)
    listed = [value for value in slot_events(events)["results"] if value]
    assert listed and asked(db) == [("registered nurse", None, "13–15", len(listed))]
    record = db.scalars(select(SearchRecord)).one()
    assert (record.channel, record.chat_language) == ("web", "en")
    stored = " ".join(str(value) for value in vars(record).values())
    assert "Maria" not in stored and "0123abcd" not in stored and "become" not in stored


def test_a_goal_met_by_programs_records_how_many_were_listed(
    directory: str, db: Session, run: Run
) -> None:
    _, events = run(ActionExplorePathway(), goal("how do i become a firefighter", "firefighter"))
    assert asked(db) == [("firefighter", None, None, len(slot_events(events)["results"]))]


def test_a_goal_with_no_programs_records_zero(directory: str, db: Session, run: Run) -> None:
    messages, _ = run(ActionExplorePathway(), goal("i want to be a dental assistant",
                                                   "dental assistant"))  # fmt: skip
    assert messages[0]["response"] == "utter_no_pathway_close"
    assert asked(db) == [("dental assistant", None, None, 0)]
    t = tracker("I want to be a zorblax wrangler", intent="explore_pathway",
                entities=[entity("career_goal", "zorblax wrangler")])  # fmt: skip
    run(ActionExplorePathway(), t)
    assert asked(db)[1] == (None, None, None, 0)  # counted, but not the words typed


def test_a_child_under_13_is_counted_by_age_band_like_anyone(
    directory: str, db: Session, run: Run
) -> None:
    t = goal("how do i become a mason", "mason", age=9.0, relation="self")
    messages, _ = run(ActionExplorePathway(), t)
    assert messages[0]["response"] == "utter_pathway_built_not_yet"
    ((career, topic, band, results),) = asked(db)
    assert (career, topic, band) == ("mason", None, "9–12") and results > 0


def test_a_topic_goal_is_recorded_by_the_topics_own_name(
    directory: str, db: Session, run: Run
) -> None:
    run(ActionExplorePathway(), goal("i want a job in robotcs", "robotcs"))
    assert [(career, topic) for career, topic, _band, _n in asked(db)] == [(None, "robotics")]


def test_asking_which_goal_records_nothing(directory: str, db: Session, run: Run) -> None:
    run(ActionExplorePathway(), tracker("/explore_pathway", intent="explore_pathway"))
    assert asked(db) == []
