"""Unmet demand: ranked by searches that found little, small groups merged upwards and never
shown, the nearest offers from the directory's own search, and the window's days only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Opportunity, Topic
from knowledge.models.opportunity import opportunity_topic
from knowledge.reports.demand import ALL, CLOSE, LITTLE, demand_report
from knowledge.reports.privacy import ReportError
from knowledge.reports.synthetic import add_synthetic
from tests.knowledge.reports.conftest import START, add_searches, counts_in

LEARNER_COUNTS = frozenset({"searches", "unmet", "nothing"})


def test_groups_are_ranked_by_searches_that_found_little(session: Session) -> None:
    add_searches(session, 9, topic="chess", age_band="6–8", neighbourhood="Northgate")
    add_searches(session, 20, topic="chess", age_band="6–8", neighbourhood="Northgate", results=9)
    add_searches(session, 6, topic="robotics", age_band="9–12", neighbourhood="Eastside", results=1)
    add_searches(session, 12, topic="swimming", age_band=None, neighbourhood=None)
    report = demand_report(session, limit=None)
    assert [(row.label, row.searches, row.unmet, row.nothing) for row in report.rows] == [
        ("swimming · any age · anywhere", 12, 12, 12),
        ("chess · ages 6–8 · Northgate", 29, 9, 9),
        ("robotics · ages 9–12 · Eastside", 6, 6, 0),
    ]
    assert (report.searches, report.unmet) == (47, 27)


def test_small_groups_are_merged_into_wider_ones_never_shown(session: Session) -> None:
    add_searches(session, 4, topic="robotics", age_band="6–8", neighbourhood="Northgate")
    add_searches(session, 3, topic="robotics", age_band="6–8", neighbourhood="Eastside")
    add_searches(session, 2, topic="robotics", age_band="13–15", neighbourhood="Eastside")
    add_searches(session, 4, topic="pottery", age_band="6–8", neighbourhood="Eastside")
    add_searches(session, 3, topic="fencing", age_band=None, neighbourhood=None)
    report = demand_report(session, limit=None)
    assert [(row.label, row.unmet) for row in report.rows] == [
        ("robotics · ages 6–8 · other places", 7),
        ("other requests (each too few to show)", 9),
    ]
    merged = report.rows[0]
    assert (merged.topic, merged.age_band, merged.neighbourhood) == ("robotics", "6–8", ALL)


def test_a_rare_extra_wish_is_not_named(session: Session) -> None:
    add_searches(session, 6, topic="chess", cost="free", times="weekend", chat_language="en")
    add_searches(session, 4, topic="chess", format="online", chat_language="en")
    add_searches(session, 4, topic="chess", chat_language="es", days="Sat,Sun")
    add_searches(session, 3, topic="chess", chat_language="es")
    row = demand_report(session).rows[0]
    # 4 online and 4 on Saturdays are too few to name; English is what most chat in
    assert dict(row.often) == {"free": 6, "weekend": 6, "chatting in es": 7}


def test_only_the_windows_days_count(session: Session) -> None:
    add_searches(session, 6, topic="chess")
    add_searches(session, 7, topic="judo", day=START + timedelta(days=10))
    since = demand_report(session, since=START + timedelta(days=1))
    assert [row.topic for row in since.rows] == ["judo"]
    until = demand_report(session, until=START + timedelta(days=9))
    assert [row.topic for row in until.rows] == ["chess"]
    with pytest.raises(ReportError, match="before it starts"):
        demand_report(session, since=START, until=START - timedelta(days=1))


def test_k_can_be_raised_never_lowered(session: Session) -> None:
    add_searches(session, 6, topic="chess")
    assert demand_report(session, k=5).rows
    assert not demand_report(session, k=7).rows
    with pytest.raises(ReportError, match="at least 5"):
        demand_report(session, k=3)


def test_nearest_offers_are_the_same_topic_for_other_ages(demo_session: Session) -> None:
    topic = _topic_for_older_learners(demo_session)
    add_searches(demo_session, 8, topic=topic, age_band="0–5")
    row = demand_report(demo_session).rows[0]
    assert row.programs == 0
    assert row.nearest is not None and row.nearest.relaxed == "other ages"
    assert row.nearest.count >= LITTLE and row.nearest.offers
    titles = {offer.title for offer in row.nearest.offers}
    listed = demo_session.scalars(
        select(Opportunity.title)
        .join(opportunity_topic, opportunity_topic.c.opportunity_id == Opportunity.id)
        .join(Topic, Topic.id == opportunity_topic.c.topic_id)
        .where(Topic.name == topic)
    ).all()
    assert titles <= set(listed)


def test_a_topic_the_city_lacks_gets_related_topics_or_wider_offers(
    demo_session: Session,
) -> None:
    add_searches(demo_session, 6, topic="underwater basket weaving", age_band="6–8")
    row = demand_report(demo_session).rows[0]
    assert row.programs == 0
    assert row.nearest is None or row.nearest.topics or row.nearest.offers


def test_goals_asked_with_no_topic_are_a_careers_row_with_what_it_offers_now(
    demo_session: Session,
) -> None:
    add_searches(demo_session, 6, career_goal="dental assistant")
    add_searches(demo_session, 2, career_goal="registered nurse")  # under k even merged
    add_searches(demo_session, 2, career_goal="registered nurse", age_band="16–18")
    add_searches(demo_session, 5, topic="chess", career_goal="dental assistant")
    report = demand_report(demo_session, limit=None)
    assert [(row.label, row.searches, row.unmet) for row in report.rows] == [
        ("dental assistant (career) · any age · anywhere", 6, 6),
        ("chess · any age · anywhere", 5, 5),
    ]
    career, chess = report.rows
    assert (career.topic, career.career, career.programs, career.often) == (
        None, "dental assistant", 0, (),
    )  # fmt: skip
    assert career.nearest is not None and career.nearest.relaxed == CLOSE
    assert career.nearest.topics and "dental assistant" not in career.nearest.topics
    assert chess.career is None and dict(chess.often) == {"aiming to be a dental assistant": 5}
    assert "registered nurse" not in str(report.to_dict())


@pytest.mark.parametrize(("seed", "k"), [(1, 5), (2, 5), (3, 8), (4, 13)])
def test_no_count_under_k_in_any_synthetic_dataset(
    demo_session: Session, seed: int, k: int
) -> None:
    add_synthetic(demo_session, searches=1_500, start=START, days=21, seed=seed)
    report = demand_report(demo_session, k=k, limit=None)
    counts = list(counts_in(report.to_dict(), LEARNER_COUNTS))
    assert len(counts) > 10
    assert all(count is None or count == 0 or count >= k for count in counts)
    assert all(count >= k for row in report.rows for _wish, count in row.often)
    assert sum(row.unmet for row in report.rows) <= (report.unmet or 0)


def _topic_for_older_learners(session: Session) -> str:
    """A topic with several active listings, every one of them for ages 9 and up."""
    rows = session.execute(
        select(Topic.name, Opportunity.min_age)
        .join(opportunity_topic, opportunity_topic.c.topic_id == Topic.id)
        .join(Opportunity, Opportunity.id == opportunity_topic.c.opportunity_id)
        .where(Opportunity.status == "active")
    ).all()
    youngest: dict[str, list[int | None]] = {}
    for topic, min_age in rows:
        youngest.setdefault(topic, []).append(min_age)
    for topic, ages in sorted(youngest.items(), key=lambda item: -len(item[1])):
        if len(ages) >= LITTLE + 1 and all(age is not None and age >= 9 for age in ages):
            return topic
    raise AssertionError("the demo city has no topic only for older learners")
