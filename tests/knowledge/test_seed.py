"""Seeding from YAML: loads everything, is idempotent, records history, refuses bad files whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.models import ChangeRecord, Credential, Opportunity, Pathway, Topic
from knowledge.seed import SeedError, seed_directory

CITY = {
    "city": {"name": "Testville", "currency": "USD"},
    "neighbourhoods": [
        {"name": "Riverside", "aliases": ["river side"], "latitude": 41.5, "longitude": -81.7},
        {"name": "Old Town", "aliases": ["downtown"], "latitude": 41.49, "longitude": -81.68},
    ],
    "topics": [
        {"name": "coding", "synonyms": ["programming", "python"]},
        {"name": "art", "synonyms": ["drawing"]},
    ],
    "careers": [{"key": "web-dev", "name": "Web developer", "description": "Builds sites."}],
}
PROVIDERS = [
    {
        "key": "riverside-library",
        "name": "Riverside Library",
        "kind": "library",
        "verified": True,
        "phone": "(216) 555-0100",
        "locations": [
            {
                "key": "riverside-library-main",
                "name": "Riverside Library",
                "address": "1 River Rd",
                "neighbourhood": "Riverside",
                "postal_code": 44101,
                "latitude": 41.501,
                "longitude": -81.701,
            }
        ],
    }
]
CREDENTIALS = [
    {
        "key": "code-badge",
        "name": "Code Badge",
        "type": "badge",
        "issuer": "riverside-library",
        "skills": ["loops"],
        "prepares_for": {"credentials": ["web-cert"], "careers": ["web-dev"]},
    },
    {
        "key": "web-cert",
        "name": "Web Certificate",
        "type": "certificate",
        "requires": ["code-badge"],
    },
]
OPPORTUNITIES = [
    {
        "external_id": "t-001",
        "title": "Saturday Code Club",
        "provider": "riverside-library",
        "description": "Build games in Scratch and Python.",
        "topics": ["coding"],
        "min_age": 10,
        "max_age": 14,
        "cost": {"amount": 0},
        "format": "in_person",
        "locations": ["riverside-library-main"],
        "schedule": {
            "days": ["Sat"],
            "start_time": "10:00",
            "end_time": "12:00",
            "start_date": "2027-01-09",
            "end_date": "2027-05-29",
        },
        "languages": ["en", "es"],
        "awards": ["code-badge"],
        "assured_date": "2026-10-01",
    },
    {
        "external_id": "t-002",
        "title": "Drawing Online",
        "provider": "riverside-library",
        "description": "Sketch along with a local illustrator.",
        "topics": ["art"],
        "min_age": 8,
        "cost": {"amount": 25.5, "financial_aid": "Ask about fee waivers."},
        "format": "online",
    },
]
PATHWAYS = [
    {
        "key": "software",
        "name": "Software",
        "goal_type": "career",
        "keywords": ["coder"],
        "careers": ["web-dev"],
        "steps": [
            {"title": "Start", "opportunity": "t-001"},
            {"title": "Certify", "credential": "web-cert", "min_age": 16},
        ],
    },
]


def write_seed(folder: Path, **overrides: Any) -> Path:
    """A complete seed folder; keyword arguments replace whole files' contents."""
    files = {
        "city": CITY,
        "providers": PROVIDERS,
        "credentials": CREDENTIALS,
        "pathways": PATHWAYS,
        "opportunities": OPPORTUNITIES,
        **overrides,
    }
    (folder / "opportunities").mkdir(parents=True, exist_ok=True)
    for name in ("city", "providers", "credentials", "pathways"):
        (folder / f"{name}.yml").write_text(yaml.safe_dump(files[name]), encoding="utf-8")
    (folder / "opportunities" / "all.yml").write_text(
        yaml.safe_dump(files["opportunities"]), encoding="utf-8"
    )
    return folder


def count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_seed_loads_every_kind_of_record(session: Session, tmp_path: Path) -> None:
    report = seed_directory(session, write_seed(tmp_path))
    assert report.counts["opportunities"]["created"] == 2
    club = session.scalar(select(Opportunity).where(Opportunity.external_id == "t-001"))
    assert club is not None
    assert club.days == ["Sat"] and club.language_list == ["en", "es"]
    assert club.is_free is True and club.provider.name == "Riverside Library"
    assert [c.name for c in club.awards] == ["Code Badge"]
    assert club.neighbourhood is not None and club.neighbourhood.name == "Riverside"
    assert club.latitude == pytest.approx(41.501)
    drawing = session.scalar(select(Opportunity).where(Opportunity.external_id == "t-002"))
    assert drawing is not None and drawing.is_free is False and str(drawing.cost_amount) == "25.50"
    web = session.scalar(select(Credential).where(Credential.key == "web-cert"))
    assert web is not None and [c.key for c in web.requires] == ["code-badge"]
    pathway = session.scalar(select(Pathway))
    assert pathway is not None
    assert [(s.position, s.title, s.min_age) for s in pathway.steps] == [
        (1, "Start", None),
        (2, "Certify", 16),
    ]
    coding = session.scalar(select(Topic).where(Topic.name == "coding"))
    assert coding is not None and sorted(s.term for s in coding.synonyms) == [
        "programming",
        "python",
    ]


def test_seeding_twice_changes_nothing(session: Session, tmp_path: Path) -> None:
    folder = write_seed(tmp_path)
    seed_directory(session, folder)
    history = count(session, ChangeRecord)
    report = seed_directory(session, folder)
    assert count(session, ChangeRecord) == history
    assert all(c["created"] == 0 and c["updated"] == 0 for c in report.counts.values())
    assert count(session, Opportunity) == 2


def test_reseeding_a_changed_listing_records_the_change(session: Session, tmp_path: Path) -> None:
    seed_directory(session, write_seed(tmp_path / "a"))
    changed = [dict(OPPORTUNITIES[0], max_age=15), OPPORTUNITIES[1]]
    report = seed_directory(session, write_seed(tmp_path / "b", opportunities=changed))
    assert report.counts["opportunities"] == {"created": 0, "updated": 1, "unchanged": 1}
    record = session.scalar(select(ChangeRecord).where(ChangeRecord.field == "max_age"))
    assert record is not None
    assert (record.entity_key, record.old_value, record.new_value, record.source) == (
        "t-001",
        "14",
        "15",
        "seed",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"topics": ["knitting"]}, "unknown topic 'knitting'"),
        ({"provider": "nobody"}, "unknown provider 'nobody'"),
        ({"format": "telepathy"}, "'telepathy' is not one of: in_person, online, hybrid"),
        ({"min_age": 15}, "min_age 15 is above max_age 14"),
        ({"min_age": -1}, "min_age: -1 is negative; ages are 0 or more"),
        ({"min_age": 500}, "min_age: 500 is not a plausible age (at most 120)"),
        ({"schedule": {"days": ["Caturday"]}}, "'Caturday' is not a day; use Mon;Tue;"),
        ({"schedule": {"start_time": "25:00"}}, "'25:00' is not a time"),
        ({"languages": ["english"]}, "'english' is not a language code; write en for English"),
        ({"cost": {"amount": -5}}, "-5 is negative"),
        ({"awards": ["ghost-badge"]}, "unknown credential 'ghost-badge'"),
        ({"status": "maybe"}, "'maybe' is not one of: active"),
    ],
)
def test_seed_refuses_bad_listings_naming_file_and_entry(
    session: Session, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    bad = [dict(OPPORTUNITIES[0], **change), OPPORTUNITIES[1]]
    with pytest.raises(SeedError) as raised:
        seed_directory(session, write_seed(tmp_path, opportunities=bad))
    assert message in str(raised.value)
    assert "all.yml t-001" in str(raised.value)


def test_seed_refuses_a_synonym_owned_by_two_topics(session: Session, tmp_path: Path) -> None:
    city = dict(
        CITY,
        topics=[
            {"name": "coding", "synonyms": ["python"]},
            {"name": "snakes", "synonyms": ["python"]},
        ],
    )
    with pytest.raises(SeedError, match="'python' already belongs"):
        seed_directory(session, write_seed(tmp_path, city=city))


def test_seed_refuses_a_missing_file(session: Session, tmp_path: Path) -> None:
    folder = write_seed(tmp_path)
    (folder / "credentials.yml").unlink()
    with pytest.raises(SeedError, match=r"credentials\.yml: file not found"):
        seed_directory(session, folder)
