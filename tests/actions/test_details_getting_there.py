"""A listing's details show how to get in and how to get there under its place, in the learner's
language, only when the provider said."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.details import ActionOpportunityDetails
from knowledge.models import Opportunity
from tests.actions.conftest import Run, tracker

TITLE = "Saturday Code Club"


def _noted(db: Session, accessibility: str | None, transport: str | None) -> Opportunity:
    """The listing with its place's notes set as given."""
    listing = db.scalars(select(Opportunity).where(Opportunity.title == TITLE)).one()
    for place in listing.locations:
        place.accessibility, place.transport = accessibility, transport
    db.commit()
    return listing


def _details(run: Run, listing: Opportunity, **slots: Any) -> dict[str, Any]:
    """The utter_details message for the listing."""
    t = tracker(
        "tell me more", intent="opportunity_details", slots={"selected": str(listing.id)} | slots
    )
    messages, _ = run(ActionOpportunityDetails(), t)
    return next(message for message in messages if message["response"] == "utter_details")


def test_both_notes_show_under_the_place(directory: str, db: Session, run: Run) -> None:
    listing = _noted(db, "Lift to the 2nd floor", "Bus 14 stops outside")
    details = _details(run, listing)
    assert details["getting_there"] == (
        "\n♿ Access: Lift to the 2nd floor\n🚌 Getting there: Bus 14 stops outside"
    )


def test_only_the_note_given_shows(directory: str, db: Session, run: Run) -> None:
    listing = _noted(db, None, "Bus 14 stops outside")
    assert _details(run, listing)["getting_there"] == "\n🚌 Getting there: Bus 14 stops outside"
    listing = _noted(db, "  ", None)
    assert _details(run, listing)["getting_there"] == ""


def test_the_labels_are_in_the_learners_language(directory: str, db: Session, run: Run) -> None:
    listing = _noted(db, "Rampa en la entrada", "Autobús 14")
    details = _details(run, listing, chat_language="es")
    assert details["getting_there"] == (
        "\n♿ Accesibilidad: Rampa en la entrada\n🚌 Cómo llegar: Autobús 14"
    )


def test_the_template_puts_them_under_the_place(domain: dict[str, Any]) -> None:
    [variant] = domain["responses"]["utter_details"]
    assert "📍 Where: {where}{getting_there}\n🗓 When:" in variant["text"]
