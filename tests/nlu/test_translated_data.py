"""Training data in the languages beside the source one (nlu_data/<code>/) names topics as typed:
which topic a word means is the city's (the lookups generated from its directory and the starter
vocabulary), so no hand-written example may map a word to one city's topic ("karate" → the demo
city's "fitness" sent every city's karate listings out of reach)."""

from __future__ import annotations

import re
from pathlib import Path

from knowledge.locales import SOURCE_LANGUAGE, supported_codes
from knowledge.settings import PROJECT_ROOT

NLU_DATA = PROJECT_ROOT / "nlu_data"
MAPPED_TOPIC = re.compile(r'\[([^\]]+)\]\{"entity": "topic", "value": "([^"]+)"')


def translated_files() -> list[Path]:
    """The training files of every supported language other than the source one."""
    return [
        path
        for code in supported_codes()
        if code != SOURCE_LANGUAGE
        for path in sorted((NLU_DATA / code).glob("*.yml"))
    ]


def test_every_other_language_has_training_data() -> None:
    for code in supported_codes():
        if code != SOURCE_LANGUAGE:
            assert list((NLU_DATA / code).glob("*.yml")), f"nlu_data/{code}/ has no examples"


def test_no_translated_example_maps_a_topic_to_a_value() -> None:
    mapped = [
        f"{path.relative_to(PROJECT_ROOT)}: [{text}] → {value!r}"
        for path in translated_files()
        for text, value in MAPPED_TOPIC.findall(path.read_text(encoding="utf-8"))
    ]
    assert not mapped, "\n".join(mapped)


def test_the_check_finds_a_mapped_topic() -> None:
    assert MAPPED_TOPIC.findall('- [karate]{"entity": "topic", "value": "fitness"} para niños') == [
        ("karate", "fitness")
    ]
