"""What a message keeps from the search before it: a new request starts afresh (keeping who it is
for), a refinement keeps everything it does not change."""

from __future__ import annotations

from typing import Any

from actions.form import ValidateSearchForm
from tests.actions.conftest import Run, entity, slot_events, tracker

EARLIER = {
    "topic": ["coding"],
    "age": 9.0,
    "relation": "daughter",
    "cost": "free",
    "schedule": ["Sat"],
    "location": "Riverside",
    "format": "online",
    "language": "es",
}


def after_a_search(slots: dict[str, Any] = EARLIER) -> list[dict[str, Any]]:
    """The events of a conversation that searched with `slots`."""
    return [
        *({"event": "slot", "name": name, "value": value} for name, value in slots.items()),
        {"event": "action", "name": "action_search_opportunities"},
    ]


def turn(
    text: str,
    intent: str,
    entities: list[dict[str, Any]],
    *,
    events: list[dict[str, Any]] | None = None,
    earlier: dict[str, Any] = EARLIER,
) -> Any:
    """The next message, its entities already in the slots (Rasa fills them before the form)."""
    now = {**earlier, **{e["entity"]: e["value"] for e in entities if e["entity"] != "topic"}}
    topics = [e["value"] for e in entities if e["entity"] == "topic"]
    if topics:
        now["topic"] = topics
    filled = [
        {"event": "slot", "name": name, "value": now[name]}
        for name in {e["entity"] for e in entities}
    ]
    return tracker(
        text,
        intent=intent,
        entities=entities,
        slots=now,
        events=after_a_search(earlier) if events is None else events,
        after=filled,
    )


def validated(run: Run, t: Any) -> dict[str, Any]:
    """The slots one validation sets."""
    _, events = run(ValidateSearchForm(), t)
    return slot_events(events)


def test_a_new_request_drops_the_old_filters_and_keeps_who_it_is_for(
    run: Run, directory: str
) -> None:
    t = turn("find me swimming lessons", "find_opportunity", [entity("topic", "swimming")])
    slots = validated(run, t)
    for name in ("cost", "schedule", "location", "format", "language"):
        assert slots[name] is None, name
    assert "age" not in slots and "relation" not in slots  # her age and who she is stay


def test_a_new_request_for_someone_else_keeps_what_it_names(run: Run, directory: str) -> None:
    t = turn(
        "swimming for my son, he's 7, free if possible",
        "find_opportunity",
        [
            entity("topic", "swimming"),
            entity("relation", "son"),
            entity("age", "7"),
            entity("cost", "free"),
        ],
    )
    slots = validated(run, t)
    assert {slots[name] for name in ("schedule", "location", "format", "language")} == {None}
    assert "cost" not in slots  # named again: kept
    assert slots.get("age", 7.0) == 7.0


def test_a_new_request_found_in_the_words_counts_too(run: Run, directory: str) -> None:
    slots = validated(run, turn("any robotics clubs?", "find_opportunity", []))
    assert slots["topic"] == ["robotics"] and slots["cost"] is None


def test_refinements_keep_the_filters(run: Run, directory: str) -> None:
    for text, entities in [
        ("just the free ones", [entity("cost", "free")]),
        ("any on weekdays?", [entity("schedule", "weekday")]),
        ("what about online?", [entity("format", "online")]),
        ("and for her cousin?", [entity("relation", "cousin")]),
        ("for her brother, he's 14", [entity("relation", "brother"), entity("age", "14")]),
        ("what about robotics?", [entity("topic", "robotics")]),
    ]:
        slots = validated(run, turn(text, "inform", entities))
        kept = {"cost", "schedule", "location", "format", "language"} - {
            e["entity"] for e in entities
        }
        assert not kept & {name for name, value in slots.items() if value is None}, text


def test_asking_again_for_the_same_topic_is_a_refinement(run: Run, directory: str) -> None:
    t = turn("more coding stuff in spanish", "find_opportunity", [entity("topic", "coding")])
    slots = validated(run, t)
    slots.pop("requested_slot", None)  # the form may finish: nothing more to ask
    assert all(value is not None for value in slots.values())


def test_a_first_request_keeps_the_stored_profile(run: Run, directory: str) -> None:
    profile = {"location": "Eastside", "language": "es", "topic": ["art"]}
    started = [
        {"event": "session_started"},
        *({"event": "slot", "name": n, "value": v} for n, v in profile.items()),
    ]
    t = turn(
        "coding classes", "find_opportunity", [entity("topic", "coding")],
        events=started, earlier=profile,
    )  # fmt: skip
    slots = validated(run, t)
    assert "location" not in slots and "language" not in slots


def test_a_session_start_forgets_the_search_before_it(run: Run, directory: str) -> None:
    events = [*after_a_search(), {"event": "session_started"}]
    t = turn("swimming", "find_opportunity", [entity("topic", "swimming")], events=events)
    assert "cost" not in validated(run, t)


def test_filters_the_words_imply_become_slots(run: Run, directory: str) -> None:
    t = turn(
        "coding on saturday mornings, free, in Riverside",
        "find_opportunity",
        [entity("topic", "coding")],
        events=[],
        earlier={},
    )
    slots = validated(run, t)
    assert slots["cost"] == "free"
    assert slots["schedule"] == ["Sat", "morning"]
    assert slots["location"] == "Riverside"


def test_a_price_limit_in_the_words_is_kept_in_the_form_the_search_reads(
    run: Run, directory: str
) -> None:
    t = turn("coding under $12.50", "inform", [], events=[], earlier={"topic": ["coding"]})
    assert validated(run, t)["cost"] == "under 12.5"


def test_a_place_named_now_replaces_a_shared_pin_and_back(run: Run, directory: str) -> None:
    pinned = {**EARLIER, "latitude": 41.49, "longitude": -81.69, "location": None}
    slots = validated(run, turn("near Eastside", "inform", [entity("location", "Eastside")],
                                earlier=pinned))  # fmt: skip
    assert slots["latitude"] is None and slots["longitude"] is None
    pin = [entity("latitude", "41.5"), entity("longitude", "-81.7")]
    t = turn('/share_location{"latitude": 41.5, "longitude": -81.7}', "share_location", pin)
    assert validated(run, t)["location"] is None
