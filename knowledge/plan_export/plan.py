"""The plan to export: a learner's saved listings with everything the files show, loaded in one
go, with the language and city the files are written for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from knowledge.city import City
from knowledge.models import Location, Opportunity
from knowledge.models.learner import Learner, PlanItem
from knowledge.search.formats import Voice, voice_of


@dataclass(frozen=True)
class ExportedPlan:
    """A learner's plan as of `made_at` (UTC), to be written in `voice` for `city`."""

    items: tuple[PlanItem, ...]
    city: City
    voice: Voice
    made_at: datetime

    @property
    def today(self) -> date:
        """The day it was made on, in the city."""
        return self.city.today(self.made_at)

    @property
    def opportunities(self) -> list[Opportunity]:
        """The saved listings, oldest saved first."""
        return [item.opportunity for item in self.items]


def exported_plan(
    session: Session, sender_id: str, city: City, *, now: datetime | None = None
) -> ExportedPlan | None:
    """The plan of the learner behind `sender_id`, in their chat language; None when the directory
    keeps nothing about them (never came, forgotten, or a child whose plan was not kept). An
    empty plan is an ExportedPlan with no items: callers say so instead of sending an empty file."""
    learner = session.scalar(select(Learner).where(Learner.sender_id == sender_id))
    if learner is None:
        return None
    items = session.scalars(
        select(PlanItem)
        .where(PlanItem.learner_id == learner.id)
        .options(
            selectinload(PlanItem.opportunity).options(
                selectinload(Opportunity.provider),
                selectinload(Opportunity.translations),
                selectinload(Opportunity.locations).selectinload(Location.neighbourhood),
            )
        )
        .order_by(PlanItem.id)
    )
    return ExportedPlan(
        items=tuple(items),
        city=city,
        voice=voice_of(learner.chat_language, city.locale),
        made_at=now or datetime.now(UTC),
    )
