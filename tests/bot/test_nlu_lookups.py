"""NLU lookup tables generated from the directory: Rasa's format, stable, and staleness detected."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from bot.nlu_lookups import build_lookup_files, stale_lookup_files, write_lookup_files
from knowledge.history import Actor
from knowledge.seed import seed_directory
from knowledge.writes import get_or_create_topic
from tests.knowledge.test_seed import write_seed


def test_lookup_files_hold_topics_places_and_providers_in_rasa_format(
    session: Session, tmp_path: Path
) -> None:
    seed_directory(session, write_seed(tmp_path / "seed"))
    files = {name: yaml.safe_load(text) for name, text in build_lookup_files(session).items()}
    topics = files["topics.yml"]["nlu"]
    assert topics[0]["lookup"] == "topic"
    examples = topics[0]["examples"].splitlines()
    assert {"- art", "- coding", "- drawing", "- programming", "- python"} <= set(examples)
    assert examples == sorted(examples)
    coding = next(block for block in topics if block.get("synonym") == "coding")
    own_and_starter = coding["examples"].splitlines()
    assert {"- programming", "- python"} <= set(own_and_starter)  # the city's own synonyms
    assert "- programación" in own_and_starter or "- programacion" in own_and_starter
    # each word maps to one topic only
    mapped = [
        line for block in topics if "synonym" in block for line in block["examples"].splitlines()
    ]
    assert len(mapped) == len(set(mapped))
    places = files["neighbourhoods.yml"]["nlu"]
    assert places[0]["lookup"] == "location" and "- downtown\n" in places[0]["examples"]
    assert {"synonym": "Old Town", "examples": "- downtown\n"} in places
    assert files["providers.yml"]["nlu"] == [
        {"lookup": "provider", "examples": "- Riverside Library\n"}
    ]
    assert all(f["version"] == "3.1" for f in files.values())


def test_careers_lookup_holds_starter_careers_that_are_not_topic_words(
    session: Session, tmp_path: Path
) -> None:
    seed_directory(session, write_seed(tmp_path / "seed"))
    files = {name: yaml.safe_load(text) for name, text in build_lookup_files(session).items()}
    (block,) = files["careers.yml"]["nlu"]
    assert block["lookup"] == "career_goal"
    careers = {line[2:] for line in block["examples"].splitlines()}
    assert {"auto mechanic", "cybersecurity analyst", "kindergarten teacher"} <= careers
    topic_words = {
        line[2:]
        for topic_block in files["topics.yml"]["nlu"]
        for line in topic_block["examples"].splitlines()
    }
    assert not careers & topic_words
    assert "plumber" not in careers  # a starter word for plumbing: a topic where a city has it
    assert len(careers) < 200  # modest: English names only


def test_writing_is_stable_and_a_new_topic_makes_the_files_stale(
    session: Session, tmp_path: Path
) -> None:
    seed_directory(session, write_seed(tmp_path / "seed"))
    out = tmp_path / "lookups"
    assert sorted(write_lookup_files(session, out)) == [
        "careers.yml",
        "neighbourhoods.yml",
        "providers.yml",
        "topics.yml",
    ]
    assert write_lookup_files(session, out) == []
    assert stale_lookup_files(session, out) == []
    get_or_create_topic(session, "beekeeping", Actor("test", "cli"))
    session.flush()
    assert stale_lookup_files(session, out) == ["topics.yml"]
    assert "Do not edit" in (out / "topics.yml").read_text()


def test_committed_lookup_files_match_the_demo_city(demo_session: Session) -> None:
    from bot.nlu_lookups import LOOKUPS_DIR

    assert stale_lookup_files(demo_session, LOOKUPS_DIR) == [], "run `wayfinder nlu lookups`"
