"""`wayfinder directory stale`, and `directory stats` saying when the NLU lookups are behind."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from knowledge.editing.stale_nudges import record_nudge
from knowledge.history import Actor
from knowledge.models import Provider
from knowledge.writes import get_or_create_topic
from tests.knowledge.cli.conftest import TODAY, City, Cli


@pytest.fixture
def aged(city: City) -> City:
    """Story Time confirmed 100 days ago; Saturday Robotics never; a museum listing 90 days ago
    (nobody on Telegram there); a fresh and a closed listing that do not count."""
    with city.session() as session:
        city.listing(session, "Story Time").assured_date = TODAY - timedelta(days=100)
        session.add(Provider(name="Quiet Museum", kind="museum", verified=True))
        session.flush()
        city.add_listing(
            session, "Fossil Friday", "Quiet Museum", assured_date=TODAY - timedelta(days=90)
        )
        city.add_listing(
            session, "Book Club", "Eastside Library", assured_date=TODAY - timedelta(days=3)
        )
        city.add_listing(
            session,
            "Old Workshop",
            "Eastside Library",
            status="inactive",
            assured_date=TODAY - timedelta(days=400),
        )
    return city


def test_stale_listings_oldest_first_with_provider_and_who_is_asked(aged: City, cli: Cli) -> None:
    code, out, err = cli("directory", "stale")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    cutoff = TODAY - timedelta(days=60)
    heading = f"3 active listings not confirmed for 60 days (before {cutoff}), oldest first:"
    assert lines[0] == heading
    assert lines[1].split() == ["id", "last", "confirmed", "listing", "provider"]
    rows = [line.split("  ") for line in lines[2:5]]
    assert [[cell.strip() for cell in row if cell.strip()][1:] for row in rows] == [
        ["never", "Saturday Robotics", "Robot Club"],
        [str(TODAY - timedelta(days=100)), "Story Time", "Eastside Library"],
        [str(TODAY - timedelta(days=90)), "Fossil Friday", "Quiet Museum"],
    ]
    assert "Book Club" not in out and "Old Workshop" not in out
    assert lines[5] == (
        "2 of 3 have a provider member on Telegram: 2 will be asked to confirm, "
        "0 were asked in the last 14 days."
    )
    assert lines[6].startswith("1 have nobody on Telegram to ask; invite their providers")


def test_a_listing_asked_about_lately_is_not_asked_again(aged: City, cli: Cli) -> None:
    with aged.session() as session:
        record_nudge(session, aged.member(session, "Lee"), aged.listing(session, "Story Time"))
    _, out, _ = cli("directory", "stale")
    assert "2 of 3 have a provider member on Telegram: 1 will be asked to confirm, 1 was" in out


def test_days_and_today_change_what_counts_as_stale(aged: City, cli: Cli) -> None:
    _, out, _ = cli("directory", "stale", "--days", "2")
    assert out.startswith("4 active listings not confirmed for 2 days") and "Book Club" in out
    later = TODAY + timedelta(days=365)
    _, out, _ = cli("directory", "stale", "--today", later.isoformat())
    assert out.startswith("4 active listings")


def test_freshness_days_comes_from_the_setting(
    aged: City, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRESHNESS_DAYS", "95")
    _, out, _ = cli("directory", "stale")
    assert out.startswith("2 active listings not confirmed for 95 days")


def test_nothing_stale_says_so(city: City, cli: Cli) -> None:
    with city.session() as session:
        city.listing(session, "Saturday Robotics").assured_date = TODAY
    code, out, _ = cli("directory", "stale")
    assert code == 0
    assert out == (
        "Every active listing was confirmed in the last 60 days "
        f"(since {TODAY - timedelta(days=60)}).\n"
    )


def test_days_must_be_a_whole_number(city: City, cli: Cli) -> None:
    with pytest.raises(SystemExit) as usage:
        cli("directory", "stale", "--days", "0")
    assert usage.value.code == 2


def test_stats_say_when_the_nlu_lookups_miss_new_names(
    city: City, cli: Cli, tmp_path: Path
) -> None:
    folder = str(tmp_path / "lookups")
    assert cli("nlu", "lookups", "--folder", folder)[0] == 0
    code, out, _ = cli("directory", "stats", "--lookups", folder)
    assert code == 0 and f"NLU lookups ({folder}): up to date with the directory." in out
    with city.session() as session:
        get_or_create_topic(session, "zorbulation", Actor("test", "cli"))
        session.add(Provider(name="Hive Collective", kind="nonprofit"))
    _, out, _ = cli("directory", "stats", "--lookups", folder)
    assert f"NLU lookups ({folder}): out of date; the assistant does not recognise these" in out
    assert "  topics: zorbulation\n  providers: Hive Collective\n" in out
    assert "Run `make train`" in out
    _, out, _ = cli("directory", "stats", "--lookups", folder, "--json")
    lookups = json.loads(out)["nlu_lookups"]
    assert lookups["missing"] == {"topics": ["zorbulation"], "providers": ["Hive Collective"]}
    assert lookups["stale_files"] == ["topics.yml", "providers.yml"]


def test_stats_say_when_the_lookups_differ_without_missing_anything(
    city: City, cli: Cli, tmp_path: Path
) -> None:
    folder = tmp_path / "lookups"
    cli("nlu", "lookups", "--folder", str(folder))
    topics = (folder / "topics.yml").read_text()
    (folder / "topics.yml").write_text(topics + "# edited by hand\n")
    _, out, _ = cli("directory", "stats", "--lookups", str(folder))
    assert "out of date (topics.yml differ from the directory). Run `make train`." in out
