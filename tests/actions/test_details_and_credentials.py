"""Details by number or by name, and what a program leads to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.credentials import ActionExplainCredential
from actions.details import ActionOpportunityDetails
from knowledge.models import Opportunity
from tests.actions.conftest import Run, entity, slot_events, tracker


def _ids(db: Session, *titles: str) -> list[str]:
    return [
        str(db.scalars(select(Opportunity.id).where(Opportunity.title == title)).one())
        for title in titles
    ]


def test_details_by_ordinal_carry_every_field(directory: str, db: Session, run: Run) -> None:
    ids = _ids(db, "Saturday Code Club", "Code Sisters Club")
    t = tracker(
        "tell me about the second one",
        intent="opportunity_details",
        entities=[entity("ordinal", "2")],
        slots={"results": ids, "results_shown": 2.0},
    )
    messages, events = run(ActionOpportunityDetails(), t)
    (message,) = messages
    assert message["response"] == "utter_details"
    assert message["title"] == "Code Sisters Club"
    assert set(message) >= {"provider", "where", "when", "cost", "eligibility", "enrol", "awards"}
    assert message["cost"].startswith("Free")
    assert slot_events(events)["selected"] == ids[1]


def test_details_by_name(directory: str, db: Session, run: Run) -> None:
    ids = _ids(db, "Saturday Code Club", "Code Sisters Club")
    t = tracker("the code sisters one", intent="opportunity_details", slots={"results": ids})
    messages, _ = run(ActionOpportunityDetails(), t)
    assert messages[0]["title"] == "Code Sisters Club"


def test_an_unresolvable_reference_asks_which_one(directory: str, run: Run) -> None:
    t = tracker(
        "tell me about the fifth one",
        intent="opportunity_details",
        entities=[entity("ordinal", "5")],
        slots={"results": ["1"]},
    )
    messages, events = run(ActionOpportunityDetails(), t)
    assert messages == [{**messages[0], "response": "utter_which_one"}]
    assert events == []


def test_a_credential_type_in_plain_words(directory: str, run: Run) -> None:
    t = tracker(
        "what's a micro-credential?",
        intent="ask_credential",
        entities=[entity("credential_type", "micro_credential")],
    )
    messages, _ = run(ActionExplainCredential(), t)
    assert messages[0]["response"] == "utter_credential_type_micro_credential"


def test_what_the_selected_program_awards(directory: str, db: Session, run: Run) -> None:
    listing = db.scalars(select(Opportunity).where(Opportunity.awards.any())).first()
    assert listing is not None
    t = tracker(
        "what do I get at the end?", intent="ask_credential", slots={"selected": str(listing.id)}
    )
    messages, _ = run(ActionExplainCredential(), t)
    assert messages[0]["response"] == "utter_awards"
    assert listing.awards[0].name in messages[0]["credentials"]
    assert messages[1]["response"] == "utter_credential"
