"""The notes of a listing's place people edit with the listing ("step-free entrance", "bus 14
stops outside"): they belong to the place, so every listing held there shows the change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from knowledge.history import Actor, apply_changes
from knowledge.models import Location, Opportunity, Provider
from knowledge.transfer.report import Problem

# Editing attribute → the Location column it writes (the names the editing rules key values by).
PLACE_ATTRIBUTES = {"place_accessibility": "accessibility", "place_transport": "transport"}


def is_place_attribute(attribute: str) -> bool:
    """Whether the attribute is a note of the listing's place rather than of the listing."""
    return attribute in PLACE_ATTRIBUTES


def main_place(opportunity: Opportunity | None) -> Location | None:
    """The place the listing's details, export and edits use: its first physical one."""
    if opportunity is None:
        return None
    return next(
        (place for place in opportunity.locations if place.location_type == "physical"), None
    )


def new_listing_place(provider: Provider, values: Mapping[str, Any]) -> Location | None:
    """The place a new listing is added at (knowledge.editing.member_edits.add_listing)."""
    if values.get("format", "in_person") == "online":
        return None
    return next((place for place in provider.locations if place.location_type == "physical"), None)


def place_value(opportunity: Opportunity | None, attribute: str) -> str | None:
    """A place note of the listing as stored (None when it has no place or no note)."""
    place = main_place(opportunity)
    return getattr(place, PLACE_ATTRIBUTES[attribute]) if place is not None else None


def split(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The listing's own values and its place's notes (by editing attribute), apart."""
    own = {key: value for key, value in values.items() if not is_place_attribute(key)}
    notes = {key: value for key, value in values.items() if is_place_attribute(key)}
    return own, notes


def place_problems(
    place: Location | None, values: Mapping[str, Any], name_of: Any
) -> list[Problem]:
    """A note given for a listing with no place to hold it (online, or no address yet)."""
    if place is not None:
        return []
    return [
        Problem(
            "belongs to the place the listing meets at, and this listing has none (it is online "
            "or has no address yet); add its address by spreadsheet upload first",
            None,
            name_of(attribute),
            field_label="field",
        )
        for attribute, value in values.items()
        if is_place_attribute(attribute) and value is not None
    ]


def write_place_notes(
    session: Session, place: Location | None, notes: Mapping[str, Any], actor: Actor
) -> None:
    """Set the place's notes, each change in the place's history."""
    if place is None or not notes:
        return
    columns = {PLACE_ATTRIBUTES[attribute]: value for attribute, value in notes.items()}
    apply_changes(session, place, columns, actor)
