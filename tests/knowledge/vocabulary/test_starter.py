"""The starter vocabulary: the shipped files are complete and consistent; bad files are refused."""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml

from knowledge.models.credential import CREDENTIAL_TYPES
from knowledge.vocabulary import load_starter
from knowledge.vocabulary.starter import (
    FOLDER,
    VocabularyError,
    parse_careers,
    parse_concepts,
)


def folded(text: str) -> str:
    """Lower case without accents, as matching compares words."""
    decomposed = unicodedata.normalize("NFKD", text.lower().strip())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def test_shipped_vocabulary_has_300_topics_and_120_careers_in_english_and_spanish() -> None:
    starter = load_starter()
    assert len(starter.concepts) >= 300
    assert len(starter.careers) >= 120
    assert all({"en", "es"} <= set(concept.names) for concept in starter.concepts.values())
    assert all({"en", "es"} <= set(career.names) for career in starter.careers.values())
    spanish_synonyms = sum(len(c.synonyms.get("es", ())) for c in starter.concepts.values())
    assert spanish_synonyms >= 600


def test_shipped_topics_have_lay_terms_broader_topics_and_abbreviations() -> None:
    starter = load_starter()
    english = [len(c.synonyms.get("en", ())) for c in starter.concepts.values()]
    assert sum(english) / len(english) >= 4
    assert sum(1 for c in starter.concepts.values() if c.broader) >= 150
    assert sum(1 for c in starter.concepts.values() if c.related) >= 100
    terms = {folded(t) for c in starter.concepts.values() for t in c.synonyms.get("en", ())}
    assert len([term for term in terms if term.isalpha() and len(term) <= 4]) >= 20  # esl, ged…


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_shipped_word_names_two_topics(language: str) -> None:
    owners: dict[str, set[str]] = {}
    for concept in load_starter().concepts.values():
        words = [concept.names.get(language, ""), *concept.synonyms.get(language, ())]
        for word in filter(None, words):
            owners.setdefault(folded(word), set()).add(concept.key)
    shared = {word: keys for word, keys in owners.items() if len(keys) > 1}
    # Loanwords may be spelt alike in both languages; within one language a word has one topic.
    assert not shared


def test_every_career_leads_to_starter_topics_and_credential_types() -> None:
    from knowledge.taxonomy import starter_index

    index = starter_index()
    careers = [sense for sense in index.senses if sense.career is not None]
    assert len(careers) == len(load_starter().careers)
    lost = [sense.label for sense in careers if not sense.concepts]
    assert not lost, f"careers whose topics name no starter topic: {lost}"
    kinds = Counter(k for c in load_starter().careers.values() for k in c.credentials)
    assert set(kinds) <= set(CREDENTIAL_TYPES)
    with_soc = sum(1 for career in load_starter().careers.values() if career.soc)
    assert with_soc >= 100


def test_readme_names_the_sources_and_their_licences() -> None:
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    for needed in ("CC0", "SOC", "public domain", "topics.yml", "careers.yml", "taxonomy import"):
        assert needed in readme, needed


def test_files_are_packaged_with_the_library() -> None:
    pyproject = (Path(__file__).parents[3] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"vocabulary/*.yml"' in pyproject


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"key": "Bad Key", "en": "x"}], "lower-case"),
        ([{"key": "a", "es": "x"}], "English name"),
        ([{"key": "a", "en": "a"}, {"key": "a", "en": "b"}], "used twice"),
        ([{"key": "a", "en": "a", "broader": ["nope"]}], "unknown topic 'nope'"),
        (
            [{"key": "a", "en": "a", "broader": ["b"]}, {"key": "b", "en": "b", "broader": ["a"]}],
            "cycle",
        ),
        ([{"key": "a", "en": "a", "synonyms": ["x"]}], "words by language"),
    ],
)
def test_bad_topic_entries_are_refused_with_the_entry_named(
    entries: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(VocabularyError, match=message):
        parse_concepts(entries)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"key": "a", "en": "a", "credentials": ["trophy"]}, "unknown credential type"),
        ({"key": "a", "en": "a", "soc": "4721"}, "NN-NNNN"),
        ({"key": "a", "en": "a", "min_age": -1}, "not an age"),
    ],
)
def test_bad_career_entries_are_refused(entry: dict[str, object], message: str) -> None:
    with pytest.raises(VocabularyError, match=message):
        parse_careers([entry])


def test_descendants_follow_broader_links_downwards() -> None:
    from knowledge.vocabulary import StarterVocabulary

    concepts = parse_concepts(
        yaml.safe_load(
            """
            - {key: sports, en: sports}
            - {key: martial-arts, en: martial arts, broader: [sports]}
            - {key: judo, en: judo, broader: [martial-arts]}
            - {key: chess, en: chess}
            """
        )
    )
    starter = StarterVocabulary(concepts)
    assert starter.descendants("sports") == ["sports", "martial-arts", "judo"]
    assert starter.descendants("chess") == ["chess"]
