"""'I already have my CPR card, what's next?' keeps the credential on the learner's profile (not
a child's) and answers with the steps after it; "my credentials" lists them; forget me erases
them; a path for the learner themselves counts them done."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.credentials_held import ActionListCredentials, ActionNoteCredential
from actions.pathways import ActionExplorePathway
from actions.people import ActionForgetMe
from knowledge.credentials_held import best_known, held
from knowledge.learners import find_learner
from knowledge.models import Credential, LearnerCredential
from tests.actions.conftest import Run, entity, slot_events, tracker

CPR = "CPR/AED & First Aid Certification"


def have(text: str, **slots: Any) -> Any:
    """A have_credential message."""
    return tracker(text, intent="have_credential", slots=slots)


def mine(**slots: Any) -> Any:
    """A my_credentials message."""
    return tracker("my credentials", intent="my_credentials", slots=slots)


def held_by(db: Session, sender: str = "test-user") -> list[str]:
    """What the directory keeps for the sender, read afresh."""
    db.expire_all()
    return [credential.name for credential in held(db, find_learner(db, sender))]


def test_a_credential_held_is_noted_and_the_path_to_the_goal_starts_after_it(
    directory: str, db: Session, run: Run
) -> None:
    slots = {"career_goal": "nurse", "age": 17.0}
    messages, events = run(
        ActionNoteCredential(), have("I already have my CPR card, what's next?", **slots)
    )
    noted, path = messages
    assert (noted["response"], noted["credential"]) == ("utter_credential_noted", CPR)
    assert held_by(db) == [CPR]
    assert path["response"] == "utter_pathway" and "nurs" in path["name"].lower()
    first, second = path["steps"].splitlines()[:2]
    assert first.startswith("1. ✓") and "➡️" in second  # CPR done, the next step is the one after
    assert not path["next_step"].lower().startswith("get cpr")
    assert len(slot_events(events)["results"]) == len(path["steps"].splitlines())


def test_saying_it_again_says_it_is_already_there_and_keeps_one(
    directory: str, db: Session, run: Run
) -> None:
    run(ActionNoteCredential(), have("got my CPR card"))
    messages, _ = run(ActionNoteCredential(), have("I'm already certified in first aid"))
    assert messages[0]["response"] == "utter_credential_already_noted"
    assert held_by(db) == [CPR]


def test_without_a_goal_the_careers_it_leads_to_are_offered(
    directory: str, db: Session, run: Run
) -> None:
    messages, events = run(ActionNoteCredential(), have("got my food handler cert"))
    noted, paths = messages
    assert noted["credential"] == "Food Handler Certification"
    assert paths["response"] == "utter_credential_paths"
    payloads = [button["payload"] for button in paths["buttons"]]
    assert payloads and all(p.startswith('/explore_pathway{"career_goal":') for p in payloads)
    goals = [json.loads(p.removeprefix("/explore_pathway"))["career_goal"] for p in payloads]
    assert any("chef" in goal.lower() or "cook" in goal.lower() for goal in goals)
    assert events == []


def test_words_that_fit_several_credentials_ask_which_and_the_button_notes_it(
    directory: str, db: Session, run: Run
) -> None:
    messages, _ = run(ActionNoteCredential(), have("I passed the python badge"))
    (which,) = messages
    assert which["response"] == "utter_which_credential"
    assert "Python Foundations Badge" in which["choices"]
    assert held_by(db) == []
    payload = which["buttons"][0]["payload"]
    chosen = json.loads(payload.removeprefix("/have_credential"))["credential"]
    tapped = tracker(payload, intent="have_credential", entities=[entity("credential", chosen)])
    messages, _ = run(ActionNoteCredential(), tapped)
    name = db.get(Credential, int(chosen))
    assert name is not None and messages[0]["credential"] == name.name
    assert held_by(db) == [name.name]


def test_a_credential_it_cannot_tell_gets_how_to_say_it_and_nothing_is_kept(
    directory: str, db: Session, run: Run
) -> None:
    for text in ("i have my driver's license", "/have_credential"):
        messages, events = run(ActionNoteCredential(), have(text))
        (message,) = messages
        assert message["response"] == "utter_credential_not_recognised"
        example = best_known(db)
        assert example is not None and message["example"] == example.name
        assert events == []
    unknown = tracker("/have_credential", intent="have_credential",
                      entities=[entity("credential", "999999")])  # fmt: skip
    assert (
        run(ActionNoteCredential(), unknown)[0][0]["response"] == "utter_credential_not_recognised"
    )
    assert find_learner(db, "test-user") is None


def test_a_child_under_13_gets_the_next_steps_but_nothing_is_stored(
    directory: str, db: Session, run: Run
) -> None:
    child = {"age": 11.0, "relation": "self", "career_goal": "nurse"}
    messages, _ = run(ActionNoteCredential(), have("I already have my CPR card", **child))
    kept, path = messages
    assert kept["response"] == "utter_credential_child_not_kept"
    assert path["response"] == "utter_pathway"
    assert path["steps"].splitlines()[0].startswith("1. ✓")  # counted for this answer
    assert find_learner(db, "test-user") is None
    assert db.scalar(select(LearnerCredential)) is None
    (listed,), _ = run(ActionListCredentials(), mine(age=11.0, relation="self"))
    assert listed["response"] == "utter_credentials_child_not_kept"


def test_my_credentials_lists_them_in_order_or_explains_how_to_add_one(
    directory: str, run: Run
) -> None:
    (none,), _ = run(ActionListCredentials(), mine())
    assert none["response"] == "utter_no_credentials_held"
    run(ActionNoteCredential(), have("got my food handler cert"))
    run(ActionNoteCredential(), have("I already have my CPR card"))
    (listed,), _ = run(ActionListCredentials(), mine())
    assert (listed["response"], listed["count"]) == ("utter_credentials_held", "2")
    assert listed["listing"].splitlines() == [
        "1. Food Handler Certification (certification)",
        f"2. {CPR} (certification)",
    ]


def test_in_spanish_the_credential_is_recognised_and_its_kind_is_spanish(
    directory: str, db: Session, run: Run
) -> None:
    spanish = {"chat_language": "es"}
    messages, _ = run(
        ActionNoteCredential(), have("ya tengo mi tarjeta de RCP, ¿qué sigue?", **spanish)
    )
    assert messages[0]["response"] == "utter_credential_noted"
    assert held_by(db) == [CPR]
    (listed,), _ = run(ActionListCredentials(), mine(**spanish))
    assert listed["listing"] == f"1. {CPR} (certificación)"


def test_forget_me_erases_the_credentials_held(directory: str, db: Session, run: Run) -> None:
    run(ActionNoteCredential(), have("I already have my CPR card"))
    assert held_by(db) == [CPR]
    run(ActionForgetMe(), tracker("yes", intent="affirm"))
    assert find_learner(db, "test-user") is None
    assert db.scalar(select(LearnerCredential)) is None
    (listed,), _ = run(ActionListCredentials(), mine())
    assert listed["response"] == "utter_no_credentials_held"


def test_a_path_asked_for_later_counts_the_credential_done_but_not_for_a_child_of_theirs(
    directory: str, run: Run
) -> None:
    run(ActionNoteCredential(), have("I already have my CPR card"))
    nurse = [entity("career_goal", "nurse")]
    (own,), _ = run(
        ActionExplorePathway(),
        tracker(
            "I want to become a nurse",
            intent="explore_pathway",
            entities=nurse,
            slots={"age": 17.0},
        ),
    )
    assert own["steps"].splitlines()[0].startswith("1. ✓")
    for_her = {"age": 17.0, "relation": "daughter"}
    (hers,), _ = run(
        ActionExplorePathway(),
        tracker(
            "my daughter wants to be a nurse",
            intent="explore_pathway",
            entities=nurse,
            slots=for_her,
        ),
    )
    assert not hers["steps"].splitlines()[0].startswith("1. ✓")
