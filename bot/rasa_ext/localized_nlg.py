"""Every response in the chat's language: the domain is written in the source language, and
`locales/<code>/responses.yml` holds each other language's version in Rasa's own response format
(texts, buttons, conditions on slots, channels), so translating the assistant is editing data.

bot/endpoints.yml names `LocalizedNLG` as the Rasa server's `nlg`; Rasa builds it at start-up and
then gives it the model's domain (`Agent.load_model` sets `responses`). The slot `chat_language`
(set by action_set_language on every message) picks the language; a response a locale lacks is
answered in the source language, with one warning. Runs in .venv-rasa: Rasa's deps and PyYAML
only, no `knowledge` import; locales/ is read as knowledge/locales.py reads it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"  # the domain's language: knowledge.locales.SOURCE_LANGUAGE (a test checks)
CHAT_LANGUAGE_SLOT = "chat_language"
LANGUAGE_SEPARATOR = " / "  # between the languages' own names on the 🌐 button
Responses = dict[str, list[dict[str, Any]]]


class LocaleResponsesError(ValueError):
    """A locales/<code>/responses.yml or language.yml Rasa could not use: refused at start-up."""


def locales_dir() -> Path:
    """`locales/` beside the source tree, else in the working directory (Docker: /app/locales),
    as knowledge.locales.locales_dir finds it."""
    beside = Path(__file__).resolve().parents[2] / "locales"
    return beside if beside.is_dir() else Path.cwd() / "locales"


@dataclass(frozen=True)
class Locale:
    """One language's folder: its own name (for the buttons) and its responses (None for the
    source language, whose responses are the domain's)."""

    code: str
    native_name: str
    responses: Responses | None


def read_locales(folder: Path) -> tuple[Locale, ...]:
    """Every language folder with a language.yml, the source language first, then by code."""
    found = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        info = path / "language.yml"
        if not info.is_file():
            continue
        data = _read(info)
        if not isinstance(data, dict) or data.get("code") != path.name:
            raise LocaleResponsesError(f"{info}: code must be the folder's name")
        responses = None
        if path.name != SOURCE_LANGUAGE:
            book = path / "responses.yml"
            responses = _responses(book) if book.is_file() else {}
        found.append(Locale(path.name, str(data.get("native_name") or path.name), responses))
    found.sort(key=lambda locale: locale.code != SOURCE_LANGUAGE)
    return tuple(found)


class LocalizedNLG(TemplatedNaturalLanguageGenerator):
    """The domain's responses (Rasa's templated generator), answered from the chat language's
    locale when it has them; the locale files are read once, at start-up."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        domain: Domain | None = None,
        locales: Path | None = None,
    ) -> None:
        super().__init__(domain.responses if domain else {})
        found = read_locales(locales or locales_dir())
        self.native_names = {locale.code: locale.native_name for locale in found}
        self.languages = LANGUAGE_SEPARATOR.join(self.native_names.values())
        # One of Rasa's own generators per translated language: its variation filter (conditions,
        # channels), random choice and {placeholder} filling, unchanged.
        self.translated = {
            locale.code: TemplatedNaturalLanguageGenerator(locale.responses)
            for locale in found
            if locale.responses is not None
        }
        self._warned: set[tuple[str, str]] = set()

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """The response in the chat's language, else in the domain's."""
        filled_slots = tracker.current_slot_values()
        language = self.chat_language(filled_slots.get(CHAT_LANGUAGE_SLOT))
        # Supplied unless the caller passes its own: a listing's `languages`, say. `language`
        # shadows the slot of that name (a program's teaching language), which no response shows.
        values = {
            "languages": self.languages,
            "language": self.native_names.get(language, language),
            **kwargs,
        }
        generator = self.translated.get(language)
        if generator is not None:
            if utter_action in generator.responses:
                message: dict[str, Any] | None = generator.generate_from_slots(
                    utter_action, filled_slots, output_channel, **values
                )
                if message is not None:
                    return message
            self._warn_missing(language, utter_action)
        domain_message: dict[str, Any] | None = self.generate_from_slots(
            utter_action, filled_slots, output_channel, **values
        )
        return domain_message

    def first_text(self, utter_action: str, language: str | None) -> str | None:
        """The first text of a response in a language, else the domain's: for replies made
        without a tracker (the REST channel's apology for a failed turn)."""
        generator = self.translated.get(self.chat_language(language))
        for responses in (generator.responses if generator else {}, self.responses):
            for variation in responses.get(utter_action) or []:
                if variation.get("text"):
                    return str(variation["text"])
        return None

    def chat_language(self, value: Any) -> str:
        """The supported language a slot value names ('es', 'es-MX'), else the source's."""
        primary = re.split(r"[-_]", str(value or "").strip().lower(), maxsplit=1)[0]
        return primary if primary in self.native_names else SOURCE_LANGUAGE

    def _warn_missing(self, language: str, utter_action: str) -> None:
        """Say once per response and language that the source language was used instead."""
        if (language, utter_action) in self._warned or utter_action not in self.responses:
            return
        self._warned.add((language, utter_action))
        logger.warning(
            "locales/%s/responses.yml has no usable %s: answering in %s",
            language,
            utter_action,
            SOURCE_LANGUAGE,
        )


def _responses(path: Path) -> Responses:
    """A locale's `responses:` mapping, each response a list of variations as in the domain."""
    data = _read(path)
    responses = data.get("responses") if isinstance(data, dict) else None
    if not isinstance(responses, dict):
        raise LocaleResponsesError(f"{path}: expected a `responses:` mapping, as in the domain")
    for name, variations in responses.items():
        if not isinstance(variations, list) or not all(isinstance(v, dict) for v in variations):
            raise LocaleResponsesError(f"{path}: {name} must be a list of variations")
    return responses


def _read(path: Path) -> Any:
    """A YAML file, with its path in the error when it is not valid YAML."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise LocaleResponsesError(f"{path}: not valid YAML ({error})") from error
