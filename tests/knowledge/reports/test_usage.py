"""Use of the service: counts by ISO week and channel with none under k, popular topics and
neighbourhoods, the share of searches that found nothing, and stale listings by provider."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from knowledge.models import Opportunity, Provider
from knowledge.reports.synthetic import add_synthetic
from knowledge.reports.usage import iso_week, stale_by_provider, usage_report
from tests.knowledge.reports.conftest import START, add_events, add_searches, counts_in

NEXT_WEEK = START + timedelta(days=7)


def test_counts_by_week_and_channel_hide_those_under_k(session: Session) -> None:
    add_searches(session, 6, topic="chess", results=4)
    add_searches(session, 3, topic="chess", channel="telegram")
    add_events(session, 7, "conversation")
    add_events(session, 2, "handoff")
    add_events(session, 5, "details", day=NEXT_WEEK)
    report = usage_report(session, today=START)
    by_key = {(row.week, row.channel): row.counts for row in report.rows}
    assert by_key[("2026-W45", "web")] == {
        "conversation": 7, "search": 6, "details": 0, "plan_saved": 0, "reminder_sent": 0,
        "handoff": None,
    }  # fmt: skip
    assert by_key[("2026-W45", "telegram")]["search"] is None
    assert by_key[("2026-W46", "web")]["details"] == 5


def test_popular_topics_and_places_are_those_searched_at_least_k_times(session: Session) -> None:
    add_searches(session, 9, topic="chess", neighbourhood="Eastside")
    add_searches(session, 5, topic="coding", neighbourhood="Eastside")
    add_searches(session, 4, topic="judo", neighbourhood="Northgate")
    report = usage_report(session, today=START)
    assert report.topics == (("chess", 9), ("coding", 5))
    assert report.neighbourhoods == (("Eastside", 14),)


def test_the_share_of_nothing_fits_is_shown_only_from_k_searches(session: Session) -> None:
    add_searches(session, 5, topic="chess", results=0)
    add_searches(session, 15, topic="chess", results=8)
    add_searches(session, 3, topic="chess", results=0, day=NEXT_WEEK)
    add_searches(session, 9, topic="chess", results=2, day=NEXT_WEEK)
    report = usage_report(session, today=START)
    assert [(item.week, item.nothing, item.share) for item in report.nothing_fits] == [
        ("2026-W45", 5, 0.25),
        ("2026-W46", None, None),
    ]
    assert (report.overall.nothing, report.overall.share) == (8, 0.25)


def test_the_window_and_k_apply(session: Session) -> None:
    add_events(session, 6, "conversation")
    add_events(session, 6, "conversation", day=NEXT_WEEK)
    report = usage_report(session, since=NEXT_WEEK, today=START)
    assert [row.week for row in report.rows] == ["2026-W46"]
    assert usage_report(session, k=7, today=START).rows[0].counts["conversation"] is None


def test_stale_listings_are_counted_by_provider(session: Session) -> None:
    today = date(2026, 12, 1)
    club = Provider(name="Chess Club", kind="community_group")
    session.add(club)
    for title, confirmed in (("A", None), ("B", today - timedelta(days=90)), ("C", today)):
        session.add(
            Opportunity(title=title, description="Weekly.", provider=club, status="active",
                        assured_date=confirmed)
        )  # fmt: skip
    session.flush()
    [stale] = stale_by_provider(session, today=today, days=60)
    assert (stale.provider, stale.stale, stale.active, stale.oldest) == ("Chess Club", 2, 3, None)


def test_iso_weeks_cross_the_year_as_iso_does() -> None:
    assert iso_week(date(2027, 1, 1)) == "2026-W53"
    assert iso_week(date(2026, 11, 2)) == "2026-W45"


@pytest.mark.parametrize(("seed", "k"), [(1, 5), (2, 9), (3, 25)])
def test_no_count_under_k_in_any_synthetic_dataset(
    demo_session: Session, seed: int, k: int
) -> None:
    add_synthetic(demo_session, searches=800, usage=900, start=START, days=21, seed=seed)
    report = usage_report(demo_session, k=k)
    counts = [value for row in report.rows for value in row.counts.values()]
    counts += [item.nothing for item in (*report.nothing_fits, report.overall)]
    counts += [n for _name, n in (*report.topics, *report.neighbourhoods)]
    counts += list(counts_in(report.to_dict(), frozenset({"nothing"})))
    assert len(counts) > 20
    assert all(count is None or count == 0 or count >= k for count in counts)
