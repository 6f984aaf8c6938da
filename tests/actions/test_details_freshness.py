"""The details of a listing its provider has not confirmed lately carry a warning."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.details import ActionOpportunityDetails
from actions.listing_lines import day
from knowledge.models import Opportunity
from tests.actions.conftest import Configure, Run, tracker


def _details_of(db: Session, run: Run, title: str, confirmed: date | None) -> list[dict[str, str]]:
    """Set when the listing was last confirmed, then ask for its details."""
    listing = db.scalars(select(Opportunity).where(Opportunity.title == title)).one()
    listing.assured_date = confirmed
    db.commit()
    t = tracker("tell me more", intent="opportunity_details", slots={"selected": str(listing.id)})
    messages, _ = run(ActionOpportunityDetails(), t)
    return messages


def test_a_stale_listing_says_when_it_was_confirmed_and_to_check(
    directory: str, db: Session, run: Run, configure: Configure
) -> None:
    configure(FRESHNESS_DAYS="60")
    confirmed = date.today() - timedelta(days=90)
    details, note = _details_of(db, run, "Saturday Code Club", confirmed)
    assert details["response"] == "utter_details" and details["confirmed"] == day(confirmed)
    assert note["response"] == "utter_details_stale"
    assert note["title"] == "Saturday Code Club"
    assert (note["days"], note["confirmed"]) == ("60", day(confirmed))


@pytest.mark.parametrize("days_ago", [0, 60, None])
def test_a_recent_or_never_confirmed_listing_has_no_warning(
    directory: str, db: Session, run: Run, configure: Configure, days_ago: int | None
) -> None:
    configure(FRESHNESS_DAYS="60")
    confirmed = None if days_ago is None else date.today() - timedelta(days=days_ago)
    [details] = _details_of(db, run, "Saturday Code Club", confirmed)
    assert details["confirmed"] == (day(confirmed) if confirmed else "—")


def test_the_warning_is_worded_in_the_domain(domain: dict[str, object]) -> None:
    responses = domain["responses"]
    assert isinstance(responses, dict)
    [variant] = responses["utter_details_stale"]
    text = variant["text"]
    assert "{days} days ago ({confirmed})" in text and "check with the provider" in text
    assert "Last confirmed by the provider: {confirmed}" in responses["utter_details"][0]["text"]
