"""The Rasa server's response generator: each response in the chat's language (slot
chat_language) from locales/<code>/responses.yml, else the domain's, through Rasa's own
variation filter and {placeholder} filling."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.actions.action import ActionBotResponse, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import NaturalLanguageGenerator, TemplatedNaturalLanguageGenerator
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_ext.localized_nlg import (
    SOURCE_LANGUAGE,
    LocaleResponsesError,
    LocalizedNLG,
    read_locales,
)

ROOT = Path(__file__).resolve().parents[3]

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
slots:
  chat_language: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  relation: {type: text, influence_conversation: false, mappings: [{type: custom}]}
  language: {type: text, influence_conversation: false, mappings: [{type: custom}]}
responses:
  utter_greet:
    - text: "Hi!"
      buttons:
        - {title: "Find a program", payload: /find_opportunity}
        - {title: "🌐 {languages}", payload: /choose_language}
  utter_ask_age:
    - condition: [{type: slot, name: relation, value: daughter}]
      text: "How old is your daughter?"
    - text: "How old is the person who'll take part?"
  utter_results:
    - text: "Here's what I found:\\n{results}"
  utter_listing_language:
    - text: "{title} is taught in {languages}."
  utter_language_chosen:
    - text: "OK, let's talk in {language}."
  utter_only_english:
    - text: "Only in English."
  utter_where:
    - text: "Where?"
"""
)

SPANISH = {
    "responses": {
        "utter_greet": [
            {
                "text": "¡Hola!",
                "buttons": [
                    {"title": "Buscar un programa", "payload": "/find_opportunity"},
                    {"title": "🌐 {languages}", "payload": "/choose_language"},
                ],
            }
        ],
        "utter_ask_age": [
            {
                "condition": [{"type": "slot", "name": "relation", "value": "daughter"}],
                "text": "¿Cuántos años tiene tu hija?",
            },
            {"text": "¿Cuántos años tiene la persona que va a participar?"},
        ],
        "utter_results": [{"text": "Esto es lo que encontré:\n{results}"}],
        "utter_listing_language": [{"text": "{title} se enseña en {languages}."}],
        "utter_language_chosen": [{"text": "Listo, hablemos en {language}."}],
        "utter_where": [
            {"text": "¿Dónde?"},
            {"channel": "telegram", "text": "¿Dónde? Comparte tu ubicación."},
        ],
    }
}


def write_locales(folder: Path, spanish: dict[str, Any] | None = None) -> Path:
    """A throwaway locales/ folder: English (the domain's) and Spanish with its responses."""
    for code, native in ((SOURCE_LANGUAGE, "English"), ("es", "Español")):
        (folder / code).mkdir(parents=True)
        info = {"code": code, "name": native, "native_name": native}
        (folder / code / "language.yml").write_text(yaml.safe_dump(info), encoding="utf-8")
    (folder / "es" / "responses.yml").write_text(
        yaml.safe_dump(spanish or SPANISH, allow_unicode=True), encoding="utf-8"
    )
    return folder


@pytest.fixture
def nlg(tmp_path: Path) -> LocalizedNLG:
    """Built as Rasa builds it: no domain at first, then the loaded model's responses."""
    generator = LocalizedNLG(endpoint_config=None, domain=None, locales=write_locales(tmp_path))
    generator.responses = DOMAIN.responses  # what rasa.core.agent.Agent.load_model does
    return generator


def say(
    nlg: NaturalLanguageGenerator,
    response: str,
    channel: str = "rest",
    **slots: Any,
) -> dict[str, Any]:
    """What the generator answers for a response in a conversation with these slots."""
    return say_with(nlg, response, {}, channel, **slots)


def say_with(
    nlg: NaturalLanguageGenerator,
    response: str,
    values: dict[str, Any],
    channel: str = "rest",
    **slots: Any,
) -> dict[str, Any]:
    """As `say`, with the keyword values a custom action sends along with the response."""
    events = [SlotSet(name, value) for name, value in slots.items()]
    tracker = DialogueStateTracker.from_events("nlg", events, slots=DOMAIN.slots)
    message: dict[str, Any] | None = asyncio.run(nlg.generate(response, tracker, channel, **values))
    assert message is not None
    return message


def test_spanish_chat_gets_spanish_text(nlg: LocalizedNLG) -> None:
    assert say(nlg, "utter_greet", chat_language="es")["text"] == "¡Hola!"
    assert say(nlg, "utter_greet", chat_language="es-MX")["text"] == "¡Hola!"


def test_no_chat_language_or_the_source_language_gets_the_domain(nlg: LocalizedNLG) -> None:
    assert say(nlg, "utter_greet")["text"] == "Hi!"
    assert say(nlg, "utter_greet", chat_language=SOURCE_LANGUAGE)["text"] == "Hi!"
    assert say(nlg, "utter_greet", chat_language="xx")["text"] == "Hi!"  # not a locale


def test_conditions_are_honoured_in_spanish(nlg: LocalizedNLG) -> None:
    daughter = say(nlg, "utter_ask_age", chat_language="es", relation="daughter")
    assert daughter["text"] == "¿Cuántos años tiene tu hija?"
    anyone = say(nlg, "utter_ask_age", chat_language="es")
    assert anyone["text"] == "¿Cuántos años tiene la persona que va a participar?"


def test_channel_variants_are_honoured_in_spanish(nlg: LocalizedNLG) -> None:
    assert say(nlg, "utter_where", "telegram", chat_language="es")["text"].endswith("ubicación.")
    assert say(nlg, "utter_where", "rest", chat_language="es")["text"] == "¿Dónde?"


def test_a_response_missing_in_the_locale_is_said_in_english_with_one_warning(
    nlg: LocalizedNLG, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.rasa_ext.localized_nlg"):
        assert say(nlg, "utter_only_english", chat_language="es")["text"] == "Only in English."
        assert say(nlg, "utter_only_english", chat_language="es")["text"] == "Only in English."
    warnings = [r for r in caplog.records if "utter_only_english" in r.getMessage()]
    assert len(warnings) == 1


def test_languages_fill_the_button_titles(nlg: LocalizedNLG) -> None:
    for language in ("es", None):
        buttons = say(nlg, "utter_greet", chat_language=language)["buttons"]
        assert buttons[-1] == {"title": "🌐 English / Español", "payload": "/choose_language"}
    assert say(nlg, "utter_greet", chat_language="es")["buttons"][0]["title"] == (
        "Buscar un programa"
    )


def test_language_is_the_chat_language_in_its_own_name(nlg: LocalizedNLG) -> None:
    # the `language` slot (a program's teaching language) does not leak into the text
    chosen = say(nlg, "utter_language_chosen", chat_language="es", language="fr")
    assert chosen["text"] == "Listo, hablemos en Español."
    assert say(nlg, "utter_language_chosen")["text"] == "OK, let's talk in English."


def test_values_from_custom_actions_are_filled_in_spanish(nlg: LocalizedNLG) -> None:
    found = say_with(nlg, "utter_results", {"results": "1. Ajedrez"}, chat_language="es")
    assert found["text"] == "Esto es lo que encontré:\n1. Ajedrez"
    taught = {"title": "Chess", "languages": "Spanish"}  # the caller's `languages` wins
    said = say_with(nlg, "utter_listing_language", taught, chat_language="es")
    assert said["text"] == "Chess se enseña en Spanish."


def test_the_locale_files_are_read_once(tmp_path: Path) -> None:
    generator = LocalizedNLG(domain=DOMAIN, locales=write_locales(tmp_path))
    (tmp_path / "es" / "responses.yml").unlink()
    assert say(generator, "utter_greet", chat_language="es")["text"] == "¡Hola!"


def test_the_first_text_for_replies_without_a_tracker(nlg: LocalizedNLG) -> None:
    assert nlg.first_text("utter_where", "es") == "¿Dónde?"
    assert nlg.first_text("utter_only_english", "es") == "Only in English."
    assert nlg.first_text("utter_where", None) == "Where?"
    assert nlg.first_text("utter_nothing", "es") is None


def test_a_malformed_locale_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(LocaleResponsesError, match="responses"):
        read_locales(write_locales(tmp_path, {"utter_greet": "¡Hola!"}))


def test_rasa_builds_it_from_our_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAYFINDER_ACTION_SERVER_URL", "http://127.0.0.1:5999/webhook")
    monkeypatch.setenv("WAYFINDER_TRACKER_URL", "sqlite://")
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "bot" / "endpoints.yml"))
    generator = NaturalLanguageGenerator.create(endpoints.nlg, None)  # as rasa.core.agent does
    assert isinstance(generator, LocalizedNLG)
    # Agent.load_model hands the model's domain only to a templated generator
    assert isinstance(generator, TemplatedNaturalLanguageGenerator)


def test_rasa_actions_speak_through_it(nlg: LocalizedNLG) -> None:
    tracker = DialogueStateTracker.from_events(
        "nlg", [SlotSet("chat_language", "es"), SlotSet("relation", "daughter")], DOMAIN.slots
    )
    channel = CollectingOutputChannel()
    # a form's question, as a rule or a form utters it
    asked = asyncio.run(ActionBotResponse("utter_ask_age").run(channel, nlg, tracker, DOMAIN))
    # a custom action's `dispatcher.utter_message(response=..., results=...)`, as rasa-sdk sends it
    sent: dict[str, Any] = {
        "response": "utter_results",
        "text": None,
        "buttons": [],
        "results": "1. Ajedrez",
    }
    found = asyncio.run(RemoteAction._utter_responses([sent], channel, nlg, tracker))
    said = [event.text for event in [*asked, *found] if isinstance(event, BotUttered)]
    assert said == ["¿Cuántos años tiene tu hija?", "Esto es lo que encontré:\n1. Ajedrez"]


def test_the_real_locales_answer_the_real_domain_in_every_language() -> None:
    domain = Domain.load(str(ROOT / "bot" / "domain"))
    generator = LocalizedNLG(domain=domain)
    assert set(generator.translated), "no translated language in locales/"
    for code, responses in ((c, g.responses) for c, g in generator.translated.items()):
        assert set(responses) == set(domain.responses), code
        helped = say(generator, "utter_help", chat_language=code)
        assert helped["text"] == responses["utter_help"][0]["text"]
        assert helped["buttons"][-1]["title"] == f"🌐 {generator.languages}"
    assert generator.languages.startswith(generator.native_names[SOURCE_LANGUAGE] + " / ")


def test_it_reads_locales_as_knowledge_does() -> None:
    knowledge = pytest.importorskip("knowledge.locales")  # our code, importable from the checkout
    assert knowledge.SOURCE_LANGUAGE == SOURCE_LANGUAGE
    found = read_locales(knowledge.locales_dir())
    ours = [(locale.code, locale.native_name) for locale in found]
    theirs = [(lang.code, lang.native_name) for lang in knowledge.supported_languages()]
    assert ours == theirs
    assert os.fspath(knowledge.locales_dir()) == os.fspath(ROOT / "locales")
