"""`wayfinder taxonomy export|import` and the unattached topics in `directory stats`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import select

from knowledge.models import ChangeRecord, Topic, TopicSynonym
from knowledge.writes import get_or_create_topic
from tests.knowledge.cli.conftest import SEED, City, Cli


def sheet(text: str) -> list[dict[str, str]]:
    """Rows of an exported sheet."""
    return list(csv.DictReader(io.StringIO(text)))


def synonyms(city: City, name: str) -> list[str]:
    """A topic's own synonyms, sorted."""
    with city.session() as session:
        topic = session.scalars(select(Topic).where(Topic.name == name)).one()
        return sorted(synonym.term for synonym in topic.synonyms)


def test_export_lists_each_topic_with_the_starter_topics_it_joined(city: City, cli: Cli) -> None:
    with city.session() as session:
        city.add_listing(session, "Dojo Nights", "Robot Club", "karate and judo")
        get_or_create_topic(session, "zorbulation", SEED)
    code, out, _ = cli("taxonomy", "export")
    assert code == 0
    rows = {row["topic"]: row for row in sheet(out)}
    assert list(sheet(out)[0]) == ["topic", "synonyms", "starter_topics", "listings"]
    assert rows["robotics"]["starter_topics"] == "robotics"
    assert rows["robotics"]["listings"] == "1"
    assert "martial arts" in rows["karate and judo"]["starter_topics"]
    assert rows["zorbulation"]["starter_topics"] == ""
    assert rows["zorbulation"]["listings"] == "0"


def test_import_sets_synonyms_records_history_and_round_trips(
    city: City, cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "topics.csv"
    path.write_text("topic,synonyms\nrobotics,bots; mechatronics\n", encoding="utf-8")
    code, out, err = cli("taxonomy", "import", str(path), "--dry-run")
    assert (code, err) == (0, "")
    assert "would add 2" in out
    assert synonyms(city, "robotics") == []
    code, out, _ = cli("taxonomy", "import", str(path), "--actor", "Olu")
    assert code == 0, out
    assert "robotics: + bots, mechatronics" in out
    assert synonyms(city, "robotics") == ["bots", "mechatronics"]
    with city.session() as session:
        record = session.scalars(select(ChangeRecord).where(ChangeRecord.field == "synonyms")).one()
        assert (record.actor, record.new_value) == ("Olu", "bots; mechatronics")
    exported = tmp_path / "again.csv"
    assert cli("taxonomy", "export", "--output", str(exported))[0] == 0
    code, out, _ = cli("taxonomy", "import", str(exported))
    assert code == 0
    assert "added 0 and removed 0" in out


def test_a_word_moves_between_topics_only_when_the_file_frees_it(
    city: City, cli: Cli, tmp_path: Path
) -> None:
    with city.session() as session:
        reading = session.scalars(select(Topic).where(Topic.name == "reading")).one()
        session.add(TopicSynonym(topic=reading, term="bots"))
    path = tmp_path / "topics.csv"
    path.write_text("topic,synonyms\nrobotics,bots\n", encoding="utf-8")
    code, _, err = cli("taxonomy", "import", str(path))
    assert code == 1
    assert "'bots' is already a synonym of 'reading'" in err
    assert "nothing was imported" in err
    path.write_text("topic,synonyms\nrobotics,bots\nreading,\n", encoding="utf-8")
    assert cli("taxonomy", "import", str(path))[0] == 0
    assert synonyms(city, "robotics") == ["bots"]
    assert synonyms(city, "reading") == []


def test_bad_sheets_are_refused_whole_with_row_and_column(
    city: City, cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "topics.csv"
    path.write_text(
        "topic,synonyms\nrobotics,bots\nastrology,stars\nrobotics,x\n,y\nreading,reading; bots\n",
        encoding="utf-8",
    )
    code, _, err = cli("taxonomy", "import", str(path))
    assert code == 1
    assert "row 3, column topic: 'astrology' is not a topic" in err
    assert "row 4, column topic: 'robotics' is already in row 2" in err
    assert "row 5, column topic: is required but empty" in err
    assert "row 6, column synonyms: 'reading' is the topic's own name" in err
    assert "'bots' is also given for 'robotics' in row 2" in err
    assert synonyms(city, "robotics") == []
    path.write_text("name,words\nrobotics,bots\n", encoding="utf-8")
    code, _, err = cli("taxonomy", "import", str(path))
    assert code == 1
    assert "missing column(s): topic, synonyms" in err
    code, _, err = cli("taxonomy", "import", str(tmp_path / "absent.csv"))
    assert code == 1
    assert "is not a file" in err


def test_a_topic_name_or_place_cannot_become_a_synonym(
    city: City, cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "topics.csv"
    path.write_text("topic,synonyms\nreading,robotics\n", encoding="utf-8")
    code, _, err = cli("taxonomy", "import", str(path))
    assert code == 1
    assert "'robotics' is the name of another topic" in err


def test_stats_name_topics_that_joined_nothing(city: City, cli: Cli) -> None:
    with city.session() as session:
        get_or_create_topic(session, "zorbulation", SEED)
    code, out, _ = cli("directory", "stats")
    assert code == 0
    assert "Topics that joined no starter topic (1): zorbulation" in out
    assert "wayfinder taxonomy import" in out
