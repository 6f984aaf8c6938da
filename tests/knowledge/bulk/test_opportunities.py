"""The bulk path imports use writes what upsert_opportunity would write, history included."""

from __future__ import annotations

import json
from datetime import date, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.bulk.opportunities import create_opportunities
from knowledge.history import apply_changes, deferred_history, flush_history, history_of
from knowledge.models import ChangeRecord, Location, Opportunity, Provider
from knowledge.writes import (
    get_or_create_credential,
    get_or_create_neighbourhood,
    get_or_create_provider,
    get_or_create_topic,
    upsert_opportunity,
)
from tests.knowledge.transfer.factories import ACTOR

# Columns whose values legitimately differ between two listings created at different moments.
VOLATILE = {"version", "id", "created_at", "modified_at"}


def sample_values(session: Session, external_id: str) -> dict[str, Any]:
    """Field values touching every kind of field: columns, properties, links, a foreign key."""
    provider = get_or_create_provider(session, "Maker Space", ACTOR)
    neighbourhood = get_or_create_neighbourhood(session, "Northgate", ACTOR)
    place = Location(provider=provider, address="880 Foundry Ln", latitude=41.55, longitude=-81.66)
    place.neighbourhood = neighbourhood
    session.add(place)
    topics = [get_or_create_topic(session, name, ACTOR) for name in ("robotics", "3d printing")]
    badge = get_or_create_credential(session, "Robot Badge", "badge", ACTOR, issuer=provider)
    session.flush()
    return {
        "external_id": external_id,
        "title": "Robot Builders",
        "provider": provider,
        "description": "Design, print and program small robots.",
        "topics": topics,
        "min_age": 11,
        "max_age": None,
        "cost_amount": Decimal("40.00"),
        "financial_aid": "Ask about waivers",
        "format": "in_person",
        "locations": [place],
        "days": ["Wed", "Mon"],
        "start_time": time(16, 0),
        "end_time": time(17, 30),
        "start_date": date(2027, 1, 11),
        "end_date": None,
        "application_deadline": date(2027, 1, 4),
        "language_list": ["en", "es"],
        "awards": [badge],
        "enroll_url": "https://makers.example/robots",
        "enroll_phone": None,
        "enroll_email": "hi@makers.example",
    }


def columns_of(opportunity: Opportunity) -> dict[str, Any]:
    """Every stored column except ids and timestamps."""
    table = Opportunity.__table__
    return {
        column.key: getattr(opportunity, column.key)
        for column in table.columns
        if column.key not in VOLATILE and column.key != "external_id"
    }


def test_bulk_creation_writes_the_same_row_links_and_history_as_upsert(session: Session) -> None:
    values = sample_values(session, "one-by-one")
    created, outcome = upsert_opportunity(session, values, ACTOR)
    session.flush()
    (new_id,) = create_opportunities(session, [values | {"external_id": "in-bulk"}], ACTOR)
    session.expire_all()
    bulk = session.get(Opportunity, new_id)
    single = session.get(Opportunity, created.id)
    assert outcome == "created" and bulk is not None and single is not None
    assert columns_of(bulk) == columns_of(single)
    assert bulk.search_text.strip() and bulk.neighbourhood_id is not None
    assert (bulk.topics, bulk.locations, bulk.awards) == (
        single.topics,
        single.locations,
        single.awards,
    )
    (bulk_record,) = history_of(session, bulk)
    (single_record,) = history_of(session, single)
    assert (bulk_record.action, bulk_record.entity_key) == ("create", "in-bulk")
    bulk_snapshot = json.loads(bulk_record.new_value or "")
    single_snapshot = json.loads(single_record.new_value or "")
    assert bulk_snapshot.pop("external_id") == "in-bulk"
    assert single_snapshot.pop("external_id") == "one-by-one"
    assert bulk_snapshot == single_snapshot


def test_bulk_creation_returns_ids_in_the_order_given(session: Session) -> None:
    values = sample_values(session, "x")
    items = [values | {"external_id": f"b-{i}", "title": f"T{i}"} for i in range(5)]
    items[2] = {k: v for k, v in items[2].items() if k != "financial_aid"}  # a second key set
    ids = create_opportunities(session, items, ACTOR)
    session.expire_all()
    assert [session.get(Opportunity, i).title for i in ids] == [f"T{i}" for i in range(5)]  # type: ignore[union-attr]


def test_deferred_history_fills_in_ids_when_flushed(session: Session) -> None:
    with deferred_history(session):
        provider = Provider()
        (record,) = apply_changes(
            session, provider, {"name": "Late Ids", "kind": "nonprofit"}, ACTOR
        )
        assert record.entity_id == 0
        flush_history(session)
        apply_changes(session, provider, {"name": "Late Ids", "phone": "555-0100"}, ACTOR)
    records = list(session.scalars(select(ChangeRecord).order_by(ChangeRecord.id)))
    assert [(r.entity_id, r.action, r.field) for r in records] == [
        (provider.id, "create", "*"),
        (provider.id, "update", "phone"),
    ]
