"""A person, forgetting, clarifying, the form, the session start, and a database that is down."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.clarify import ActionClarify
from actions.form import ValidateSearchForm
from actions.learner_plan import ActionSaveOpportunity
from actions.people import ActionForgetMe, ActionHandoff, age_band
from actions.search import ActionSearchOpportunities
from actions.session_start import ActionSessionStart
from knowledge.models import Handoff, Learner, Opportunity, PlanItem
from tests.actions.conftest import Configure, Run, entity, slot_events, tracker


def test_handoff_with_navigators_records_a_summary_without_exact_age(
    directory: str, db: Session, run: Run, configure: Configure
) -> None:
    configure(NAVIGATOR_CHAT_ID="-100123")
    t = tracker(
        "a person please",
        intent="talk_to_human",
        slots={"topic": ["coding"], "age": 13.0, "location": "Eastside"},
    )
    messages, _ = run(ActionHandoff(), t)
    assert messages[0]["response"] == "utter_handoff_requested"
    summary = db.scalars(select(Handoff)).one().summary
    assert summary["age_band"] == "13–15" and summary["topics"] == ["coding"]
    assert 13 not in summary.values()


def test_handoff_without_navigators_gives_the_contact_or_says_so(
    directory: str, run: Run, configure: Configure
) -> None:
    t = tracker("a person please", intent="talk_to_human")
    messages, _ = run(ActionHandoff(), t)
    assert messages[0]["response"] == "utter_handoff_no_contact"
    configure(WAYFINDER_HELP_CONTACT="call 555-0100")
    messages, _ = run(ActionHandoff(), t)
    assert messages[0] == {
        **messages[0],
        "response": "utter_handoff_unavailable",
        "contact": "call 555-0100",
    }


@pytest.mark.parametrize(
    ("age", "band"), [(4, "under 5"), (9, "5–9"), (17, "16–17"), (40, "adult")]
)
def test_age_bands(age: int, band: str) -> None:
    assert age_band(age) == band


def test_forget_me_erases_profile_and_plan(directory: str, db: Session, run: Run) -> None:
    first = str(db.scalars(select(Opportunity.id)).first())
    run(ActionSearchOpportunities(), tracker("art", slots={"topic": ["art"], "age": 9.0}))
    run(
        ActionSaveOpportunity(),
        tracker("save", intent="save_opportunity", slots={"selected": first}),
    )
    assert db.scalars(select(PlanItem)).all()
    messages, events = run(ActionForgetMe(), tracker("yes", intent="affirm"))
    assert messages[0]["response"] == "utter_forgotten"
    assert [e["event"] for e in events] == ["reset_slots", "restart"]
    db.expire_all()
    assert db.scalars(select(Learner)).all() == []
    assert db.scalars(select(PlanItem)).all() == []


def test_forget_me_keeps_talking_in_the_learners_language(directory: str, run: Run) -> None:
    """Only the chat's language is set again after the reset (it is kept on no profile)."""
    slots = {"chat_language": "es", "chat_language_chosen": True, "age": 9.0}
    _, events = run(ActionForgetMe(), tracker("sí", intent="affirm", slots=slots))
    assert [e["event"] for e in events] == ["reset_slots", "restart", "slot", "slot"]
    assert slot_events(events) == {"chat_language": "es", "chat_language_chosen": True}


def test_clarify_offers_the_nlu_guesses_with_domain_labels(directory: str, run: Run) -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "show_plan", "confidence": 0.25},
        {"name": "out_of_scope", "confidence": 0.2},
        {"name": "help", "confidence": 0.1},
    ]
    messages, _ = run(ActionClarify(), tracker("pln?", intent="nlu_fallback", ranking=ranking))
    assert messages[0]["response"] == "utter_clarify"
    assert messages[0]["buttons"] == [
        {"title": "Show my plan", "payload": "/show_plan"},
        {"title": "What can you do?", "payload": "/help"},
    ]


def _form(
    text: str,
    *,
    entities: list[dict[str, str]] | None = None,
    slots: dict[str, object] | None = None,
    requested: str | None = None,
) -> object:
    """The form's turn: the slots the NLU filled this turn are set after the user's message."""
    given = slots or {}
    filled = [
        {"event": "slot", "name": e["entity"], "value": given[e["entity"]]}
        for e in entities or []
        if e["entity"] in given
    ]
    return tracker(
        text,
        intent="inform",
        entities=entities,
        after=filled,
        slots={"requested_slot": requested, **given},
    )


def _validated(run: Run, t: object) -> tuple[list[dict[str, object]], dict[str, object]]:
    messages, events = run(ValidateSearchForm(), t)
    return messages, slot_events(events)


def test_form_turns_a_grade_into_an_age(directory: str, run: Run) -> None:
    t = _form(
        "she's in 7th grade",
        entities=[entity("grade", "7")],
        slots={"grade": 7.0, "topic": ["art"]},
        requested="age",
    )
    _, slots = _validated(run, t)
    assert slots["age"] == 12.0


def test_form_refuses_an_impossible_age(directory: str, run: Run) -> None:
    t = _form(
        "she's 150",
        entities=[entity("age", "150")],
        slots={"age": 150.0, "topic": ["art"]},
        requested="age",
    )
    messages, slots = _validated(run, t)
    assert slots["age"] is None
    assert messages[0]["response"] == "utter_invalid_age"


def test_form_reads_topics_from_words_and_takes_anything(directory: str, run: Run) -> None:
    _, slots = _validated(run, _form("she loves robots and lego", requested="topic"))
    assert slots["topic"] == ["robotics"]
    _, slots = _validated(run, _form("anything really", requested="topic"))
    assert slots["topic"] == ["any"]
    _, slots = _validated(run, _form("hmm", requested="topic"))
    assert slots["topic"] is None  # asked again, never silence


def test_form_keeps_the_topic_a_refinement_refines(directory: str, run: Run) -> None:
    t = _form(
        "only free ones",
        entities=[entity("cost", "free")],
        slots={"topic": ["coding"], "age": 12.0, "cost": "free"},
    )
    _, slots = _validated(run, t)
    assert slots.get("topic", ["coding"]) == ["coding"]


def test_session_start_loads_the_stored_profile(directory: str, run: Run) -> None:
    run(
        ActionSearchOpportunities(),
        tracker("coding", slots={"topic": ["coding"], "age": 15.0, "location": "Eastside"}),
    )
    _, events = run(ActionSessionStart(), tracker("", intent="session_start"))
    slots = slot_events(events)
    assert slots["age"] == 15.0 and slots["location"] == "Eastside"
    assert events[0]["event"] == "session_started" and events[-1]["name"] == "action_listen"


def test_a_database_that_is_down_gets_an_apology_not_silence(
    tmp_path: object, run: Run, configure: Configure
) -> None:
    configure(WAYFINDER_DATABASE_URL="sqlite:////nonexistent-dir/forbidden/x.db")
    messages, events = run(
        ActionSearchOpportunities(), tracker("art", slots={"topic": ["art"], "age": 9.0})
    )
    assert [m["response"] for m in messages] == ["utter_technical_trouble"]
    assert events == []


def test_one_learner_gets_one_open_handoff_and_a_few_a_day(
    directory: str, db: Session, run: Run, configure: Configure
) -> None:
    """100 requests from one session must not post 100 times to the navigators (issue #13)."""
    configure(NAVIGATOR_CHAT_ID="-100123")
    t = tracker("a person please", intent="talk_to_human")
    answers = [run(ActionHandoff(), t)[0][0]["response"] for _ in range(5)]
    assert answers == ["utter_handoff_requested"] + ["utter_handoff_waiting"] * 4
    assert len(db.scalars(select(Handoff)).all()) == 1
    for _ in range(3):  # closed ones still count for a day
        db.expire_all()
        for handoff in db.scalars(select(Handoff)):
            handoff.status = "closed"
        db.commit()
        run(ActionHandoff(), t)
    db.expire_all()
    assert len(db.scalars(select(Handoff)).all()) == 3
    for handoff in db.scalars(select(Handoff)):
        handoff.status = "closed"
    db.commit()
    assert run(ActionHandoff(), t)[0][0]["response"] == "utter_handoff_too_many"
    assert len(db.scalars(select(Handoff)).all()) == 3
