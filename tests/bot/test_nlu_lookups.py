"""NLU lookup tables generated from the directory: Rasa's format, stable, and staleness detected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session

from bot import nlu_lookups
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
    block = files["careers.yml"]["nlu"][0]
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
    assert len(careers) < 700  # modest: the names in each language, not every title


def test_careers_lookup_holds_other_languages_names_mapped_to_the_english_one(
    session: Session, tmp_path: Path
) -> None:
    seed_directory(session, write_seed(tmp_path / "seed"))
    blocks = yaml.safe_load(build_lookup_files(session)["careers.yml"])["nlu"]
    careers = {line[2:] for line in blocks[0]["examples"].splitlines()}
    assert {"maestro de kínder", "maestro de kinder", "analista de ciberseguridad"} <= careers
    synonyms = {block["synonym"]: block["examples"].splitlines() for block in blocks[1:]}
    assert {"- maestro de kínder", "- maestro de kinder"} <= set(synonyms["kindergarten teacher"])
    assert "- analista de ciberseguridad" in synonyms["cybersecurity analyst"]
    mapped = [line for lines in synonyms.values() for line in lines]
    assert len(mapped) == len(set(mapped))  # each word means one career
    assert not {f"- {name}" for name in synonyms} & set(mapped)  # no name is another's word


def test_topics_carry_other_languages_words_for_the_citys_own_words(
    session: Session, tmp_path: Path
) -> None:
    seed_directory(session, write_seed(tmp_path / "seed"))
    topics = yaml.safe_load(build_lookup_files(session)["topics.yml"])["nlu"]
    synonyms = {block["synonym"]: block["examples"].splitlines() for block in topics[1:]}
    # "drawing" is the city's word for art: the starter vocabulary's Spanish for it joins art
    assert {"- dibujo", "- dibujar"} <= set(synonyms["art"])
    # with and without accents, as people type them
    assert {"- programación", "- programacion"} <= set(synonyms["coding"])


def test_a_language_the_assistant_does_not_speak_adds_no_words(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_directory(session, write_seed(tmp_path / "seed"))
    spoken = build_lookup_files(session)
    monkeypatch.setattr(nlu_lookups, "supported_codes", lambda: ("en",))
    english_only = build_lookup_files(session)
    for name in ("topics.yml", "careers.yml"):
        assert "dibujo" not in english_only[name] and "maestro de" not in english_only[name]
    assert "dibujo" in spoken["topics.yml"] and "maestro de" in spoken["careers.yml"]
    assert "- programming" in english_only["topics.yml"]


def test_hand_written_synonyms_of_every_language_folder_are_reserved(tmp_path: Path) -> None:
    def synonyms_file(word: str) -> str:
        return f"version: '3.1'\nnlu:\n- synonym: free\n  examples: |\n    - {word}\n"

    (tmp_path / "es").mkdir()
    (tmp_path / "lookups").mkdir()
    (tmp_path / "synonyms.yml").write_text(synonyms_file("no cost"), encoding="utf-8")
    (tmp_path / "es" / "synonyms.yml").write_text(synonyms_file("sin costo"), encoding="utf-8")
    (tmp_path / "lookups" / "topics.yml").write_text(synonyms_file("art"), encoding="utf-8")
    assert nlu_lookups._synonyms_elsewhere(tmp_path) == {"free", "no cost", "sin costo"}


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
