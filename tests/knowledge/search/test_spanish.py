"""Searching in Spanish: the words for days, cost, ages and formats, the starter vocabulary's
Spanish terms, and listings' Spanish translations indexed with Spanish lemmas."""

from __future__ import annotations

from decimal import Decimal

from knowledge.models import OpportunityTranslation
from knowledge.search.index import refresh_search_fields, search_text_for
from knowledge.search.interpret import interpret
from knowledge.taxonomy import Taxonomy, starter_index
from tests.knowledge.search.conftest import Directory

TAXONOMY = Taxonomy(
    topics=[(1, "chess"), (2, "coding")],
    synonyms=[],
    neighbourhoods=[],
    aliases=[],
    starter=starter_index(),
)


def test_a_spanish_request_names_its_filters() -> None:
    found = interpret("clases de ajedrez gratis los domingos para mi sobrino de 11", TAXONOMY, "es")
    assert (found.age, found.free_only, found.days, found.relation) == (11, True, ["Sun"], "nephew")
    assert [match.name for match in found.concepts] == ["chess"]
    assert found.terms == ["class"]  # "clases" ranks as "class" does in English


def test_spanish_cost_format_and_time_words() -> None:
    found = interpret("ajedrez sin costo en línea por las noches", TAXONOMY, "es")
    assert (found.free_only, found.format, found.when) == (True, "online", ["evening"])
    cheap = interpret("talleres en inglés por menos de 20 dólares esta semana", None, "es")
    assert (cheap.max_cost, cheap.language, cheap.upcoming_days) == (Decimal(20), "en", 7)


def test_ages_in_spanish_words_and_of_the_learner() -> None:
    assert interpret("mi hija tiene ocho", None, "es").age == 8
    assert interpret("para niños de 10 años los sábados", None, "es").days == ["Sat"]
    own = interpret("tengo 15 y quiero aprender a programar", None, "es")
    assert (own.age, own.relation) == (15, "self")


def test_spanish_little_words_are_not_read_as_a_typo_of_a_topic() -> None:
    # "clases de" is one edit from the starter term "clases ap" (advanced placement).
    found = interpret("clases de ajedrez", TAXONOMY, "es")
    assert [match.name for match in found.concepts] == ["chess"]


def test_an_english_request_is_read_as_before() -> None:
    found = interpret("free chess classes on sundays for my nephew, he is 11", TAXONOMY)
    assert (found.age, found.free_only, found.days, found.relation) == (11, True, ["Sun"], "nephew")


def test_the_spanish_request_finds_a_free_sunday_chess_listing_for_age_11(
    directory: Directory,
) -> None:
    directory.listing("Sunday Chess Club", ("chess",), days=["Sun"], min_age=8, max_age=14,
                      is_free=True)  # fmt: skip
    directory.listing("Saturday Chess Club", ("chess",), days=["Sat"], min_age=8, max_age=14,
                      is_free=True)  # fmt: skip
    directory.listing("Chess for Grown-ups", ("chess",), days=["Sun"], min_age=18, is_free=True)
    directory.listing("Chess Academy", ("chess",), days=["Sun"], min_age=8, max_age=14,
                      is_free=False, cost_amount=Decimal(40))  # fmt: skip
    directory.listing("Sunday Code Club", ("coding",), days=["Sun"], min_age=8, is_free=True)
    text = "clases de ajedrez gratis los domingos para mi sobrino de 11"
    assert directory.titles(text, text_language="es") == ["Sunday Chess Club"]


def test_a_spanish_translation_is_found_by_its_spanish_words(directory: Directory) -> None:
    circle = directory.listing("Knitting Circle", ("crafts",))
    directory.listing("Pottery Night", ("crafts",))
    circle.translations.append(
        OpportunityTranslation(
            language="es",
            title="Círculo de tejido",
            description="Tejemos bufandas juntos cada semana.",
        )
    )
    refresh_search_fields(circle)
    assert directory.titles("bufandas tejidas", text_language="es") == ["Knitting Circle"]


def test_a_translation_is_lemmatised_in_its_own_language() -> None:
    class Spanish:
        language = "es"
        title = "Clases de pintura"
        description = "Pintamos paisajes los sábados."

    text = search_text_for("Painting classes", ["art"], "Weekly.", "Library", (), [Spanish()])
    title, _, rest = text.partition(" | ")
    assert title.split() == ["paint", "class", "clase", "pintura"]
    assert "paisaje" in rest.split()  # "paisajes", lemmatised in Spanish
    assert search_text_for("Painting classes", ["art"], "Weekly.", "Library") == (
        " paint class | art weekly library "
    )
