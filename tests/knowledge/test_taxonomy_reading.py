"""How the taxonomy reads typed words: past "my", "your", … ("manage my money"), and without
taking a dictionary word for a typo of a starter topic ("short" is not "sport")."""

from __future__ import annotations

import pytest
import yaml

from knowledge.taxonomy import Match, StarterIndex, Taxonomy, starter_index
from knowledge.text import is_english_word, words
from knowledge.vocabulary import StarterVocabulary
from knowledge.vocabulary.starter import parse_concepts

STARTER = StarterIndex(
    StarterVocabulary(
        parse_concepts(
            yaml.safe_load(
                """
                - key: financial-literacy
                  en: financial literacy
                  es: educación financiera
                  synonyms: {en: [managing money, budgeting], es: [ahorrar dinero]}
                - key: know-your-rights
                  en: know your rights
                  es: conozca sus derechos
                - key: sports
                  en: sports
                  es: deportes
                  synonyms: {en: [sport]}
                - key: martial-arts
                  en: martial arts
                  es: artes marciales
                  synonyms: {en: [karate]}
                  broader: [sports]
                - key: hip-hop-dance
                  en: hip-hop dance
                  es: baile hip-hop
                  synonyms: {en: [locking, popping]}
                """
            )
        )
    )
)


def city(
    *topics: str, places: tuple[str, ...] = (), starter: StarterIndex | None = STARTER
) -> Taxonomy:
    """A city whose topics and neighbourhoods are numbered from 1 in the order given."""
    neighbourhoods = [(number, name, 41.5, -81.7) for number, name in enumerate(places, 1)]
    return Taxonomy(list(enumerate(topics, 1)), [], neighbourhoods, [], starter)


def found(taxonomy: Taxonomy, text: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of every match in the text's words."""
    return [(match.name, match.start, match.end) for match in taxonomy.find(words(text))]


def only(matches: list[Match]) -> Match:
    """The one match there must be."""
    assert len(matches) == 1, matches
    return matches[0]


# -- past possessives ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["manage my money", "managing your money", "manage our money", "ahorrar mi dinero"]
)
def test_a_phrase_is_read_past_a_possessive(text: str) -> None:
    """ "Manage my money" is "managing money" (and "ahorrar mi dinero" "ahorrar dinero"), ways
    of saying financial literacy."""
    match = only(city().find(words(text)))
    assert (match.kind, match.name) == ("concept", "financial literacy")
    assert not match.fuzzy


def test_positions_are_those_of_the_words_as_typed() -> None:
    """The match covers "manage my money" (0-3), so the place after it is at 4, as typed."""
    taxonomy = city(places=("Riverside",))
    assert found(taxonomy, "manage my money in riverside") == [
        ("financial literacy", 0, 3),
        ("Riverside", 4, 5),
    ]
    assert found(taxonomy, "help me manage my money") == [("financial literacy", 2, 5)]


def test_taken_positions_are_those_of_the_words_as_typed() -> None:
    """A word already explained ("money" at 2 as typed, 1 once "my" is read past) is not read
    into a topic."""
    taxonomy = city()
    assert only(taxonomy.find(words("manage my money"))).name == "financial literacy"
    assert taxonomy.find(words("manage my money"), taken={2}) == []
    assert taxonomy.find(words("manage my money"), taken={0}) == []


def test_a_name_with_a_possessive_is_still_found() -> None:
    """ "Know your rights" (and "know my rights"), a city topic and a place said with theirs."""
    taxonomy = city("Your Money Matters", places=("Our Lady of Peace",))
    assert [name for name, _, _ in found(taxonomy, "know your rights")] == ["know your rights"]
    assert [name for name, _, _ in found(taxonomy, "know my rights")] == ["know your rights"]
    assert [name for name, _, _ in found(taxonomy, "your money matters")] == ["Your Money Matters"]
    assert [name for name, _, _ in found(taxonomy, "near our lady of peace")] == [
        "Our Lady of Peace"
    ]


def test_an_exact_name_wins_over_one_read_past_a_possessive() -> None:
    """The city's "Money Matters" is meant by "money matters", not "Your Money Matters"."""
    taxonomy = city("Your Money Matters", "Money Matters")
    assert [name for name, _, _ in found(taxonomy, "money matters")] == ["Money Matters"]


# -- typos of the starter vocabulary -------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "near"), [("short", "sport"), ("looking", "locking"), ("karrate", "karate")]
)
def test_each_word_is_one_letter_from_a_starter_word(word: str, near: str) -> None:
    """The cases below are real near misses: the typo budget would allow each."""
    assert STARTER.words.closest(word) == (STARTER.words.exact[(near,)], near)


@pytest.mark.parametrize("text", ["short classes", "i am looking for classes", "shorts"])
def test_a_dictionary_word_is_never_a_typo_of_a_starter_topic(text: str) -> None:
    """ "Short" is not "sport", "looking" is not "locking": the learner meant the word."""
    assert city().find(words(text)) == []


def test_a_real_typo_is_still_corrected_to_a_starter_topic() -> None:
    """ "Karrate" is no word: it is karate, a way of saying martial arts."""
    match = only(city().find(words("i am looking for karrate")))
    assert (match.name, match.typed, match.fuzzy) == ("martial arts", "karrate", True)


def test_the_shipped_vocabulary_reads_the_same_way() -> None:
    """The real starter vocabulary: dictionary words kept, a typo corrected, "my" read past."""
    taxonomy = city("Sports", starter=starter_index())
    assert [m.name for m in taxonomy.find(words("short classes")) if m.kind == "concept"] == []
    assert [m.name for m in taxonomy.find(words("looking")) if m.kind == "concept"] == []
    assert [m.name for m in taxonomy.find(words("karrate"))] == ["martial arts"]
    assert [m.name for m in taxonomy.find(words("manage my money"))] == ["financial literacy"]
    assert [m.name for m in taxonomy.find(words("know my rights"))] == ["know your rights"]


# -- is_english_word -----------------------------------------------------------------------


@pytest.mark.parametrize("word", ["short", "looking", "look", "sport", "locking", "classes"])
def test_dictionary_words_and_their_forms_are_english(word: str) -> None:
    """Word forms and their lemmas are both in the dictionary."""
    assert is_english_word(word)


@pytest.mark.parametrize("word", ["karrate", "xyzzy", ""])
def test_typos_and_non_words_are_not(word: str) -> None:
    """A typo, nonsense, nothing."""
    assert not is_english_word(word)
