"""The listings every export writes, loaded once with their relations, in a stable order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from knowledge.models import Location, Opportunity


def all_listings(session: Session) -> list[Opportunity]:
    """Every opportunity whatever its status, ordered by provider, title and external id.

    The order uses no database ids, so the same content exports the same way in any database.
    """
    query = select(Opportunity).options(
        selectinload(Opportunity.provider),
        selectinload(Opportunity.topics),
        selectinload(Opportunity.locations).selectinload(Location.neighbourhood),
        selectinload(Opportunity.awards),
        selectinload(Opportunity.translations),
    )
    listings = list(session.scalars(query))
    listings.sort(
        key=lambda item: (
            item.provider.name.lower(),
            item.title.lower(),
            item.external_id or "",
            item.provider.name,
            item.title,
        )
    )
    return listings


def first_physical(opportunity: Opportunity) -> Location | None:
    """The place the listing is mapped at (the same one search uses)."""
    return next(
        (place for place in opportunity.locations if place.location_type == "physical"), None
    )
