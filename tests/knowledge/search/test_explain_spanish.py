"""Why a search found little or nothing, and why a listing is in the results, in the learner's
language: Spanish sentences with no English left in them, plurals by Babel's rules, and English
as before."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH_STOP_WORDS
from spacy.lang.es.stop_words import STOP_WORDS as SPANISH_STOP_WORDS

from knowledge.locales import SOURCE_LANGUAGE, book, supported_codes
from knowledge.search.formats import SOURCE_VOICE, WORDS, price, voice_of
from knowledge.search.phrasing import counted, plural_category
from knowledge.search.reasons import age_range, cost_label, days_label
from knowledge.text import words
from tests.knowledge.search.conftest import CENTRE, Directory, km_north

SPANISH = voice_of("es", "en_US")
# Words of the English explanations that Spanish never uses: a Spanish text holding any leaks.
ENGLISH_MARKERS = frozenset(ENGLISH_STOP_WORDS - SPANISH_STOP_WORDS) | {
    "program", "programs", "exist", "exists", "match", "matches", "filters", "limit", "ages",
    "nearest", "cheapest", "costs", "later", "taught", "free", "farther", "soonest", "nothing",
}  # fmt: skip


def english_in(text: str) -> set[str]:
    """The English words in a text that should be Spanish."""
    return {word for word in words(text) if word in ENGLISH_MARKERS}


def test_the_markers_catch_the_english_explanation() -> None:
    assert english_in("Only 1 coding program matches; 2 coding programs exist") >= {
        "only", "program", "matches", "exist"
    }  # fmt: skip


def test_nothing_found_is_explained_in_spanish(directory: Directory) -> None:
    for title in ("Robot League", "Robot Lab", "Robot Team"):
        directory.listing(title, topics=("robotics",), min_age=14, max_age=18)
    explanation = directory.search("robotics", age=8, text_language="es").explanation
    assert explanation is not None
    (relaxation,) = explanation.blocking
    assert relaxation.message == (
        "hay 3 programas de robotics sin el límite de edad, todos para 14 años o más"
    )
    assert explanation.message == (
        "Ningún programa de robotics cumple todos tus filtros: " + relaxation.message + "."
    )
    assert english_in(explanation.message) == set()


def test_few_results_agree_with_their_number_in_spanish(directory: Directory) -> None:
    directory.listing("Kids Club", min_age=8, max_age=10)
    directory.listing("Teen Club", min_age=14, max_age=17)
    message = directory.search("coding", age=9, text_language="es").explanation.message  # type: ignore[union-attr]
    assert message.startswith("Solo 1 programa de coding coincide; hay 2 programas de coding")
    assert english_in(message) == set()


def test_an_unknown_subject_is_explained_in_spanish(directory: Directory) -> None:
    directory.topic("robotics")
    directory.listing("Art Club", topics=("art",))
    explanation = directory.search("robotronics talleres", text_language="es").explanation
    assert explanation is not None
    assert explanation.message == (
        "Ningún programa del directorio coincide con “robotronics talleres”. Prueba con robotics."
    )


def test_each_relaxation_reads_in_spanish(directory: Directory) -> None:
    northgate = directory.place("Northgate", CENTRE[0] + km_north(7), CENTRE[1])
    directory.listing(
        "Far Club",
        neighbourhood=northgate,
        cost_amount=Decimal("35"),
        days=["Tue", "Thu"],
        start_time=time(16),
        language_list=["en"],
        format="in_person",
    )
    explanation = directory.search(
        "coding",
        near=CENTRE,
        radius_km=2,
        free_only=True,
        when=("weekend",),
        language="es",
        format="online",
        text_language="es",
    ).explanation
    assert explanation is not None
    assert explanation.blocking == ()  # every filter fails: the combination is explained
    assert explanation.message.startswith("Hay 1 programa de coding, pero no cumple")
    single = {
        "place": dict(near=CENTRE, radius_km=2),
        "cost": dict(free_only=True),
        "time": dict(when=("weekend",)),
        "language": dict(language="es"),
        "format": dict(format="online"),
    }
    said = {}
    for name, filters in single.items():
        result = directory.search("coding", text_language="es", **filters)  # type: ignore[arg-type]
        assert result.explanation is not None
        (relaxation,) = result.explanation.blocking
        said[name] = relaxation.message
        assert english_in(relaxation.message.replace("US$", "")) == set(), relaxation.message
    assert said["place"].endswith(
        "más lejos; el más cercano está a 7,0 km de 41.5000, -81.7000, en Northgate"
    )
    # No city given: Spanish without a region writes dollars as "US$" (the actions pass the city's)
    cheapest = price(Decimal(35), "USD", voice_of("es", ""))
    assert said["cost"].endswith(f"pero ninguno es gratis; el más barato cuesta {cheapest}")
    assert said["time"].endswith("en otros horarios (martes, jueves)")
    assert said["language"].endswith("en inglés")
    assert said["format"].endswith("en otros formatos (presencial: 1)")


def test_upcoming_dates_are_written_in_spanish(directory: Directory) -> None:
    directory.listing("Spring Club", start_date=date(2027, 3, 1))
    explanation = directory.search("coding", upcoming_days=7, text_language="es").explanation
    assert explanation is not None
    assert explanation.blocking[0].message.endswith(
        "que empiezan más adelante; el primero, el 1 de marzo"
    )


def test_the_reason_line_is_spanish(directory: Directory) -> None:
    directory.listing("Saturday Club", min_age=10, max_age=14, days=["Sat"], is_free=True)
    (hit,) = directory.search("coding", when=("weekend",), text_language="es").results
    assert hit.reason == "coding · de 10 a 14 años · gratis · en línea · sábados"
    (english,) = directory.search("coding", when=("weekend",)).results
    assert english.reason == "coding · ages 10–14 · free · online · Sat"


def test_reason_parts_in_both_languages() -> None:
    assert age_range(None, None, SPANISH) == "todas las edades"
    assert age_range(9, 9, SPANISH) == "9 años"
    assert age_range(9, 9) == "age 9" and age_range(None, 12) == "up to age 12"
    assert cost_label(None, None, voice=SPANISH) == "precio no indicado"
    assert cost_label(None, None) == "cost not listed"
    assert cost_label(False, Decimal(45)) == "$45"
    assert days_label(0b11111, SPANISH) == "lunes–viernes"
    assert days_label(0b11111) == "Mon–Fri"


def test_plurals_follow_babel_rules_of_each_language() -> None:
    assert plural_category("es", 1_000_000) == "many"  # Spanish says "1 millón de programas"
    assert counted(SPANISH, "programs", 1_000_000) == "de programas"
    assert counted(SPANISH, "programs", 1) == "programa"
    assert counted(SPANISH, "programs", 0) == "programas"
    assert counted(SOURCE_VOICE, "programs", 1_000_000) == "programs"
    # English has no "many": the "other" text is used
    assert counted(SOURCE_VOICE, "online_count", 1) == "1 online"


def test_every_language_has_every_word_of_the_source_language() -> None:
    source = book(SOURCE_LANGUAGE, WORDS)
    for code in supported_codes()[1:]:
        missing = sorted(key for key in source if key not in book(code, WORDS))
        assert missing == [], f"locales/{code}/{WORDS}.yml lacks {missing}"
