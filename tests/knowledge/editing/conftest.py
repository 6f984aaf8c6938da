"""A small directory with a verified and an unverified provider, their members and an organiser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.orm import Session

from knowledge.history import Actor
from knowledge.models import Location, Member, Opportunity, Provider
from knowledge.writes import get_or_create_topic, upsert_opportunity

TODAY = date(2026, 12, 2)


@dataclass
class Directory:
    library: Provider
    club: Provider
    librarian: Member
    volunteer: Member
    organiser: Member
    story_time: Opportunity
    robots: Opportunity


@pytest.fixture
def directory(session: Session) -> Directory:
    """Eastside Library (verified) and Robot Club (not), one listing each."""
    actor = Actor("test", "seed")
    library = Provider(name="Eastside Library", kind="library", verified=True)
    club = Provider(name="Robot Club", kind="community_group", verified=False)
    branch = Location(
        name="Eastside branch", location_type="physical", address="1 Main St", provider=library
    )
    session.add_all([library, club, branch])
    session.flush()
    books = get_or_create_topic(session, "reading", actor)
    robotics = get_or_create_topic(session, "robotics", actor)
    story_time, _ = upsert_opportunity(
        session,
        {
            "title": "Story Time",
            "description": "Stories for little ones.",
            "provider": library,
            "topics": [books],
            "min_age": 3,
            "max_age": 6,
            "locations": [branch],
            "status": "active",
        },
        actor,
    )
    robots, _ = upsert_opportunity(
        session,
        {
            "title": "Saturday Robotics",
            "description": "Build robots.",
            "provider": club,
            "topics": [robotics],
            "min_age": 9,
            "max_age": 14,
            "status": "active",
        },
        actor,
    )
    librarian = Member(role="provider", name="Lee", telegram_user_id="101", providers=[library])
    volunteer = Member(role="provider", name="Val", telegram_user_id="202", providers=[club])
    organiser = Member(role="organiser", name="Olu", telegram_user_id="303")
    session.add_all([librarian, volunteer, organiser])
    session.flush()
    return Directory(library, club, librarian, volunteer, organiser, story_time, robots)
