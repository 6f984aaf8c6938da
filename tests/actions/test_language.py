"""The chat's language in the actions: set each message, kept, answered when chosen."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from actions.language import ActionChooseLanguage, ActionSetLanguage
from actions.session_start import ActionSessionStart
from knowledge.learners import get_or_create_learner, remember_chat_language
from knowledge.locales import SOURCE_LANGUAGE, supported_codes, supported_languages
from knowledge.models import Learner
from tests.actions.conftest import Run, entity, slot_events, tracker

OTHER = next(code for code in supported_codes() if code != SOURCE_LANGUAGE)
SPANISH_SENTENCE = "hola, busco clases de arte para mi hija de 8 años"


def with_hint(t: Tracker, hint: str) -> Tracker:
    """The tracker with the channel's language hint in the latest message's metadata."""
    t.latest_message["metadata"] = {"language_hint": hint}
    return t


def chat_language_of(db: Session, sender: str = "test-user") -> tuple[Any, Any]:
    """What the learner's profile keeps."""
    db.expire_all()
    learner = db.scalar(select(Learner).where(Learner.sender_id == sender))
    return (learner.chat_language, learner.chat_language_chosen) if learner else (None, None)


def test_a_spanish_sentence_sets_spanish_and_keeps_it(
    directory: str, db: Session, run: Run
) -> None:
    _, events = run(ActionSetLanguage(), with_hint(tracker(SPANISH_SENTENCE), "en-US"))
    assert slot_events(events) == {"chat_language": OTHER, "chat_language_chosen": False}
    assert chat_language_of(db) == (OTHER, False)


def test_the_hint_decides_a_short_first_message(directory: str, run: Run) -> None:
    _, events = run(ActionSetLanguage(), with_hint(tracker("hola", intent="greet"), f"{OTHER}-MX"))
    assert slot_events(events)["chat_language"] == OTHER


def test_nothing_is_set_when_nothing_changes(directory: str, run: Run) -> None:
    t = tracker("gracias", intent="thank", slots={"chat_language": OTHER})
    assert run(ActionSetLanguage(), t)[1] == []


def test_a_chosen_language_is_chosen_and_answered(directory: str, db: Session, run: Run) -> None:
    t = tracker(
        "¿hablas español?",
        intent="choose_language",
        entities=[entity("language", OTHER)],
        slots={"chat_language": SOURCE_LANGUAGE},
    )
    _, events = run(ActionSetLanguage(), t)
    assert slot_events(events) == {"chat_language": OTHER, "chat_language_chosen": True}
    assert chat_language_of(db) == (OTHER, True)
    messages, _ = run(ActionChooseLanguage(), t)
    assert [m["response"] for m in messages] == ["utter_language_chosen"]


def test_a_chosen_language_survives_a_long_message_in_another(directory: str, run: Run) -> None:
    t = tracker(
        "I am looking for art classes for my daughter",
        slots={"chat_language": OTHER, "chat_language_chosen": True},
    )
    assert run(ActionSetLanguage(), t)[1] == []


def test_asking_for_the_language_without_naming_one_offers_them_all(
    directory: str, run: Run
) -> None:
    messages, _ = run(ActionChooseLanguage(), tracker("/language", intent="choose_language"))
    assert messages[0]["response"] == "utter_choose_language"
    titles = [button["title"] for button in messages[0]["buttons"]]
    assert titles == [language.native_name for language in supported_languages()]
    assert all("choose_language" in button["payload"] for button in messages[0]["buttons"])


def test_a_child_speaking_for_themselves_keeps_no_profile(
    directory: str, db: Session, run: Run
) -> None:
    t = tracker(SPANISH_SENTENCE, slots={"age": 10.0, "relation": "self"})
    assert slot_events(run(ActionSetLanguage(), t)[1])["chat_language"] == OTHER
    assert chat_language_of(db) == (None, None)


def test_a_reminder_from_the_worker_changes_nothing(directory: str, run: Run) -> None:
    t = tracker("", intent="EXTERNAL_reminder", slots={"chat_language": OTHER})
    assert run(ActionSetLanguage(), t)[1] == []


def test_a_new_session_starts_in_the_profile_language(
    directory: str, db: Session, run: Run
) -> None:
    learner = get_or_create_learner(db, "test-user")
    remember_chat_language(db, learner, OTHER, chosen=True)
    db.commit()
    _, events = run(ActionSessionStart(), tracker("", intent="session_start"))
    slots = slot_events(events)
    assert (slots["chat_language"], slots["chat_language_chosen"]) == (OTHER, True)


def test_a_bare_language_name_chooses_it(directory: str, run: Run) -> None:
    native = next(
        language.native_name for language in supported_languages() if language.code == OTHER
    )
    t = tracker(native.lower(), intent="choose_language", slots={"chat_language": SOURCE_LANGUAGE})
    assert slot_events(run(ActionSetLanguage(), t)[1])["chat_language"] == OTHER
    assert run(ActionChooseLanguage(), t)[0][0]["response"] == "utter_language_chosen"


def session_start_tracker(metadata: dict[str, Any], slots: dict[str, Any] | None = None) -> Tracker:
    """A session starting with a message whose metadata the gateway wrote."""
    return tracker(
        "", intent="session_start", slots={"session_started_metadata": metadata, **(slots or {})}
    )


def test_a_new_learners_first_message_gets_its_language_as_the_session_starts(
    directory: str, db: Session, run: Run
) -> None:
    _, events = run(ActionSessionStart(), session_start_tracker({"language_read": OTHER}))
    slots = slot_events(events)
    assert (slots["chat_language"], slots["chat_language_chosen"]) == (OTHER, False)
    assert chat_language_of(db) == (OTHER, False)  # kept, as action_set_language keeps it


def test_the_session_start_looks_the_learner_up_once(directory: str, db: Session, run: Run) -> None:
    """And writes a new learner once, with its language: one INSERT, no UPDATE after it."""
    looked_up: list[str] = []
    written: list[str] = []

    def note(*args: object) -> None:
        statement = " ".join(str(args[2]).split())
        if statement.startswith("SELECT") and "FROM learner " in statement:
            looked_up.append(statement)
        if statement.startswith(("INSERT INTO learner ", "UPDATE learner ")):
            written.append(statement.split(" (")[0].split(" SET ")[0])

    event.listen(Engine, "before_cursor_execute", note)
    try:  # a new learner (created), then the same learner back with a new language
        run(ActionSessionStart(), session_start_tracker({"language_read": OTHER}))
        first = len(looked_up)
        assert written == ["INSERT INTO learner"]
        metadata = {"language_read": SOURCE_LANGUAGE}
        run(ActionSessionStart(), session_start_tracker(metadata, {"chat_language": OTHER}))
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    assert (first, len(looked_up) - first) == (1, 1), looked_up
    assert chat_language_of(db) == (SOURCE_LANGUAGE, False)


def test_a_first_message_too_short_to_read_follows_the_channels_hint(
    directory: str, db: Session, run: Run
) -> None:
    metadata = {"language_read": None, "language_hint": f"{OTHER}-MX"}
    slots = slot_events(run(ActionSessionStart(), session_start_tracker(metadata))[1])
    assert slots["chat_language"] == OTHER
    metadata = {"language_read": None}
    slots = slot_events(run(ActionSessionStart(), session_start_tracker(metadata))[1])
    assert slots["chat_language"] == OTHER  # now kept on the profile: the hint is not needed


def test_a_kept_choice_outlasts_what_the_first_message_reads_as(
    directory: str, db: Session, run: Run
) -> None:
    remember_chat_language(db, get_or_create_learner(db, "test-user"), OTHER, chosen=True)
    db.commit()
    metadata = {"language_read": SOURCE_LANGUAGE}
    slots = slot_events(run(ActionSessionStart(), session_start_tracker(metadata))[1])
    assert (slots["chat_language"], slots["chat_language_chosen"]) == (OTHER, True)
    assert chat_language_of(db) == (OTHER, True)


def test_without_the_gateways_reading_the_session_start_leaves_the_language_to_its_mapping(
    directory: str, db: Session, run: Run
) -> None:
    for metadata in ({}, {"language_hint": OTHER}):
        slots = slot_events(run(ActionSessionStart(), session_start_tracker(metadata))[1])
        assert "chat_language" not in slots
    assert chat_language_of(db) == (None, None)


def test_a_child_speaking_for_themselves_gets_a_language_but_nothing_is_kept(
    directory: str, db: Session, run: Run
) -> None:
    t = session_start_tracker({"language_read": OTHER}, {"age": 10.0, "relation": "self"})
    assert slot_events(run(ActionSessionStart(), t)[1])["chat_language"] == OTHER
    assert chat_language_of(db) == (None, None)
