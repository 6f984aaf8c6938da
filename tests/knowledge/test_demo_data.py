"""The demo city meets the bar a realistic demo needs (issue #2 §3), and seeds idempotently."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.models import Credential, Neighbourhood, Opportunity, Pathway, Provider
from knowledge.seed import seed_directory


def test_demo_city_has_enough_of_everything(demo_session: Session) -> None:
    opportunities = list(demo_session.scalars(select(Opportunity)))
    providers = list(demo_session.scalars(select(Provider)))
    assert len(opportunities) >= 150
    assert len(providers) >= 40
    kinds = Counter(p.kind for p in providers)
    assert set(kinds) == {
        "school",
        "library",
        "museum",
        "nonprofit",
        "business",
        "college",
        "community_group",
        "government",
    }
    in_person = Counter(o.neighbourhood.name for o in opportunities if o.neighbourhood)
    assert len(in_person) >= 8 and min(in_person.values()) >= 5
    assert min(o.min_age for o in opportunities if o.min_age is not None) <= 5
    assert any(o.max_age is None and (o.min_age or 0) >= 18 for o in opportunities)
    assert {o.is_free for o in opportunities} >= {True, False}
    assert {o.format for o in opportunities} == {"in_person", "online", "hybrid"}
    languages = Counter(code for o in opportunities for code in o.language_list)
    assert languages["es"] >= 10 and len([c for c in languages if c not in {"en", "es"}]) >= 2
    days = Counter(day for o in opportunities for day in o.days)
    assert days["Sat"] and days["Sun"] and days["Mon"]
    assert any(o.start_time and o.start_time.hour >= 18 for o in opportunities)
    assert any(o.start_date and o.start_date.month in (6, 7) for o in opportunities)
    credential_types = {c.credential_type for c in demo_session.scalars(select(Credential))}
    assert demo_session.scalar(select(func.count()).select_from(Credential)) >= 25  # type: ignore[operator]
    assert credential_types == {
        "badge",
        "micro_credential",
        "certificate",
        "certification",
        "license",
        "diploma",
        "college_credit",
    }
    pathways = list(demo_session.scalars(select(Pathway)))
    assert len(pathways) >= 6 and all(len(p.steps) >= 3 for p in pathways)


def test_demo_city_locations_lie_in_their_neighbourhoods(demo_session: Session) -> None:
    for hood in demo_session.scalars(select(Neighbourhood)):
        assert hood.latitude is not None and hood.longitude is not None
        for o in demo_session.scalars(
            select(Opportunity).where(Opportunity.neighbourhood_id == hood.id)
        ):
            assert o.latitude is not None and o.longitude is not None
            assert (
                abs(o.latitude - hood.latitude) < 0.03 and abs(o.longitude - hood.longitude) < 0.04
            )


def test_reseeding_the_demo_city_changes_nothing(demo_session: Session) -> None:
    report = seed_directory(demo_session)
    assert all(c["created"] == 0 and c["updated"] == 0 for c in report.counts.values()), (
        report.counts
    )
