"""The read API's objects (knowledge.transfer.hsds.nesting): a page of services costs a fixed
number of statements however many listings the page or the directory holds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from knowledge.models import ChangeRecord, Location, Opportunity, Provider, Topic
from knowledge.transfer.hsds import AddressDefaults
from knowledge.transfer.hsds.nesting import (
    Paging,
    ServiceFilter,
    organizations_page,
    service_at_locations_page,
    services_page,
)

CITY = AddressDefaults(state_province="Ohio", country="US", timezone="America/New_York")


def big_directory(session: Session, listings: int = 1000) -> None:
    """100 providers with 2 places each, `listings` listings each at one place with 2 topics."""
    topics = [Topic(name=f"topic {number}") for number in range(20)]
    providers = [Provider(name=f"Provider {number:03d}") for number in range(100)]
    places = [
        Location(
            name=f"Hall {number}",
            provider=providers[number // 2],
            address=f"{number} Main St",
            city="Springfield",
            postal_code="44109",
        )
        for number in range(200)
    ]
    session.add_all([*topics, *providers, *places])
    opportunities = [
        Opportunity(
            title=f"Class {number}",
            description="Learn something.",
            provider=providers[number % 100],
            locations=[places[number % 200]],
            topics=[topics[number % 20], topics[(number + 1) % 20]],
            start_time=time(16),
            days_mask=1,
        )
        for number in range(listings)
    ]
    session.add_all(opportunities)
    session.flush()  # the ids are the database's own (on PostgreSQL, not 1…n)
    session.add_all(
        ChangeRecord(
            entity_type="opportunity",
            entity_id=opportunity.id,
            action="create",
            field="title",
            new_value="Class",
            actor="test",
            source="seed",
        )
        for opportunity in opportunities
    )
    session.flush()
    session.expunge_all()


@contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    """The SQL statements run meanwhile."""
    statements: list[str] = []

    def note(*args: Any) -> None:
        statements.append(args[2])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_page_of_services_costs_a_fixed_number_of_statements(session: Session) -> None:
    big_directory(session)
    with counted(session) as small:
        page = services_page(session, CITY, Paging(1, 5), ServiceFilter(), full=True)
    session.expunge_all()
    with counted(session) as large:
        page = services_page(session, CITY, Paging(3, 50), ServiceFilter(), full=True)
    assert page["total_items"] == 1000 and page["size"] == 50
    assert all(item["service_at_locations"] and item["metadata"] for item in page["contents"])
    assert len(large) == len(small) <= 15, large


def test_other_pages_cost_a_fixed_number_of_statements(session: Session) -> None:
    big_directory(session)
    with counted(session) as links:
        found = service_at_locations_page(session, CITY, Paging(2, 50), ServiceFilter())
    assert found["size"] == 50 and len(links) <= 15, links
    session.expunge_all()
    with counted(session) as organizations:
        found = organizations_page(session, CITY, Paging(1, 50), None)
    assert found["total_items"] == 100 and len(organizations) <= 5, organizations
