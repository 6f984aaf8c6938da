"""Throwaway plans for the plan-export tests (knowledge, actions and the gateway): a provider, its
places and listings, and a learner who saved them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from knowledge.city import City
from knowledge.models import Location, Opportunity, OpportunityTranslation, Provider
from knowledge.models.learner import Learner, PlanItem

# A made-up city with daylight saving time, so recurring sessions cross a change of offset.
CITY = City(name="Testville", timezone="America/New_York", currency="USD", locale="en_US")
MADE_AT = datetime(2027, 1, 10, 17, 0, tzinfo=UTC)


def provider(session: Session, name: str = "Harbour Makers Co-op", **fields: Any) -> Provider:
    """A provider with a website, phone and email unless told otherwise."""
    made = Provider(
        name=name,
        website=fields.pop("website", "https://makers.example.org"),
        phone=fields.pop("phone", "555-0100"),
        email=fields.pop("email", "hello@makers.example.org"),
        **fields,
    )
    session.add(made)
    return made


def place(session: Session, name: str = "Main Hall", address: str = "12 Pier St") -> Location:
    """A physical place."""
    made = Location(name=name, address=address, location_type="physical")
    session.add(made)
    return made


def listing(
    session: Session, by: Provider, title: str = "Saturday Robot Lab", **fields: Any
) -> Opportunity:
    """A listing meeting on Saturdays 10:00–11:30 from 27 Feb to 27 Mar 2027 unless told
    otherwise (`days=[]`, `start_time=None`, … say less)."""
    values: dict[str, Any] = {
        "days": ["Sat"],
        "start_time": time(10, 0),
        "end_time": time(11, 30),
        "start_date": date(2027, 2, 27),
        "end_date": date(2027, 3, 27),
        "application_deadline": date(2027, 2, 20),
        "enroll_url": "https://makers.example.org/robots",
        "enroll_phone": "555-0199",
        "cost_amount": Decimal("40"),
        "is_free": False,
    }
    values.update(fields)
    days = values.pop("days")
    translations = values.pop("translations", {})
    locations = values.pop("locations", None)
    made = Opportunity(title=title, description=f"About {title}.", provider=by, **values)
    made.days = days
    made.locations = [place(session)] if locations is None else locations
    made.translations = [
        OpportunityTranslation(language=code, title=text, description=text)
        for code, text in translations.items()
    ]
    session.add(made)
    session.flush()
    return made


def saved(
    session: Session, sender_id: str, *listings: Opportunity, language: str | None = None
) -> Learner:
    """A learner (chatting in `language`) who saved the listings, in that order."""
    learner = Learner(sender_id=sender_id, interests=[])
    learner.chat_language = language
    session.add(learner)
    session.flush()
    for found in listings:
        session.add(PlanItem(learner=learner, opportunity=found))
    session.flush()
    return learner
