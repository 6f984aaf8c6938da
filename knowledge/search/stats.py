"""Counts over the directory, so a city can see at a glance what its search has to work with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from knowledge.models import (
    Credential,
    Neighbourhood,
    Opportunity,
    Pathway,
    PathwayStep,
    Provider,
    Topic,
)
from knowledge.models.opportunity import opportunity_topic
from knowledge.taxonomy import load_taxonomy

NO_PLACE = "(no place: online or unknown)"


@dataclass(frozen=True)
class DirectoryStats:
    """Counts by category, each mapping a label to a count, largest first."""

    opportunities: int
    opportunities_by_status: dict[str, int]
    opportunities_by_format: dict[str, int]
    providers: int
    providers_by_kind: dict[str, int]
    opportunities_by_topic: dict[str, int]
    opportunities_by_neighbourhood: dict[str, int]
    credentials: int
    credentials_by_type: dict[str, int]
    pathways: int
    pathway_steps: int
    # topics that joined no starter topic: only their own name and synonyms find them
    unattached_topics: list[str]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return dict(vars(self))


def directory_stats(session: Session) -> DirectoryStats:
    """Every count in a handful of GROUP BY queries."""
    topic_counts = (
        select(Topic.name, func.count(opportunity_topic.c.opportunity_id))
        .join(opportunity_topic, opportunity_topic.c.topic_id == Topic.id)
        .group_by(Topic.name)
    )
    place_counts = (
        select(Neighbourhood.name, func.count(Opportunity.id))
        .select_from(Opportunity)
        .outerjoin(Neighbourhood, Neighbourhood.id == Opportunity.neighbourhood_id)
        .group_by(Neighbourhood.name)
    )
    by_place = {name or NO_PLACE: count for name, count in _counts(session, place_counts).items()}
    return DirectoryStats(
        opportunities=_total(session, Opportunity.id),
        opportunities_by_status=_grouped(session, Opportunity.status),
        opportunities_by_format=_grouped(session, Opportunity.format),
        providers=_total(session, Provider.id),
        providers_by_kind=_grouped(session, Provider.kind),
        opportunities_by_topic=_counts(session, topic_counts),
        opportunities_by_neighbourhood=_largest_first(by_place),
        credentials=_total(session, Credential.id),
        credentials_by_type=_grouped(session, Credential.credential_type),
        pathways=_total(session, Pathway.id),
        pathway_steps=_total(session, PathwayStep.id),
        unattached_topics=load_taxonomy(session).unattached(),
    )


def _total(session: Session, column: InstrumentedAttribute[int]) -> int:
    """Rows in the column's table."""
    return session.scalar(select(func.count(column))) or 0


def _grouped(session: Session, column: InstrumentedAttribute[str]) -> dict[str, int]:
    """Rows per value of one column."""
    return _counts(session, select(column, func.count()).group_by(column))


def _counts(session: Session, statement: Select[Any]) -> dict[str, int]:
    """A (label, count) query as a dict, largest first."""
    return _largest_first({label: count for label, count in session.execute(statement)})


def _largest_first(counts: dict[str, int]) -> dict[str, int]:
    """Sorted by count (descending), then label."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], str(item[0]))))
