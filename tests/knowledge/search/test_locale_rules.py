"""Words that say a credential is held are data in every chat language (locales/<code>/
search_words.yml, `holding`): every training example of have_credential says so, and a name on
its own or a question of where to get one does not."""

from __future__ import annotations

import re

import pytest
import yaml

from knowledge.search.locale_rules import says_held
from knowledge.settings import PROJECT_ROOT

ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def have_credential_examples() -> list[str]:
    """Every have_credential training example, in every language, as typed."""
    found: list[str] = []
    for path in sorted((PROJECT_ROOT / "nlu_data").rglob("credentials_held.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if block.get("intent") == "have_credential":
                lines = str(block["examples"]).splitlines()
                found += [ANNOTATION.sub(r"\1", line.strip()[2:]) for line in lines if line.strip()]
    return found


def test_every_have_credential_example_says_it_is_held() -> None:
    examples = have_credential_examples()
    assert len(examples) > 60 and any("ya tengo" in e for e in examples)  # both languages read
    assert [example for example in examples if not says_held(example)] == []


@pytest.mark.parametrize(
    "text",
    [
        "food handlers card",
        "CPR certification",
        "where can I get my CPR card?",
        "how do I get a forklift licence",
        "licencia de montacargas",
        "dónde puedo sacar la licencia de montacargas",
        "¿cómo consigo la tarjeta de RCP?",
    ],
)
def test_a_name_alone_or_where_to_get_one_is_not_held(text: str) -> None:
    assert not says_held(text)


@pytest.mark.parametrize(
    "text",
    ["I've got my GED", "i have servsafe already", "ya tengo servsafe", "mi hijo pasó el examen"],
)
def test_typed_without_apostrophes_or_accents_it_is_still_held(text: str) -> None:
    assert says_held(text.replace("'", "").replace("ó", "o"))
