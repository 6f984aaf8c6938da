"""'I already have my CPR card, what's next?' keeps the credential on the learner's profile (not
a child's chatting), "my son has his CPR card" keeps it for the son, and each answers with the
holder's steps after it; "my credentials" lists them person by person; forget me erases them;
a path counts done what the person it is for holds."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.credentials_held import ActionListCredentials, ActionNoteCredential
from actions.pathways import ActionExplorePathway
from actions.people import ActionForgetMe
from knowledge.credentials_held import best_known, held
from knowledge.learners import find_learner
from knowledge.models import Credential, Dependant, LearnerCredential
from tests.actions.conftest import Run, entity, slot_events, tracker
from tests.actions.test_reread import reread_as

CPR = "CPR/AED & First Aid Certification"


def have(text: str, **slots: Any) -> Any:
    """A have_credential message."""
    return tracker(text, intent="have_credential", slots=slots)


def mine(**slots: Any) -> Any:
    """A my_credentials message."""
    return tracker("my credentials", intent="my_credentials", slots=slots)


def held_by(db: Session, sender: str = "test-user", relation: str = "self") -> list[str]:
    """What the directory keeps for the sender (or their son, …), read afresh."""
    db.expire_all()
    return [credential.name for credential in held(db, find_learner(db, sender), relation)]


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


def test_a_parent_saying_their_son_has_one_keeps_it_for_him_and_the_talk_turns_to_him(
    directory: str, db: Session, run: Run
) -> None:
    messages, events = run(
        ActionNoteCredential(), have("my son already has his CPR card, what's next for him?")
    )
    noted, paths = messages
    assert (noted["response"], noted["relation"]) == ("utter_credential_noted_for", "son")
    assert noted["credential"] == CPR
    assert paths["response"] in {"utter_credential_paths_for", "utter_credential_ask_goal_for"}
    assert paths["relation"] == "son"
    assert held_by(db) == [] and held_by(db, relation="son") == [CPR]
    assert slot_events(events) == {"relation": "son", "age": None}
    again, _ = run(ActionNoteCredential(), have("my son got his CPR card", relation="son"))
    assert again[0]["response"] == "utter_credential_already_noted_for"
    assert held_by(db, relation="son") == [CPR]


def test_in_a_conversation_about_a_daughter_her_credential_is_hers_and_her_path_skips_it(
    directory: str, db: Session, run: Run
) -> None:
    hers = {"relation": "daughter", "age": 16.0, "career_goal": "nurse"}
    messages, events = run(
        ActionNoteCredential(), have("she already has her CPR card, what's next?", **hers)
    )
    noted, path = messages
    assert (noted["response"], noted["relation"]) == ("utter_credential_noted_for", "daughter")
    assert held_by(db) == [] and held_by(db, relation="daughter") == [CPR]
    assert path["response"] == "utter_pathway" and path["steps"].splitlines()[0].startswith("1. ✓")
    assert "relation" not in slot_events(events)
    nurse = [entity("career_goal", "nurse")]
    for slots, done in (({"relation": "daughter", "age": 16.0}, True), ({"age": 40.0}, False)):
        asked = tracker(
            "how does she become a nurse", intent="explore_pathway", entities=nurse, slots=slots
        )
        (steps,), _ = run(ActionExplorePathway(), asked)
        assert steps["steps"].splitlines()[0].startswith("1. ✓") is done


def test_in_a_conversation_about_a_child_the_parents_own_words_keep_it_for_the_parent(
    directory: str, db: Session, run: Run
) -> None:
    family = {"relation": "son", "age": 9.0}
    messages, events = run(ActionNoteCredential(), have("I already have my CPR card", **family))
    assert messages[0]["response"] == "utter_credential_noted"
    assert held_by(db) == [CPR] and held_by(db, relation="son") == []
    assert slot_events(events) == {"relation": "self", "age": None}  # not the son's 9


def test_an_age_said_with_the_family_member_is_kept_for_their_path(
    directory: str, db: Session, run: Run
) -> None:
    said = tracker(
        "my 15 year old son has his CPR card",
        intent="have_credential",
        entities=[entity("relation", "son")],
    )
    _, events = run(ActionNoteCredential(), said)
    assert slot_events(events) == {"relation": "son", "age": 15.0}
    learner = find_learner(db, "test-user")
    assert learner is not None and [(d.relation, d.age) for d in learner.dependants] == [
        ("son", 15)
    ]


def test_in_spanish_a_daughters_credential_is_hers_and_the_reply_says_so(
    directory: str, db: Session, run: Run
) -> None:
    spanish = {"chat_language": "es"}
    messages, _ = run(
        ActionNoteCredential(),
        have("mi hija ya tiene el certificado de primeros auxilios", **spanish),
    )
    assert (messages[0]["response"], messages[0]["relation"]) == (
        "utter_credential_noted_for",
        "hija",
    )
    assert held_by(db, relation="daughter") == [CPR]
    asked = tracker("¿qué credenciales tiene mi hija?", intent="my_credentials", slots=spanish)
    (listed,), _ = run(ActionListCredentials(), asked)
    assert (listed["response"], listed["relation"]) == ("utter_credentials_held_for", "hija")
    assert listed["listing"] == f"1. {CPR} (certificación)"


def test_which_one_buttons_keep_whose_it_is(directory: str, db: Session, run: Run) -> None:
    (which,), _ = run(ActionNoteCredential(), have("my nephew passed the python badge"))
    payload = which["buttons"][0]["payload"]
    chosen = json.loads(payload.removeprefix("/have_credential"))
    assert chosen["relation"] == "nephew"
    tapped = tracker(
        payload,
        intent="have_credential",
        entities=[entity(name, value) for name, value in chosen.items()],
    )
    messages, _ = run(ActionNoteCredential(), tapped)
    assert (messages[0]["response"], messages[0]["relation"]) == (
        "utter_credential_noted_for",
        "nephew",
    )
    assert held_by(db) == [] and len(held_by(db, relation="nephew")) == 1
    typed = tracker(
        payload,
        intent="have_credential",
        entities=[entity("credential", chosen["credential"]), entity("relation", "x" * 60)],
    )  # a hand-typed payload's
    run(ActionNoteCredential(), typed)
    assert len(held_by(db)) == 1  # the learner's own, never a family member named "xxx…"


def test_my_credentials_lists_each_person_and_a_named_one_lists_theirs(
    directory: str, run: Run
) -> None:
    run(ActionNoteCredential(), have("got my food handler cert"))
    run(ActionNoteCredential(), have("my son already has his CPR card"))
    mine_first, his = run(ActionListCredentials(), mine())[0]
    assert (mine_first["response"], mine_first["count"]) == ("utter_credentials_held", "1")
    assert mine_first["listing"] == "1. Food Handler Certification (certification)"
    assert (his["response"], his["relation"]) == ("utter_credentials_held_for", "son")
    assert his["listing"] == f"1. {CPR} (certification)"
    asked = tracker("what credentials does my son have?", intent="my_credentials")
    (only_his,), _ = run(ActionListCredentials(), asked)
    assert (only_his["relation"], only_his["listing"]) == ("son", f"1. {CPR} (certification)")
    in_family_mode = tracker(
        "what does he have?", intent="my_credentials", slots={"relation": "son"}
    )
    assert run(ActionListCredentials(), in_family_mode)[0] == [only_his]
    asked = tracker("what credentials does my daughter have?", intent="my_credentials")
    (none,), _ = run(ActionListCredentials(), asked)
    assert (none["response"], none["relation"]) == ("utter_no_credentials_held_for", "daughter")


def test_a_child_under_13_telling_of_their_family_is_answered_but_nothing_is_stored(
    directory: str, db: Session, run: Run
) -> None:
    child = {"age": 11.0, "relation": "self"}
    messages, events = run(
        ActionNoteCredential(), have("my brother has his first aid card", **child)
    )
    assert (messages[0]["response"], messages[0]["relation"]) == (
        "utter_credential_family_not_kept",
        "brother",
    )
    assert events == []  # still a child chatting for later turns
    said = have("I'm 11 and I already have my CPR card")  # their age said only now
    messages, events = run(ActionNoteCredential(), said)
    assert messages[0]["response"] == "utter_credential_child_not_kept"
    assert slot_events(events) == {"relation": "self", "age": 11.0}
    assert find_learner(db, "test-user") is None
    assert db.scalar(select(LearnerCredential)) is None


def test_forget_me_erases_the_familys_credentials_too(
    directory: str, db: Session, run: Run
) -> None:
    run(ActionNoteCredential(), have("my daughter already has her CPR card"))
    run(ActionNoteCredential(), have("I already have my CPR card"))
    assert db.scalar(select(func.count()).select_from(LearnerCredential)) == 2
    run(ActionForgetMe(), tracker("yes", intent="affirm"))
    db.expire_all()
    assert db.scalar(select(LearnerCredential)) is None and db.scalar(select(Dependant)) is None


def test_a_credential_named_without_saying_it_is_held_is_looked_for_and_nothing_is_kept(
    directory: str, db: Session, run: Run
) -> None:
    """A bare name, or where to get one, in either language: the programs, not "✓ Got it";
    a listing's own title: its details."""
    for text in (
        "food handlers card",
        "forklift license",
        "where can I get a food handler certificate",
        "dónde puedo sacar la certificación de salvavidas",
    ):
        messages, events = run(ActionNoteCredential(), have(text))
        assert messages == []
        assert reread_as(events, text) == "find_opportunity", text
    messages, events = run(ActionNoteCredential(), have("Lifeguard Certification Course"))
    assert messages == [] and reread_as(events, "Lifeguard Certification Course") == (
        "opportunity_details"
    )
    assert find_learner(db, "test-user") is None
