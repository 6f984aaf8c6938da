"""Where "within 2 km of <neighbourhood>" is measured from when the neighbourhood has no centre.

A city imported from a spreadsheet names its neighbourhoods but gives them no centre point (only
the demo's seed does), so a distance around one was silently dropped. The middle of the places
filed under it stands in, for a search that gives a distance only: a neighbourhood named without
one still keeps the listings filed under it (knowledge.search.filters), as before.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.models import Location
from knowledge.search.search_plan import Plan


def places_centre(session: Session, neighbourhood_id: int) -> tuple[float, float] | None:
    """The mean position of the neighbourhood's places that have coordinates, if any do."""
    row = session.execute(
        select(func.avg(Location.latitude), func.avg(Location.longitude))
        .where(Location.neighbourhood_id == neighbourhood_id)
        .where(Location.latitude.is_not(None), Location.longitude.is_not(None))
    ).one()
    if row[0] is None or row[1] is None:
        return None
    return float(row[0]), float(row[1])


def with_place_centre(session: Session, plan: Plan) -> Plan:
    """The plan measuring its given distance from the neighbourhood's places when the
    neighbourhood itself has no centre."""
    if plan.point is not None or plan.place is None or not plan.radius_given:
        return plan
    centre = places_centre(session, plan.place.id)
    return plan if centre is None else replace(plan, point=centre)
